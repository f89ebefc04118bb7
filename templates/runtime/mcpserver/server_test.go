package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkauth"
	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// whoami is what the test tool returns.
type whoami struct {
	UserID   string `json:"userId"`
	ClientID string `json:"clientId"`
	Format   string `json:"format"`
}

type testEnv struct {
	fake   *clerkfake.Fake
	server *Server
	url    string

	mu    sync.Mutex
	calls []string // user ids the whoami tool ran as
}

func (e *testEnv) toolCalls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.calls)
}

// newTestEnv starts a fake Clerk and the full server behind an httptest
// server.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	e := &testEnv{fake: clerkfake.New(t)}
	hs := httptest.NewUnstartedServer(nil)
	e.url = "http://" + hs.Listener.Addr().String()
	env := Env{SecretKey: e.fake.SecretKey, Issuer: e.fake.URL, APIURL: e.fake.URL, PublicURL: e.url}
	settings := Settings{
		Name: "test", Version: "0", Streamable: true, SSE: true,
		Scopes:       []string{"profile", "email"},
		PublicRoutes: []string{"/public/*", "/about"},
	}
	s, err := New(settings, env, Options{RegisterTools: func(s *mcp.Server) {
		mcp.AddTool(s, &mcp.Tool{Name: "whoami", Description: "who is calling"},
			func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, whoami, error) {
				c, ok := clerkauth.CallerFrom(ctx, req.Extra)
				if !ok {
					return nil, whoami{}, fmt.Errorf("no caller")
				}
				e.mu.Lock()
				e.calls = append(e.calls, c.UserID)
				e.mu.Unlock()
				return nil, whoami{UserID: c.UserID, ClientID: c.ClientID, Format: c.Format}, nil
			})
	}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.server = s
	hs.Config.Handler = s
	hs.Start()
	if hs.URL != e.url {
		t.Fatalf("server URL %s, want %s", hs.URL, e.url)
	}
	t.Cleanup(func() {
		s.CloseStreams()
		hs.CloseClientConnections()
		hs.Close()
	})
	return e
}

func (e *testEnv) jwt(t *testing.T, o clerkfake.TokenOptions) string {
	t.Helper()
	tok, err := e.fake.IssueJWT(o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do sends a request to the server; token "" sends no Authorization.
func (e *testEnv) do(t *testing.T, method, path, token string, header http.Header, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return resp, b
}

// jsonError decodes an {"error": ..., "error_description": ...} body.
func jsonError(t *testing.T, resp *http.Response, body []byte) string {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var v struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Error == "" {
		t.Errorf("body %q is not a JSON error (%v)", body, err)
	}
	return v.Error
}

var mcpHeaders = http.Header{
	"Content-Type": {"application/json"},
	"Accept":       {"application/json, text/event-stream"},
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

func TestNoToken(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct{ method, path, meta string }{
		{http.MethodPost, "/mcp", "/mcp"},
		{http.MethodGet, "/mcp", "/mcp"},
		{http.MethodGet, "/sse", "/sse"},
		{http.MethodPost, "/sse?sessionid=abc", "/sse"},
		{http.MethodGet, "/private", "/mcp"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			for _, auth := range []string{"", "Basic dXNlcjpwYXNz"} {
				h := mcpHeaders.Clone()
				if auth != "" {
					h.Set("Authorization", auth)
				}
				resp, body := e.do(t, tc.method, tc.path, "", h, initializeBody)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("Authorization %q: status %d, want 401", auth, resp.StatusCode)
				}
				// The metadata, and the scopes to ask for (never an error:
				// RFC 6750 section 3.1).
				want := `Bearer resource_metadata="` + e.url + "/.well-known/oauth-protected-resource" + tc.meta + `", scope="profile email"`
				if got := resp.Header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != want {
					t.Errorf("WWW-Authenticate = %q, want exactly %q", got, want)
				}
				jsonError(t, resp, body)
			}
		})
	}
	if got := e.toolCalls(); len(got) != 0 {
		t.Errorf("tool ran %d times", len(got))
	}
}

func TestBadToken(t *testing.T) {
	e := newTestEnv(t)
	revoked := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	e.fake.Revoke(revoked)
	tokens := map[string]string{
		"garbage":        "garbage",
		"unknown opaque": "oat_0123456789ABCDEF0123456789ABCDEF",
		"revoked opaque": revoked,
		"expired JWT":    e.jwt(t, clerkfake.TokenOptions{TTL: -time.Hour}),
		"session JWT":    e.jwt(t, clerkfake.TokenOptions{Type: "JWT"}),
		"other issuer":   e.jwt(t, clerkfake.TokenOptions{Issuer: "https://evil.example.com"}),
		"other audience": e.jwt(t, clerkfake.TokenOptions{Audience: []string{"https://other.example.com/mcp"}}),
		"alg none":       e.fake.UnsignedJWT(),
	}
	for name, tok := range tokens {
		for _, tc := range []struct{ method, path, meta string }{
			{http.MethodPost, "/mcp", "/mcp"},
			{http.MethodGet, "/sse", "/sse"},
		} {
			t.Run(name+" "+tc.path, func(t *testing.T) {
				resp, body := e.do(t, tc.method, tc.path, tok, mcpHeaders, initializeBody)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", resp.StatusCode)
				}
				h := resp.Header.Get("WWW-Authenticate")
				prefix := `Bearer resource_metadata="` + e.url + "/.well-known/oauth-protected-resource" + tc.meta + `", error="invalid_token"`
				if !strings.HasPrefix(h, prefix) {
					t.Errorf("WWW-Authenticate = %q, want it to start with %q", h, prefix)
				}
				if code := jsonError(t, resp, body); code != "invalid_token" {
					t.Errorf("error = %q, want invalid_token", code)
				}
			})
		}
	}
}

