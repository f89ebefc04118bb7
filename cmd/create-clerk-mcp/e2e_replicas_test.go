package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// TestE2EReplicasBehindNginx: issue 9 item 4. Three replicas of a default
// (stateless) project's server run as processes behind a real nginx,
// configured with the nginx block of the project's own README, and go-sdk
// clients call the sample tool through it with both token formats: every
// call succeeds, every replica serves some, the calls of one session are
// spread over the replicas, and after one replica is killed every call
// still succeeds, in a session opened before the kill and in new ones.
func TestE2EReplicasBehindNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nginx and three server processes; skipped with -short")
	}
	nginxBin := findNginx(t)
	dir := defaultProject(t)
	fake := newFake(t)
	opaque := fake.IssueOpaque(clerkfake.TokenOptions{})
	jwt, err := fake.IssueJWT(clerkfake.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// Clients use a public name that is not a loopback name, with a port,
	// as a user's would be; every connection goes to nginx on 127.0.0.1
	// whatever the name. The replicas then check the Host nginx forwards
	// against PUBLIC_URL, as they would in production.
	ln := listenLoopback(t)
	nginxAddr := ln.Addr().String()
	ln.Close()
	publicURL := "http://mcp.example.test:" + portOf(nginxAddr)

	replicas := make([]*replica, 3)
	for i := range replicas {
		env := fake.Env()
		env["PORT"] = "0"
		env["LOG_LEVEL"] = "debug" // one "request" line per request
		env["PUBLIC_URL"] = publicURL
		env["TRUSTED_PROXIES"] = "127.0.0.1"
		cmd := runServer(t, dir, env)
		base, logs := startAndWait(t, cmd)
		replicas[i] = &replica{addr: "127.0.0.1:" + portOf(strings.TrimPrefix(base, "http://")), cmd: cmd, logs: logs}
	}
	ngx := startNginx(t, nginxBin, dir, nginxAddr, replicas)

	client := func(token string) *http.Client { return loopbackClient(nginxAddr, token) }
	endpoint := publicURL + "/mcp"

	// The OAuth discovery a client starts with works through nginx and
	// names the public URL.
	resp, err := client("").Post(endpoint, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	wantChallenge := `resource_metadata="` + publicURL + `/.well-known/oauth-protected-resource/mcp"`
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), wantChallenge) {
		t.Errorf("POST /mcp without a token through nginx: %d %q, want 401 with %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), wantChallenge)
	}
	resp, err = client("").Get(publicURL + "/.well-known/oauth-protected-resource/mcp")
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		Resource string `json:"resource"`
	}
	err = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || md.Resource != endpoint {
		t.Errorf("protected-resource metadata through nginx: %d %q (%v), want resource %s", resp.StatusCode, md.Resource, err, endpoint)
	}

	tokens := []struct{ format, token string }{{"opaque", opaque}, {"jwt", jwt}}
	calls := 0 // successful tools/call through nginx
	// freshCall opens a session, makes one call and closes it.
	freshCall := func(token string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cs := connectTo(ctx, t, endpoint, client(token))
		defer cs.Close()
		callUserData(ctx, t, cs)
		calls++
	}

	// 1. New sessions, one call each, alternating token formats.
	for i := range 6 {
		freshCall(tokens[i%2].token)
	}

	// 2. One session per token format, many calls each, opened now and
	// used again after the kill below.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sessions := make([]*mcp.ClientSession, len(tokens))
	for i, tok := range tokens {
		sessions[i] = connectTo(ctx, t, endpoint, client(tok.token))
		defer sessions[i].Close()
	}
	for i, tok := range tokens {
		before := settledCounts(t, replicas)
		for range 6 {
			callUserData(ctx, t, sessions[i])
			calls++
		}
		after := waitForPosts(t, replicas, sum(before)+6)
		var served []string
		for r := range replicas {
			if after[r] > before[r] {
				served = append(served, fmt.Sprintf("replica %d: %d", r, after[r]-before[r]))
			}
		}
		t.Logf("one %s session, 6 calls: %s", tok.format, strings.Join(served, ", "))
		if len(served) < 2 {
			t.Errorf("the 6 calls of one %s session all went to one replica (%v); round robin should spread them", tok.format, served)
		}
	}

	counts := settledCounts(t, replicas)
	for r, n := range counts {
		t.Logf("replica %d (%s) served %d POST /mcp before the kill", r, replicas[r].addr, n)
		if n == 0 {
			t.Errorf("replica %d served no request; nginx should spread them round robin\n%s", r, replicas[r].logs())
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// 3. Kill one replica between calls, with no warning: every later call
	// succeeds, in the sessions opened before the kill and in new ones.
	dead := replicas[0]
	if err := dead.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = dead.cmd.Wait() // gone before the next call
	t.Logf("killed replica 0 (%s) after %d calls", dead.addr, calls)
	beforeKillCalls := calls
	beforeKill := counts
	for range 4 {
		for i := range tokens {
			callUserData(ctx, t, sessions[i])
			calls++
		}
	}
	for i := range 6 {
		freshCall(tokens[i%2].token)
	}
	after := settledCounts(t, replicas[1:])
	for r, n := range after {
		t.Logf("replica %d (%s) served %d POST /mcp after the kill", r+1, replicas[r+1].addr, n-beforeKill[r+1])
		if n == beforeKill[r+1] {
			t.Errorf("replica %d served nothing after replica 0 was killed; nginx should spread the calls over the two left", r+1)
		}
	}
	// nginx logs a request once it has answered it: wait (bounded) for
	// the last lines.
	toolCalls, retried, versions := ngx.accessLog()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && total(toolCalls) < calls; {
		time.Sleep(50 * time.Millisecond)
		toolCalls, retried, versions = ngx.accessLog()
	}
	for r, rep := range replicas {
		t.Logf("replica %d (%s) answered %d tools/call in all (nginx's access log)", r, rep.addr, toolCalls[rep.addr])
	}
	t.Logf("%d calls before the kill and %d after it, all succeeded; nginx passed %d requests on to another replica; protocol versions asked: %v",
		beforeKillCalls, calls-beforeKillCalls, retried, versions)
	if n := total(toolCalls); n != calls {
		t.Errorf("nginx's access log shows %d tools/call answered, the clients made %d", n, calls)
	}
}

type replica struct {
	addr string
	cmd  *exec.Cmd
	logs func() string
}

var postLineRE = regexp.MustCompile(`msg=request method=POST path=/mcp status=200`)

// posts counts the POSTs to /mcp the replica has logged as answered 200.
func (r *replica) posts() int { return len(postLineRE.FindAllStringIndex(r.logs(), -1)) }

// waitForPosts waits (bounded) until the replicas have logged at least want
// POSTs between them, and returns each one's count. A replica logs a
// request after answering it, so its line may come just after the answer.
func waitForPosts(t *testing.T, replicas []*replica, want int) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		counts := make([]int, len(replicas))
		for i, r := range replicas {
			counts[i] = r.posts()
		}
		if sum(counts) >= want || time.Now().After(deadline) {
			return counts
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settledCounts returns each replica's POST count once the counts have
// stopped changing (bounded): no request of ours is still being logged.
func settledCounts(t *testing.T, replicas []*replica) []int {
	t.Helper()
	prev := waitForPosts(t, replicas, 0)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		counts := waitForPosts(t, replicas, 0)
		if sum(counts) == sum(prev) {
			return counts
		}
		prev = counts
	}
	return prev
}

func total(m map[string]int) int {
	n := 0
	for _, x := range m {
		n += x
	}
	return n
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// findNginx returns the nginx binary: skipped locally without one, a
// failure in CI, where .ci/run installs it.
func findNginx(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx" // not on a non-root user's PATH on Debian
	}
	if os.Getenv("CI") != "" {
		t.Fatal("nginx is not installed: .ci/run installs it (apt-get install nginx)")
	}
	t.Skip("nginx not installed; on Debian: apt-get install --no-install-recommends nginx")
	return ""
}

// lockedBuffer collects a process's output for the test to read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type nginx struct {
	dir string
}

