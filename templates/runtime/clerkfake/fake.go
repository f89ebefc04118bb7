// Package clerkfake is a stand-in for Clerk that runs on a loopback port:
// the Backend API calls the server makes (token verification, JWKS, users)
// and the Frontend API an OAuth client uses (metadata, JWKS, dynamic client
// registration, authorize with PKCE, token) and the instance's OAuth
// application settings, on one origin. It mints access
// tokens in both of Clerk's formats, so tests run offline.
//
// Point the server at it with CLERK_FRONTEND_API_URL and CLERK_API_URL set
// to Fake.URL, and CLERK_SECRET_KEY set to Fake.SecretKey.
package clerkfake

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of a new Fake.
const (
	DefaultSecretKey = "sk_test_clerkfake0000000000000000000000"
	DefaultUserID    = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
	DefaultClientID  = "clerkfake_client"
)

// Fault makes the fake misbehave, to test how the server copes.
type Fault int

const (
	// NoFault: everything answers normally.
	NoFault Fault = iota
	// BackendDown: every Backend API call answers 503.
	BackendDown
	// BackendHang: every Backend API call hangs until the client gives up.
	BackendHang
	// MetadataDown: the Frontend API's metadata and JWKS answer 503.
	MetadataDown
)

// Fake is a running fake Clerk instance.
type Fake struct {
	// URL is the origin of both APIs and the OAuth issuer, such as
	// "http://127.0.0.1:41234".
	URL string
	// SecretKey is the Backend API secret key the fake accepts.
	SecretKey string

	srv *httptest.Server

	mu       sync.Mutex
	keys     []*signingKey // keys[0] signs; all are published
	users    map[string]User
	opaque   map[string]*opaqueToken
	clients  map[string]*oauthClient
	codes    map[string]*authCode
	calls    map[string]int
	fault    Fault
	delays   map[string]time.Duration
	format   string
	dcrOff   bool
	autoUser string
	lastAuth AuthorizeRequest

	// OAuth application settings besides dcrOff and format.
	cimd, cimdOnlyPre bool
	defaultScopes     []string
}

// User is a Clerk user the fake knows.
type User struct {
	ID        string
	Username  string
	FirstName string
	LastName  string
	Email     string
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

// Start runs a fake on a free loopback port. Close it when done.
func Start() (*Fake, error) { return StartAt("127.0.0.1:0") }

// StartAt runs a fake listening on addr (host:port). Close it when done.
func StartAt(addr string) (*Fake, error) {
	key, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	f := &Fake{
		SecretKey: DefaultSecretKey,
		keys:      []*signingKey{key},
		users:     make(map[string]User),
		opaque:    make(map[string]*opaqueToken),
		clients:   make(map[string]*oauthClient),
		codes:     make(map[string]*authCode),
		calls:     make(map[string]int),
		delays:    make(map[string]time.Duration),
		format:    FormatOpaque,
		autoUser:  DefaultUserID,
	}
	f.users[DefaultUserID] = User{ID: DefaultUserID, Username: "ada", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"}
	f.srv = httptest.NewUnstartedServer(f.routes())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	f.srv.Listener = ln
	f.srv.Start()
	f.URL = f.srv.URL
	return f, nil
}

// New starts a fake for a test and closes it when the test ends.
func New(t testing.TB) *Fake {
	t.Helper()
	f, err := Start()
	if err != nil {
		t.Fatalf("clerkfake: %v", err)
	}
	t.Cleanup(f.Close)
	return f
}

// Close stops the fake.
func (f *Fake) Close() { f.srv.Close() }

// Env returns the environment variables that point a generated server at
// the fake.
func (f *Fake) Env() map[string]string {
	return map[string]string{
		"CLERK_SECRET_KEY":       f.SecretKey,
		"CLERK_FRONTEND_API_URL": f.URL,
		"CLERK_API_URL":          f.URL,
	}
}

// AddUser adds or replaces a user.
func (f *Fake) AddUser(u User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[u.ID] = u
}

// SetFault makes the fake misbehave (or, with NoFault, stop misbehaving).
func (f *Fake) SetFault(fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

// Calls reports how many times an endpoint was called: "verify", "jwks"
// (either JWKS route), "users", "authorization-server", "register",
// "authorize", "token", "oauth-settings".
func (f *Fake) Calls(endpoint string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[endpoint]
}

// RotateKey makes a new signing key the one tokens are signed with. The
// old keys stay published unless dropOld is set.
func (f *Fake) RotateKey(dropOld bool) error {
	key, err := newSigningKey()
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if dropOld {
		f.keys = []*signingKey{key}
	} else {
		f.keys = append([]*signingKey{key}, f.keys...)
	}
	return nil
}

func newSigningKey() (*signingKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &signingKey{id: "ins_" + randomHex(12), key: key}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SetDelay makes every answer of an endpoint (named as in Calls) wait d
// first, as a slow network or a busy Clerk would; 0 removes the delay.
func (f *Fake) SetDelay(endpoint string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delays[endpoint] = d
}

func (f *Fake) count(endpoint string) Fault {
	f.mu.Lock()
	f.calls[endpoint]++
	fault, delay := f.fault, f.delays[endpoint]
	f.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	return fault
}

func (f *Fake) routes() http.Handler {
	mux := http.NewServeMux()
	// Frontend API.
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", f.frontend("authorization-server", f.authServerMetadata))
	mux.HandleFunc("GET /.well-known/openid-configuration", f.frontend("openid-configuration", f.openIDConfiguration))
	mux.HandleFunc("GET /.well-known/jwks.json", f.frontend("jwks", f.jwks))
	mux.HandleFunc("POST /oauth/register", f.frontend("register", f.register))
	mux.HandleFunc("GET /oauth/authorize", f.frontend("authorize", f.authorize))
	mux.HandleFunc("POST /oauth/token", f.frontend("token", f.token))
	// Backend API, with and without the /v1 that Clerk's SDKs disagree on.
	for _, prefix := range []string{"/v1", ""} {
		mux.HandleFunc("POST "+prefix+"/oauth_applications/access_tokens/verify", f.backend("verify", f.verify))
	}
	mux.HandleFunc("GET /v1/jwks", f.backend("jwks", f.jwks))
	mux.HandleFunc("GET /v1/users/{id}", f.backend("users", f.getUser))
	mux.HandleFunc("GET /v1/instance/oauth_application_settings", f.backend("oauth-settings", f.getOAuthSettings))
	mux.HandleFunc("PATCH /v1/instance/oauth_application_settings", f.backend("oauth-settings", f.patchOAuthSettings))
	return mux
}

// frontend wraps a Frontend API route: counted, and down under MetadataDown.
func (f *Fake) frontend(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if f.count(name) == MetadataDown {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"errors": []clerkError{{Code: "service_unavailable", Message: "unavailable"}}})
			return
		}
		h(w, r)
	}
}

// backend wraps a Backend API route: counted, faults applied, and the
// secret key checked.
func (f *Fake) backend(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch f.count(name) {
		case BackendDown:
			writeClerkError(w, http.StatusServiceUnavailable, "service_unavailable", "The service is temporarily unavailable")
			return
		case BackendHang:
			// Read the body first: only then does net/http watch the
			// connection and cancel r.Context() when the client gives up.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+f.SecretKey {
			writeClerkError(w, http.StatusUnauthorized, "authentication_invalid", "The provided secret key is invalid")
			return
		}
		h(w, r)
	}
}

