package mcpserver

import (
	"context"
	"encoding/json"

	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// scopedEnv is a server with a scoped tool, prompt, resource and resource
// template, and one unscoped tool; it records which handlers ran.
type scopedEnv struct {
	fake *clerkfake.Fake
	url  string
	mu   sync.Mutex
	ran  []string
}

func (e *scopedEnv) handled() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.ran...)
}

func (e *scopedEnv) record(what string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ran = append(e.ran, what)
}

func newScopedEnv(t *testing.T, stateless bool) *scopedEnv {
	t.Helper()
	e := &scopedEnv{fake: clerkfake.New(t)}
	hs := httptest.NewUnstartedServer(nil)
	e.url = "http://" + hs.Listener.Addr().String()
	settings := Settings{
		Name: "scoped", Version: "0", Streamable: true, SSE: true, Stateless: stateless,
		Scopes:         []string{"profile", "email", "notes:read", "notes:write", "offline_access"},
		RequiredScopes: []string{"profile"},
		Operations: Operations{
			Tools:     map[string][]string{"write-note": {"notes:write"}},
			Prompts:   map[string][]string{"summarize": {"notes:read"}},
			Resources: map[string][]string{"notes://index": {"notes:read"}, "notes://{id}/body": {"notes:read", "notes:write"}},
		},
	}
	register := func(s *mcp.Server) {
		for _, name := range []string{"write-note", "echo"} {
			mcp.AddTool(s, &mcp.Tool{Name: name}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
				e.record("tool " + name)
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: name + " ran"}}}, nil, nil
			})
		}
		s.AddPrompt(&mcp.Prompt{Name: "summarize"}, func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			e.record("prompt summarize")
			return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: "summarize"}}}}, nil
		})
		s.AddResource(&mcp.Resource{Name: "index", URI: "notes://index"}, func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			e.record("resource " + req.Params.URI)
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, Text: "index"}}}, nil
		})
		s.AddResourceTemplate(&mcp.ResourceTemplate{Name: "body", URITemplate: "notes://{id}/body"}, func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			e.record("resource " + req.Params.URI)
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, Text: "body"}}}, nil
		})
	}
	s, err := New(settings, Env{SecretKey: e.fake.SecretKey, Issuer: e.fake.URL, APIURL: e.fake.URL, PublicURL: e.url}, Options{RegisterTools: register})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = s
	hs.Start()
	t.Cleanup(func() { s.CloseStreams(); hs.CloseClientConnections(); hs.Close() })
	return e
}

// post sends one JSON-RPC message to /mcp without a session (a stateless
// server takes it as it is).
func (e *scopedEnv) post(t *testing.T, token, body string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	h := mcpHeaders.Clone()
	h.Set("Mcp-Protocol-Version", "2025-06-18")
	for k, v := range header {
		h[k] = v
	}
	return (&testEnv{url: e.url}).do(t, http.MethodPost, "/mcp", token, h, body)
}

func rpcError(t *testing.T, body []byte) (id json.RawMessage, code int, msg string) {
	t.Helper()
	var v struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.JSONRPC != "2.0" || v.Error == nil {
		t.Fatalf("body %q is not a JSON-RPC error (%v)", body, err)
	}
	return v.ID, v.Error.Code, v.Error.Message
}

// An operation whose token lacks a scope it needs is refused before its
// handler runs: 403, one challenge naming every scope the operation needs
// (SEP-2350), and a JSON-RPC error for that request's id.
func TestOperationScopesAreEnforced(t *testing.T) {
	e := newScopedEnv(t, true)
	narrow := e.fake.IssueOpaque(clerkfake.TokenOptions{Scopes: []string{"profile", "email"}})
	reader := e.fake.IssueOpaque(clerkfake.TokenOptions{Scopes: []string{"profile", "notes:read"}})
	all := e.fake.IssueOpaque(clerkfake.TokenOptions{Scopes: []string{"profile", "notes:read", "notes:write"}})
	meta := e.url + "/.well-known/oauth-protected-resource/mcp"
	cases := []struct {
		name, body, scopes string
		allowed            map[string]bool // by token
		handler            string
	}{
		{"tool", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"write-note","arguments":{}}}`, "profile notes:write",
			map[string]bool{"all": true}, "tool write-note"},
		{"prompt", `{"jsonrpc":"2.0","id":"p-1","method":"prompts/get","params":{"name":"summarize"}}`, "profile notes:read",
			map[string]bool{"reader": true, "all": true}, "prompt summarize"},
		{"resource", `{"jsonrpc":"2.0","id":9,"method":"resources/read","params":{"uri":"notes://index"}}`, "profile notes:read",
			map[string]bool{"reader": true, "all": true}, "resource notes://index"},
		{"resource template", `{"jsonrpc":"2.0","id":10,"method":"resources/read","params":{"uri":"notes://42/body"}}`, "profile notes:read notes:write",
			map[string]bool{"all": true}, "resource notes://42/body"},
	}
	for _, c := range cases {
		for tokName, tok := range map[string]string{"narrow": narrow, "reader": reader, "all": all} {
			before := len(e.handled())
			resp, body := e.post(t, tok, c.body, nil)
			ran := len(e.handled()) > before
			if c.allowed[tokName] {
				if resp.StatusCode != http.StatusOK || !ran {
					t.Errorf("%s with the %s token: %d %s, handler ran %v; want it served", c.name, tokName, resp.StatusCode, body, ran)
				}
				continue
			}
			want := `Bearer error="insufficient_scope", scope="` + c.scopes + `", resource_metadata="` + meta + `"`
			if got := resp.Header.Values("WWW-Authenticate"); resp.StatusCode != http.StatusForbidden || len(got) != 1 || !strings.HasPrefix(got[0], want) {
				t.Errorf("%s with the %s token: %d %q, want 403 with one challenge starting %q", c.name, tokName, resp.StatusCode, got, want)
			}
			if ran {
				t.Errorf("%s with the %s token: the handler ran", c.name, tokName)
			}
			wantID := json.RawMessage(c.body[strings.Index(c.body, `"id":`)+5 : strings.Index(c.body, `,"method"`)])
			if id, code, msg := rpcError(t, body); string(id) != string(wantID) || code != insufficientScopeCode || !strings.Contains(msg, c.scopes) {
				t.Errorf("%s with the %s token: JSON-RPC error id %s code %d %q, want id %s code %d naming %s", c.name, tokName, id, code, msg, wantID, insufficientScopeCode, c.scopes)
			}
		}
	}
	// Listing is not guarded; an unscoped tool needs nothing more.
	resp, body := e.post(t, narrow, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "write-note") {
		t.Errorf("tools/list with the narrow token: %d %s, want write-note listed", resp.StatusCode, body)
	}
	if resp, _ := e.post(t, narrow, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{}}}`, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("an unscoped tool with the narrow token: %d", resp.StatusCode)
	}
}

