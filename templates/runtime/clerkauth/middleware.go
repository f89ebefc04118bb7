package clerkauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
)

// TokenVerifier is what Middleware needs of a Verifier.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*Caller, error)
}

// Middleware guards a protected route: it demands a Clerk OAuth access token
// in the Authorization header and answers RFC 6750 challenges that point
// MCP clients at the route's RFC 9728 metadata.
type Middleware struct {
	Verifier TokenVerifier
	// ResourceMetadataURL is the URL of the protected-resource metadata
	// for the guarded route; it goes into every challenge.
	ResourceMetadataURL string
	// RequiredScopes, when set, must all have been granted (else 403).
	RequiredScopes []string
	// ChallengeScopes are named in the scope parameter of a 401, so that
	// a client asks Clerk for the scopes this server uses (RFC 6750 §3,
	// MCP's scope selection).
	ChallengeScopes []string
	// ClientAddress tells clients apart for the verify budget; nil uses
	// the peer address (ClientAddress with no trusted proxies).
	ClientAddress func(*http.Request) string
	Logger        *slog.Logger
	// Logs throttles the warnings logged under load; nil logs every one.
	Logs *LogThrottle
}

// Wrap returns next guarded by m. A request that passes carries its Caller
// in its context (CallerFrom) and as the go-sdk's auth.TokenInfo, so the
// Streamable HTTP transport can hand it to tools and bind sessions to users.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served, ok := m.Authenticate(w, r); ok {
			next.ServeHTTP(w, served)
			RemoveUploads(served, r)
		}
	})
}

// RemoveUploads removes the temporary files of a multipart form that a
// handler parsed on served, a copy of r made for it: net/http removes
// those of the request it made, not of copies.
func RemoveUploads(served, r *http.Request) {
	if f := served.MultipartForm; f != nil && f != r.MultipartForm {
		_ = f.RemoveAll()
	}
}

// Authenticate does what Wrap does before calling its handler: it checks
// the request's token and returns the request carrying its Caller and
// TokenInfo, or answers the request itself (401, 403, 503) and returns
// false. It returns before the request is served, so that the handler that
// serves it does not run with the auth layer's frames under it: the deep
// go-sdk handlers would otherwise grow (and, after each GC shrinks it,
// grow again) the connection goroutine's stack on every request.
func (m *Middleware) Authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	token, err := BearerToken(r.Header)
	if err != nil {
		EndUnreadBody(w, r)
		code := "" // no credentials: no error parameter (RFC 6750 section 3.1)
		if errors.Is(err, ErrInvalidToken) {
			code = "invalid_token"
		}
		m.challenge(w, http.StatusUnauthorized, code, strings.TrimPrefix(err.Error(), ErrInvalidToken.Error()+": "))
		return nil, false
	}
	var caller *Caller
	if v, ok := m.Verifier.(*Verifier); ok {
		caller, err = v.verifyFrom(r.Context(), token, clientOf{r: r, address: m.ClientAddress})
	} else {
		caller, err = m.Verifier.Verify(r.Context(), token)
	}
	switch {
	case errors.Is(err, ErrUnavailable):
		m.Logs.Log(m.logger(), slog.LevelWarn, "cannot verify tokens now: Clerk unavailable or too many new tokens", "err", err)
		EndUnreadBody(w, r)
		w.Header().Set("Retry-After", "5")
		writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "the token cannot be verified right now; try again shortly")
		return nil, false
	case err != nil:
		EndUnreadBody(w, r)
		m.challenge(w, http.StatusUnauthorized, "invalid_token", strings.TrimPrefix(err.Error(), ErrInvalidToken.Error()+": "))
		return nil, false
	}
	for _, s := range m.RequiredScopes {
		if !caller.HasScope(s) {
			EndUnreadBody(w, r)
			m.challenge(w, http.StatusForbidden, "insufficient_scope", "the token lacks the "+s+" scope")
			return nil, false
		}
	}
	served, ok := withCaller(r, caller)
	if !ok {
		// Only the fallback can refuse, on an expiry its own clock
		// sees: the token is as good as expired.
		EndUnreadBody(w, r)
		m.challenge(w, http.StatusUnauthorized, "invalid_token", "the token has expired")
		return nil, false
	}
	return served, true
}

