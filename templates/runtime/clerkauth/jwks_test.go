package clerkauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// Requests that arrive while the signing keys are first being fetched wait
// for that fetch: all are accepted, one fetch is made.
func TestJWKSColdStart(t *testing.T) {
	fake := clerkfake.New(t)
	v := newTestVerifier(t, fake, func(c *Config) {
		c.HTTPClient = &http.Client{Transport: slowTransport{delay: 200 * time.Millisecond}}
	})
	tok := issueJWT(t, fake, clerkfake.TokenOptions{})
	v.Warm() // as the server does at start; requests arrive during the fetch
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 16 {
		wg.Go(func() {
			<-start
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Errorf("caller %d during the first key fetch: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := fake.Calls("jwks"); n != 1 {
		t.Errorf("16 first callers made %d jwks calls, want 1", n)
	}
}

// When the first fetch fails, the callers waiting for it get ErrUnavailable
// (503), never ErrInvalidToken (a final-looking 401).
func TestJWKSColdStartClerkDown(t *testing.T) {
	fake := clerkfake.New(t)
	fake.SetFault(clerkfake.MetadataDown)
	v := newTestVerifier(t, fake, func(c *Config) {
		c.HTTPClient = &http.Client{Transport: slowTransport{delay: 100 * time.Millisecond}}
	})
	tok := issueJWT(t, fake, clerkfake.TokenOptions{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrUnavailable) {
				t.Errorf("caller %d with Clerk down: %v, want ErrUnavailable", i, err)
			}
		})
	}
	wg.Wait()
	if v.Ready() {
		t.Errorf("Ready with no keys loaded")
	}
	fake.SetFault(clerkfake.NoFault)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Errorf("after Clerk came back: %v", err)
	}
	if !v.Ready() {
		t.Errorf("not Ready after the keys loaded")
	}
}

// After a rotation a token signed with the new key is accepted even while
// others spend the refetch budget with made-up key ids, and fetches stay
// within the budget.
func TestJWKSRotationDuringMadeUpKids(t *testing.T) {
	fake := clerkfake.New(t)
	const interval = 100 * time.Millisecond
	v := newTestVerifier(t, fake, func(c *Config) { c.JWKSRefetchInterval = interval })
	if _, err := v.Verify(context.Background(), issueJWT(t, fake, clerkfake.TokenOptions{})); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var madeUp atomic.Int64
	began := time.Now()
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tok := issueJWT(t, fake, clerkfake.TokenOptions{KeyID: fmt.Sprintf("ins_random%d_%d", g, i)})
				if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
					t.Errorf("made-up kid: %v, want ErrInvalidToken", err)
				}
				madeUp.Add(1)
			}
		})
	}
	time.Sleep(3 * interval) // the burst is spent by now
	if err := fake.RotateKey(false); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), issueJWT(t, fake, clerkfake.TokenOptions{})); err != nil {
		t.Errorf("a token signed with the new key during the made-up kids: %v", err)
	}
	close(stop)
	wg.Wait()
	elapsed := time.Since(began)
	if n, most := fake.Calls("jwks")-1, jwksRefetchBurst+int(elapsed/interval)+1; n > most {
		t.Errorf("%d made-up kids in %v caused %d jwks fetches, want at most %d", madeUp.Load(), elapsed, n, most)
	}
}