type clerkError struct {
	Code        string `json:"code"`
	Message     string `json:"message"`
	LongMessage string `json:"long_message"`
}

func writeClerkError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{
		"errors":         []clerkError{{Code: code, Message: msg, LongMessage: msg}},
		"clerk_trace_id": randomHex(8),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Fake) getUser(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	u, ok := f.users[r.PathValue("id")]
	f.mu.Unlock()
	if !ok {
		writeClerkError(w, http.StatusNotFound, "resource_not_found", "not found")
		return
	}
	writeJSON(w, http.StatusOK, userJSON(u))
}

// userJSON renders a user the way the Backend API does.
func userJSON(u User) map[string]any {
	const ts = 1700000000000
	emailID := "idn_" + strings.TrimPrefix(u.ID, "user_")
	return map[string]any{
		"id": u.ID, "object": "user", "external_id": nil,
		"username": u.Username, "first_name": u.FirstName, "last_name": u.LastName,
		"image_url": "https://img.clerk.com/placeholder", "profile_image_url": "https://img.clerk.com/placeholder", "has_image": false,
		"primary_email_address_id": emailID, "primary_phone_number_id": nil, "primary_web3_wallet_id": nil,
		"email_addresses": []map[string]any{{
			"id": emailID, "object": "email_address", "email_address": u.Email, "reserved": false,
			"verification": map[string]any{"status": "verified", "strategy": "email_code", "attempts": nil, "expire_at": nil},
			"linked_to":    []any{}, "created_at": ts, "updated_at": ts,
		}},
		"phone_numbers": []any{}, "web3_wallets": []any{}, "passkeys": []any{}, "external_accounts": []any{},
		"saml_accounts": []any{}, "enterprise_accounts": []any{},
		"password_enabled": true, "two_factor_enabled": false, "totp_enabled": false, "backup_code_enabled": false,
		"mfa_enabled_at": nil, "mfa_disabled_at": nil,
		"public_metadata": map[string]any{}, "private_metadata": map[string]any{}, "unsafe_metadata": map[string]any{},
		"last_sign_in_at": ts, "banned": false, "locked": false, "lockout_expires_in_seconds": nil,
		"verification_attempts_remaining": 100, "delete_self_enabled": true, "create_organization_enabled": true,
		"last_active_at": ts, "legal_accepted_at": nil, "created_at": ts, "updated_at": ts,
	}
}