// A bearer header whose token is malformed is an invalid token, not missing
// credentials (CONTRACT: "A bearer token that is malformed ... error=invalid_token").
func TestMalformedBearerHeader(t *testing.T) {
	e := newTestEnv(t)
	for _, auth := range []string{`Bearer "quoted"`, "Bearer a b", "Bearer"} {
		h := mcpHeaders.Clone()
		h.Set("Authorization", auth)
		resp, _ := e.do(t, http.MethodPost, "/mcp", "", h, initializeBody)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%q: status %d, want 401", auth, resp.StatusCode)
		}
		if h := resp.Header.Get("WWW-Authenticate"); !strings.Contains(h, `error="invalid_token"`) || !strings.Contains(h, `resource_metadata="`+e.url+`/.well-known/oauth-protected-resource/mcp"`) {
			t.Errorf("%q: WWW-Authenticate = %q, want resource_metadata and error=\"invalid_token\"", auth, h)
		}
	}
}

func TestProtectedResourceMetadata(t *testing.T) {
	e := newTestEnv(t)
	for _, p := range []string{"/mcp", "/sse"} {
		t.Run(p, func(t *testing.T) {
			metaPath := "/.well-known/oauth-protected-resource" + p
			resp, body := e.do(t, http.MethodGet, metaPath, "", nil, "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
			}
			var md struct {
				Resource             string   `json:"resource"`
				AuthorizationServers []string `json:"authorization_servers"`
				ScopesSupported      []string `json:"scopes_supported"`
				BearerMethods        []string `json:"bearer_methods_supported"`
			}
			if err := json.Unmarshal(body, &md); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if md.Resource != e.url+p {
				t.Errorf("resource = %q, want %q", md.Resource, e.url+p)
			}
			if !slices.Equal(md.AuthorizationServers, []string{e.fake.URL}) {
				t.Errorf("authorization_servers = %q, want [%s]", md.AuthorizationServers, e.fake.URL)
			}
			if !slices.Equal(md.ScopesSupported, []string{"profile", "email"}) {
				t.Errorf("scopes_supported = %q", md.ScopesSupported)
			}
			if !slices.Equal(md.BearerMethods, []string{"header"}) {
				t.Errorf("bearer_methods_supported = %q", md.BearerMethods)
			}

			h := http.Header{"Origin": {"https://app.example.com"}, "Access-Control-Request-Method": {"GET"}}
			resp, _ = e.do(t, http.MethodOptions, metaPath, "", h, "")
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("OPTIONS: status %d, want 204", resp.StatusCode)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("OPTIONS: Access-Control-Allow-Origin = %q, want *", got)
			}
			if got := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "GET") {
				t.Errorf("OPTIONS: Access-Control-Allow-Methods = %q", got)
			}
		})
	}
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := send(t, req)
	var v map[string]any
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("GET %s: body %q: %v", url, body, err)
		}
	}
	return resp.StatusCode, v
}

