package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkauth"
	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// limitedEnv is a server with the given limits, logging into a buffer.
type limitedEnv struct {
	fake   *clerkfake.Fake
	url    string
	logs   *syncBuffer
	server *Server
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
	s, err := New(Settings{Name: "t", Version: "0", Streamable: true, SSE: true, PublicRoutes: []string{"/about", "/hooks/*", "/docs/*"}},
		Env{SecretKey: e.fake.SecretKey, Issuer: e.fake.URL, APIURL: e.fake.URL, PublicURL: e.url, Limits: limits},
		Options{Logger: slog.New(slog.NewTextHandler(e.logs, nil)), HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	s.HandleFunc("/secret", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "secret") })
	// A public route of the user's that reads its body, as a webhook does.
	s.HandleFunc("POST /hooks/in", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "body too slow", http.StatusRequestTimeout)
			return
		}
		_, _ = io.WriteString(w, "got it")
	})
	// A public page that ignores its body.
	s.HandleFunc("/docs/{page}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "docs") })
	// A private route whose methods must not show through a public path.
	s.HandleFunc("DELETE /docs/{page}/{action}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "PRIVATE") })
	hs.Config.Handler = s
	hs.Start()
	t.Cleanup(func() { s.CloseStreams(); hs.CloseClientConnections(); hs.Close() })
	e.server = s
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
		// The public routes, which need no token, bound bodies too.
		{PathHealth, nil, http.StatusUnauthorized}, // POST: not the public GET route
		{PathResourceMetaMCP, nil, http.StatusMethodNotAllowed},
		{PathAuthServer, nil, http.StatusMethodNotAllowed},
		{"/about", nil, http.StatusNotFound}, // public, no handler
		{"/hooks/nothing-here", nil, http.StatusNotFound},
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

// GET requests with a body, to the built-in public routes: answered at
// once, connection closed.
func TestTrickledBodyToBuiltinRoutes(t *testing.T) {
	e := newLimitedEnv(t, Limits{}, nil)
	for _, target := range []string{PathHealth, PathReady, PathResourceMetaMCP, PathAuthServer} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
		_, _ = io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Errorf("GET %s with a trickled body: no answer (%v)", target, err)
			conn.Close()
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("GET %s with a trickled body: connection left open", target)
		}
		conn.Close()
	}
}

// A public handler of the user's that reads its body gets the body
// timeout; one that ignores it cannot be made to wait either.
func TestTrickledBodyToPublicUserRoutes(t *testing.T) {
	e := newLimitedEnv(t, Limits{BodyTimeout: 300 * time.Millisecond}, nil)
	for _, target := range []string{"/hooks/in", "/docs/intro"} {
		resp, closed := trickle(t, e.url, target, nil)
		if !closed {
			t.Errorf("POST %s with a trickled body: status %d, connection left open", target, resp.StatusCode)
		}
	}
	// Bodies that do arrive are read as usual.
	resp, body := (&testEnv{url: e.url}).do(t, http.MethodPost, "/hooks/in", "", nil, `{"event":"x"}`)
	if resp.StatusCode != http.StatusOK || string(body) != "got it" {
		t.Errorf("POST /hooks/in: %d %q", resp.StatusCode, body)
	}
}

// What the mux would answer itself on a public path (a 405 naming a
// private route's methods, a redirect to a private path) is a plain 404.
func TestPublicPathsDoNotRevealPrivateRoutes(t *testing.T) {
	e := newLimitedEnv(t, Limits{}, nil)
	resp, body := (&testEnv{url: e.url}).do(t, http.MethodGet, "/docs/intro/wipe", "", nil, "")
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Allow") != "" || strings.Contains(string(body), "DELETE") {
		t.Errorf("GET /docs/intro/wipe without a token: %d Allow %q %q; want a plain 404", resp.StatusCode, resp.Header.Get("Allow"), body)
	}
}

