package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// generated holds the projects the end-to-end tests share, by name: each is
// created with the CLI and built once per test binary.
var generated sync.Map // name -> *generatedProject

type generatedProject struct {
	once           sync.Once
	root, dir, err string
}

// generatedProjectDir creates a project called name with `create-clerk-mcp
// new name` plus args, lets prepare change it as a user would (nil for
// none), then runs go build -o name-server in it and, with check, go vet
// and go test too. It returns the project's directory.
func generatedProjectDir(t *testing.T, name string, args []string, prepare func(dir string) error, check bool) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a generated project; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	v, _ := generated.LoadOrStore(name, &generatedProject{})
	p := v.(*generatedProject)
	p.once.Do(func() {
		root, err := os.MkdirTemp("", "create-clerk-mcp-e2e-")
		if err != nil {
			p.err = err.Error()
			return
		}
		p.root = root
		dir := filepath.Join(root, name)
		var stdout, stderr bytes.Buffer
		argv := append([]string{"new", name, "--module", "example.com/" + name, "--dir", dir, "--yes", "--no-git"}, args...)
		if code := Main(argv, strings.NewReader(""), &stdout, &stderr); code != 0 || stderr.Len() > 0 {
			p.err = fmt.Sprintf("%s: exit %d\n%s%s", strings.Join(argv, " "), code, stdout.String(), stderr.String())
			return
		}
		if prepare != nil {
			if err := prepare(dir); err != nil {
				p.err = fmt.Sprintf("preparing %s: %v", name, err)
				return
			}
		}
		steps := [][]string{{"build", "-o", name + "-server", "."}}
		if check {
			steps = append(steps, []string{"vet", "./..."}, []string{"test", "-count=1", "./..."})
		}
		for _, args := range steps {
			cmd := exec.Command(goBin, args...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				p.err = fmt.Sprintf("go %s in %s: %v\n%s", strings.Join(args, " "), name, err, out)
				return
			}
		}
		p.dir = dir
	})
	if p.err != "" {
		t.Fatal(p.err)
	}
	return p.dir
}

// builtProject is the project most end-to-end tests share: both transports
// and stateful sessions, as a project for pre-2026 clients has them, so
// that the SSE transport and session binding are exercised. go build, go
// vet and go test pass in it.
func builtProject(t *testing.T) string {
	t.Helper()
	return generatedProjectDir(t, "demo", []string{"--transport", "streamable-http,sse", "--sessions", "stateful"}, nil, true)
}

// defaultProject is a project made with every default (stateless
// Streamable HTTP only); go build, go vet and go test pass in it.
func defaultProject(t *testing.T) string {
	t.Helper()
	return generatedProjectDir(t, "modern", nil, nil, true)
}

