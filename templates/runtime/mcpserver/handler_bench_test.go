package mcpserver

import (
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
