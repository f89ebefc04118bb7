package clerkauth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
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
	c = c.seal()
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
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", url, err)
	}
	return keys, nil
}

// parseJWKS reads the RSA signing keys (RS256, at least 2048 bits, with a
// key id) of a JWKS document (RFC 7517); it leaves out keys of any other
// kind or use, and keys it cannot read, and fails only when no key is left
// or the document is not a key set.
//
// It reads the document as plain maps rather than into go-jose's key type:
// decoding into a struct type caches that type's field tables for the
// process's life (the first decode of go-jose's key set allocated 126
// objects, later ones 35), and every object kept is walked again by each
// garbage collection, which under load comes every few requests.
func parseJWKS(body []byte) (map[string]*rsa.PublicKey, error) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON key set: %v", err)
	}
	list, ok := doc["keys"].([]any)
	if !ok {
		return nil, errors.New(`not a JWKS document: no "keys" array`)
	}
	keys := make(map[string]*rsa.PublicKey)
	for _, entry := range list {
		member, ok := entry.(map[string]any)
		if !ok {
			continue
		}
		kid, pub, ok := rsaSigningKey(member)
		if ok {
			keys[kid] = pub
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("no usable RS256 signing keys")
	}
	return keys, nil
}

// Bounds of the RSA keys accepted for signatures: Clerk's are 2048 bits;
// fewer is breakable, many more only makes each check slower.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// rsaSigningKey reads one member of a key set: an RSA key (kty RSA) for
// signatures (use sig, or no use given) with RS256 (or no alg given), a key
// id, and a modulus and public exponent crypto/rsa accepts.
func rsaSigningKey(member map[string]any) (string, *rsa.PublicKey, bool) {
	field := func(name string) (string, bool) {
		v, present := member[name]
		if !present {
			return "", true
		}
		s, ok := v.(string)
		return s, ok
	}
	kty, ok1 := field("kty")
	kid, ok2 := field("kid")
	use, ok3 := field("use")
	alg, ok4 := field("alg")
	n64, ok5 := field("n")
	e64, ok6 := field("e")
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || kty != "RSA" || kid == "" ||
		(use != "" && use != "sig") || (alg != "" && alg != string(jose.RS256)) {
		return "", nil, false
	}
	nBytes, err1 := decodeKeyPart(n64)
	eBytes, err2 := decodeKeyPart(e64)
	if err1 != nil || err2 != nil {
		return "", nil, false
	}
	n := new(big.Int).SetBytes(nBytes)
	if bits := n.BitLen(); bits < minRSABits || bits > maxRSABits || n.Bit(0) == 0 {
		return "", nil, false
	}
	// The exponent as crypto/rsa takes it: odd, at least 3, within 31 bits.
	e := new(big.Int).SetBytes(eBytes)
	if e.BitLen() > 31 || e.Bit(0) == 0 || e.Int64() < 3 {
		return "", nil, false
	}
	return kid, &rsa.PublicKey{N: n, E: int(e.Int64())}, true
}

// decodeKeyPart decodes a JWK's base64url integer (RFC 7518 section 6.3.1:
// without padding; a padded one is read too).
func decodeKeyPart(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if s == "" {
		return nil, errors.New("empty")
	}
	return base64.RawURLEncoding.DecodeString(s)
}