// Bodies held in memory are bounded for all users together.
func TestBufferedBodiesAreBounded(t *testing.T) {
	b := &bodyReader{timeout: time.Second, max: 100, total: 150}
	release := make(chan struct{})
	h := b.read(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { <-release }))
	srv := httptest.NewServer(h)
	defer srv.Close()
	done := make(chan int, 1)
	go func() {
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(strings.Repeat("x", 100)))
		if err == nil {
			resp.Body.Close()
			done <- resp.StatusCode
		}
	}()
	waitUntil(t, func() bool { return b.held.Load() == 100 })
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(strings.Repeat("y", 80)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a body past the bound on buffered bytes: %d, want 503 with Retry-After", resp.StatusCode)
	}
	close(release)
	if code := <-done; code != http.StatusOK {
		t.Errorf("the first request: %d", code)
	}
	waitUntil(t, func() bool { return b.held.Load() == 0 })
}

// One user's bodies in memory are bounded too, below the bound for all:
// past it that user gets 429, others go on, and the place is given back.
func TestBufferedBodiesAreBoundedPerUser(t *testing.T) {
	b := &bodyReader{timeout: time.Second, max: 100, total: 1000, perUser: 150}
	release := make(chan struct{})
	h := b.read(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { <-release }))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller := &clerkauth.Caller{UserID: r.Header.Get("X-User")}
		h.ServeHTTP(w, r.WithContext(clerkauth.WithCaller(r.Context(), caller)))
	}))
	defer srv.Close()
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock() // before srv.Close, which waits for the handlers
	// A request let through waits for release: the client gives up
	// rather than the test hanging.
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(user string, n int) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(strings.Repeat("x", n)))
		req.Header.Set("X-User", user)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	done := make(chan int, 1)
	go func() { code, _ := post("alice", 100); done <- code }()
	waitUntil(t, func() bool { return b.heldBy("alice") == 100 })
	if code, retry := post("alice", 80); code != http.StatusTooManyRequests || retry == "" {
		t.Errorf("a body past alice's share: %d %q, want 429 with Retry-After", code, retry)
	}
	if n := b.held.Load(); n != 100 {
		t.Errorf("after the refused body %d bytes are held, want 100", n)
	}
	bob := make(chan int, 1)
	go func() { code, _ := post("bob", 80); bob <- code }()
	waitUntil(t, func() bool { return b.heldBy("bob") == 80 })
	unblock()
	if code := <-done; code != http.StatusOK {
		t.Errorf("alice's first request: %d", code)
	}
	if code := <-bob; code != http.StatusOK {
		t.Errorf("bob's request beside alice's: %d", code)
	}
	waitUntil(t, func() bool { return b.held.Load() == 0 })
	b.mu.Lock()
	left := len(b.users)
	b.mu.Unlock()
	if left != 0 {
		t.Errorf("%d users still counted once every body is given back", left)
	}
}

// A chunked body holds a place of what has come of it (a bit ahead), not
// of the largest body, and once read, of its length: a user's concurrent
// calls with small chunked bodies (a proxy that streams requests sends
// them so) fit in the user's share.
func TestChunkedBodiesHoldTheirLength(t *testing.T) {
	// A share of two of the largest bodies, and of four places a chunked
	// body takes as it begins to come in.
	b := &bodyReader{timeout: time.Second, max: 2 * exactBodyBytes, total: 1 << 30, perUser: 4 * exactBodyBytes}
	release := make(chan struct{})
	h := b.read(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { <-release }))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(clerkauth.WithCaller(r.Context(), &clerkauth.Caller{UserID: "alice"})))
	}))
	defer srv.Close()
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	client := &http.Client{Timeout: 10 * time.Second}
	codes := make(chan int, 3)
	var pipes []*io.PipeWriter
	for range 3 {
		pr, pw := io.Pipe()
		pipes = append(pipes, pw)
		go func() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, pr)
			req.ContentLength = -1 // sent chunked
			resp, err := client.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
		// Each begins, and waits: three are coming in at once.
		_, _ = pw.Write([]byte(`{"a":`))
	}
	deadline := time.Now().Add(10 * time.Second)
	for b.held.Load() != 3*exactBodyBytes && len(codes) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := b.held.Load(); n != 3*exactBodyBytes {
		t.Errorf("three chunked bodies coming in hold %d bytes, want %d", n, 3*exactBodyBytes)
	}
	for _, pw := range pipes {
		_, _ = pw.Write([]byte(`1}`))
		pw.Close()
	}
	deadline = time.Now().Add(10 * time.Second)
	for b.held.Load() != 3*7 && len(codes) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := b.held.Load(); n != 3*7 {
		t.Errorf("three chunked bodies of 7 bytes in flight hold %d bytes, want 21", n)
	}
	unblock()
	for range 3 {
		if code := <-codes; code != http.StatusOK {
			t.Errorf("a small chunked body beside two others: %d, want 200", code)
		}
	}
}

