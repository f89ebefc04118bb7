package clerkauth

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/sync/singleflight"
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
	for _, r := range token {
		if !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
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
	key := sha256.Sum256([]byte(token))
	if c, _, ok := v.jwtCache.get(key); ok {
		return c.clone(), nil
	}
	c, err := v.checkJWT(ctx, token)
	if err != nil {
		return nil, err
	}
	until := v.now().Add(MaxJWTCacheTTL)
	if c.ExpiresAt.Before(until) {
		until = c.ExpiresAt
	}
	v.jwtCache.put(key, c, nil, until)
	return c.clone(), nil
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

// jwksCache keeps the instance's signing keys by key id. An unknown key id
// triggers a refetch (key rotation), but at most one per refetch interval,
// so a stream of made-up key ids cannot turn into a stream of calls to Clerk.
type jwksCache struct {
	url     string
	client  *http.Client
	refetch time.Duration
	maxAge  time.Duration
	now     func() time.Time
	group   singleflight.Group

	mu          sync.Mutex
	keys        map[string]*rsa.PublicKey
	fetchedAt   time.Time // last successful fetch
	attemptedAt time.Time // last fetch, successful or not
	lastErr     error
}

func newJWKSCache(url string, client *http.Client, refetch time.Duration, now func() time.Time) *jwksCache {
	return &jwksCache{url: url, client: client, refetch: refetch, maxAge: time.Hour, now: now}
}

func (c *jwksCache) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	c.mu.Lock()
	k, known := c.keys[kid]
	now := c.now()
	stale := now.Sub(c.fetchedAt) > c.maxAge
	mayFetch := c.attemptedAt.IsZero() || now.Sub(c.attemptedAt) >= c.refetch
	lastErr := c.lastErr
	c.mu.Unlock()

	if known && !stale {
		return k, nil
	}
	if !mayFetch {
		if known {
			return k, nil
		}
		if lastErr != nil {
			return nil, unavailable("fetching JWKS: %v", lastErr)
		}
		return nil, invalid("unknown signing key %q", kid)
	}
	err := c.fetch(ctx)
	c.mu.Lock()
	k, known = c.keys[kid]
	c.mu.Unlock()
	switch {
	case known:
		// A failed refresh of stale keys keeps the old ones: an outage of
		// Clerk does not stop tokens signed with keys we already trust.
		return k, nil
	case err != nil:
		return nil, unavailable("fetching JWKS: %v", err)
	default:
		return nil, invalid("unknown signing key %q", kid)
	}
}

// fetch loads the key set; concurrent callers share one request.
func (c *jwksCache) fetch(ctx context.Context) error {
	_, err, _ := c.group.Do("jwks", func() (any, error) {
		c.mu.Lock()
		now := c.now()
		if !c.attemptedAt.IsZero() && now.Sub(c.attemptedAt) < c.refetch {
			// Someone fetched while this caller was deciding to: at most
			// one fetch per refetch interval.
			err := c.lastErr
			c.mu.Unlock()
			return nil, err
		}
		c.attemptedAt = now
		c.mu.Unlock()
		keys, err := c.load(context.WithoutCancel(ctx))
		c.mu.Lock()
		defer c.mu.Unlock()
		c.lastErr = err
		if err == nil {
			c.keys = keys
			c.fetchedAt = c.now()
		}
		return nil, err
	})
	return err
}

func (c *jwksCache) load(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", c.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("GET %s: %v", c.url, err)
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
		return nil, fmt.Errorf("GET %s: no usable RS256 signing keys", c.url)
	}
	return keys, nil
}
