package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// startAgainst runs the built project's server against fake and returns
// its base URL.
func startAgainst(t *testing.T, fake *clerkfake.Fake) string {
	t.Helper()
	env := fake.Env()
	env["PORT"] = "0"
	base, _ := startAndWait(t, runServer(t, builtProject(t), env))
	return base
}

func newFake(t *testing.T) *clerkfake.Fake {
	t.Helper()
	fake, err := clerkfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake
}

// transportRequest makes the request that opens a session on path: an
// initialize POST on /mcp, the event-stream GET on /sse.
func transportRequest(t *testing.T, base, path, token string) *http.Request {
	t.Helper()
	var req *http.Request
	if path == "/mcp" {
		req, _ = http.NewRequest(http.MethodPost, base+path, strings.NewReader(initializeBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	} else {
		req, _ = http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Accept", "text/event-stream")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"0"}}}`

func mustJWT(t *testing.T, fake *clerkfake.Fake, o clerkfake.TokenOptions) string {
	t.Helper()
	tok, err := fake.IssueJWT(o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestE2ERejectionMatrix: every kind of bad token gets 401 invalid_token
// with the endpoint's own resource_metadata, on both transports.
func TestE2ERejectionMatrix(t *testing.T) {
	fake := newFake(t)
	base := startAgainst(t, fake)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	revoked := fake.IssueOpaque(clerkfake.TokenOptions{})
	fake.Revoke(revoked)
	cases := map[string]string{
		"garbage":       "not-a-clerk-token",
		"unknown oat_":  "oat_0123456789ABCDEF0123456789ABCDEF",
		"revoked oat_":  revoked,
		"expired JWT":   mustJWT(t, fake, clerkfake.TokenOptions{TTL: -time.Minute}),
		"wrong issuer":  mustJWT(t, fake, clerkfake.TokenOptions{Issuer: "https://other-instance-01.clerk.accounts.dev"}),
		"session JWT":   mustJWT(t, fake, clerkfake.TokenOptions{Type: "JWT"}),
		"bad signature": mustJWT(t, fake, clerkfake.TokenOptions{SignWith: other}),
		"unknown kid":   mustJWT(t, fake, clerkfake.TokenOptions{KeyID: "ins_unknown"}),
		"alg none":      fake.UnsignedJWT(),
		"no expiry":     mustJWT(t, fake, clerkfake.TokenOptions{NoExpiry: true}),
		"machine token": mustJWT(t, fake, clerkfake.TokenOptions{UserID: "mch_robot"}),
	}
	for name, token := range cases {
		for _, path := range []string{"/mcp", "/sse"} {
			resp, err := http.DefaultClient.Do(transportRequest(t, base, path, token))
			if err != nil {
				t.Fatal(err)
			}
			var body struct{ Error string }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			challenge := resp.Header.Get("WWW-Authenticate")
			metadata := `resource_metadata="` + base + "/.well-known/oauth-protected-resource" + path + `"`
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(challenge, `error="invalid_token"`) ||
				!strings.Contains(challenge, metadata) || body.Error != "invalid_token" {
				t.Errorf("%s on %s: %d %q body error %q, want 401 invalid_token with %s", name, path, resp.StatusCode, challenge, body.Error, metadata)
			}
		}
	}
}

// TestE2ESessionsAreBoundToUsers: a session opened by one user cannot be
// used with another user's token, on either transport, and nothing runs.
func TestE2ESessionsAreBoundToUsers(t *testing.T) {
	fake := newFake(t)
	fake.AddUser(clerkfake.User{ID: "user_bob", Username: "bob", FirstName: "Bob", Email: "bob@example.com"})
	base := startAgainst(t, fake)
	alice := fake.IssueOpaque(clerkfake.TokenOptions{})
	bob := fake.IssueOpaque(clerkfake.TokenOptions{UserID: "user_bob"})
	callBody := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get-clerk-user-data","arguments":{}}}`

	post := func(url, token, session, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+token)
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	t.Run("streamable-http", func(t *testing.T) {
		resp := post(base+"/mcp", alice, "", initializeBody)
		session := resp.Header.Get("Mcp-Session-Id")
		if resp.StatusCode != http.StatusOK || session == "" {
			t.Fatalf("alice's initialize: %d, session %q", resp.StatusCode, session)
		}
		post(base+"/mcp", alice, session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		before := fake.Calls("users")
		if resp := post(base+"/mcp", bob, session, callBody); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Errorf("bob's call in alice's session: %d, want 403 or 404", resp.StatusCode)
		}
		if fake.Calls("users") != before {
			t.Errorf("bob's refused call still ran the tool")
		}
		if resp := post(base+"/mcp", alice, session, callBody); resp.StatusCode != http.StatusOK || fake.Calls("users") != before+1 {
			t.Errorf("alice's own call: %d, users calls %d, want 200 and the tool run once", resp.StatusCode, fake.Calls("users")-before)
		}
	})

	t.Run("sse", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req := transportRequest(t, base, "/sse", alice).WithContext(ctx)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("alice's GET /sse: %d", resp.StatusCode)
		}
		endpoint := readEndpointEvent(t, bufio.NewReader(resp.Body))
		target, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		sessionURL := target.ResolveReference(endpoint).String()
		if resp := post(sessionURL, alice, "", initializeBody); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("alice's initialize: %d", resp.StatusCode)
		}
		if resp := post(sessionURL, bob, "", callBody); resp.StatusCode != http.StatusForbidden {
			t.Errorf("bob's post into alice's SSE session: %d, want 403", resp.StatusCode)
		}
		if resp := post(sessionURL, "", "", callBody); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("an unauthenticated post into alice's SSE session: %d, want 401", resp.StatusCode)
		}
	})
}

func readEndpointEvent(t *testing.T, r *bufio.Reader) *url.URL {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the SSE stream: %v", err)
		}
		if data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: "); ok {
			u, err := url.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
	}
}

