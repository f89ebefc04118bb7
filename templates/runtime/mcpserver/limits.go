package mcpserver

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkauth"
)

// userLimits bounds what one user (one Clerk user id, whatever token or
// client) can hold open: Streamable HTTP sessions, which live until they go
// idle, and long-lived streams (SSE sessions, standalone GET streams), which
// hold a connection each. Past a bound the request gets 429 with
// Retry-After, and what the user already has keeps working.
type userLimits struct {
	limits Limits
	server *mcp.Server

	mu       sync.Mutex
	owners   map[string]string       // user id by session id, for the sessions recorded
	sessions map[string]sessionCount // by user id
	streams  map[string]int          // open streams by user id
}

// sessionCount is what one user holds among the sessions. It is kept in
// the map by value, and each session as an entry of owners: nothing is
// allocated per user or per session beyond the maps' own tables, which
// every garbage collection walks in one piece, where a record and a set
// of its own per user were three more objects for it to walk.
type sessionCount struct {
	recorded int // sessions this user opened, in owners
	opening  int // initialize requests in flight
}

func newUserLimits(l Limits, server *mcp.Server) *userLimits {
	return &userLimits{
		limits: l.withDefaults(), server: server,
		owners: make(map[string]string), sessions: make(map[string]sessionCount), streams: make(map[string]int),
	}
}

func tooMany(w http.ResponseWriter, what string, limit int, env string) {
	w.Header().Set("Retry-After", "30")
	clerkauth.WriteJSONError(w, http.StatusTooManyRequests, "too_many_"+what,
		"this user already has "+strconv.Itoa(limit)+" open "+what+"; close one or wait for an idle one to expire (the server's "+env+" sets the limit)")
}

// admitPost bounds the sessions a POST to /mcp may open: a POST without a
// session id may open one, and holds a place among the user's sessions
// until settleSession. It returns the user whose place it holds ("" for a
// POST into a session), or false when the user has as many sessions as
// allowed (the request has been answered).
func (u *userLimits) admitPost(w http.ResponseWriter, r *http.Request) (string, bool) {
	if firstValue(r.Header, "Mcp-Session-Id") != "" {
		return "", true
	}
	user, ok := clerkauth.UserIDFrom(r.Context())
	if !ok {
		return "", true
	}
	if !u.reserveSession(user) {
		tooMany(w, "sessions", u.limits.MaxSessionsPerUser, "MAX_SESSIONS_PER_USER")
		return "", false
	}
	return user, true
}

func (u *userLimits) openStream(user string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.streams[user] >= u.limits.MaxStreamsPerUser {
		return false
	}
	u.streams[user]++
	return true
}

func (u *userLimits) closeStream(user string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.streams[user]--; u.streams[user] <= 0 {
		delete(u.streams, user)
	}
}

// reserveSession holds a place for a session the user is opening, if the
// user is below the bound. Sessions that ended (closed, or idle past
// SessionIdleTimeout) are forgotten first.
func (u *userLimits) reserveSession(user string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if c := u.sessions[user]; c.recorded+c.opening >= u.limits.MaxSessionsPerUser {
		u.forgetEndedSessions()
		if c = u.sessions[user]; c.recorded+c.opening >= u.limits.MaxSessionsPerUser {
			return false
		}
	}
	c := u.sessions[user]
	c.opening++
	u.sessions[user] = c
	return true
}

// forgetEndedSessions drops the sessions the MCP server no longer has, of
// every user. The MCP server's own lock is taken inside ours, never the
// other way round.
func (u *userLimits) forgetEndedSessions() {
	live := u.liveSessions()
	for id, owner := range u.owners {
		if !live[id] {
			delete(u.owners, id)
			c := u.sessions[owner]
			c.recorded--
			u.store(owner, c)
		}
	}
}

// settleSession records the session a reserved request opened, if any.
func (u *userLimits) settleSession(user, id string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	c, ok := u.sessions[user]
	if !ok {
		return
	}
	c.opening--
	if id != "" {
		switch owner, known := u.owners[id]; {
		case !known:
			u.owners[id] = user
			c.recorded++
		case owner != user:
			// The go-sdk binds a session to its user, so this is not
			// expected: the id changes hands.
			prev := u.sessions[owner]
			prev.recorded--
			u.store(owner, prev)
			u.owners[id] = user
			c.recorded++
		}
	}
	u.store(user, c)
}

// store keeps c for user, or forgets the user when c holds nothing.
func (u *userLimits) store(user string, c sessionCount) {
	if c.recorded <= 0 && c.opening <= 0 {
		delete(u.sessions, user)
		return
	}
	u.sessions[user] = c
}

// liveSessions lists the ids of the sessions the MCP server still has.
func (u *userLimits) liveSessions() map[string]bool {
	live := make(map[string]bool)
	for ss := range u.server.Sessions() {
		live[ss.ID()] = true
	}
	return live
}
