package clerkfake

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

type oauthClient struct {
	id           string
	secret       string // empty for public clients
	redirectURIs []string
	authMethod   string
	scope        string
}

type authCode struct {
	clientID    string
	redirectURI string
	challenge   string
	scopes      []string
	userID      string
	resource    string
	expiresAt   time.Time
}

// AuthorizeRequest is what a client sent to the authorize endpoint.
type AuthorizeRequest struct {
	ClientID            string
	RedirectURI         string
	Scope               string
	Resource            string // RFC 8707, as MCP clients send it
	CodeChallengeMethod string
}

// LastAuthorizeRequest returns the last request to the authorize endpoint.
func (f *Fake) LastAuthorizeRequest() AuthorizeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastAuth
}

// SetTokenFormat chooses what the token endpoint mints: FormatOpaque (the
// default) or FormatJWT.
func (f *Fake) SetTokenFormat(format string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.format = format
}

// SetDynamicRegistration turns dynamic client registration on (the
// default) or off, as the Clerk dashboard setting does.
func (f *Fake) SetDynamicRegistration(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dcrOff = !on
}

// SetSignedInUser chooses the user the authorize endpoint consents as.
func (f *Fake) SetSignedInUser(userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.autoUser = userID
}

func (f *Fake) authServerMetadata(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	dcr, cimd := !f.dcrOff, f.cimd
	f.mu.Unlock()
	md := map[string]any{
		"issuer":                                f.URL,
		"authorization_endpoint":                f.URL + "/oauth/authorize",
		"token_endpoint":                        f.URL + "/oauth/token",
		"revocation_endpoint":                   f.URL + "/oauth/token/revoke",
		"jwks_uri":                              f.URL + "/.well-known/jwks.json",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "none", "client_secret_post"},
		"scopes_supported":                      []string{"openid", "profile", "email", "public_metadata", "private_metadata", "offline_access"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "email", "name"},
		"service_documentation":                 "https://clerk.com/docs",
		"ui_locales_supported":                  []string{"en"},
		"op_tos_uri":                            "https://clerk.com/legal/standard-terms",
		"code_challenge_methods_supported":      []string{"S256"},
	}
	if dcr {
		md["registration_endpoint"] = f.URL + "/oauth/register"
	}
	if cimd {
		md["client_id_metadata_document_supported"] = true
	}
	writeJSON(w, http.StatusOK, md)
}