// A caller that gives up while waiting for the keys gets ErrUnavailable.
func TestJWKSWaitHonoursContext(t *testing.T) {
	fake := clerkfake.New(t)
	v := newTestVerifier(t, fake, func(c *Config) {
		c.HTTPClient = &http.Client{Transport: slowTransport{delay: time.Second}}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := v.Verify(ctx, issueJWT(t, fake, clerkfake.TokenOptions{})); !errors.Is(err, ErrUnavailable) {
		t.Errorf("gave up waiting for the keys: %v, want ErrUnavailable", err)
	}
}

// A token signed with a key published while a fetch was already under way
// is not refused on that fetch's word: a fetch that started after the
// request decides.
func TestJWKSFetchUnderWayPredatesKey(t *testing.T) {
	fake := clerkfake.New(t)
	late := &lateTransport{}
	v := newTestVerifier(t, fake, func(c *Config) {
		c.JWKSRefetchInterval = 50 * time.Millisecond
		c.HTTPClient = &http.Client{Transport: late}
	})
	if _, err := v.Verify(context.Background(), issueJWT(t, fake, clerkfake.TokenOptions{})); err != nil {
		t.Fatal(err)
	}
	// A made-up kid starts a fetch whose answer (made at once, without
	// the new key) arrives late; the key is rotated in between.
	late.set(400 * time.Millisecond)
	go func() {
		_, _ = v.Verify(context.Background(), issueJWT(t, fake, clerkfake.TokenOptions{KeyID: "ins_madeup"}))
	}()
	waitFor(t, "the fetch to be under way", func() bool { return fake.Calls("jwks") == 2 })
	if err := fake.RotateKey(false); err != nil {
		t.Fatal(err)
	}
	late.set(0)
	if _, err := v.Verify(context.Background(), issueJWT(t, fake, clerkfake.TokenOptions{})); err != nil {
		t.Errorf("a token with a key published during a fetch: %v", err)
	}
}

// lateTransport makes the request at once and hands its answer back after
// a delay: an answer that was true when made and is stale when read.
type lateTransport struct {
	mu    sync.Mutex
	delay time.Duration
}

func (l *lateTransport) set(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.delay = d
}

func (l *lateTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	d := l.delay
	l.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	time.Sleep(d)
	return resp, err
}

// TestJWKSFetchKeepsNoConnection checks that a fetch of the key set leaves
// no idle connection behind: the server sees the connection end once the
// answer has gone out.
func TestJWKSFetchKeepsNoConnection(t *testing.T) {
	fake := clerkfake.New(t)
	closed := make(chan struct{}, 4)
	upstream := &http.Client{Transport: &http.Transport{}}
	defer upstream.CloseIdleConnections()
	proxy := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := upstream.Get(fake.URL + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	proxy.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- struct{}{}
		}
	}
	proxy.Start()
	defer proxy.Close()

	client := &http.Client{Transport: &http.Transport{}}
	keys, err := fetchJWKS(context.Background(), client, proxy.URL+"/.well-known/jwks.json")
	if err != nil || len(keys) == 0 {
		t.Fatalf("fetchJWKS: %d keys, %v", len(keys), err)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the connection of a key set fetch is still open 5 s after the answer")
	}
}

// TestDefaultClientClosesIdleConnections checks the verifier's own client
// (no Config.HTTPClient): calls to Clerk close together share one
// connection, and the connection is closed once it has been idle for
// APIIdleConnTimeout, not after the 90 s of http.DefaultTransport.
func TestDefaultClientClosesIdleConnections(t *testing.T) {
	fake := clerkfake.New(t)
	var opened, closedCount atomic.Int32
	closed := make(chan struct{}, 4)
	upstream := &http.Client{Transport: &http.Transport{}}
	defer upstream.CloseIdleConnections()
	proxy := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, fake.URL+r.URL.RequestURI(), r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := upstream.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	proxy.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			opened.Add(1)
		case http.StateClosed:
			closedCount.Add(1)
			closed <- struct{}{}
		}
	}
	proxy.Start()
	defer proxy.Close()

	v := newTestVerifier(t, fake, func(c *Config) { c.APIURL = proxy.URL })
	for i := range 2 {
		tok := fake.IssueOpaque(clerkfake.TokenOptions{UserID: fmt.Sprintf("user_idle_%d", i)})
		if _, err := v.Verify(from("198.51.100.7"), tok); err != nil {
			t.Fatalf("Verify %d: %v", i, err)
		}
	}
	if n := opened.Load(); n != 1 {
		t.Fatalf("two calls in a row opened %d connections to Clerk, want 1 (kept alive between them)", n)
	}
	if n := closedCount.Load(); n != 0 {
		t.Fatalf("%d connections closed right after the calls, want them kept for reuse", n)
	}
	select {
	case <-closed:
	case <-time.After(APIIdleConnTimeout + 8*time.Second):
		t.Fatalf("the connection to Clerk is still open %v after its last call", APIIdleConnTimeout+8*time.Second)
	}
}
