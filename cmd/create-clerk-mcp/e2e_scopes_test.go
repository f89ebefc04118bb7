package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// scopedProject has a tool, a prompt and a resource that each need a scope,
// added the user's way.
func scopedProject(t *testing.T) string {
	t.Helper()
	return generatedProjectDir(t, "scoped", nil, func(dir string) error {
		for _, args := range [][]string{
			{"add-tool", "write-note", "--description", "Writes a note", "--scope", "notes:write", "--dir", dir},
			{"add-prompt", "summarize", "--description", "Summarizes the notes", "--scope", "notes:read", "--dir", dir},
			{"add-resource", "notes-index", "--uri", "notes://index", "--description", "The notes", "--scope", "notes:read", "--dir", dir},
		} {
			var stdout, stderr bytes.Buffer
			if code := Main(args, strings.NewReader(""), &stdout, &stderr); code != 0 {
				return fmt.Errorf("%s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
			}
		}
		return nil
	}, true)
}

// TestE2EStepUp: a project with a scoped tool, prompt and resource refuses
// each, for a token without the scope, with HTTP 403 and the SEP-2350
// challenge naming the scope, before the handler runs; with the scope it
// serves each; both token formats. The go-sdk client sees a refused call
// as that call's error and goes on.
func TestE2EStepUp(t *testing.T) {
	fake := newFake(t)
	base := startProject(t, scopedProject(t), fake, nil)
	meta := base + "/.well-known/oauth-protected-resource/mcp"
	ops := []struct {
		name, body, scope, want string
	}{
		{"tools/call write-note", `{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"write-note","arguments":{}}}`, "notes:write", `"result"`},
		{"prompts/get summarize", `{"jsonrpc":"2.0","id":12,"method":"prompts/get","params":{"name":"summarize"}}`, "notes:read", `"messages"`},
		{"resources/read notes://index", `{"jsonrpc":"2.0","id":13,"method":"resources/read","params":{"uri":"notes://index"}}`, "notes:read", `"contents"`},
	}
	post := func(token, body string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, format := range []string{clerkfake.FormatOpaque, clerkfake.FormatJWT} {
		mint := func(scopes ...string) string {
			o := clerkfake.TokenOptions{Scopes: append([]string{"profile", "email"}, scopes...)}
			if format == clerkfake.FormatJWT {
				return mustJWT(t, fake, o)
			}
			return fake.IssueOpaque(o)
		}
		narrow, wide := mint(), mint("notes:read", "notes:write")
		for _, op := range ops {
			resp, body := post(narrow, op.body)
			challenge := resp.Header.Get("WWW-Authenticate")
			want := fmt.Sprintf(`Bearer error="insufficient_scope", scope=%q, resource_metadata=%q`, op.scope, meta)
			if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(challenge, want) {
				t.Errorf("%s, %s token without %s: %d %q, want 403 starting %q", op.name, format, op.scope, resp.StatusCode, challenge, want)
			}
			var rpc struct {
				ID    json.RawMessage    `json:"id"`
				Error struct{ Code int } `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &rpc); err != nil || rpc.Error.Code == 0 || !strings.Contains(op.body, `"id":`+string(rpc.ID)+`,`) {
				t.Errorf("%s refused: body %s, want a JSON-RPC error for the request's id", op.name, body)
			}
			if format == clerkfake.FormatOpaque && op.name == ops[0].name {
				t.Logf("the refusal as the server sends it:\nHTTP/1.1 %s\nWWW-Authenticate: %s\nContent-Type: %s\n\n%s", resp.Status, challenge, resp.Header.Get("Content-Type"), body)
			}
			resp, body = post(wide, op.body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, op.want) {
				t.Errorf("%s, %s token with %s: %d %s, want it served", op.name, format, op.scope, resp.StatusCode, body)
			}
		}

		// The go-sdk client: the refused call fails, the session goes on.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cs := connectAt(t, ctx, base+"/mcp", narrow, "")
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "write-note"}); err == nil || !strings.Contains(err.Error(), "notes:write") {
			t.Errorf("%s: go-sdk client, call without the scope: %v, want an error naming notes:write", format, err)
		}
		if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-clerk-user-data"}); err != nil || res.IsError {
			t.Errorf("%s: go-sdk client, the next call: %v %+v, want it served", format, err, res)
		}
		tools, err := cs.ListTools(ctx, nil)
		if err != nil || !strings.Contains(fmt.Sprint(toolNames(tools)), "write-note") {
			t.Errorf("%s: tools/list without the scope: %v %v, want write-note listed", format, toolNames(tools), err)
		}
		cancel()
	}
}

func toolNames(r *mcp.ListToolsResult) []string {
	if r == nil {
		return nil
	}
	var names []string
	for _, t := range r.Tools {
		names = append(names, t.Name)
	}
	return names
}