// TestEndToEnd creates a project with the CLI as a user would, builds,
// vets and tests it with the go command, then runs the built server as a
// process against a fake Clerk and drives it with the go-sdk MCP client.
func TestEndToEnd(t *testing.T) {
	dir := builtProject(t)

	fake, err := clerkfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()

	// Start-up without configuration fails, naming what is missing.
	out, err := runServer(t, dir, map[string]string{"PORT": "0"}).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "CLERK_SECRET_KEY is not set") {
		t.Errorf("start without env: err %v, output:\n%s", err, out)
	}

	env := fake.Env()
	env["PORT"] = "0"
	srv := runServer(t, dir, env)
	base, logs := startAndWait(t, srv)

	t.Run("challenge", func(t *testing.T) {
		for _, path := range []string{"/mcp", "/sse"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := `Bearer resource_metadata="` + base + `/.well-known/oauth-protected-resource` + path + `", scope="profile email"`
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != want {
				t.Errorf("GET %s: %d %q, want 401 %q", path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
			}
		}
	})

	t.Run("metadata", func(t *testing.T) {
		for _, path := range []string{"/mcp", "/sse"} {
			resp, err := http.Get(base + "/.well-known/oauth-protected-resource" + path)
			if err != nil {
				t.Fatal(err)
			}
			var md map[string]any
			err = json.NewDecoder(resp.Body).Decode(&md)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("metadata %s: %d %v", path, resp.StatusCode, err)
			}
			if md["resource"] != base+path || !jsonStrings(md["authorization_servers"], fake.URL) ||
				!jsonStrings(md["scopes_supported"], "profile", "email") || !jsonStrings(md["bearer_methods_supported"], "header") {
				t.Errorf("metadata %s = %v", path, md)
			}
		}
		resp, err := http.Get(base + "/.well-known/oauth-authorization-server")
		if err != nil {
			t.Fatal(err)
		}
		var as map[string]any
		err = json.NewDecoder(resp.Body).Decode(&as)
		resp.Body.Close()
		if err != nil || as["issuer"] != fake.URL || as["registration_endpoint"] != fake.URL+"/oauth/register" {
			t.Errorf("authorization server metadata: %v %v", err, as)
		}
	})

	t.Run("tools", func(t *testing.T) {
		jwt, err := fake.IssueJWT(clerkfake.TokenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tokens := []struct{ format, token string }{{"opaque", fake.IssueOpaque(clerkfake.TokenOptions{})}, {"jwt", jwt}}
		for _, path := range []string{"/mcp", "/sse"} {
			for _, tok := range tokens {
				text := callTool(t, base+path, tok.token, "get-clerk-user-data")
				var user struct {
					ID        string `json:"id"`
					FirstName string `json:"first_name"`
				}
				if err := json.Unmarshal([]byte(text), &user); err != nil || user.ID != clerkfake.DefaultUserID || user.FirstName != "Ada" {
					t.Errorf("%s with a %s token: got %s (%v)", path, tok.format, text, err)
				}
			}
		}
		if n := fake.Calls("verify"); n != 1 {
			t.Errorf("Backend API verify calls = %d, want 1 (one opaque token, cached; none for the JWT)", n)
		}
	})

	t.Run("dotenv", func(t *testing.T) {
		// .env in the working directory configures the server, but never
		// overrides the real environment (PORT=1 there would fail).
		dotenvDir := t.TempDir()
		var lines []string
		for k, v := range fake.Env() {
			lines = append(lines, k+"="+v)
		}
		lines = append(lines, "PORT=1", "PUBLIC_URL=https://from-dotenv.example.com")
		if err := os.WriteFile(filepath.Join(dotenvDir, ".env"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := runServer(t, dir, map[string]string{"PORT": "0", "PUBLIC_URL": "https://from-env.example.com"})
		cmd.Dir = dotenvDir
		envBase, _ := startAndWait(t, cmd)
		resp, err := http.Get(envBase + "/.well-known/oauth-protected-resource/mcp")
		if err != nil {
			t.Fatal(err)
		}
		var md map[string]any
		err = json.NewDecoder(resp.Body).Decode(&md)
		resp.Body.Close()
		if err != nil || md["resource"] != "https://from-env.example.com/mcp" || !jsonStrings(md["authorization_servers"], fake.URL) {
			t.Errorf("metadata = %v (%v), want the resource from the environment and the issuer from .env", md, err)
		}
	})

	t.Run("real-looking configuration", func(t *testing.T) {
		// A publishable key as the Clerk dashboard gives it: the issuer is
		// derived from it. Only routes that need no call to Clerk are
		// exercised, so nothing leaves this machine.
		real := runServer(t, dir, map[string]string{
			"CLERK_SECRET_KEY":      "sk_test_" + strings.Repeat("x", 40),
			"CLERK_PUBLISHABLE_KEY": "pk_test_ZmFrZS1zbHVnLTEyLmNsZXJrLmFjY291bnRzLmRldiQ",
			"PORT":                  "0",
			"PUBLIC_URL":            "https://mcp.example.com",
		})
		realBase, _ := startAndWait(t, real)
		resp, err := http.Get(realBase + "/.well-known/oauth-protected-resource/mcp")
		if err != nil {
			t.Fatal(err)
		}
		var md map[string]any
		err = json.NewDecoder(resp.Body).Decode(&md)
		resp.Body.Close()
		if err != nil || md["resource"] != "https://mcp.example.com/mcp" || !jsonStrings(md["authorization_servers"], "https://fake-slug-12.clerk.accounts.dev") {
			t.Errorf("metadata = %v (%v)", md, err)
		}
		req, _ := http.NewRequest(http.MethodPost, realBase+"/mcp", strings.NewReader("{}"))
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := `Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="profile email"`
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != want {
			t.Errorf("POST /mcp: %d %q, want 401 %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
		}
	})

	// SIGTERM shuts the server down gracefully, with open streams.
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("server exited with %v after SIGTERM\n%s", err, logs())
		}
	case <-time.After(15 * time.Second):
		t.Errorf("server still running 15s after SIGTERM")
	}
	if l := logs(); strings.Contains(l, "oat_") || strings.Contains(l, "eyJ") || strings.Contains(l, fake.SecretKey) {
		t.Errorf("the server logged a token or the secret key:\n%s", l)
	}
}

// runServer prepares the server built in a project directory by
// generatedProjectDir.
func runServer(t *testing.T, dir string, env map[string]string) *exec.Cmd {
	return runBinary(t, filepath.Join(dir, filepath.Base(dir)+"-server"), env)
}

// runBinary prepares a server binary to run with env and nothing of this
// process's Clerk settings, in an empty directory (no .env).
func runBinary(t *testing.T, bin string, env map[string]string) *exec.Cmd {
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir() // no .env here
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "CLERK_") || strings.HasPrefix(kv, "PORT=") || strings.HasPrefix(kv, "PUBLIC_URL=")
	})
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

