// Package clerkauth verifies Clerk OAuth access tokens for an MCP server and
// tells tool handlers who is calling.
//
// Clerk issues OAuth access tokens in two formats: JWTs (RFC 9068, "typ"
// at+jwt, signed with the instance's RS256 keys) and opaque tokens that
// start with "oat_". JWTs are verified locally against the instance's JWKS;
// opaque tokens are checked with Clerk's Backend API and the result is cached
// briefly. Anything else is refused without a network call.
package clerkauth

import (
	"context"
	"slices"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Token formats reported in Caller.Format.
const (
	FormatJWT    = "jwt"
	FormatOpaque = "opaque"
)

// Caller is the Clerk user and OAuth client behind a verified access token.
type Caller struct {
	// UserID is the Clerk user the token was issued for (the JWT "sub",
	// the opaque token's "subject"), such as "user_2xhF...".
	UserID string
	// ClientID is the OAuth application (the MCP client) that holds the token.
	ClientID string
	// Scopes are the scopes the user granted to the client.
	Scopes []string
	// Format is FormatJWT or FormatOpaque.
	Format string
	// ExpiresAt is when the token expires; zero when Clerk did not say.
	ExpiresAt time.Time

	// info is the go-sdk's TokenInfo of a verified Caller (see seal).
	info *auth.TokenInfo
}

// HasScope reports whether the caller was granted scope.
func (c *Caller) HasScope(scope string) bool {
	return c != nil && slices.Contains(c.Scopes, scope)
}

// clone is a copy of c that shares nothing with it.
func (c *Caller) clone() *Caller {
	if c == nil {
		return nil
	}
	cp := *c
	cp.Scopes = slices.Clone(c.Scopes)
	cp.info = nil
	return &cp
}

// seal returns the verified Caller of a token, which every request made
// with the token shares, with its TokenInfo built once: nothing may change
// either after. (Per-request copies of both were a fifth to a quarter of
// what the server added to a call, by instruction counts: each one is
// walked again by every garbage collection while the go-sdk holds the
// request.) Handlers never see a sealed Caller: CallerFrom hands out copies,
// and TokenInfo.Extra holds it as a heldCaller. The TokenInfo has scopes of
// its own, so that nothing done to it reaches the checks made with the
// Caller.
//
// The sealed Caller and its TokenInfo are one allocation, and their two
// scope lists another (each with no room to grow into the other): a
// sealed Caller lives as long as its cache entry, and each object kept is
// one more for every collection to walk.
func (c *Caller) seal() *Caller {
	s := &sealedCaller{caller: *c}
	n := len(c.Scopes)
	var scopes []string // nil, as the Caller's were, when there are none
	if n > 0 {
		scopes = make([]string, 2*n)
	}
	copy(scopes, c.Scopes)
	copy(scopes[n:], c.Scopes)
	s.caller.Scopes = scopes[:n:n]
	s.info = auth.TokenInfo{
		Scopes:     scopes[n:],
		Expiration: c.ExpiresAt,
		UserID:     c.UserID,
		Extra:      s.caller.extra(),
	}
	s.caller.info = &s.info
	return &s.caller
}

// sealedCaller is a sealed Caller and its TokenInfo.
type sealedCaller struct {
	caller Caller
	info   auth.TokenInfo
}

// tokenInfoKey is the key under which a Caller is kept in auth.TokenInfo.Extra,
// as a heldCaller.
const tokenInfoKey = "clerk_caller"

// heldCaller is how TokenInfo.Extra holds a Caller: a type no other
// package can assert to, so that the go-sdk's TokenInfo, which handlers
// are given, does not give them the server's own (perhaps shared) Caller;
// CallerFrom gives them a copy.
type heldCaller struct{ c *Caller }

// TokenInfo converts the caller into the go-sdk's auth.TokenInfo, which the
// Streamable HTTP transport hands to tool handlers and uses to bind a
// session to its user.
func (c *Caller) TokenInfo() *auth.TokenInfo {
	info := c.tokenInfo()
	info.Scopes = slices.Clone(c.Scopes)
	return info
}

// tokenInfo is TokenInfo sharing c's scopes.
func (c *Caller) tokenInfo() *auth.TokenInfo {
	return &auth.TokenInfo{
		Scopes:     c.Scopes,
		Expiration: c.ExpiresAt,
		UserID:     c.UserID,
		Extra:      c.extra(),
	}
}

// extra is the TokenInfo.Extra of c: c itself, for CallerFrom, and the
// user and client ids, for tools that read them there.
func (c *Caller) extra() map[string]any {
	return map[string]any{tokenInfoKey: heldCaller{c}, "userId": c.UserID, "clientId": c.ClientID}
}

type callerKey struct{}

// WithCaller returns a copy of ctx that carries c.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller of an MCP request. Pass the request's Extra
// (req.Extra in a tool handler; it may be nil).
//
// On Streamable HTTP the caller comes from the current HTTP request. On the
// SSE transport, which carries no per-request data, it comes from the
// request that opened the session; the server refuses posts into that
// session from any other user, so it is the same user.
//
// Each call returns a copy of its own, which the handler may change: the
// server's checks, and later requests with the same token, never see it.
// (The go-sdk's TokenInfo in req.Extra is shared by the requests made with
// one token: read it, do not change it.)
func CallerFrom(ctx context.Context, extra *mcp.RequestExtra) (*Caller, bool) {
	if c := callerIn(ctx, extra); c != nil {
		return c.clone(), true
	}
	return nil, false
}

// UserIDFrom returns the user id of the caller ctx carries, without the
// copy CallerFrom makes: for the server's own per-user bounds, checked on
// every request.
func UserIDFrom(ctx context.Context) (string, bool) {
	if c := callerIn(ctx, nil); c != nil {
		return c.UserID, true
	}
	return "", false
}

func callerIn(ctx context.Context, extra *mcp.RequestExtra) *Caller {
	if extra != nil && extra.TokenInfo != nil {
		if h, ok := extra.TokenInfo.Extra[tokenInfoKey].(heldCaller); ok && h.c != nil {
			return h.c
		}
	}
	if c, ok := ctx.Value(callerKey{}).(*Caller); ok && c != nil {
		return c
	}
	if ti := auth.TokenInfoFromContext(ctx); ti != nil {
		if h, ok := ti.Extra[tokenInfoKey].(heldCaller); ok && h.c != nil {
			return h.c
		}
	}
	return nil
}
