package mcpserver

import (
	"bytes"
	"net/http"
	"net/url"
	"sync"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkauth"
)

// sseBinder binds each SSE session to the user who opened it. The go-sdk's
// SSE handler treats the session id as the only credential, so without this
// any valid token could post into another user's session and run tools as
// that user. The binder learns each session id from the endpoint event the
// handler sends on the session's stream, and from then on lets only posts
// whose token belongs to the same user through.
type sseBinder struct {
	mu     sync.Mutex
	owners map[string]string // session id -> Clerk user id
}

func newSSEBinder() *sseBinder { return &sseBinder{owners: make(map[string]string)} }

func (b *sseBinder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, ok := clerkauth.CallerFrom(r.Context(), nil)
		if !ok {
			clerkauth.WriteJSONError(w, http.StatusUnauthorized, "invalid_token", "no verified caller")
			return
		}
		switch r.Method {
		case http.MethodGet:
			sniffer := &endpointSniffer{ResponseWriter: w, onSession: func(id string) {
				b.mu.Lock()
				b.owners[id] = caller.UserID
				b.mu.Unlock()
			}}
			defer func() {
				if sniffer.sessionID != "" {
					b.mu.Lock()
					delete(b.owners, sniffer.sessionID)
					b.mu.Unlock()
				}
			}()
			next.ServeHTTP(sniffer, r)
		case http.MethodPost:
			id := r.URL.Query().Get("sessionid")
			b.mu.Lock()
			owner, found := b.owners[id]
			b.mu.Unlock()
			switch {
			case !found:
				clerkauth.WriteJSONError(w, http.StatusNotFound, "session_not_found", "no open SSE session with that id; open one with GET /sse")
			case owner != caller.UserID:
				clerkauth.WriteJSONError(w, http.StatusForbidden, "session_forbidden", "this SSE session belongs to another user")
			default:
				next.ServeHTTP(w, r)
			}
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// endpointSniffer passes an SSE stream through and reports the session id of
// its first "endpoint" event.
type endpointSniffer struct {
	http.ResponseWriter
	onSession func(id string)
	sessionID string
	buf       []byte
	done      bool
}

func (s *endpointSniffer) Write(p []byte) (int, error) {
	if !s.done {
		s.buf = append(s.buf, p...)
		s.scan()
	}
	return s.ResponseWriter.Write(p)
}

func (s *endpointSniffer) scan() {
	const marker = "event: endpoint\ndata: "
	i := bytes.Index(s.buf, []byte(marker))
	if i < 0 {
		if len(s.buf) > 4096 {
			s.done, s.buf = true, nil
		}
		return
	}
	rest := s.buf[i+len(marker):]
	end := bytes.IndexByte(rest, '\n')
	if end < 0 {
		return
	}
	s.done = true
	if u, err := url.Parse(string(rest[:end])); err == nil {
		if id := u.Query().Get("sessionid"); id != "" {
			s.sessionID = id
			s.onSession(id)
		}
	}
	s.buf = nil
}

// Unwrap lets http.ResponseController reach the real writer (to flush).
func (s *endpointSniffer) Unwrap() http.ResponseWriter { return s.ResponseWriter }
