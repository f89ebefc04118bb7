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
	sessions map[string]*userSessions // by user id
	streams  map[string]int           // open streams by user id
}

type userSessions struct {
	ids     map[string]bool // session ids this user opened
	opening int             // initialize requests in flight
}

func newUserLimits(l Limits, server *mcp.Server) *userLimits {
	return &userLimits{limits: l.withDefaults(), server: server, sessions: make(map[string]*userSessions), streams: make(map[string]int)}
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
	us := u.sessions[user]
	if us == nil {
		us = &userSessions{ids: make(map[string]bool)}
		u.sessions[user] = us
	}
	if len(us.ids)+us.opening >= u.limits.MaxSessionsPerUser {
		// The MCP server's own lock is taken inside ours, never the
		// other way round.
		live := u.liveSessions()
		for id := range us.ids {
			if !live[id] {
				delete(us.ids, id)
			}
		}
		if len(us.ids)+us.opening >= u.limits.MaxSessionsPerUser {
			u.mu.Unlock()
			return false
		}
	}
	us.opening++
	u.mu.Unlock()
	return true
}

// settleSession records the session a reserved request opened, if any.
func (u *userLimits) settleSession(user, id string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	us := u.sessions[user]
	if us == nil {
		return
	}
	us.opening--
	if id != "" {
		us.ids[id] = true
	}
	if len(us.ids) == 0 && us.opening == 0 {
		delete(u.sessions, user)
	}
}

// liveSessions lists the ids of the sessions the MCP server still has.
func (u *userLimits) liveSessions() map[string]bool {
	live := make(map[string]bool)
	for ss := range u.server.Sessions() {
		live[ss.ID()] = true
	}
	return live
}