func TestAuthorizationServerMetadata(t *testing.T) {
	t.Run("proxied", func(t *testing.T) {
		e := newTestEnv(t)
		status, want := getJSON(t, e.fake.URL+PathAuthServer)
		if status != http.StatusOK {
			t.Fatalf("fake: status %d", status)
		}
		before := e.fake.Calls("authorization-server")
		for range 2 {
			status, got := getJSON(t, e.url+PathAuthServer)
			if status != http.StatusOK {
				t.Fatalf("status %d, want 200", status)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("proxied metadata = %v\nwant %v", got, want)
			}
		}
		if n := e.fake.Calls("authorization-server") - before; n != 1 {
			t.Errorf("two requests made %d fetches, want 1 (cached)", n)
		}
		// A good copy keeps being served while Clerk is down.
		e.fake.SetFault(clerkfake.MetadataDown)
		if status, _ := getJSON(t, e.url+PathAuthServer); status != http.StatusOK {
			t.Errorf("cached copy while down: status %d, want 200", status)
		}
	})
	t.Run("down", func(t *testing.T) {
		e := newTestEnv(t)
		e.fake.SetFault(clerkfake.MetadataDown)
		resp, body := e.do(t, http.MethodGet, PathAuthServer, "", nil, "")
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("status %d, want 502", resp.StatusCode)
		}
		jsonError(t, resp, body)
	})
}

func TestPublicAndPrivateRoutes(t *testing.T) {
	e := newTestEnv(t)
	e.server.HandleFunc("/about", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "about page") })
	e.server.HandleFunc("/secret", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "secret page") })
	token := e.fake.IssueOpaque(clerkfake.TokenOptions{})

	resp, body := e.do(t, http.MethodGet, "/healthz", "", nil, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "ok") {
		t.Errorf("/healthz: %d %q, want 200", resp.StatusCode, body)
	}
	resp, body = e.do(t, http.MethodGet, "/about", "", nil, "")
	if resp.StatusCode != http.StatusOK || string(body) != "about page" {
		t.Errorf("/about: %d %q, want 200 about page", resp.StatusCode, body)
	}
	for _, p := range []string{"/public/x", "/public/a/b", "/public"} {
		resp, _ := e.do(t, http.MethodGet, p, "", nil, "")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s without token: status %d, want 404 (public, nothing there)", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/private", "/secret", "/", "/about/x", "/publicity", "/public/../secret", "/.well-known/oauth-protected-resource"} {
		resp, _ := e.do(t, http.MethodGet, p, "", nil, "")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without token: status %d, want 401", p, resp.StatusCode)
		}
	}
	resp, _ = e.do(t, http.MethodGet, "/private", token, nil, "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/private with token: status %d, want 404", resp.StatusCode)
	}
	resp, body = e.do(t, http.MethodGet, "/secret", token, nil, "")
	if resp.StatusCode != http.StatusOK || string(body) != "secret page" {
		t.Errorf("/secret with token: %d %q, want 200 secret page", resp.StatusCode, body)
	}
}

// Routes are served as the mux serves them: the handler sees the pattern
// that matched, and the values of its wildcards.
func TestRoutePatternAndPathValues(t *testing.T) {
	e := newTestEnv(t)
	e.server.HandleFunc("GET /about", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Pattern) })
	e.server.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Pattern+" "+r.PathValue("id"))
	})
	token := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	for path, want := range map[string]string{"/about": "GET /about", "/items/42": "GET /items/{id} 42"} {
		resp, body := e.do(t, http.MethodGet, path, token, nil, "")
		if resp.StatusCode != http.StatusOK || string(body) != want {
			t.Errorf("%s: %d %q, want 200 %q", path, resp.StatusCode, body, want)
		}
	}
}