// A request whose Mcp-Method or Mcp-Name header says something other than
// its body is refused; the decision is the body's, whatever the headers.
func TestOperationHeadersMustMatchTheBody(t *testing.T) {
	e := newScopedEnv(t, true)
	narrow := e.fake.IssueOpaque(clerkfake.TokenOptions{Scopes: []string{"profile"}})
	call := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"write-note","arguments":{}}}`
	for _, h := range []http.Header{
		{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"echo"}},
		{"Mcp-Method": {"tools/list"}},
	} {
		resp, body := e.post(t, narrow, call, h)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("headers %v over a call of write-note: %d %s, want 400", h, resp.StatusCode, body)
		}
	}
	if got := e.handled(); len(got) != 0 {
		t.Errorf("handlers ran: %v", got)
	}
	resp, _ := e.post(t, narrow, call, http.Header{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"write-note"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("matching headers, token without the scope: %d, want 403", resp.StatusCode)
	}
}

// A batch (MCP 2025-03-26) is refused if any request in it needs a scope
// the token lacks, with an error for each such request.
func TestOperationScopesInABatch(t *testing.T) {
	e := newScopedEnv(t, true)
	narrow := e.fake.IssueOpaque(clerkfake.TokenOptions{Scopes: []string{"profile"}})
	h := http.Header{"Mcp-Protocol-Version": {"2025-03-26"}}
	resp, body := e.post(t, narrow, `[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"write-note"}}]`, h)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"id":2`) || strings.Contains(string(body), `"id":1`) {
		t.Errorf("a batch with a scoped call: %d %s, want 403 with an error for id 2 only", resp.StatusCode, body)
	}
	if got := e.handled(); len(got) != 0 {
		t.Errorf("handlers ran: %v", got)
	}
}

// With the go-sdk client, in both session modes and over SSE: a refused
// call is an error for that call only; the session goes on.
func TestOperationScopesWithTheGoClient(t *testing.T) {
	for _, c := range []struct {
		name      string
		stateless bool
		path      string
	}{{"stateless", true, "/mcp"}, {"stateful", false, "/mcp"}, {"sse", false, "/sse"}} {
		t.Run(c.name, func(t *testing.T) {
			e := newScopedEnv(t, c.stateless)
			narrow := e.fake.IssueOpaque(clerkfake.TokenOptions{Scopes: []string{"profile"}})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			client := &http.Client{Transport: bearer{narrow}}
			var tr mcp.Transport = &mcp.StreamableClientTransport{Endpoint: e.url + c.path, HTTPClient: client}
			if c.path == "/sse" {
				tr = &mcp.SSEClientTransport{Endpoint: e.url + c.path, HTTPClient: client}
			}
			cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "0"}, nil).Connect(ctx, tr, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			if c.path == "/sse" {
				// The legacy transport answers each POST with 202 and
				// sends results on the stream; go-sdk's SSE client takes
				// the 403 for a broken connection. The call is refused all
				// the same; the session does not survive it.
				if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "write-note"}); err == nil {
					t.Errorf("a call without the scope over SSE succeeded")
				}
			} else {
				_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "write-note"})
				if err == nil || !strings.Contains(err.Error(), "notes:write") {
					t.Errorf("a call without the scope: %v, want an error naming notes:write", err)
				}
				if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "notes://index"}); err == nil {
					t.Errorf("a read without the scope succeeded")
				}
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo"})
				if err != nil || res.IsError {
					t.Errorf("the next call in the same session: %v %+v, want it served", err, res)
				}
			}
			for _, h := range e.handled() {
				if h != "tool echo" {
					t.Errorf("handler %q ran for a token without its scope", h)
				}
			}
		})
	}
}

// The 401 names the scopes to ask for, never offline_access; a refusal
// names what the operation needs, requiredScopes included.
func TestChallengeScopes(t *testing.T) {
	e := newScopedEnv(t, true)
	resp, _ := e.post(t, "", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, nil)
	want := `Bearer resource_metadata="` + e.url + `/.well-known/oauth-protected-resource/mcp", scope="profile email notes:read notes:write"`
	if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusUnauthorized || got != want {
		t.Errorf("no token: %d %q, want 401 %q", resp.StatusCode, got, want)
	}
}
