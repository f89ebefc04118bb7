package main

import (
	"context"
	"debug/elf"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// connectAt connects the go-sdk client to a Streamable HTTP endpoint with a
// bearer token, asking for protocol version (empty: the client's latest).
func connectAt(t *testing.T, ctx context.Context, endpoint, token, version string) *mcp.ClientSession {
	t.Helper()
	client := &http.Client{Transport: bearerTransport{token}}
	var opts *mcp.ClientSessionOptions
	if version != "" {
		opts = &mcp.ClientSessionOptions{ProtocolVersion: version}
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "0"}, nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: client}, opts)
	if err != nil {
		t.Fatalf("connect %s (protocol %q): %v", endpoint, version, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// TestE2EStatelessDefaultProject: a project made with every default serves
// MCP 2026-07-28 without sessions, and older protocol versions too; GET and
// DELETE on /mcp answer 405; /healthz and /readyz answer as probes expect.
func TestE2EStatelessDefaultProject(t *testing.T) {
	fake := newFake(t)
	base := startProject(t, defaultProject(t), fake, nil)
	jwt := mustJWT(t, fake, clerkfake.TokenOptions{})
	opaque := fake.IssueOpaque(clerkfake.TokenOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	for _, tok := range []struct{ format, token string }{{"opaque", opaque}, {"jwt", jwt}} {
		for _, version := range []string{"", "2025-11-25", "2025-06-18", "2025-03-26"} {
			cs := connectAt(t, ctx, base+"/mcp", tok.token, version)
			want := version
			if want == "" {
				want = "2026-07-28"
			}
			if got := cs.InitializeResult().ProtocolVersion; got != want {
				t.Errorf("%s token, asked for %q: negotiated %q, want %q", tok.format, version, got, want)
			}
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-clerk-user-data"})
			if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, clerkfake.DefaultUserID) {
				t.Errorf("%s token at %s: get-clerk-user-data: %v %+v", tok.format, want, err, res)
			}
		}
	}

	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		req, _ := http.NewRequest(method, base+"/mcp", nil)
		req.Header.Set("Authorization", "Bearer "+opaque)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s /mcp on a stateless server: %d, want 405", method, resp.StatusCode)
		}
	}
	resp, err := http.DefaultClient.Do(transportRequest(t, base, "/mcp", opaque))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") != "" {
		t.Errorf("initialize on a stateless server: %d, session %q; want 200 and no session", resp.StatusCode, resp.Header.Get("Mcp-Session-Id"))
	}

	// The probes: ready once the keys are loaded (the JWT calls above
	// needed them); a server that cannot reach Clerk is alive but not ready.
	probe := func(base, path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if h, r := probe(base, "/healthz"), probe(base, "/readyz"); h != 200 || r != 200 {
		t.Errorf("healthy server: /healthz %d, /readyz %d; want 200 and 200", h, r)
	}
	down := newFake(t)
	down.SetFault(clerkfake.MetadataDown)
	downBase := startProject(t, defaultProject(t), down, nil)
	if h, r := probe(downBase, "/healthz"), probe(downBase, "/readyz"); h != 200 || r != 503 {
		t.Errorf("Clerk unreachable: /healthz %d, /readyz %d; want 200 and 503", h, r)
	}
}

// TestE2EGracefulShutdown: SIGTERM while a slow tool call is in flight: the
// call finishes with its result, new connections are refused, the process
// exits 0.
func TestE2EGracefulShutdown(t *testing.T) {
	fake := newFake(t)
	dir := hardenedProject(t)
	env := fake.Env()
	env["PORT"] = "0"
	env["SHUTDOWN_TIMEOUT"] = "20s"
	cmd := runServer(t, dir, env)
	base, logs := startAndWait(t, cmd)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs := connectAt(t, ctx, base+"/mcp", fake.IssueOpaque(clerkfake.TokenOptions{}), "")

	type result struct {
		res *mcp.CallToolResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow-echo", Arguments: map[string]any{"text": "drained", "ms": 2000}})
		done <- result{res, err}
	}()
	waitForLog(t, logs, "slow-echo started")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitForLog(t, logs, "shutting down")
	// New connections are refused from now on.
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		conn.Close()
		t.Errorf("a new connection after SIGTERM was accepted")
	}
	r := <-done
	if r.err != nil || r.res.IsError {
		t.Fatalf("the call in flight at SIGTERM: %v %+v, want its result", r.err, r.res)
	}
	var out struct{ Text string }
	if b, _ := json.Marshal(r.res.StructuredContent); json.Unmarshal(b, &out) != nil || out.Text != "drained" {
		t.Errorf("the call in flight at SIGTERM returned %+v, want text drained", r.res.StructuredContent)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0\n%s", err, logs())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("still running 30s after SIGTERM\n%s", logs())
	}
}

func waitForLog(t *testing.T, logs func() string, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the server's log:\n%s", text, logs())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestE2EDockerfile checks the generated Dockerfile as far as this machine
// allows (no container engine runs here): two stages, a non-root user,
// $PORT; its build command gives a static binary, which serves on $PORT
// run as the image's non-root user.
func TestE2EDockerfile(t *testing.T) {
	dir := defaultProject(t)
	b, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	froms := regexp.MustCompile(`(?m)^FROM `).FindAllStringIndex(df, -1)
	if len(froms) != 2 || !strings.Contains(df, "AS build") || !strings.Contains(df, "COPY --from=build") {
		t.Errorf("Dockerfile is not a two-stage build:\n%s", df)
	}
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(df)
	if user == nil || strings.HasPrefix(user[1], "root") || strings.HasPrefix(user[1], "0") {
		t.Errorf("Dockerfile runs as %v, want a non-root USER", user)
	}
	if !strings.Contains(df, "ENV PORT=8080") || !strings.Contains(df, "EXPOSE 8080") {
		t.Errorf("Dockerfile does not set and expose PORT:\n%s", df)
	}
	if ignore, err := os.ReadFile(filepath.Join(dir, ".dockerignore")); err != nil || !regexp.MustCompile(`(?m)^\.env$`).Match(ignore) {
		t.Errorf(".dockerignore does not keep .env out of the build: %v\n%s", err, ignore)
	}
	run := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build .*) -o /out/server \.$`).FindStringSubmatch(df)
	if run == nil {
		t.Fatalf("no static go build step in the Dockerfile:\n%s", df)
	}
	// A directory the image's user can reach (t.TempDir's parent is
	// private to this process's user).
	imageDir, err := os.MkdirTemp("", "create-clerk-mcp-image-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(imageDir) })
	if err := os.Chmod(imageDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(imageDir, "image")
	build := exec.Command("sh", "-c", run[1]+" -o "+out+" .")
	build.Dir = dir
	if o, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", run[1], err, o)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the image's binary needs a dynamic loader; want a static binary")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the image's binary links %v; want none", libs)
	}
	f.Close()

	fake := newFake(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := portOf(ln.Addr().String())
	ln.Close()
	env := fake.Env()
	env["PORT"] = port
	cmd := runBinary(t, out, env)
	if os.Geteuid() == 0 {
		// As the distroless image's nonroot user.
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
		cmd.Dir = filepath.Dir(out)
	}
	base, _ := startAndWait(t, cmd)
	if !strings.HasSuffix(base, ":"+port) {
		t.Errorf("the image's server listens at %s, want port %s", base, port)
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz of the image's server: %v %v", resp, err)
	}
	resp.Body.Close()
}