func TestCORSAndOrigin(t *testing.T) {
	e := newTestEnv(t)
	for _, p := range []string{"/mcp", "/sse"} {
		h := http.Header{
			"Origin":                         {e.url},
			"Access-Control-Request-Method":  {"POST"},
			"Access-Control-Request-Headers": {"authorization, content-type"},
		}
		resp, _ := e.do(t, http.MethodOptions, p, "", h, "")
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("OPTIONS %s: status %d, want 204", p, resp.StatusCode)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != e.url {
			t.Errorf("OPTIONS %s: Access-Control-Allow-Origin = %q, want %q", p, got, e.url)
		}
		if got := resp.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(got, "Authorization") {
			t.Errorf("OPTIONS %s: Access-Control-Allow-Headers = %q", p, got)
		}
		// A 2026-07-28 browser client's headers pass the preflight.
		h.Set("Access-Control-Request-Headers", "authorization, content-type, mcp-method, mcp-name, mcp-param-region, x-evil")
		resp, _ = e.do(t, http.MethodOptions, p, "", h, "")
		got := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
		for _, want := range []string{"authorization", "mcp-method", "mcp-name", "mcp-param-region"} {
			if !strings.Contains(got, want) {
				t.Errorf("OPTIONS %s asking for MCP 2026 headers: Access-Control-Allow-Headers = %q, want %s in it", p, got, want)
			}
		}
		if strings.Contains(got, "x-evil") {
			t.Errorf("OPTIONS %s: Access-Control-Allow-Headers = %q allows a header that is not MCP's", p, got)
		}
		checkExposed(t, "OPTIONS "+p, resp)
	}

	// A 401 to a browser exposes the challenge.
	h := mcpHeaders.Clone()
	h.Set("Origin", e.url)
	resp, _ := e.do(t, http.MethodPost, "/mcp", "", h, initializeBody)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST /mcp from allowed origin without token: status %d, want 401", resp.StatusCode)
	}
	checkExposed(t, "401", resp)

	// A foreign origin is refused before the token is looked at.
	token := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	for _, tok := range []string{"", token} {
		for _, p := range []string{"/mcp", "/sse"} {
			h := mcpHeaders.Clone()
			h.Set("Origin", "https://evil.example.com")
			resp, body := e.do(t, http.MethodPost, p, tok, h, initializeBody)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s from a foreign origin (token %v): status %d, want 403", p, tok != "", resp.StatusCode)
				continue
			}
			jsonError(t, resp, body)
		}
	}
	if n := e.fake.Calls("verify"); n != 0 {
		t.Errorf("foreign-origin requests caused %d token checks, want 0", n)
	}
}

func checkExposed(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	got := resp.Header.Get("Access-Control-Expose-Headers")
	for _, want := range []string{"WWW-Authenticate", "Mcp-Session-Id"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s: Access-Control-Expose-Headers = %q, want it to include %s", what, got, want)
		}
	}
}

func TestHostCheck(t *testing.T) {
	e := newTestEnv(t)
	req, err := http.NewRequest(http.MethodPost, e.url+"/mcp", strings.NewReader(initializeBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = mcpHeaders.Clone()
	req.Host = "attacker.example.com"
	resp, body := send(t, req)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign Host on a loopback listener: status %d, want 403", resp.StatusCode)
	}
	jsonError(t, resp, body)

	req, _ = http.NewRequest(http.MethodPost, e.url+"/mcp", strings.NewReader(initializeBody))
	req.Header = mcpHeaders.Clone()
	req.Host = "localhost"
	if resp, _ := send(t, req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("Host localhost: status %d, want 401 (past the host check)", resp.StatusCode)
	}
}

// bearer adds a bearer token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func connect(t *testing.T, ctx context.Context, e *testEnv, transport, token string) *mcp.ClientSession {
	t.Helper()
	hc := &http.Client{Transport: bearer{token}}
	var tr mcp.Transport
	switch transport {
	case "streamable":
		tr = &mcp.StreamableClientTransport{Endpoint: e.url + "/mcp", HTTPClient: hc}
	case "sse":
		tr = &mcp.SSEClientTransport{Endpoint: e.url + "/sse", HTTPClient: hc}
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "0"}, nil).Connect(ctx, tr, nil)
	if err != nil {
		t.Fatalf("%s: Connect: %v", transport, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func callWhoami(t *testing.T, ctx context.Context, cs *mcp.ClientSession) whoami {
	t.Helper()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatalf("CallTool: %v", err)
	}
	if res.IsError {
		t.Fatalf("whoami failed: %+v", res.Content)
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var w whoami
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
	return w
}

func TestToolOverBothTransports(t *testing.T) {
	e := newTestEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, transport := range []string{"streamable", "sse"} {
		for _, format := range []string{clerkauth.FormatOpaque, clerkauth.FormatJWT} {
			t.Run(transport+" "+format, func(t *testing.T) {
				token := e.fake.IssueOpaque(clerkfake.TokenOptions{})
				if format == clerkauth.FormatJWT {
					token = e.jwt(t, clerkfake.TokenOptions{})
				}
				cs := connect(t, ctx, e, transport, token)
				got := callWhoami(t, ctx, cs)
				want := whoami{UserID: clerkfake.DefaultUserID, ClientID: clerkfake.DefaultClientID, Format: format}
				if got != want {
					t.Errorf("whoami = %+v, want %+v", got, want)
				}
			})
		}
	}
	if got := e.toolCalls(); len(got) != 4 {
		t.Errorf("tool ran %d times, want 4", len(got))
	}
}

func TestClerkDown(t *testing.T) {
	e := newTestEnv(t)
	token := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	e.fake.SetFault(clerkfake.BackendDown)
	for _, tc := range []struct{ method, path string }{{http.MethodPost, "/mcp"}, {http.MethodGet, "/sse"}, {http.MethodGet, "/private"}} {
		start := time.Now()
		resp, body := e.do(t, tc.method, tc.path, token, mcpHeaders, initializeBody)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s %s: status %d, want 503", tc.method, tc.path, resp.StatusCode)
			continue
		}
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s: no Retry-After", tc.method, tc.path)
		}
		jsonError(t, resp, body)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s %s took %v, want under 5s", tc.method, tc.path, d)
		}
	}
}