// TestE2EFailClosed: with Clerk down or hanging, a token that needs Clerk
// gets 503 with Retry-After within five seconds, never a 200.
func TestE2EFailClosed(t *testing.T) {
	fake := newFake(t)
	base := startAgainst(t, fake)
	// One JWT request first, so the server holds the signing keys.
	jwt := mustJWT(t, fake, clerkfake.TokenOptions{})
	if resp, err := http.DefaultClient.Do(transportRequest(t, base, "/mcp", jwt)); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("JWT before the outage: %v %v", err, resp)
	}
	for _, fault := range []struct {
		name  string
		fault clerkfake.Fault
	}{{"down", clerkfake.BackendDown}, {"hanging", clerkfake.BackendHang}} {
		fake.SetFault(fault.fault)
		token := fake.IssueOpaque(clerkfake.TokenOptions{}) // new, so not cached
		start := time.Now()
		resp, err := http.DefaultClient.Do(transportRequest(t, base, "/mcp", token))
		elapsed := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || elapsed > 5*time.Second {
			t.Errorf("Backend API %s: %d Retry-After %q after %v, want 503 with Retry-After within 5s", fault.name, resp.StatusCode, resp.Header.Get("Retry-After"), elapsed)
		}
		t.Logf("Backend API %s: %d after %v", fault.name, resp.StatusCode, elapsed.Round(time.Millisecond))
		// JWTs are verified locally: the outage does not stop them.
		if resp, err := http.DefaultClient.Do(transportRequest(t, base, "/mcp", jwt)); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("JWT during the %s outage: %v %v, want 200", fault.name, err, resp)
		}
	}
	fake.SetFault(clerkfake.NoFault)

	// The authorization-server metadata: served from cache while Clerk's
	// Frontend API is down, 502 JSON when never fetched.
	get := func(base string) (int, string) {
		resp, err := http.Get(base + "/.well-known/oauth-authorization-server")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := get(base); code != http.StatusOK {
		t.Fatalf("AS metadata: %d", code)
	}
	fake.SetFault(clerkfake.MetadataDown)
	if code, body := get(base); code != http.StatusOK || !strings.Contains(body, fake.URL+"/oauth/authorize") {
		t.Errorf("AS metadata while Clerk is down, after a good fetch: %d %s, want the cached copy", code, body)
	}
	fresh := startAgainst(t, fake)
	if code, body := get(fresh); code != http.StatusBadGateway || !strings.Contains(body, `"error"`) {
		t.Errorf("AS metadata never fetched, Clerk down: %d %s, want 502 JSON", code, body)
	}
}

