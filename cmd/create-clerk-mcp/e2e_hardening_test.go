package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// userRoutes are registered in the hardened project's main.go. Each answers
// PUBLIC:<name> or PRIVATE:<name>.
const userRoutes = `
	for pattern, text := range map[string]string{
		"GET /api/{id}":         "PRIVATE:api-id",
		"/api/public/{rest...}": "PUBLIC:api-public",
		"/files/{path...}":      "PRIVATE:files",
		"POST /admin/":          "PRIVATE:admin",
		"admin.example.com/":    "PRIVATE:admin-host",
		"/about":                "PUBLIC:about",
		"/":                     "PRIVATE:catch-all",
	} {
		srv.HandleFunc(pattern, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, text) })
	}
`

// hardenedProject is a project grown the way a user grows one: public
// routes in clerk-mcp.yaml, then regenerate, then routes of their own in
// main.go, and a slow tool added with add-tool.
func hardenedProject(t *testing.T) string {
	t.Helper()
	return generatedProjectDir(t, "hard", nil, func(dir string) error {
		edit := func(name, old, new string) error {
			p := filepath.Join(dir, name)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !bytes.Contains(b, []byte(old)) {
				return fmt.Errorf("%s has no %q", name, old)
			}
			return os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644)
		}
		run := func(args ...string) error {
			var stdout, stderr bytes.Buffer
			if code := Main(args, strings.NewReader(""), &stdout, &stderr); code != 0 {
				return fmt.Errorf("%s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
			}
			return nil
		}
		if err := edit("clerk-mcp.yaml", "publicRoutes: []", `publicRoutes: ["/api/public/*", "/about"]`); err != nil {
			return err
		}
		if err := run("regenerate", "--dir", dir); err != nil {
			return err
		}
		if err := run("add-tool", "slow-echo", "--description", "Echoes its text after a pause", "--dir", dir); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "tools", "slow_echo.go"), []byte(slowEchoTool), 0o644); err != nil {
			return err
		}
		if err := edit("main.go", "\treturn mcpserver.Serve(", userRoutes+"\treturn mcpserver.Serve("); err != nil {
			return err
		}
		return edit("main.go", "import (\n", "import (\n\t\"net/http\"\n")
	}, false)
}

// slowEchoTool is the handler a user would write for a tool that takes a
// while: it waits ms milliseconds, then echoes text.
const slowEchoTool = `package tools

import (
	"context"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type SlowEchoInput struct {
	Text string ` + "`json:\"text\"`" + `
	MS   int    ` + "`json:\"ms\"`" + `
}

type SlowEchoOutput struct {
	Text string ` + "`json:\"text\"`" + `
}

func SlowEcho(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[SlowEchoInput, SlowEchoOutput] {
	return func(ctx context.Context, req *mcp.CallToolRequest, in SlowEchoInput) (*mcp.CallToolResult, SlowEchoOutput, error) {
		deps.Logger.Info("slow-echo started", "text", in.Text)
		select {
		case <-time.After(time.Duration(in.MS) * time.Millisecond):
		case <-ctx.Done():
			return nil, SlowEchoOutput{}, ctx.Err()
		}
		return nil, SlowEchoOutput{Text: in.Text}, nil
	}
}
`

// startHardened runs the hardened project's server against fake, with
// extra environment, and returns its base URL.
func startHardened(t *testing.T, fake *clerkfake.Fake, extra map[string]string) string {
	t.Helper()
	return startProject(t, hardenedProject(t), fake, extra)
}

// startProject runs a built project's server against fake, with extra
// environment, and returns its base URL.
func startProject(t *testing.T, dir string, fake *clerkfake.Fake, extra map[string]string) string {
	t.Helper()
	env := fake.Env()
	env["PORT"] = "0"
	for k, v := range extra {
		env[k] = v
	}
	base, _ := startAndWait(t, runServer(t, dir, env))
	return base
}