// accessLog reads nginx's access log: the tools/call requests each
// replica answered, the requests passed on to another replica after the
// first failed, and the MCP protocol versions the clients asked for.
func (n nginx) accessLog() (toolCalls map[string]int, retried int, versions map[string]int) {
	toolCalls, versions = map[string]int{}, map[string]int{}
	b, _ := os.ReadFile(filepath.Join(n.dir, "access.log"))
	lineRE := regexp.MustCompile(`^POST /mcp \d+ upstream=(.*) upstream_status=.* version=(\S*) body=(.*)$`)
	for _, line := range strings.Split(string(b), "\n") {
		m := lineRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		upstreams := strings.Split(m[1], ", ")
		retried += len(upstreams) - 1
		versions[m[2]]++
		if strings.Contains(m[3], `method\x22:\x22tools/call`) {
			toolCalls[upstreams[len(upstreams)-1]]++
		}
	}
	return toolCalls, retried, versions
}

// startNginx runs nginx in the foreground as this user, every path under
// a temporary directory, listening on addr and proxying to the replicas
// with the nginx block of the project's README: its upstream's servers
// replaced by the replicas and its listen directive by addr (no TLS here).
// It waits (bounded) until nginx answers, and stops it at the end.
func startNginx(t *testing.T, bin, projectDir, addr string, replicas []*replica) nginx {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(projectDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```nginx\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("the project's README has no nginx block")
	}
	block := string(m[1])
	var servers strings.Builder
	for _, r := range replicas {
		fmt.Fprintf(&servers, "    server %s;\n", r.addr)
	}
	serverRE := regexp.MustCompile(`(?m)^\s*server\s+127\.0\.0\.1:\d+;.*\n`)
	if len(serverRE.FindAllString(block, -1)) == 0 {
		t.Fatalf("no upstream server lines in the README's nginx block:\n%s", block)
	}
	first := true
	block = serverRE.ReplaceAllStringFunc(block, func(string) string {
		if first {
			first = false
			return servers.String()
		}
		return ""
	})
	listenRE := regexp.MustCompile(`(?m)^(\s*)listen\s+[^;]*;`)
	if !listenRE.MatchString(block) {
		t.Fatalf("no listen directive in the README's nginx block:\n%s", block)
	}
	block = listenRE.ReplaceAllString(block, "${1}listen "+addr+";")

	dir := t.TempDir()
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 256; }
http {
    log_format upstreams '$request_method $uri $status upstream=$upstream_addr upstream_status=$upstream_status '
                         'version=$http_mcp_protocol_version body=$request_body';
    access_log %[1]s/access.log upstreams;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;

%[2]s}
`, dir, block)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("nginx.conf:\n%s", conf)

	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	errorLog := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return out.String() + string(b)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // its process group: nginx alone
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("nginx (pid %d) still running 10s after SIGKILL", cmd.Process.Pid)
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "access.log"))
			t.Logf("nginx error log:\n%s\naccess log:\n%s", errorLog(), b)
		}
	})

	c := loopbackClient(addr, "")
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("nginx exited:\n%s", errorLog())
		default:
		}
		if resp, err := c.Get("http://" + addr + "/healthz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not answer /healthz with 200 within 15s:\n%s", errorLog())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Health checks are requests too; only POSTs to /mcp are counted.
	return nginx{dir: dir}
}