// TestE2EOAuthFlow runs the whole OAuth authorization-code flow with the
// go-sdk's own client handler against the fake's Frontend API: discovery
// from the 401, dynamic client registration, PKCE and the resource
// parameter, then a tool call, for both token formats.
func TestE2EOAuthFlow(t *testing.T) {
	fake := newFake(t)
	base := startAgainst(t, fake)
	for _, format := range []string{clerkfake.FormatOpaque, clerkfake.FormatJWT} {
		t.Run(format, func(t *testing.T) {
			fake.SetTokenFormat(format)
			const redirect = "http://localhost:7/callback"
			noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			handler, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
				DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
					ClientName: "e2e", RedirectURIs: []string{redirect}, TokenEndpointAuthMethod: "none",
				}},
				RedirectURL: redirect,
				// The user consents at once: follow the authorize URL to the
				// redirect and read the code from it, as a browser would.
				AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, args.URL, nil)
					resp, err := noRedirects.Do(req)
					if err != nil {
						return nil, err
					}
					resp.Body.Close()
					loc, err := url.Parse(resp.Header.Get("Location"))
					if err != nil || resp.StatusCode != http.StatusFound {
						return nil, fmt.Errorf("authorize: %d %v", resp.StatusCode, err)
					}
					return &auth.AuthorizationResult{Code: loc.Query().Get("code"), State: loc.Query().Get("state")}, nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "0"}, nil).Connect(ctx,
				&mcp.StreamableClientTransport{Endpoint: base + "/mcp", OAuthHandler: handler}, nil)
			if err != nil {
				t.Fatalf("connect with OAuth: %v", err)
			}
			defer cs.Close()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-clerk-user-data"})
			if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, clerkfake.DefaultUserID) {
				t.Fatalf("tool call after OAuth: %v %+v", err, res)
			}
			got := fake.LastAuthorizeRequest()
			scopes := strings.Fields(got.Scope)
			slices.Sort(scopes)
			if got.Resource != base+"/mcp" || got.CodeChallengeMethod != "S256" || !slices.Equal(scopes, []string{"email", "profile"}) {
				t.Errorf("authorize request %+v, want resource %s/mcp, S256 and the advertised scopes", got, base)
			}
		})
	}
	if fake.Calls("register") == 0 || fake.Calls("token") < 2 {
		t.Errorf("register calls %d, token calls %d: the flow did not run", fake.Calls("register"), fake.Calls("token"))
	}
}

// TestE2EBackendCallCounts: JWT requests make no Backend API call (one JWKS
// fetch in all); an opaque token costs one verify call per cache window.
func TestE2EBackendCallCounts(t *testing.T) {
	fake := newFake(t)
	base := startAgainst(t, fake)
	jwt := mustJWT(t, fake, clerkfake.TokenOptions{})
	opaque := fake.IssueOpaque(clerkfake.TokenOptions{})
	for i := 0; i < 10; i++ {
		for _, tok := range []string{jwt, opaque} {
			resp, err := http.DefaultClient.Do(transportRequest(t, base, "/mcp", tok))
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("request %d: %v %v", i, err, resp)
			}
			resp.Body.Close()
		}
	}
	if v, j := fake.Calls("verify"), fake.Calls("jwks"); v != 1 || j != 1 {
		t.Errorf("20 requests: %d verify calls and %d JWKS fetches, want 1 and 1", v, j)
	}
}
