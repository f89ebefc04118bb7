package mcpserver

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkauth"
)

// transportGuard runs in front of the token check on /mcp and /sse. It
// answers CORS preflights (which carry no token), refuses browsers from
// origins that are not allowed and, against DNS rebinding, requests that
// reach a loopback listener under a foreign Host.
type transportGuard struct {
	publicOrigin   string // scheme://host[:port] of PUBLIC_URL
	publicHost     string // host[:port] of PUBLIC_URL
	allowedOrigins []string
	allowAll       bool
}

func newTransportGuard(publicURL string, allowedOrigins []string) *transportGuard {
	u, _ := url.Parse(publicURL)
	g := &transportGuard{publicOrigin: publicURL, publicHost: u.Host}
	for _, o := range allowedOrigins {
		if o == "*" {
			g.allowAll = true
			continue
		}
		g.allowedOrigins = append(g.allowedOrigins, strings.TrimSuffix(o, "/"))
	}
	return g
}

// varyOrigin is the Vary header of the transports' responses: they depend
// on the request's Origin (Access-Control-Allow-Origin).
var varyOrigin = []string{"Origin"}

const (
	corsAllowHeaders  = "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID"
	corsExposeHeaders = "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version"
)

func (g *transportGuard) originAllowed(origin string) bool {
	return g.allowAll || strings.EqualFold(origin, g.publicOrigin) || slices.ContainsFunc(g.allowedOrigins, func(o string) bool {
		return strings.EqualFold(o, origin)
	})
}

// hostAllowed reports whether the request's Host may be served. A loopback
// listener serves loopback names and PUBLIC_URL's host (a tunnel or a
// reverse proxy in front of it); anything else is a DNS-rebinding attempt.
func (g *transportGuard) hostAllowed(r *http.Request) bool {
	if strings.EqualFold(r.Host, g.publicHost) {
		// PUBLIC_URL's host is served on any listener: asked first, it
		// spares the usual request the walk up its context below.
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || local == nil {
		return true
	}
	if tcp, ok := local.(*net.TCPAddr); ok {
		// What the string form below finds, without formatting and
		// parsing the address on every request.
		if !tcp.IP.IsLoopback() {
			return true
		}
	} else if host, _, err := net.SplitHostPort(local.String()); err != nil || !isLoopbackHost(host) {
		return true
	}
	reqHost := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		reqHost = h
	}
	return isLoopbackHost(reqHost)
}

// check does the guard's work and reports whether the request goes on; if
// not, it has been answered.
func (g *transportGuard) check(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	if v := h["Vary"]; len(v) == 0 {
		// One list for every response: its capacity is its length, so
		// an Add or an append elsewhere copies it rather than writing
		// into it (and Header.Clone copies it); a list per response
		// would be one more object for each collection to walk for as
		// long as the response is in flight (a GET stream's, for as
		// long as its session lives).
		h["Vary"] = varyOrigin[:1:1]
	} else {
		h["Vary"] = append(v, "Origin") // h.Add, with the key already canonical
	}
	if !g.hostAllowed(r) {
		clerkauth.EndUnreadBody(w, r)
		clerkauth.WriteJSONError(w, http.StatusForbidden, "invalid_host", "this server does not answer to Host "+r.Host+"; set PUBLIC_URL to the address clients use")
		return false
	}
	origin := firstValue(r.Header, "Origin")
	if origin != "" {
		if !g.originAllowed(origin) {
			clerkauth.EndUnreadBody(w, r)
			clerkauth.WriteJSONError(w, http.StatusForbidden, "invalid_origin", "requests from origin "+origin+" are not allowed; add it to allowedOrigins in clerk-mcp.yaml")
			return false
		}
		if g.allowAll {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	}
	if r.Method == http.MethodOptions {
		clerkauth.EndUnreadBody(w, r)
		h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", allowHeaders(r.Header.Get("Access-Control-Request-Headers")))
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	return true
}

// allowHeaders answers a preflight's Access-Control-Request-Headers: the
// fixed list, plus each requested Mcp-* header (MCP 2026-07-28 clients send
// Mcp-Method, Mcp-Name and Mcp-Param-<name> headers, which no fixed list
// can name). Nothing else is allowed.
func allowHeaders(requested string) string {
	allowed := corsAllowHeaders
	for _, name := range strings.Split(requested, ",") {
		name = strings.TrimSpace(name)
		if len(name) > 4 && strings.EqualFold(name[:4], "mcp-") && !strings.Contains(strings.ToLower(allowed), strings.ToLower(name)) && isHeaderName(name) {
			allowed += ", " + name
		}
	}
	return allowed
}

func isHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// firstValue is h.Get(key) for a key already in canonical form (every
// header the server reads is spelt so here): the map lookup without
// canonicalizing the key again, which h.Get does on each call.
func firstValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
