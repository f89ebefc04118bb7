package mcpserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// With requiredScopes, a token without them gets 403 insufficient_scope
// naming the scopes (RFC 6750 section 3.1), on the transports and on other
// protected routes; the 401 challenge names them too.
func TestRequiredScopes(t *testing.T) {
	fake := clerkfake.New(t)
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	s, err := New(Settings{
		Name: "test", Version: "0", Streamable: true, SSE: true,
		Scopes: []string{"profile", "notes:read"}, RequiredScopes: []string{"profile", "notes:read"},
	}, Env{SecretKey: fake.SecretKey, Issuer: fake.URL, APIURL: fake.URL, PublicURL: base}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = s
	hs.Start()
	t.Cleanup(hs.Close)

	do := func(path, token string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	narrow := fake.IssueOpaque(clerkfake.TokenOptions{Scopes: []string{"profile"}})
	for _, path := range []string{"/mcp", "/other"} {
		resp := do(path, narrow)
		got := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(got, `error="insufficient_scope"`) || !strings.Contains(got, `scope="profile notes:read"`) {
			t.Errorf("%s with a token lacking notes:read: %d %q, want 403 insufficient_scope with the scopes", path, resp.StatusCode, got)
		}
	}
	if resp := do("/mcp", ""); !strings.Contains(resp.Header.Get("WWW-Authenticate"), `scope="profile notes:read"`) || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d %q, want 401 naming the required scopes", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	wide := fake.IssueOpaque(clerkfake.TokenOptions{Scopes: []string{"profile", "notes:read", "email"}})
	if resp := do("/mcp", wide); resp.StatusCode != http.StatusOK {
		t.Errorf("a token with every required scope: %d, want 200", resp.StatusCode)
	}
}

// With one transport off, its path is just another protected route.
func TestDisabledTransportIsProtected(t *testing.T) {
	fake := clerkfake.New(t)
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	s, err := New(Settings{Name: "t", Version: "0", Streamable: true},
		Env{SecretKey: fake.SecretKey, Issuer: fake.URL, APIURL: fake.URL, PublicURL: base}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = s
	hs.Start()
	t.Cleanup(hs.Close)
	resp, err := http.Get(base + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := `Bearer resource_metadata="` + base + `/.well-known/oauth-protected-resource/mcp"`
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf("GET /sse with SSE off: %d %q, want 401 %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
	if resp, err := http.Get(base + "/.well-known/oauth-protected-resource/sse"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("SSE metadata with SSE off: %v %v, want 401 (not served)", err, resp)
	}
}