// loopbackClient returns an HTTP client that connects to addr (nginx on
// 127.0.0.1) whatever the URL's host, never through a proxy, and sends
// token as a bearer token when it is not empty.
func loopbackClient(addr, token string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	var rt http.RoundTripper = &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		},
		ResponseHeaderTimeout: 20 * time.Second,
	}
	if token != "" {
		rt = bearerOver{token: token, next: rt}
	}
	return &http.Client{Transport: rt, Timeout: 30 * time.Second}
}

type bearerOver struct {
	token string
	next  http.RoundTripper
}

func (b bearerOver) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func connectTo(ctx context.Context, t *testing.T, endpoint string, hc *http.Client) *mcp.ClientSession {
	t.Helper()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e-replicas", Version: "0"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: hc}, nil)
	if err != nil {
		t.Fatalf("connect %s through nginx: %v", endpoint, err)
	}
	return cs
}

// callUserData calls get-clerk-user-data and checks it returned the
// token's user.
func callUserData(ctx context.Context, t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-clerk-user-data"})
	if err != nil {
		t.Fatalf("call get-clerk-user-data through nginx: %v", err)
	}
	if res.IsError || len(res.Content) == 0 {
		t.Fatalf("call get-clerk-user-data through nginx: error result %+v", res)
	}
	text, _ := res.Content[0].(*mcp.TextContent)
	var user struct {
		ID string `json:"id"`
	}
	if text == nil || json.Unmarshal([]byte(text.Text), &user) != nil || user.ID != clerkfake.DefaultUserID {
		t.Fatalf("get-clerk-user-data through nginx returned %+v, want user %s", res.Content[0], clerkfake.DefaultUserID)
	}
}