var listeningRE = regexp.MustCompile(`listening on \S*:(\d+)`)

// startAndWait starts the server and waits for its "listening on" line. It
// returns the server's base URL and a function returning its logs so far.
func startAndWait(t *testing.T, cmd *exec.Cmd) (string, func() string) {
	t.Helper()
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var mu sync.Mutex
	var logs strings.Builder
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			mu.Lock()
			logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case port <- m[1]:
				default:
				}
			}
		}
	}()
	getLogs := func() string {
		mu.Lock()
		defer mu.Unlock()
		return logs.String()
	}
	select {
	case p := <-port:
		return "http://localhost:" + p, getLogs
	case <-time.After(30 * time.Second):
		t.Fatalf("no 'listening on' line within 30s:\n%s", getLogs())
		return "", nil
	}
}

type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// callTool connects to an MCP endpoint with a bearer token, calls a tool
// without arguments and returns its text.
func callTool(t *testing.T, endpoint, token, tool string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := &http.Client{Transport: bearerTransport{token}}
	var transport mcp.Transport = &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: client}
	if strings.HasSuffix(endpoint, "/sse") {
		transport = &mcp.SSEClientTransport{Endpoint: endpoint, HTTPClient: client}
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "0"}, nil).Connect(ctx, transport, nil)
	if err != nil {
		t.Fatalf("connect %s: %v", endpoint, err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool})
	if err != nil {
		t.Fatalf("call %s at %s: %v", tool, endpoint, err)
	}
	if res.IsError || len(res.Content) == 0 {
		t.Fatalf("call %s at %s: error result %+v", tool, endpoint, res)
	}
	return res.Content[0].(*mcp.TextContent).Text
}

func jsonStrings(v any, want ...string) bool {
	list, ok := v.([]any)
	if !ok || len(list) != len(want) {
		return false
	}
	for i, w := range want {
		if list[i] != w {
			return false
		}
	}
	return true
}