func (f *Fake) openIDConfiguration(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                f.URL,
		"authorization_endpoint":                f.URL + "/oauth/authorize",
		"token_endpoint":                        f.URL + "/oauth/token",
		"revocation_endpoint":                   f.URL + "/oauth/token/revoke",
		"introspection_endpoint":                f.URL + "/oauth/token_info",
		"userinfo_endpoint":                     f.URL + "/oauth/userinfo",
		"jwks_uri":                              f.URL + "/.well-known/jwks.json",
		"scopes_supported":                      []string{"openid", "profile", "email", "public_metadata", "private_metadata", "offline_access"},
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query", "form_post"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "none", "client_secret_post"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "email", "name"},
		"code_challenge_methods_supported":      []string{"S256"},
		"backchannel_logout_supported":          false,
		"frontchannel_logout_supported":         false,
	})
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// register serves RFC 7591 dynamic client registration.
func (f *Fake) register(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	off := f.dcrOff
	f.mu.Unlock()
	if off {
		writeClerkError(w, http.StatusUnprocessableEntity, "dynamic_client_registration_disabled", "Dynamic client registration is disabled for this instance")
		return
	}
	var in struct {
		RedirectURIs []string `json:"redirect_uris"`
		AuthMethod   string   `json:"token_endpoint_auth_method"`
		ClientName   string   `json:"client_name"`
		Scope        string   `json:"scope"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "invalid JSON body")
		return
	}
	if len(in.RedirectURIs) == 0 {
		oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", "redirect_uris is required")
		return
	}
	for _, u := range in.RedirectURIs {
		if p, err := url.Parse(u); err != nil || p.Scheme == "" || p.Fragment != "" {
			oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", "invalid redirect URI "+u)
			return
		}
	}
	switch in.AuthMethod {
	case "":
		in.AuthMethod = "client_secret_basic"
	case "client_secret_basic", "client_secret_post", "none":
	default:
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "unsupported token_endpoint_auth_method")
		return
	}
	if in.Scope == "" {
		in.Scope = "email offline_access profile"
	}
	c := &oauthClient{id: randomHex(8), redirectURIs: in.RedirectURIs, authMethod: in.AuthMethod, scope: in.Scope}
	if in.AuthMethod != "none" {
		c.secret = randomHex(16)
	}
	f.mu.Lock()
	f.clients[c.id] = c
	f.mu.Unlock()
	out := map[string]any{
		"client_id": c.id, "client_id_issued_at": time.Now().Unix(), "client_secret_expires_at": 0,
		"client_name": in.ClientName, "redirect_uris": c.redirectURIs,
		"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
		"scope": c.scope, "token_endpoint_auth_method": c.authMethod,
	}
	if c.secret != "" {
		out["client_secret"] = c.secret
	}
	writeJSON(w, http.StatusCreated, out)
}

// authorize consents at once, as the signed-in user, and redirects back
// with a code. It insists on PKCE with S256.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.lastAuth = AuthorizeRequest{
		ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), Scope: q.Get("scope"),
		Resource: q.Get("resource"), CodeChallengeMethod: q.Get("code_challenge_method"),
	}
	c := f.clients[q.Get("client_id")]
	user := f.autoUser
	defaults := slices.Clone(f.defaultScopes)
	f.mu.Unlock()
	if c == nil {
		oauthError(w, http.StatusBadRequest, "invalid_client", "unknown client_id")
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" && len(c.redirectURIs) == 1 {
		redirect = c.redirectURIs[0]
	}
	if !slices.Contains(c.redirectURIs, redirect) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "redirect_uri is not registered for this client")
		return
	}
	back, _ := url.Parse(redirect)
	fail := func(code, desc string) {
		v := back.Query()
		v.Set("error", code)
		v.Set("error_description", desc)
		if s := q.Get("state"); s != "" {
			v.Set("state", s)
		}
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "response_type must be code")
		return
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		fail("invalid_request", "PKCE with code_challenge_method=S256 is required")
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		scopes = defaults
	}
	if len(scopes) == 0 {
		scopes = []string{"profile", "email"}
	}
	code := randomHex(16)
	f.mu.Lock()
	f.codes[code] = &authCode{
		clientID: c.id, redirectURI: redirect, challenge: q.Get("code_challenge"), scopes: scopes,
		userID: user, resource: q.Get("resource"), expiresAt: time.Now().Add(10 * time.Minute),
	}
	f.mu.Unlock()
	v := back.Query()
	v.Set("code", code)
	if s := q.Get("state"); s != "" {
		v.Set("state", s)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges an authorization code (with its PKCE verifier) for an
// access token in the configured format.
func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	f.mu.Lock()
	c := f.clients[clientID]
	f.mu.Unlock()
	if c == nil || (c.secret != "" && subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code")
		return
	}
	code := r.PostForm.Get("code")
	f.mu.Lock()
	ac := f.codes[code]
	delete(f.codes, code) // one use only
	format := f.format
	f.mu.Unlock()
	switch {
	case ac == nil || ac.clientID != c.id || time.Now().After(ac.expiresAt):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or expired code")
		return
	case r.PostForm.Get("redirect_uri") != "" && r.PostForm.Get("redirect_uri") != ac.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match")
		return
	case !pkceMatches(r.PostForm.Get("code_verifier"), ac.challenge):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	opts := TokenOptions{UserID: ac.userID, ClientID: c.id, Scopes: ac.scopes, TTL: time.Hour}
	var access string
	if format == FormatJWT {
		var err error
		if access, err = f.IssueJWT(opts); err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
	} else {
		access = f.IssueOpaque(opts)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": int(opts.TTL.Seconds()),
		"scope": strings.Join(ac.scopes, " "),
	})
}

func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}