// A chunked body that fits what is left of its user's share is let
// through, whatever its length: one that ends where its place is full
// asks for no more, and a place grows only by the room there is.
func TestChunkedBodiesFitTheirShareExactly(t *testing.T) {
	for _, c := range []struct {
		name         string
		share, bytes int64
	}{
		{"a body of the first place's size, the share that size", exactBodyBytes, exactBodyBytes},
		{"a body of a later place's size, the share that size", 4 * exactBodyBytes, 4 * exactBodyBytes},
		{"a body just past a place, the share a bit more", 4<<20 + 1, 4<<20 + 1},
		{"a body of the largest size, the share that size", MaxBodyBytes, MaxBodyBytes},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := &bodyReader{timeout: 5 * time.Second, max: MaxBodyBytes, total: 1 << 30, perUser: c.share}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r = r.WithContext(clerkauth.WithCaller(r.Context(), &clerkauth.Caller{UserID: "alice"}))
				b.read(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(w, r)
			}))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL, io.MultiReader(bytes.NewReader(make([]byte, c.bytes))))
			req.ContentLength = -1 // sent chunked
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("a chunked body of %d bytes, share %d: %d, want 200", c.bytes, c.share, resp.StatusCode)
			}
			waitUntil(t, func() bool { return b.held.Load() == 0 })
		})
	}
}

// A refusal of a body still coming in at speed reaches the client: the
// server does not close the connection on unread bytes (which resets it,
// and the client's side drops the answer), it reads on for a moment and
// half-closes as net/http does for bodies too large to read.
func TestRefusalsOfBodiesComingInReachTheClient(t *testing.T) {
	for _, c := range []struct {
		name    string
		share   int64
		bytes   int
		chunked bool
	}{
		{"chunked, refused once 1 MiB is in", 1 << 20, 6 << 20, true},
		{"chunked, refused at its first bytes", 0, 1 << 20, true},
		{"announced, 200 KB refused before it is read", 100 << 10, 200 << 10, false},
		{"announced, 2 MiB refused before it is read", 1 << 20, 2 << 20, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := &bodyReader{timeout: 5 * time.Second, max: MaxBodyBytes, total: 1 << 30, perUser: c.share}
			if c.share == 0 {
				// The user is at its share already.
				b.perUser = 1 << 20
				b.users = map[string]int64{"alice": 1 << 20}
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r = r.WithContext(clerkauth.WithCaller(r.Context(), &clerkauth.Caller{UserID: "alice"}))
				b.read(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(w, r)
			}))
			defer srv.Close()
			resets := 0
			for range 10 {
				body := io.Reader(bytes.NewReader(make([]byte, c.bytes)))
				if c.chunked {
					body = io.MultiReader(body)
				}
				req, _ := http.NewRequest(http.MethodPost, srv.URL, body)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					resets++
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusTooManyRequests {
					t.Errorf("%d, want 429", resp.StatusCode)
				}
			}
			if resets > 0 {
				t.Errorf("%d of 10 refusals lost to a reset connection", resets)
			}
		})
	}
}

// The same on the routes of the user's: a stranger's refused body, still
// coming in, does not cost the stranger (or a client without its token
// yet) the 401.
func TestRefusalsOnUserRoutesReachTheClient(t *testing.T) {
	e := newLimitedEnv(t, Limits{}, nil)
	for _, c := range []struct {
		name    string
		bytes   int
		chunked bool
	}{
		{"announced, 2 MiB", 2 << 20, false},
		{"chunked, 2 MiB", 2 << 20, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			resets := 0
			for range 10 {
				body := io.Reader(bytes.NewReader(make([]byte, c.bytes)))
				if c.chunked {
					body = io.MultiReader(body)
				}
				req, _ := http.NewRequest(http.MethodPost, e.url+"/secret", body)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					resets++
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%d, want 401", resp.StatusCode)
				}
			}
			if resets > 0 {
				t.Errorf("%d of 10 refusals lost to a reset connection", resets)
			}
		})
	}
}