// withCaller returns r carrying its Caller and the go-sdk's TokenInfo for
// it: in one context layer (callerContext) where the go-sdk's key for the
// TokenInfo is known, else through auth.RequireBearerToken.
func withCaller(r *http.Request, caller *Caller) (*http.Request, bool) {
	if caller.info == nil {
		// From a Verifier of the user's, which may share its Callers:
		// this request gets a copy of its own, and a TokenInfo for it.
		caller = caller.clone()
	}
	if sdkTokenInfoKey != nil {
		info := caller.info
		if info == nil {
			info = caller.tokenInfo()
		}
		return r.WithContext(&callerContext{Context: r.Context(), caller: caller, info: info}), true
	}
	// auth.RequireBearerToken is the other way to put a TokenInfo where
	// the go-sdk looks for it. The token was verified already: its
	// verifier hands the result over, and its handler only takes the
	// request it made, to be served from here.
	cw := &capturingWriter{}
	tokenBridge.ServeHTTP(cw, r.WithContext(WithCaller(r.Context(), caller)))
	return cw.r, cw.r != nil
}

// callerContext carries a verified request's Caller, and the go-sdk's
// auth.TokenInfo for it under the go-sdk's own key, in one layer: one
// context and one request copy where context.WithValue and the go-sdk's
// auth.RequireBearerToken make two of each.
type callerContext struct {
	context.Context
	caller *Caller
	info   *auth.TokenInfo
}

func (c *callerContext) Value(key any) any {
	switch {
	case key == any(callerKey{}):
		return c.caller
	case key == sdkTokenInfoKey:
		return c.info
	}
	return c.Context.Value(key)
}

// sdkTokenInfoKey is the context key under which the go-sdk looks for an
// auth.TokenInfo (auth.TokenInfoFromContext), learnt by asking it to look
// in a context that notes the key; nil if what it learns does not work, and
// then tokenBridge is used.
var sdkTokenInfoKey = func() any {
	probe := &keyProbe{Context: context.Background()}
	_ = auth.TokenInfoFromContext(probe)
	if probe.key == nil || probe.calls != 1 {
		return nil
	}
	key := probe.key
	want := &auth.TokenInfo{UserID: "probe"}
	ctx := context.Context(&callerKeyCheck{Context: context.Background(), key: key, info: want})
	if got := auth.TokenInfoFromContext(ctx); got != want {
		return nil
	}
	return key
}()

// keyProbe is a context that notes the key it is asked for.
type keyProbe struct {
	context.Context
	key   any
	calls int
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	p.calls++
	return nil
}

// callerKeyCheck answers info for key, to check that key is the one.
type callerKeyCheck struct {
	context.Context
	key  any
	info *auth.TokenInfo
}

func (c *callerKeyCheck) Value(key any) any {
	if key == c.key {
		return c.info
	}
	return c.Context.Value(key)
}

// tokenBridge puts the Caller in a request's context as the go-sdk's
// auth.TokenInfo, and gives the resulting request to the capturingWriter
// it was called with.
var tokenBridge = auth.RequireBearerToken(func(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
	c := callerIn(ctx, nil)
	if c == nil {
		return nil, errors.New("clerkauth: no caller in context")
	}
	if c.info != nil {
		return c.info, nil
	}
	return c.tokenInfo(), nil
}, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true, ClockSkew: MaxClockSkew})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.(*capturingWriter).r = r
}))

// capturingWriter is the ResponseWriter tokenBridge writes to, where the
// request it made is left. The token was verified before, so the bridge
// never refuses it and writes nothing.
type capturingWriter struct {
	header http.Header
	r      *http.Request
}

func (c *capturingWriter) Header() http.Header {
	if c.header == nil {
		c.header = http.Header{}
	}
	return c.header
}
func (*capturingWriter) Write(p []byte) (int, error) { return len(p), nil }
func (*capturingWriter) WriteHeader(int)             {}

func (m *Middleware) logger() *slog.Logger {
	if m.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Logger
}

