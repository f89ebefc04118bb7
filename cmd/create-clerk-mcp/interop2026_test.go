package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// TestInteropTypeScriptSDKv2: the TypeScript SDK v2 client, with its
// versionNegotiation "auto", speaks MCP 2026-07-28 to a project made with
// every default and calls the sample tool with both token formats; with
// its default ("legacy") it still works, over the initialize handshake.
// Against a stateful project it falls back to 2025-11-25.
func TestInteropTypeScriptSDKv2(t *testing.T) {
	dir, env := interop(t)
	fake := newFake(t)
	base := startProject(t, defaultProject(t), fake, nil)
	jwt := mustJWT(t, fake, clerkfake.TokenOptions{})
	script := filepath.Join(dir, "ts2-client.mjs")
	for _, tok := range []struct{ format, token string }{{"opaque", fake.IssueOpaque(clerkfake.TokenOptions{})}, {"jwt", jwt}} {
		for _, c := range []struct{ mode, want string }{{"auto", "2026-07-28"}, {"legacy", "2025-11-25"}} {
			out, errOut, err := runTool(t, env, 60*time.Second, "node", script, base+"/mcp", tok.token, c.mode, "get-clerk-user-data")
			if err != nil || !strings.Contains(out, clerkfake.DefaultUserID) || !strings.Contains(out, "protocol "+c.want) {
				t.Errorf("TS SDK v2 (%s) with a %s token: %v, want protocol %s and the user\n%s\n%s", c.mode, tok.format, err, c.want, out, errOut)
				continue
			}
			t.Logf("TS SDK v2 (%s), %s token: protocol %s, get-clerk-user-data passed", c.mode, tok.format, c.want)
		}
	}
	stateful := startProject(t, builtProject(t), fake, nil)
	out, errOut, err := runTool(t, env, 60*time.Second, "node", script, stateful+"/mcp", jwt, "auto", "get-clerk-user-data")
	if err != nil || !strings.Contains(out, "protocol 2025-11-25") || !strings.Contains(out, clerkfake.DefaultUserID) {
		t.Errorf("TS SDK v2 (auto) against a stateful project: %v, want a fallback to 2025-11-25\n%s\n%s", err, out, errOut)
	}
}

// TestInteropInspector2: MCP Inspector 2.x's CLI lists and calls the tools
// of a project made with every default, with a bearer header; its
// tool-schema lint (--strict) finds nothing; a bad token fails.
func TestInteropInspector2(t *testing.T) {
	dir, env := interop(t)
	fake := newFake(t)
	base := startProject(t, defaultProject(t), fake, nil)
	cli := filepath.Join(dir, "node_modules", "inspector2", "clients", "launcher", "build", "index.js")
	token := fake.IssueOpaque(clerkfake.TokenOptions{})
	args := []string{cli, "--cli", base + "/mcp", "--transport", "http", "--header", "Authorization: Bearer " + token, "--format", "json"}
	out, errOut, err := runTool(t, env, 90*time.Second, "node", append(args, "--method", "tools/list", "--strict")...)
	if err != nil || !strings.Contains(out, `"get-clerk-user-data"`) {
		t.Errorf("inspector 2 tools/list --strict: %v\n%s\n%s", err, out, errOut)
	}
	out, errOut, err = runTool(t, env, 90*time.Second, "node", append(args, "--method", "tools/call", "--tool-name", "get-clerk-user-data")...)
	if err != nil || !strings.Contains(out, clerkfake.DefaultUserID) {
		t.Errorf("inspector 2 tools/call: %v\n%s\n%s", err, out, errOut)
	} else {
		t.Logf("inspector 2: tools/list --strict and tools/call get-clerk-user-data passed")
	}
	bad := []string{cli, "--cli", base + "/mcp", "--transport", "http", "--header", "Authorization: Bearer oat_00000000000000000000000000000000", "--method", "tools/list"}
	if out, _, err := runTool(t, env, 90*time.Second, "node", bad...); err == nil {
		t.Errorf("inspector 2 with a bad token succeeded:\n%s", out)
	}
}
