package mcpserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// The benchmarks here measure what the token check adds to a tools/call:
// the same tool behind the bare go-sdk handler and behind the full server,
// with a JWT and with a (cached) opaque token. See docs/BENCHMARKS.md in
// the create-clerk-mcp repository for results.

type echoOut struct {
	Text string `json:"text"`
}

func registerEcho(s *mcp.Server) {
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "echoes"},
		func(_ context.Context, _ *mcp.CallToolRequest, in struct {
			Text string `json:"text"`
		}) (*mcp.CallToolResult, echoOut, error) {
			return nil, echoOut{Text: in.Text}, nil
		})
}

// benchTarget is a server under benchmark and the token to call it with.
type benchTarget struct {
	url   string
	token string
}

// benchTargets starts the servers once per benchmark binary: b.Run calls
// each sub-benchmark several times, and key generation would dominate.
var benchOnce struct {
	sync.Once
	targets map[string]benchTarget
}

func benchTargets(b *testing.B) map[string]benchTarget {
	b.Helper()
	benchOnce.Do(func() { benchOnce.targets = startBenchTargets(b) })
	if benchOnce.targets == nil {
		b.Fatal("benchmark servers did not start")
	}
	return benchOnce.targets
}

// startBenchTargets starts the servers; they live until the process ends.
func startBenchTargets(b *testing.B) map[string]benchTarget {
	fake, err := clerkfake.Start()
	if err != nil {
		b.Fatal(err)
	}

	bare := mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "0"}, nil)
	registerEcho(bare)
	plain := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return bare },
		&mcp.StreamableHTTPOptions{SessionTimeout: 30 * time.Minute, DisableLocalhostProtection: true}))

	ts := httptest.NewUnstartedServer(nil)
	// The benchmarks open sessions and never close them, as no client
	// should: lift the per-user cap so that it is not what they measure.
	env := Env{SecretKey: fake.SecretKey, Issuer: fake.URL, APIURL: fake.URL, PublicURL: "http://" + ts.Listener.Addr().String(),
		Limits: Limits{MaxSessionsPerUser: 1 << 20}}
	srv, err := New(Settings{Name: "bench", Version: "0", Streamable: true}, env, Options{RegisterTools: registerEcho})
	if err != nil {
		b.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()

	jwt, err := fake.IssueJWT(clerkfake.TokenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return map[string]benchTarget{
		"noauth": {url: plain.URL},
		"jwt":    {url: ts.URL + "/mcp", token: jwt},
		"opaque": {url: ts.URL + "/mcp", token: fake.IssueOpaque(clerkfake.TokenOptions{TTL: time.Hour})},
	}
}

// session opens an MCP session with raw HTTP and returns a function that
// makes one tools/call in it.
func session(b *testing.B, client *http.Client, t benchTarget) func() {
	post := func(sessionID, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, t.url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if t.token != "" {
			req.Header.Set("Authorization", "Bearer "+t.token)
		}
		if sessionID != "" {
			req.Header.Set("Mcp-Session-Id", sessionID)
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"0"}}}`)
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		b.Fatalf("initialize: %d", resp.StatusCode)
	}
	post(id, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	var n atomic.Int64
	return func() {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`, n.Add(1)+1)
		if resp := post(id, body); resp.StatusCode != http.StatusOK {
			b.Fatalf("tools/call: %d", resp.StatusCode)
		}
	}
}

// BenchmarkToolsCall measures one tools/call at a time in one session.
func BenchmarkToolsCall(b *testing.B) {
	for _, name := range []string{"noauth", "jwt", "opaque"} {
		b.Run(name, func(b *testing.B) {
			call := session(b, &http.Client{}, benchTargets(b)[name])
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				call()
			}
		})
	}
}

// BenchmarkToolsCallParallel is the load run: GOMAXPROCS×8 clients, each
// with its own session, calling as fast as they can.
func BenchmarkToolsCallParallel(b *testing.B) {
	for _, name := range []string{"noauth", "jwt", "opaque"} {
		b.Run(name, func(b *testing.B) {
			target := benchTargets(b)[name]
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			b.ReportAllocs()
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				call := session(b, client, target)
				for pb.Next() {
					call()
				}
			})
		})
	}
}