// Files a handler of the user's keeps of a multipart upload, on a public
// route and on a protected one, are removed after the request, as net/http
// removes them when the handler has its request.
func TestUploadsOnUserRoutesAreRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	e := newLimitedEnv(t, Limits{}, nil)
	upload := func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 10); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "stored")
	}
	e.server.HandleFunc("POST /hooks/upload", upload) // public
	e.server.HandleFunc("POST /upload", upload)       // protected
	token := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	for _, target := range []string{"/hooks/upload", "/upload"} {
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		fw, _ := mw.CreateFormFile("file", "big.bin")
		_, _ = fw.Write(make([]byte, 100<<10)) // past the 1 KiB kept in memory
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, e.url+target, &form)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d %s", target, resp.StatusCode, body)
		}
		// The files are removed once the handler has returned, which may
		// be a moment after the client has the answer.
		var left []os.DirEntry
		deadline := time.Now().Add(10 * time.Second)
		for {
			left, _ = os.ReadDir(tmp)
			if len(left) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		for _, f := range left {
			t.Errorf("POST %s left %s in the temporary directory", target, f.Name())
		}
	}
}

// A stranger with a valid token sends chunked bodies and stalls them: each
// holds a place of what it has sent (a bit ahead of it), not of the
// largest body, and once the stranger's share is held, its next body is
// refused while another user's calls go on.
func TestStalledBodiesTakeOnlyTheirUsersShare(t *testing.T) {
	e := newLimitedEnv(t, Limits{BodyTimeout: time.Minute}, nil)
	alice := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	bob := e.fake.IssueOpaque(clerkfake.TokenOptions{UserID: "user_bob"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var open []*io.PipeWriter
	defer func() {
		for _, pw := range open {
			pw.CloseWithError(errors.New("test over"))
		}
	}()
	stall := func(send int) chan *http.Response {
		pr, pw := io.Pipe()
		open = append(open, pw)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/mcp", pr)
		req.Header = mcpHeaders.Clone()
		req.Header.Set("Authorization", "Bearer "+alice)
		req.ContentLength = -1 // chunked
		answered := make(chan *http.Response, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				answered <- resp
			}
			close(answered)
		}()
		go func() { _, _ = pw.Write(bytes.Repeat([]byte("x"), send)) }()
		return answered
	}
	probe, _ := http.NewRequest(http.MethodPost, e.url+"/mcp", nil)
	h, _ := e.server.mux.Handler(probe)
	bodies := h.(*transportRoute).bodies
	// A body that has sent a few bytes holds a small place.
	stall(20)
	waitUntil(t, func() bool { return bodies.heldBy(clerkfake.DefaultUserID) > 0 })
	if n := bodies.heldBy(clerkfake.DefaultUserID); n > exactBodyBytes {
		t.Errorf("a chunked body of 20 bytes so far holds %d bytes, want at most %d", n, exactBodyBytes)
	}
	// Bodies that have sent nearly the largest body each hold its place.
	share := maxUserBodyBytes / MaxBodyBytes
	for range share - 1 {
		stall(MaxBodyBytes - 1024)
	}
	waitUntil(t, func() bool {
		return bodies.heldBy(clerkfake.DefaultUserID) > int64(share-1)*(MaxBodyBytes-1024)
	})
	// One more that sends the largest body holds more as it comes in,
	// until the share is full: it is refused.
	big := stall(MaxBodyBytes)
	select {
	case resp := <-big:
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("a body past the user's share: %v, want 429 with Retry-After", resp)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a body past the user's share was not refused")
	}
	if n := bodies.heldBy(clerkfake.DefaultUserID); n > maxUserBodyBytes {
		t.Errorf("the user's bodies hold %d bytes, past the share of %d", n, int64(maxUserBodyBytes))
	}
	if resp := initialize(t, e.url, bob); resp.StatusCode != http.StatusOK {
		t.Errorf("another user's initialize beside the stalled bodies: %d", resp.StatusCode)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The session bound holds while sessions end and begin concurrently (run
// with -race): no panic, no negative count, never more than the bound.
func TestSessionBoundUnderChurn(t *testing.T) {
	u := newUserLimits(Limits{MaxSessionsPerUser: 2}, mcp.NewServer(&mcp.Implementation{Name: "t", Version: "0"}, nil))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			user := "alice"
			if g == 7 {
				user = "bob" // whose sessions are pruned when alice's are
			}
			for i := range 500 {
				if u.reserveSession(user) {
					id := ""
					if (g+i)%2 == 0 {
						id = fmt.Sprintf("s%d-%d", g, i) // not a live session: pruned at the bound
					}
					u.settleSession(user, id)
				}
			}
		})
	}
	wg.Wait()
	u.mu.Lock()
	defer u.mu.Unlock()
	if c := u.sessions["alice"]; c.opening != 0 || c.recorded > 2 {
		t.Errorf("after the churn: opening %d, recorded %d; want 0 and at most 2", c.opening, c.recorded)
	}
	recorded := 0
	for _, c := range u.sessions {
		recorded += c.recorded
	}
	if recorded != len(u.owners) {
		t.Errorf("the users' counts say %d sessions, the owners of sessions %d", recorded, len(u.owners))
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

// The standalone GET streams of Streamable HTTP sessions count against the
// same per-user bound as SSE streams, a closed one frees its place, and
// CloseStreams (a shutdown) ends those still open.
func TestMCPStreamsAreCappedAndEndOnShutdown(t *testing.T) {
	e := newLimitedEnv(t, Limits{MaxStreamsPerUser: 2}, nil)
	alice := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	e.fake.AddUser(clerkfake.User{ID: "user_bob"})
	bob := e.fake.IssueOpaque(clerkfake.TokenOptions{UserID: "user_bob"})
	session := func(token string) string {
		resp := initialize(t, e.url, token)
		id := resp.Header.Get("Mcp-Session-Id")
		if resp.StatusCode != http.StatusOK || id == "" {
			t.Fatalf("initialize: %d, session %q", resp.StatusCode, id)
		}
		req, _ := http.NewRequest(http.MethodPost, e.url+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
		req.Header = mcpHeaders.Clone()
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Mcp-Session-Id", id)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		if resp, body := send(t, req); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("notifications/initialized: %d %s", resp.StatusCode, body)
		}
		return id
	}
	type stream struct {
		resp   *http.Response
		cancel context.CancelFunc
	}
	open := func(token, path, id string) stream {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+path, nil)
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Authorization", "Bearer "+token)
		if id != "" {
			req.Header.Set("Mcp-Session-Id", id)
			req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
		}
		return stream{resp, cancel}
	}
	ids := []string{session(alice), session(alice), session(alice)}
	first, second := open(alice, "/mcp", ids[0]), open(alice, "/mcp", ids[1])
	if first.resp.StatusCode != http.StatusOK || second.resp.StatusCode != http.StatusOK {
		t.Fatalf("two GET streams: %d and %d, want 200", first.resp.StatusCode, second.resp.StatusCode)
	}
	for _, s := range []stream{open(alice, "/mcp", ids[2]), open(alice, "/sse", "")} {
		if s.resp.StatusCode != http.StatusTooManyRequests || s.resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s beyond the bound: status %d, Retry-After %q; want 429", s.resp.Request.URL.Path, s.resp.StatusCode, s.resp.Header.Get("Retry-After"))
		}
	}
	if s := open(bob, "/mcp", session(bob)); s.resp.StatusCode != http.StatusOK {
		t.Errorf("another user's GET stream: %d, want 200", s.resp.StatusCode)
	}
	first.cancel()
	waitUntil(t, func() bool {
		s := open(alice, "/mcp", ids[2])
		return s.resp.StatusCode == http.StatusOK
	})
	// A shutdown ends the streams still open.
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, second.resp.Body)
		ended <- err
	}()
	e.server.CloseStreams()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("an open GET stream outlived CloseStreams")
	}
}

