package clerkauth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// maxJWTLength bounds the tokens this package will parse at all.
const maxJWTLength = 16 << 10

// JOSEHeader is the part of a JWT header that decides whether the token is
// worth verifying.
type JOSEHeader struct {
	Alg  string   `json:"alg"`
	Typ  string   `json:"typ"`
	Kid  string   `json:"kid"`
	Crit []string `json:"crit"`
}

// looksLikeJWT reports whether token has the three base64url segments of a
// compact JWS.
func looksLikeJWT(token string) bool {
	if len(token) > maxJWTLength || strings.Count(token, ".") != 2 {
		return false
	}
	return jwtBytes.all(token)
}

// ParseAccessTokenHeader decodes the header of a compact JWT and checks,
// before any key is fetched, that it could be a Clerk OAuth access token:
// typ at+jwt (RFC 9068), alg RS256, a key id, no critical extensions.
func ParseAccessTokenHeader(token string) (*JOSEHeader, error) {
	if !looksLikeJWT(token) {
		return nil, invalid("malformed JWT")
	}
	seg := token[:strings.IndexByte(token, '.')]
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, invalid("malformed JWT header")
	}
	var h JOSEHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, invalid("malformed JWT header")
	}
	switch strings.ToLower(h.Typ) {
	case "at+jwt", "application/at+jwt":
	default:
		return nil, invalid("not an OAuth access token (typ %q)", h.Typ)
	}
	if h.Alg != string(jose.RS256) {
		return nil, invalid("unsupported signing algorithm %q", h.Alg)
	}
	if h.Kid == "" {
		return nil, invalid("JWT has no key id")
	}
	if len(h.Crit) > 0 {
		return nil, invalid("JWT has critical header parameters")
	}
	return &h, nil
}

type accessTokenClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	ClientID  string           `json:"client_id"`
	Scope     string           `json:"scope"`
	Scp       []string         `json:"scp"`
}

// verifyJWT checks a JWT access token. A token that passed is remembered by
// its hash until it expires, for at most MaxJWTCacheTTL: the signature
// check is most of the cost of a request, and a JWT cannot change.
func (v *Verifier) verifyJWT(ctx context.Context, token string) (*Caller, error) {
	key := tokenKey(token)
	if e, ok := v.jwtCache.get(key); ok {
		return e.caller, nil
	}
	c, err := v.checkJWT(ctx, token)
	if err != nil {
		return nil, err
	}
	c.seal()
	until := v.now().Add(MaxJWTCacheTTL)
	if c.ExpiresAt.Before(until) {
		until = c.ExpiresAt
	}
	v.jwtCache.put(key, c, nil, until)
	return c, nil
}

func (v *Verifier) checkJWT(ctx context.Context, token string) (*Caller, error) {
	h, err := ParseAccessTokenHeader(token)
	if err != nil {
		return nil, err
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, invalid("malformed JWT")
	}
	key, err := v.jwks.key(ctx, h.Kid)
	if err != nil {
		return nil, err
	}
	var c accessTokenClaims
	if err := parsed.Claims(key, &c); err != nil {
		return nil, invalid("bad signature or claims")
	}
	now := v.now()
	switch {
	case c.Issuer != v.issuer:
		return nil, invalid("issued by %q, not by this server's Clerk instance", c.Issuer)
	case c.Expiry == nil:
		return nil, invalid("JWT has no expiry")
	case now.After(c.Expiry.Time().Add(MaxClockSkew)):
		return nil, invalid("token expired")
	case c.NotBefore != nil && now.Add(MaxClockSkew).Before(c.NotBefore.Time()):
		return nil, invalid("token not valid yet")
	case c.IssuedAt != nil && now.Add(MaxClockSkew).Before(c.IssuedAt.Time()):
		return nil, invalid("token issued in the future")
	case c.Subject == "":
		return nil, invalid("JWT has no subject")
	case strings.HasPrefix(c.Subject, "mch_"):
		return nil, invalid("machine tokens are not accepted")
	case c.ClientID == "":
		return nil, invalid("JWT has no client_id: not an OAuth access token")
	}
	if len(c.Audience) > 0 && !v.audienceMatches(c.Audience) {
		return nil, invalid("token audience does not name this server")
	}
	if len(c.Audience) == 0 && v.requireAudience {
		return nil, invalid("token has no audience, and this server requires one (REQUIRE_TOKEN_AUDIENCE)")
	}
	scopes := c.Scp
	if scopes == nil {
		scopes = strings.Fields(c.Scope)
	}
	return &Caller{
		UserID:    c.Subject,
		ClientID:  c.ClientID,
		Scopes:    scopes,
		Format:    FormatJWT,
		ExpiresAt: c.Expiry.Time(),
	}, nil
}

func (v *Verifier) audienceMatches(aud []string) bool {
	for _, a := range aud {
		if v.audiences[strings.TrimSuffix(a, "/")] {
			return true
		}
	}
	return false
}

// fetchJWKS loads the RS256 signing keys of a JWKS document.
func fetchJWKS(ctx context.Context, client *http.Client, url string) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	// The key set is fetched at start, then about once an hour: a
	// connection kept for it would sit idle (two goroutines and its
	// buffers, walked by every garbage collection) until the transport
	// drops it 90 seconds later.
	req.Close = true
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("GET %s: %v", url, err)
	}
	keys := make(map[string]*rsa.PublicKey)
	for _, k := range set.Keys {
		pub, ok := k.Key.(*rsa.PublicKey)
		if !ok || k.KeyID == "" || (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != string(jose.RS256)) {
			continue
		}
		if pub.N.BitLen() < 2048 {
			continue
		}
		keys[k.KeyID] = pub
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("GET %s: no usable RS256 signing keys", url)
	}
	return keys, nil
}