func addBob(e *testEnv) string {
	e.fake.AddUser(clerkfake.User{ID: "user_bob", Username: "bob", FirstName: "Bob", Email: "bob@example.com"})
	return e.fake.IssueOpaque(clerkfake.TokenOptions{UserID: "user_bob"})
}

func TestStreamableSessionBoundToUser(t *testing.T) {
	e := newTestEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	alice := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	bob := addBob(e)

	cs := connect(t, ctx, e, "streamable", alice)
	sessionID := cs.ID()
	if sessionID == "" {
		t.Fatal("no session id")
	}
	h := mcpHeaders.Clone()
	h.Set("Mcp-Session-Id", sessionID)
	h.Set("Mcp-Protocol-Version", cs.InitializeResult().ProtocolVersion)
	call := `{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`
	resp, body := e.do(t, http.MethodPost, "/mcp", bob, h, call)
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob in alice's session: status %d %q, want 403 or 404", resp.StatusCode, body)
	}
	if got := e.toolCalls(); len(got) != 0 {
		t.Errorf("tool ran as %q for bob's request", got)
	}
	// Nor can bob end alice's session.
	resp, body = e.do(t, http.MethodDelete, "/mcp", bob, h, "")
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob deleting alice's session: status %d %q, want 403 or 404", resp.StatusCode, body)
	}
	// The same request with alice's token goes through.
	resp, body = e.do(t, http.MethodPost, "/mcp", alice, h, call)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), clerkfake.DefaultUserID) {
		t.Errorf("alice in her session: status %d %q, want 200 naming her", resp.StatusCode, body)
	}
	if got := e.toolCalls(); !slices.Equal(got, []string{clerkfake.DefaultUserID}) {
		t.Errorf("tool ran as %q, want once as alice", got)
	}
	// Bob's own session works, as bob.
	if got := callWhoami(t, ctx, connect(t, ctx, e, "streamable", bob)); got.UserID != "user_bob" {
		t.Errorf("bob's session: whoami = %+v", got)
	}
}

// sseStream is a raw SSE connection.
type sseStream struct {
	body io.Closer
	r    *bufio.Reader
}

type sseEvent struct{ name, data string }

func (s *sseStream) next(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	var data []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading SSE stream: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if ev.name != "" || len(data) > 0 {
				ev.data = strings.Join(data, "\n")
				return ev
			}
		case strings.HasPrefix(line, "event:"):
			ev.name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
}