// A GET stream opened with a body does not keep the body's place in the
// server's budget of bodies held in memory for the stream's life.
func TestGETStreamHoldsNoBodyBudget(t *testing.T) {
	e := newLimitedEnv(t, Limits{}, nil)
	alice := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	resp := initialize(t, e.url, alice)
	id := resp.Header.Get("Mcp-Session-Id")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/mcp", strings.NewReader(strings.Repeat("x", 4096)))
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+alice)
	req.Header.Set("Mcp-Session-Id", id)
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != http.StatusOK {
		t.Fatalf("GET stream with a body: %v %v", stream, err)
	}
	defer stream.Body.Close()
	probe, _ := http.NewRequest(http.MethodPost, e.url+"/mcp", nil)
	h, _ := e.server.mux.Handler(probe)
	if held := settledBodies(h.(*transportRoute).bodies); held != 0 {
		t.Errorf("an open GET stream holds %d bytes of the body budget, want 0", held)
	}
}

// settledBodies returns what b holds once the requests answered before
// have given their places back: a request's handler returns (and gives
// its body's place back) a moment after its client has the answer. It
// waits for zero, up to a bound, and returns what is held then; a stream
// that stays open and keeps its body counted never lets it reach zero.
func settledBodies(b *bodyReader) int64 {
	deadline := time.Now().Add(10 * time.Second)
	for b.held.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return b.held.Load()
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

// Idle sessions expire (SESSION_IDLE_TIMEOUT) and free their place under
// the cap.
func TestIdleSessionsExpire(t *testing.T) {
	e := newLimitedEnv(t, Limits{MaxSessionsPerUser: 2, SessionIdleTimeout: 200 * time.Millisecond}, nil)
	alice := e.fake.IssueOpaque(clerkfake.TokenOptions{})
	var first string
	for i := range 2 {
		resp := initialize(t, e.url, alice)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("session %d: %d", i+1, resp.StatusCode)
		}
		if first == "" {
			first = resp.Header.Get("Mcp-Session-Id")
		}
	}
	if resp := initialize(t, e.url, alice); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a third session: %d, want 429", resp.StatusCode)
	}
	waitUntil(t, func() bool { return initialize(t, e.url, alice).StatusCode == http.StatusOK })
	// The go-sdk drops a closing session from its server's list (which frees
	// the place above) a moment before its HTTP handler forgets the id, so
	// the id may answer for that moment; it must stop answering. Asking
	// before the session expired would have kept it alive: it is asked only
	// now that it is closing.
	inFirst := func() int {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`))
		req.Header = mcpHeaders.Clone()
		req.Header.Set("Authorization", "Bearer "+alice)
		req.Header.Set("Mcp-Session-Id", first)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		resp, _ := send(t, req)
		return resp.StatusCode
	}
	waitUntil(t, func() bool { return inFirst() == http.StatusNotFound })
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

// A subscriptions/listen stream (MCP 2026-07-28, which a go-sdk client
// opens when it handles list changes) holds a connection for as long as
// its client lives, in stateless mode too: it counts against the user's
// stream bound, and a shutdown ends it.
func TestListenStreamsAreCappedAndEndOnShutdown(t *testing.T) {
	fake := clerkfake.New(t)
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String()
	s, err := New(Settings{Name: "t", Version: "0", Streamable: true, Stateless: true},
		Env{SecretKey: fake.SecretKey, Issuer: fake.URL, APIURL: fake.URL, PublicURL: url, Limits: Limits{MaxStreamsPerUser: 1}},
		Options{RegisterTools: registerEcho})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = s
	hs.Start()
	t.Cleanup(func() { s.CloseStreams(); hs.CloseClientConnections(); hs.Close() })
	probe, _ := http.NewRequest(http.MethodPost, url+"/mcp", nil)
	h, _ := s.mux.Handler(probe)
	limits := h.(*transportRoute).listens
	open := func() int {
		limits.mu.Lock()
		defer limits.mu.Unlock()
		return limits.streams[clerkfake.DefaultUserID]
	}
	token := fake.IssueOpaque(clerkfake.TokenOptions{})
	refused := &statusLog{next: bearer{token}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	listening := func() *mcp.ClientSession {
		client := mcp.NewClient(&mcp.Implementation{Name: "listener", Version: "0"}, &mcp.ClientOptions{
			ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {},
		})
		cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url + "/mcp", HTTPClient: &http.Client{Transport: refused}}, nil)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		return cs
	}
	first := listening()
	defer first.Close()
	if v := first.InitializeResult().ProtocolVersion; v != "2026-07-28" {
		t.Fatalf("negotiated %q, want 2026-07-28 (which has subscriptions/listen)", v)
	}
	waitUntil(t, func() bool { return open() == 1 })
	if held := settledBodies(h.(*transportRoute).bodies); held != 0 {
		t.Errorf("an open listen stream holds %d bytes of the body budget, want 0", held)
	}
	second := listening()
	defer second.Close()
	waitUntil(t, func() bool { return refused.count(http.StatusTooManyRequests) == 1 })
	if n := open(); n != 1 {
		t.Errorf("%d listen streams open at a bound of 1", n)
	}
	// Calls that hold no stream go on.
	if _, err := first.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}); err != nil {
		t.Errorf("a call beside the listen stream: %v", err)
	}
	// A shutdown ends the open listen stream, which gives its place back.
	s.CloseStreams()
	waitUntil(t, func() bool { return open() == 0 })
}

// statusLog is a RoundTripper that counts the statuses of the answers.
type statusLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen map[int]int
}

func (s *statusLog) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err == nil {
		s.mu.Lock()
		if s.seen == nil {
			s.seen = make(map[int]int)
		}
		s.seen[resp.StatusCode]++
		s.mu.Unlock()
	}
	return resp, err
}

func (s *statusLog) count(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[status]
}

// The transports' responses share one Vary list: what a handler adds to
// one response's Vary reaches no other response.
func TestVaryOriginIsNotShared(t *testing.T) {
	g := newTransportGuard("http://127.0.0.1:8080", nil)
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/mcp", nil)
	first := httptest.NewRecorder()
	if !g.check(first, r) {
		t.Fatal("refused")
	}
	first.Header().Add("Vary", "Accept-Encoding")
	first.Header()["Vary"] = append(first.Header()["Vary"], "Cookie")
	second := httptest.NewRecorder()
	if !g.check(second, r) {
		t.Fatal("refused")
	}
	if got := second.Header()["Vary"]; len(got) != 1 || got[0] != "Origin" {
		t.Errorf("the next response's Vary is %q, want [Origin]", got)
	}
	if got := first.Header()["Vary"]; len(got) != 3 || got[0] != "Origin" || got[1] != "Accept-Encoding" || got[2] != "Cookie" {
		t.Errorf("the first response's Vary is %q", got)
	}
	// A response that had a Vary of its own keeps it, with Origin added.
	third := httptest.NewRecorder()
	third.Header().Set("Vary", "Accept")
	if !g.check(third, r) {
		t.Fatal("refused")
	}
	if got := third.Header()["Vary"]; len(got) != 2 || got[0] != "Accept" || got[1] != "Origin" {
		t.Errorf("a response with Vary: Accept has Vary %q", got)
	}
}

// The server's set of streams: each ends with its request or at
// CloseStreams, and one opened after CloseStreams ends at once.
func TestStreamSet(t *testing.T) {
	set := newStreamSet()
	a, cancelA := context.WithCancel(context.Background())
	b, cancelB := context.WithCancel(context.Background())
	set.add(a, cancelA)
	set.add(b, cancelB)
	set.remove(a)
	if a.Err() == nil {
		t.Error("a stream's context outlives its end")
	}
	if len(set.open) != 1 {
		t.Errorf("%d streams recorded after one of two ended, want 1", len(set.open))
	}
	set.closeAll()
	if b.Err() == nil {
		t.Error("CloseStreams left a stream open")
	}
	late, cancelLate := context.WithCancel(context.Background())
	set.add(late, cancelLate)
	if late.Err() == nil || len(set.open) != 0 {
		t.Error("a stream opened after CloseStreams stays open")
	}
	set.remove(late) // a no-op, as for a stream already ended
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				ctx, cancel := context.WithCancel(context.Background())
				set.add(ctx, cancel)
				set.remove(ctx)
			}
		})
	}
	wg.Wait()
}