// raw sends exactly "METHOD target HTTP/1.1", as no well-behaved client
// would, from the given local address ("" for any).
func raw(t *testing.T, base, from, method, target, host, token string) (int, string) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	conn, err := d.Dial("tcp", "127.0.0.1:"+portOf(strings.TrimPrefix(base, "http://")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	req := method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n"
	if token != "" {
		req += "Authorization: Bearer " + token + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestE2EPublicRoutesNeverOpenPrivateOnes: issue 7 item 1, against the
// built server. GET /api/public%2Fx used to reach GET /api/{id}.
func TestE2EPublicRoutesNeverOpenPrivateOnes(t *testing.T) {
	fake := newFake(t)
	base := startHardened(t, fake, nil)
	host := "localhost:" + portOf(strings.TrimPrefix(base, "http://"))
	attacks := []string{
		"/api/public%2Fx", "/api/public%2fx", "/api/public%5Cx", "/api/public\\x", "/api/public%252Fx",
		"/api/public/..%2Fx", "/api/public/../x", "/api/public/%2e%2e/x", "/api/public;/x", "/api/public%3Bx",
		"//api/x", "/api//x", "/api/./x", "/API/public/x", "/api/Public/x", "/api/public", "/api/x/",
		"/about/", "/about/..", "/about%2F..%2Fapi%2Fx", "/about;x", "/About", "/ab%6Fut/x",
		"/files/a", "/files/%2e%2e/a", "/admin/x", "/x", "/", "/api/public/../../files/a",
	}
	for _, target := range attacks {
		for _, h := range []string{host, "admin.example.com"} {
			for _, method := range []string{"GET", "POST", "DELETE"} {
				if status, body := raw(t, base, "", method, target, h, ""); strings.Contains(body, "PRIVATE:") {
					t.Errorf("%s %s (Host %s) without a token reached %s (%d)", method, target, h, body, status)
				}
			}
		}
	}
	token := fake.IssueOpaque(clerkfake.TokenOptions{})
	for _, c := range []struct{ path, host, token, want string }{
		{"/about", host, "", "PUBLIC:about"},
		{"/api/public/x", host, "", "PUBLIC:api-public"},
		{"/api/public%2Fx", host, token, "PRIVATE:api-id"},
		{"/about", "admin.example.com", token, "PRIVATE:admin-host"},
		{"/files/a", host, token, "PRIVATE:files"},
	} {
		if status, body := raw(t, base, "", "GET", c.path, c.host, c.token); body != c.want {
			t.Errorf("GET %s (Host %s, token %v): %d %q, want %q", c.path, c.host, c.token != "", status, body, c.want)
		}
	}
}

// status sends an initialize to /mcp from a local address and returns the
// status.
func initializeFrom(t *testing.T, base, from, token string) int {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	req := transportRequest(t, "http://127.0.0.1:"+portOf(strings.TrimPrefix(base, "http://")), "/mcp", token)
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("initialize from %s: %v", from, err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestE2EFloodDoesNotLockOutValidUsers: issue 7 item 2. Made-up oat_
// tokens at about 100 requests a second from two addresses while 20 users
// present fresh valid tokens from others: at least 19 get in, and the calls
// to Clerk stay within the budget.
func TestE2EFloodDoesNotLockOutValidUsers(t *testing.T) {
	fake := newFake(t)
	base := startHardened(t, fake, nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var flood atomic.Int64
	began := time.Now()
	for f := range 2 {
		wg.Go(func() {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				if code := initializeFrom(t, base, fmt.Sprintf("127.0.1.%d", f+1), fmt.Sprintf("oat_%08X%024X", f, i)); code == http.StatusOK {
					t.Errorf("a made-up token got in")
				}
				flood.Add(1)
			}
		})
	}
	accepted := 0
	for i := range 20 {
		time.Sleep(100 * time.Millisecond)
		tok := fake.IssueOpaque(clerkfake.TokenOptions{})
		if code := initializeFrom(t, base, fmt.Sprintf("127.0.2.%d", i+1), tok); code == http.StatusOK {
			accepted++
		} else {
			t.Logf("fresh valid token %d: %d", i, code)
		}
	}
	close(stop)
	wg.Wait()
	elapsed := time.Since(began)
	calls := fake.Calls("verify")
	t.Logf("%d flood requests and 20 valid in %v: %d verify calls, %d of 20 accepted", flood.Load(), elapsed.Round(time.Millisecond), calls, accepted)
	if accepted < 19 {
		t.Errorf("%d of 20 fresh valid tokens accepted during the flood, want at least 19", accepted)
	}
	if most := 50 + int(20*elapsed.Seconds()) + 1; calls > most {
		t.Errorf("%d verify calls in %v, want at most %d (the shared budget)", calls, elapsed, most)
	}
}

// TestE2EColdStartAndRotation: issue 7 item 3. Concurrent initializes with
// valid JWTs while the signing keys are still loading all get in; after a
// rotation, a token with the new key gets in while others send made-up
// key ids.
func TestE2EColdStartAndRotation(t *testing.T) {
	fake := newFake(t)
	fake.SetDelay("jwks", 500*time.Millisecond)
	base := startHardened(t, fake, nil)
	jwt := mustJWT(t, fake, clerkfake.TokenOptions{})
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for i := range 8 {
		wg.Go(func() { codes <- initializeFrom(t, base, fmt.Sprintf("127.0.3.%d", i+1), jwt) })
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != http.StatusOK {
			t.Errorf("initialize during the first key fetch: %d, want 200", code)
		}
	}
	fake.SetDelay("jwks", 0)

	stop := make(chan struct{})
	for g := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tok := mustJWT(t, fake, clerkfake.TokenOptions{KeyID: fmt.Sprintf("ins_random%d_%d", g, i)})
				if code := initializeFrom(t, base, "127.0.4.1", tok); code != http.StatusUnauthorized {
					t.Errorf("made-up kid: %d, want 401", code)
				}
			}
		})
	}
	time.Sleep(3 * time.Second) // the refetch burst is spent by now
	if err := fake.RotateKey(false); err != nil {
		t.Fatal(err)
	}
	rotated := mustJWT(t, fake, clerkfake.TokenOptions{})
	if code := initializeFrom(t, base, "127.0.4.2", rotated); code != http.StatusOK {
		t.Errorf("a token with the new key while others send made-up kids: %d, want 200", code)
	}
	close(stop)
	wg.Wait()
}

// TestE2ESlowBodiesAndPerUserLimits: issue 7 items 4 and 5. Sessions and
// streams are those of a stateful project with SSE.
func TestE2ESlowBodiesAndPerUserLimits(t *testing.T) {
	fake := newFake(t)
	base := startProject(t, builtProject(t), fake, map[string]string{"MAX_SESSIONS_PER_USER": "3", "MAX_STREAMS_PER_USER": "2", "REQUEST_BODY_TIMEOUT": "1s"})
	token := fake.IssueOpaque(clerkfake.TokenOptions{})

	trickle := func(auth string) (int, bool) {
		conn, err := net.Dial("tcp", "127.0.0.1:"+portOf(strings.TrimPrefix(base, "http://")))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
		req := "POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 50000\r\n" + auth + "\r\n{"
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("trickled POST /mcp: no answer (%v)", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_, err = br.ReadByte()
		return resp.StatusCode, errors.Is(err, io.EOF)
	}
	if code, closed := trickle(""); code != http.StatusUnauthorized || !closed {
		t.Errorf("trickled body without a token: %d, closed %v; want 401 and closed", code, closed)
	}
	if code, closed := trickle("Authorization: Bearer " + token + "\r\n"); code != http.StatusRequestTimeout || !closed {
		t.Errorf("trickled body with a token: %d, closed %v; want 408 and closed", code, closed)
	}

	for i := range 3 {
		if code := initializeFrom(t, base, "127.0.5.1", token); code != http.StatusOK {
			t.Fatalf("session %d: %d", i+1, code)
		}
	}
	if code := initializeFrom(t, base, "127.0.5.1", token); code != http.StatusTooManyRequests {
		t.Errorf("a fourth session of one user: %d, want 429", code)
	}

	open := func(ctx context.Context) int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/sse", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
		}
		return resp.StatusCode
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 2 {
		if code := open(ctx); code != http.StatusOK {
			t.Fatalf("stream %d: %d", i+1, code)
		}
	}
	if code := open(context.Background()); code != http.StatusTooManyRequests {
		t.Errorf("a third stream of one user: %d, want 429", code)
	}
}