// response reads events until the JSON-RPC response with id.
func (s *sseStream) response(t *testing.T, id int) map[string]any {
	t.Helper()
	for {
		ev := s.next(t)
		var msg map[string]any
		if err := json.Unmarshal([]byte(ev.data), &msg); err != nil {
			continue
		}
		if got, ok := msg["id"].(float64); ok {
			if int(got) != id {
				t.Fatalf("got the response to request %v while waiting for %d: %s", got, id, ev.data)
			}
			return msg
		}
	}
}

func openSSE(t *testing.T, ctx context.Context, e *testEnv, token string) (*sseStream, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/sse", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /sse: status %d", resp.StatusCode)
	}
	s := &sseStream{body: resp.Body, r: bufio.NewReader(resp.Body)}
	ev := s.next(t)
	if ev.name != "endpoint" || !strings.HasPrefix(ev.data, "/sse?sessionid=") {
		t.Fatalf("first event = %+v, want an endpoint event", ev)
	}
	return s, ev.data
}

func TestSSESessionBoundToUser(t *testing.T) {
	e := newTestEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	alice := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	bob := addBob(e)

	stream, endpoint := openSSE(t, ctx, e, alice)
	post := func(token, body string) (int, []byte) {
		t.Helper()
		resp, b := e.do(t, http.MethodPost, endpoint, token, http.Header{"Content-Type": {"application/json"}}, body)
		return resp.StatusCode, b
	}
	if status, b := post(alice, initializeBody); status != http.StatusAccepted {
		t.Fatalf("initialize: status %d %q, want 202", status, b)
	}
	if res := stream.response(t, 1); res["result"] == nil {
		t.Fatalf("initialize: %v", res)
	}
	if status, _ := post(alice, `{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}`); status != http.StatusAccepted {
		t.Fatalf("initialized: status %d, want 202", status)
	}

	status, b := post(bob, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`)
	if status != http.StatusForbidden {
		t.Errorf("bob posting into alice's session: status %d %q, want 403", status, b)
	}
	if status, _ := post(bob, `{"jsonrpc":"2.0","id":5,"method":"ping"}`); status != http.StatusForbidden {
		t.Errorf("bob pinging alice's session: status %d, want 403", status)
	}

	if status, b := post(alice, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`); status != http.StatusAccepted {
		t.Fatalf("alice's tools/call: status %d %q, want 202", status, b)
	}
	res := stream.response(t, 3) // fails if the response to bob's call (id 2) comes first
	out, _ := json.Marshal(res["result"])
	if !strings.Contains(string(out), clerkfake.DefaultUserID) {
		t.Errorf("alice's whoami = %s", out)
	}
	if got := e.toolCalls(); !slices.Equal(got, []string{clerkfake.DefaultUserID}) {
		t.Errorf("tool ran %d times (%q), want once", len(got), got)
	}

	// Unknown session ids are refused too.
	resp, _ := e.do(t, http.MethodPost, "/sse?sessionid=NOSUCHSESSION", alice, http.Header{"Content-Type": {"application/json"}}, `{"jsonrpc":"2.0","id":4,"method":"ping"}`)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown session: status %d, want 404", resp.StatusCode)
	}
}

// When the SSE stream ends, its session id stops working.
func TestSSESessionEnds(t *testing.T) {
	e := newTestEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	alice := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	_, endpoint := openSSE(t, ctx, e, alice)
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, _ := e.do(t, http.MethodPost, endpoint, alice, http.Header{"Content-Type": {"application/json"}}, `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
		if resp.StatusCode == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("closed session: status %d, want 404", resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestProtectedResourceDocument: the document written field by field is
// byte for byte what encoding/json writes for the struct, every field set
// or not, with strings that need escaping.
func TestProtectedResourceDocument(t *testing.T) {
	for _, md := range []ProtectedResourceMetadata{
		{},
		{Resource: "https://mcp.example.com/mcp", AuthorizationServers: []string{"https://clerk.example.com"}, BearerMethodsSupported: []string{"header"}},
		{Resource: "https://mcp.example.com/mcp", AuthorizationServers: []string{}, ScopesSupported: []string{"profile", "email"}, BearerMethodsSupported: []string{"header"}, ResourceName: "My \"app\" <&> \u2028"},
		{Resource: "r", ScopesSupported: []string{}, ResourceName: "n"},
	} {
		want, err := json.MarshalIndent(md, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got, err := md.document()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%+v:\n%s\nwant\n%s", md, got, want)
		}
	}
}
