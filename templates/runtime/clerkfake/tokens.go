package clerkfake

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Access-token formats, as Clerk's dashboard toggle "Generate access tokens
// as JWTs" chooses them.
const (
	FormatOpaque = "opaque"
	FormatJWT    = "jwt"
)

// TokenOptions describe an access token to mint. Zero fields take defaults:
// the default user and client, scopes "profile email", a lifetime of one
// hour. The JWT-only fields let tests mint tokens a server must refuse.
type TokenOptions struct {
	UserID   string
	ClientID string
	Scopes   []string
	TTL      time.Duration
	// Audience is the JWT's "aud", or what the verify endpoint reports as
	// an opaque token's "aud" (a string when there is one, else a list);
	// default none, as Clerk does unless the client sent a resource.
	Audience []string

	// JWT only.
	Issuer    string    // default: the fake's URL
	Type      string    // the header "typ"; default "at+jwt"
	NoExpiry  bool      // leave out "exp"
	NotBefore time.Time // "nbf"; default the issue time
	KeyID     string    // the header "kid"; default the signing key's
	SignWith  *rsa.PrivateKey
	Extra     map[string]any // more claims
}

func (f *Fake) defaults(o *TokenOptions) {
	if o.UserID == "" {
		o.UserID = DefaultUserID
	}
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.Scopes == nil {
		o.Scopes = []string{"profile", "email"}
	}
	if o.TTL == 0 {
		o.TTL = time.Hour
	}
}

type opaqueToken struct {
	id        string
	userID    string
	clientID  string
	scopes    []string
	expiresAt time.Time
	revoked   bool
	createdAt time.Time
	audience  []string
}

// IssueOpaque mints an opaque access token ("oat_...") that the Backend API
// verify endpoint will vouch for.
func (f *Fake) IssueOpaque(o TokenOptions) string {
	f.defaults(&o)
	token := "oat_" + strings.ToUpper(randomHex(16))
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opaque[token] = &opaqueToken{
		id: "oat_" + randomHex(16), userID: o.UserID, clientID: o.ClientID, scopes: o.Scopes,
		expiresAt: now.Add(o.TTL), createdAt: now, audience: o.Audience,
	}
	return token
}

// Revoke revokes an opaque token: the verify endpoint then reports it
// revoked.
func (f *Fake) Revoke(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.opaque[token]; ok {
		t.revoked = true
	}
}

// IssueJWT mints a JWT access token (RFC 9068) signed with the fake's
// current key, unless o says otherwise.
func (f *Fake) IssueJWT(o TokenOptions) (string, error) {
	f.defaults(&o)
	f.mu.Lock()
	key := f.keys[0]
	f.mu.Unlock()
	now := time.Now()
	claims := map[string]any{
		"iss":       f.URL,
		"sub":       o.UserID,
		"client_id": o.ClientID,
		"scope":     strings.Join(o.Scopes, " "),
		"iat":       now.Unix(),
		"nbf":       now.Unix(),
		"exp":       now.Add(o.TTL).Unix(),
		"jti":       "oat_" + strings.ToUpper(randomHex(8)),
	}
	if o.Issuer != "" {
		claims["iss"] = o.Issuer
	}
	if o.NoExpiry {
		delete(claims, "exp")
	}
	if !o.NotBefore.IsZero() {
		claims["nbf"] = o.NotBefore.Unix()
	}
	if len(o.Audience) > 0 {
		claims["aud"] = o.Audience
	}
	for k, v := range o.Extra {
		claims[k] = v
	}
	typ := o.Type
	if typ == "" {
		typ = "at+jwt"
	}
	kid := key.id
	if o.KeyID != "" {
		kid = o.KeyID
	}
	signWith := key.key
	if o.SignWith != nil {
		signWith = o.SignWith
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: signWith},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", kid))
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// UnsignedJWT returns a token with header alg "none" and the claims of a
// valid access token: a server must refuse it.
func (f *Fake) UnsignedJWT() string {
	f.mu.Lock()
	kid := f.keys[0].id
	f.mu.Unlock()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now().Unix()
	return enc(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." +
		enc(map[string]any{"iss": f.URL, "sub": DefaultUserID, "client_id": DefaultClientID, "scope": "profile email", "iat": now, "exp": now + 3600}) + "."
}

func (f *Fake) jwks(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	set := jose.JSONWebKeySet{}
	for _, k := range f.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.key.PublicKey, KeyID: k.id, Algorithm: string(jose.RS256), Use: "sig"})
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, set)
}

// verify serves POST /v1/oauth_applications/access_tokens/verify.
func (f *Fake) verify(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AccessToken string `json:"access_token"`
		Secret      string `json:"secret"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
		writeClerkError(w, http.StatusBadRequest, "bad_request", "invalid JSON body")
		return
	}
	token := in.AccessToken
	if token == "" {
		token = in.Secret
	}
	f.mu.Lock()
	t, ok := f.opaque[token]
	var tc opaqueToken
	if ok {
		tc = *t
	}
	f.mu.Unlock()
	if !ok {
		writeClerkError(w, http.StatusNotFound, "resource_not_found", "OAuth token not found")
		return
	}
	now := time.Now()
	out := map[string]any{
		"object": "clerk_idp_oauth_access_token", "id": tc.id, "client_id": tc.clientID,
		"subject": tc.userID, "scopes": tc.scopes, "revoked": tc.revoked, "revocation_reason": nil,
		"expired": !now.Before(tc.expiresAt), "expiration": tc.expiresAt.UnixMilli(),
		"created_at": tc.createdAt.UnixMilli(), "updated_at": tc.createdAt.UnixMilli(),
	}
	switch len(tc.audience) {
	case 0:
	case 1:
		out["aud"] = tc.audience[0]
	default:
		out["aud"] = tc.audience
	}
	writeJSON(w, http.StatusOK, out)
}