// challenge answers 401 or 403 with a WWW-Authenticate header as RFC 6750
// and RFC 9728 describe. Without an error code (no credentials at all) the
// header carries no error parameter (RFC 6750 section 3.1).
func (m *Middleware) challenge(w http.ResponseWriter, status int, code, description string) {
	params := []string{fmt.Sprintf("resource_metadata=%q", m.ResourceMetadataURL)}
	if code != "" {
		params = append(params, fmt.Sprintf("error=%q", code), fmt.Sprintf("error_description=%q", sanitizeQuoted(description)))
	}
	scopes := m.ChallengeScopes
	if code == "insufficient_scope" {
		scopes = m.RequiredScopes
	}
	for _, s := range m.RequiredScopes { // a 401 names what a 403 would want too
		if !slices.Contains(scopes, s) {
			scopes = append(slices.Clone(scopes), s)
		}
	}
	if len(scopes) > 0 {
		params = append(params, fmt.Sprintf("scope=%q", strings.Join(scopes, " ")))
	}
	w.Header().Set("WWW-Authenticate", "Bearer "+strings.Join(params, ", "))
	body := code
	if body == "" {
		body = "unauthorized"
	}
	writeJSONError(w, status, body, description)
}

// sanitizeQuoted keeps an error description inside the characters RFC 6750
// allows in it (printable ASCII without " and \).
func sanitizeQuoted(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '\''
		}
		return r
	}, s)
}

// errMissingCredentials is reported when a request carries no bearer token.
var errMissingCredentials = errors.New("a bearer token is required")

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header. A missing header, or one with another scheme, is
// errMissingCredentials; a bearer header with a malformed token wraps
// ErrInvalidToken.
func BearerToken(h http.Header) (string, error) {
	values := h["Authorization"] // h.Values, with the key already canonical
	if len(values) == 0 {
		return "", errMissingCredentials
	}
	if len(values) > 1 {
		return "", invalid("more than one Authorization header")
	}
	scheme, token, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", errMissingCredentials
	}
	token = strings.Trim(token, " ")
	if token == "" || !isToken68(token) {
		return "", invalid("malformed bearer token")
	}
	return token, nil
}

// isToken68 reports whether s has the syntax of RFC 7235's token68, which
// RFC 6750 uses for bearer tokens.
func isToken68(s string) bool {
	trimmed := strings.TrimRight(s, "=")
	if trimmed == "" || len(s) > maxJWTLength {
		return false
	}
	return token68Bytes.all(trimmed)
}

// byteSet is a set of bytes, looked up by index: every request's token is
// checked against one, a JWT's thousand bytes included, so the check is a
// load per byte rather than a chain of comparisons.
type byteSet [256]bool

// alphanumericPlus is the set of ASCII letters and digits and the bytes of
// extra.
func alphanumericPlus(extra string) *byteSet {
	var s byteSet
	for c := '0'; c <= '9'; c++ {
		s[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		s[c] = true
		s[c-'a'+'A'] = true
	}
	for i := 0; i < len(extra); i++ {
		s[extra[i]] = true
	}
	return &s
}

// all reports whether every byte of str is in s.
func (s *byteSet) all(str string) bool {
	for i := 0; i < len(str); i++ {
		if !s[str[i]] {
			return false
		}
	}
	return true
}

var (
	token68Bytes = alphanumericPlus("-._~+/") // token68 before its trailing '='s
	jwtBytes     = alphanumericPlus("-_.")    // base64url and the dots of a compact JWS
	opaqueBytes  = alphanumericPlus("")       // an opaque token after its prefix
)

// writeJSONError writes an OAuth-style JSON error body.
func writeJSONError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

// WriteJSONError writes {"error": code, "error_description": description}
// with status, the shape every error of this server takes.
func WriteJSONError(w http.ResponseWriter, status int, code, description string) {
	writeJSONError(w, status, code, description)
}

// EndUnreadBody makes the response to r close the connection when r has a
// body nobody read, and bounds how long the rest of it is waited for:
// net/http would otherwise read up to 256 KiB of it before sending the
// answer, or before taking the next request, and a client trickling its
// body would hold the connection for as long as it likes. Call it before
// writing a refusal.
//
// The rest is not cut off at once: a connection closed with bytes of the
// body unread is reset, and the client's side then drops the answer it
// had not yet read. For unreadBodyGrace net/http reads on (up to 256 KiB,
// past which it half-closes the connection and lets the client read the
// answer before the end); a client still sending after that is cut off.
func EndUnreadBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return
	}
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(unreadBodyGrace))
}

// unreadBodyGrace is how long the rest of a refused request's body is read
// for, so that the refusal reaches a client that is sending it: 256 KiB
// come in a second at 2 Mbit/s. A client trickling its body holds the
// connection no longer than that (it may wait ReadHeaderTimeout for its
// headers anyway).
const unreadBodyGrace = time.Second
