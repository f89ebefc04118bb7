package mcpserver

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// discardWriter is a ResponseWriter that keeps nothing but its header map,
// reused between requests, so that what a benchmark counts is the
// handler's work, not the recorder's.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }
func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }
func (d *discardWriter) Flush()                      {}

func (d *discardWriter) reset() {
	clear(d.h)
	d.status, d.n = 0, 0
}

// BenchmarkHandlerStateless calls the handlers directly, without a network
// or a client: one stateless tools/call of the echo tool, behind the bare
// go-sdk handler and behind the server a generated project runs (cached
// opaque token). The difference is what the server adds to each call.
func BenchmarkHandlerStateless(b *testing.B) {
	fake, err := clerkfake.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()
	bare := mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "0"}, nil)
	registerEcho(bare)
	bareHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return bare },
		&mcp.StreamableHTTPOptions{Stateless: true})
	env := Env{SecretKey: fake.SecretKey, Issuer: fake.URL, APIURL: fake.URL, PublicURL: "http://127.0.0.1:8080"}
	ours, err := New(Settings{Name: "bench", Version: "0", Streamable: true, Stateless: true}, env, Options{RegisterTools: registerEcho})
	if err != nil {
		b.Fatal(err)
	}
	token := fake.IssueOpaque(clerkfake.TokenOptions{TTL: time.Hour})
	const body = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`
	newRequest := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/mcp", strings.NewReader(body))
		r.RequestURI = "/mcp"
		r.RemoteAddr = "127.0.0.1:50000"
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/json, text/event-stream")
		r.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"bare", bareHandler}, {"ours", ours}} {
		b.Run(c.name, func(b *testing.B) {
			w := &discardWriter{h: http.Header{}}
			c.h.ServeHTTP(w, newRequest())
			if w.status != 0 && w.status != http.StatusOK || w.n == 0 {
				b.Fatalf("tools/call: status %d, %d bytes", w.status, w.n)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				r := newRequest()
				w.reset()
				b.StartTimer()
				c.h.ServeHTTP(w, r)
			}
		})
	}
}

// BenchmarkWrapperOnly is what the server adds to a request alone: a
// tools/call through every check of ours (cached opaque token), with the
// go-sdk's transport replaced by a handler that reads the body and writes
// a fixed answer. Stateless and stateful (a POST into a session).
func BenchmarkWrapperOnly(b *testing.B) {
	fake, err := clerkfake.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()
	token := fake.IssueOpaque(clerkfake.TokenOptions{TTL: time.Hour})
	const body = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`
	answer := []byte(`{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"hi"}]}}`)
	stub := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			panic(err)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
	for _, stateless := range []bool{true, false} {
		name := map[bool]string{true: "stateless", false: "stateful"}[stateless]
		b.Run(name, func(b *testing.B) {
			env := Env{SecretKey: fake.SecretKey, Issuer: fake.URL, APIURL: fake.URL, PublicURL: "http://127.0.0.1:8080"}
			s, err := New(Settings{Name: "bench", Version: "0", Streamable: true, Stateless: stateless}, env, Options{RegisterTools: registerEcho})
			if err != nil {
				b.Fatal(err)
			}
			probe, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/mcp", nil)
			h, _ := s.mux.Handler(probe)
			t, ok := h.(*transportRoute)
			if !ok {
				b.Fatalf("/mcp is served by %T", h)
			}
			t.transport = stub
			newRequest := func() *http.Request {
				r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/mcp", strings.NewReader(body))
				r.RequestURI = "/mcp"
				r.RemoteAddr = "127.0.0.1:50000"
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Accept", "application/json, text/event-stream")
				r.Header.Set("Mcp-Protocol-Version", "2025-11-25")
				r.Header.Set("Authorization", "Bearer "+token)
				if !stateless {
					r.Header.Set("Mcp-Session-Id", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
				}
				return r
			}
			w := &discardWriter{h: http.Header{}}
			s.ServeHTTP(w, newRequest())
			if w.status != 0 && w.status != http.StatusOK || w.n != len(answer) {
				b.Fatalf("tools/call: status %d, %d bytes", w.status, w.n)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				r := newRequest()
				w.reset()
				b.StartTimer()
				s.ServeHTTP(w, r)
			}
		})
	}
}
