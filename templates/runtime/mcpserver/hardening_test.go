package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// limitedEnv is a server with the given limits, logging into a buffer.
type limitedEnv struct {
	fake *clerkfake.Fake
	url  string
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLimitedEnv(t *testing.T, limits Limits, client *http.Client) *limitedEnv {
	t.Helper()
	e := &limitedEnv{fake: clerkfake.New(t), logs: &syncBuffer{}}
	hs := httptest.NewUnstartedServer(nil)
	e.url = "http://" + hs.Listener.Addr().String()
	s, err := New(Settings{Name: "t", Version: "0", Streamable: true, SSE: true, PublicRoutes: []string{"/about"}},
		Env{SecretKey: e.fake.SecretKey, Issuer: e.fake.URL, APIURL: e.fake.URL, PublicURL: e.url, Limits: limits},
		Options{Logger: slog.New(slog.NewTextHandler(e.logs, nil)), HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	s.HandleFunc("/secret", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "secret") })
	hs.Config.Handler = s
	hs.Start()
	t.Cleanup(func() { s.CloseStreams(); hs.CloseClientConnections(); hs.Close() })
	return e
}

// trickle sends a request whose body is announced in full but only begun,
// and returns the response and whether the server then closed the
// connection (rather than waiting for the rest of the body).
func trickle(t *testing.T, base, target string, header map[string]string) (*http.Response, bool) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A bound for the test, not a timing assertion: without the fix the
	// answer never comes while the body is outstanding.
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	req := "POST " + target + " HTTP/1.1\r\nHost: " + strings.TrimPrefix(base, "http://") + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100000\r\n"
	for k, v := range header {
		req += k + ": " + v + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"+`{"jsonrpc":"2.0",`); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("POST %s with a body still to come: no response (%v)", target, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_, err = br.ReadByte()
	return resp, errors.Is(err, io.EOF)
}

// A client that trickles its body gets its refusal at once and the
// connection closed: it cannot hold a connection without a token.
func TestTrickledBodyWithoutTokenIsRefusedAtOnce(t *testing.T) {
	e := newLimitedEnv(t, Limits{}, nil)
	for _, c := range []struct {
		target string
		header map[string]string
		want   int
	}{
		{"/mcp", nil, http.StatusUnauthorized},
		{"/sse?sessionid=x", nil, http.StatusUnauthorized},
		{"/secret", nil, http.StatusUnauthorized},
		{"/mcp", map[string]string{"Authorization": "Bearer oat_0123456789ABCDEF0123456789ABCDEF"}, http.StatusUnauthorized},
		{"/mcp", map[string]string{"Authorization": "Bearer not-a-token"}, http.StatusUnauthorized},
		{"/mcp", map[string]string{"Origin": "https://evil.example.com"}, http.StatusForbidden},
	} {
		resp, closed := trickle(t, e.url, c.target, c.header)
		if resp.StatusCode != c.want {
			t.Errorf("POST %s %v: status %d, want %d", c.target, c.header, resp.StatusCode, c.want)
		}
		if !closed {
			t.Errorf("POST %s %v: connection left open after the refusal, with the body unread", c.target, c.header)
		}
	}
}

// With a valid token, the body must still arrive within the bound.
func TestTrickledBodyWithTokenTimesOut(t *testing.T) {
	e := newLimitedEnv(t, Limits{BodyTimeout: 300 * time.Millisecond}, nil)
	token := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	resp, closed := trickle(t, e.url, "/mcp", map[string]string{"Authorization": "Bearer " + token})
	if resp.StatusCode != http.StatusRequestTimeout || !closed {
		t.Errorf("POST /mcp with a token and a trickled body: status %d, closed %v; want 408 and closed", resp.StatusCode, closed)
	}
}

func initialize(t *testing.T, base, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(initializeBody))
	req.Header = mcpHeaders.Clone()
	req.Header.Set("Authorization", "Bearer "+token)
	resp, _ := send(t, req)
	return resp
}

// One user cannot open sessions without bound; other users are not
// affected, and a closed session frees its place.
func TestSessionsPerUserAreCapped(t *testing.T) {
	e := newLimitedEnv(t, Limits{MaxSessionsPerUser: 3}, nil)
	alice := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	e.fake.AddUser(clerkfake.User{ID: "user_bob"})
	bob := e.fake.IssueOpaque(clerkfake.TokenOptions{UserID: "user_bob"})
	var ids []string
	for i := range 3 {
		resp := initialize(t, e.url, alice)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") == "" {
			t.Fatalf("session %d: status %d, session id %q", i+1, resp.StatusCode, resp.Header.Get("Mcp-Session-Id"))
		}
		ids = append(ids, resp.Header.Get("Mcp-Session-Id"))
	}
	resp := initialize(t, e.url, alice)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Mcp-Session-Id") != "" {
		t.Errorf("a fourth session: status %d, Retry-After %q, session %q; want 429 with Retry-After and no session",
			resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Mcp-Session-Id"))
	}
	if resp := initialize(t, e.url, bob); resp.StatusCode != http.StatusOK {
		t.Errorf("another user's session: status %d, want 200", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodDelete, e.url+"/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+alice)
	req.Header.Set("Mcp-Session-Id", ids[0])
	if resp, _ := send(t, req); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE a session: status %d", resp.StatusCode)
	}
	if resp := initialize(t, e.url, alice); resp.StatusCode != http.StatusOK {
		t.Errorf("a session after closing one: status %d, want 200", resp.StatusCode)
	}
}

// Concurrent initializes cannot slip past the cap.
func TestSessionCapHoldsUnderConcurrency(t *testing.T) {
	e := newLimitedEnv(t, Limits{MaxSessionsPerUser: 5}, nil)
	alice := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	var mu sync.Mutex
	opened := 0
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			if resp := initialize(t, e.url, alice); resp.StatusCode == http.StatusOK {
				mu.Lock()
				opened++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if opened != 5 {
		t.Errorf("40 concurrent initializes opened %d sessions, want the cap of 5", opened)
	}
}

// One user cannot hold long-lived streams without bound.
func TestStreamsPerUserAreCapped(t *testing.T) {
	e := newLimitedEnv(t, Limits{MaxStreamsPerUser: 2}, nil)
	alice := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	open := func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/sse", nil)
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Authorization", "Bearer "+alice)
		return http.DefaultClient.Do(req)
	}
	var cancels []context.CancelFunc
	for i := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		cancels = append(cancels, cancel)
		resp, err := open(ctx)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %d: %v %v", i+1, resp, err)
		}
	}
	resp, err := open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a third stream: status %d, Retry-After %q; want 429", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	cancels[0]()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		resp, err := open(ctx)
		if err == nil && resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a stream after closing one: %v %v, want 200", resp, err)
		}
		cancel()
		time.Sleep(20 * time.Millisecond)
	}
}

// While Clerk's metadata cannot be fetched, the proxy does not ask again on
// every request; concurrent first callers share one fetch.
func TestAuthServerMetadataFetches(t *testing.T) {
	t.Run("failures remembered", func(t *testing.T) {
		e := newLimitedEnv(t, Limits{}, nil)
		e.fake.SetFault(clerkfake.MetadataDown)
		for i := range 20 {
			resp, body := (&testEnv{url: e.url}).do(t, http.MethodGet, PathAuthServer, "", nil, "")
			if resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("request %d: status %d, want 502", i, resp.StatusCode)
			}
			jsonError(t, resp, body)
		}
		if n := e.fake.Calls("authorization-server"); n != 1 {
			t.Errorf("20 requests while Clerk fails made %d fetches, want 1", n)
		}
		if n := strings.Count(e.logs.String(), "cannot fetch authorization server metadata"); n != 1 {
			t.Errorf("20 failed requests logged %d lines, want 1", n)
		}
	})
	t.Run("concurrent first callers", func(t *testing.T) {
		e := newLimitedEnv(t, Limits{}, &http.Client{Transport: slowRoundTripper{200 * time.Millisecond}})
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 20 {
			wg.Go(func() {
				<-start
				resp, err := http.Get(e.url + PathAuthServer)
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Errorf("caller %d: %v %v", i, resp, err)
					return
				}
				resp.Body.Close()
			})
		}
		close(start)
		wg.Wait()
		if n := e.fake.Calls("authorization-server"); n != 1 {
			t.Errorf("20 concurrent first callers made %d fetches, want 1", n)
		}
	})
}

type slowRoundTripper struct{ delay time.Duration }

func (s slowRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(s.delay)
	return http.DefaultTransport.RoundTrip(r)
}

// A flood of requests that cannot be verified (Clerk down) adds a line per
// interval to the log, not a line or two per request.
func TestFloodLogsAreThrottled(t *testing.T) {
	e := newLimitedEnv(t, Limits{}, nil)
	e.fake.SetFault(clerkfake.BackendDown)
	for i := range 100 {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/mcp", strings.NewReader(initializeBody))
		req.Header = mcpHeaders.Clone()
		req.Header.Set("Authorization", fmt.Sprintf("Bearer oat_%032X", i))
		if resp, _ := send(t, req); resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("request %d with Clerk down: status %d, want 503", i, resp.StatusCode)
		}
	}
	if lines := strings.Count(e.logs.String(), "\n"); lines > 3 {
		t.Errorf("100 refused requests logged %d lines, want at most 3:\n%s", lines, e.logs.String())
	}
}

// In stateless mode every request is a go-sdk session of its own, and the
// go-sdk logs each session's start and end at info level. At the default
// level that must not become lines per request; at debug level the lines
// are there.
func TestStatelessRequestsAreNotLoggedAtInfo(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			fake := clerkfake.New(t)
			logs := &syncBuffer{}
			hs := httptest.NewUnstartedServer(nil)
			url := "http://" + hs.Listener.Addr().String()
			s, err := New(Settings{Name: "t", Version: "0", Streamable: true, Stateless: true},
				Env{SecretKey: fake.SecretKey, Issuer: fake.URL, APIURL: fake.URL, PublicURL: url},
				Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))})
			if err != nil {
				t.Fatal(err)
			}
			hs.Config.Handler = s
			hs.Start()
			t.Cleanup(hs.Close)
			token := fake.IssueOpaque(clerkfake.TokenOptions{})
			for i := range 10 {
				req, _ := http.NewRequest(http.MethodPost, url+"/mcp", strings.NewReader(initializeBody))
				req.Header = mcpHeaders.Clone()
				req.Header.Set("Authorization", "Bearer "+token)
				if resp, body := send(t, req); resp.StatusCode != http.StatusOK {
					t.Fatalf("request %d: status %d: %s", i, resp.StatusCode, body)
				}
			}
			sessions := strings.Count(logs.String(), "session")
			switch {
			case level == slog.LevelInfo && sessions > 0:
				t.Errorf("10 stateless requests logged %d session lines at info level, want none:\n%s", sessions, logs.String())
			case level == slog.LevelDebug && sessions < 10:
				t.Errorf("10 stateless requests logged %d session lines at debug level, want them all:\n%s", sessions, logs.String())
			}
		})
	}
}
