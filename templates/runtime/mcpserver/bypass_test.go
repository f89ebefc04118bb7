package mcpserver

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// bypassServer is a server with public routes and user routes of every
// pattern shape ServeMux has. Each handler answers PUBLIC:<name> or
// PRIVATE:<name>.
func bypassServer(t *testing.T) (base string, fake *clerkfake.Fake) {
	t.Helper()
	fake = clerkfake.New(t)
	hs := httptest.NewUnstartedServer(nil)
	base = "http://" + hs.Listener.Addr().String()
	s, err := New(Settings{
		Name: "t", Version: "0", Streamable: true, SSE: true,
		PublicRoutes: []string{"/api/public/*", "/about", "/docs/*"},
	}, Env{SecretKey: fake.SecretKey, Issuer: fake.URL, APIURL: fake.URL, PublicURL: base}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	answer := func(text string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, text) }
	}
	for pattern, text := range map[string]string{
		"GET /api/{id}":                    "PRIVATE:api-id",
		"/api/public/{rest...}":            "PUBLIC:api-public",
		"/files/{path...}":                 "PRIVATE:files",
		"POST /admin/":                     "PRIVATE:admin",
		"admin.example.com/":               "PRIVATE:admin-host",
		"admin.example.com/about":          "PUBLIC:admin-host-about", // /about is public on every host
		"/about":                           "PUBLIC:about",
		"/about/{$}":                       "PRIVATE:about-slash",
		"/docs/":                           "PUBLIC:docs",
		"GET /{$}":                         "PRIVATE:root",
		"/":                                "PRIVATE:catch-all",
		"/users/{id}/notes/{note}":         "PRIVATE:notes",
		"DELETE /api/public/{id}/purge":    "PUBLIC:purge",
		"GET /%61pi/encoded":               "PRIVATE:encoded-literal",
		"/api/public/../../secret-literal": "PRIVATE:never-reached",
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Logf("%s: %v", pattern, r)
				}
			}()
			s.HandleFunc(pattern, answer(text))
		}()
	}
	hs.Config.Handler = s
	hs.Start()
	t.Cleanup(func() { s.CloseStreams(); hs.CloseClientConnections(); hs.Close() })
	return base, fake
}

// rawGet sends exactly "METHOD target HTTP/1.1" with the given Host and
// returns the status and body; net/http's client would clean the target.
func rawGet(t *testing.T, base, method, target, host, token string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n"
	if token != "" {
		req += "Authorization: Bearer " + token + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, "" // the server refused to parse it: nothing was served
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// spellings returns ways of writing p that a client may send and a server
// may read differently: percent-encoded separators and letters, dot
// segments, doubled and trailing slashes, semicolons, double encoding,
// case.
func spellings(p string) []string {
	out := []string{p}
	seps := []string{"%2F", "%2f", "%5C", "%5c", "\\", "//", "/./", "/x/../", ";/", "/;", "%252F", "%2e%2e%2f", "/%2e/", "/%2E%2E/x/", "%u002f"}
	for i := 1; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		for _, sep := range seps {
			out = append(out, p[:i]+sep+p[i+1:])
		}
	}
	for _, tail := range []string{"/", "/.", "/..", ";", ";x", "%00", "%20", "%2F", "/%2e", "?x=1", "#x", "%3F", "%23"} {
		out = append(out, p+tail)
	}
	for _, head := range []string{"//", "/./", "/x/..", "/api/public/..", "/about/..", "/docs/../", "/%2e%2e"} {
		out = append(out, head+p)
	}
	out = append(out, strings.ToUpper(p))
	for i := 1; i < len(p); i++ {
		if c := p[i]; c >= 'a' && c <= 'z' {
			out = append(out, p[:i]+"%"+strings.ToUpper(string("0123456789abcdef"[c>>4]))+string("0123456789ABCDEF"[c&15])+p[i+1:])
			out = append(out, p[:i]+strings.ToUpper(string(c))+p[i+1:])
		}
	}
	return out
}

// No spelling of any path reaches a protected handler without a token,
// whatever shape the user's patterns have and whatever the public routes.
func TestNoSpellingBypassesTheTokenCheck(t *testing.T) {
	base, fake := bypassServer(t)
	paths := []string{
		"/api/public/%2e%2e/%2e%2e/secret-literal", "/api/public/../../secret-literal",
		"/api/public/x", "/api/public", "/api/x", "/api/public/x/purge", "/about", "/docs/x", "/docs",
		"/files/a/b", "/admin/", "/admin/x", "/", "/users/u/notes/n", "/apI/encoded", "/api/encoded",
		"/mcp", "/sse", "/healthz", "/readyz", "/.well-known/oauth-protected-resource/mcp", "/secret-literal",
	}
	hosts := []string{strings.TrimPrefix(base, "http://"), "admin.example.com", "ADMIN.example.com:80"}
	sent := 0
	for _, p := range paths {
		for _, spelled := range spellings(p) {
			for _, host := range hosts {
				for _, method := range []string{"GET", "POST", "DELETE", "CONNECT"} {
					status, body := rawGet(t, base, method, spelled, host, "")
					sent++
					if strings.Contains(body, "PRIVATE:") {
						t.Errorf("%s %s (Host %s) without a token reached %s (status %d)", method, spelled, host, body, status)
					}
				}
			}
		}
	}
	t.Logf("%d requests, none reached a private handler", sent)

	// The public ones are public, and the private ones work with a token:
	// the test above is not passing because nothing is served.
	token := fake.IssueOpaque(clerkfake.TokenOptions{})
	host := strings.TrimPrefix(base, "http://")
	for _, c := range []struct{ method, path, host, token, want string }{
		{"GET", "/about", host, "", "PUBLIC:about"},
		{"GET", "/api/public/x", host, "", "PUBLIC:api-public"},
		{"GET", "/api/public/a/b", host, "", "PUBLIC:api-public"},
		{"DELETE", "/api/public/7/purge", host, "", "PUBLIC:purge"},
		{"GET", "/docs/x", host, "", "PUBLIC:docs"},
		{"GET", "/api/public%2Fx", host, token, "PRIVATE:api-id"},
		{"GET", "/api/7", host, token, "PRIVATE:api-id"},
		{"GET", "/files/a/b", host, token, "PRIVATE:files"},
		{"POST", "/admin/x", host, token, "PRIVATE:admin"},
		{"GET", "/about", "admin.example.com", "", "PUBLIC:admin-host-about"},
		{"GET", "/elsewhere", "admin.example.com", token, "PRIVATE:admin-host"},
		{"GET", "/about/", host, token, "PRIVATE:about-slash"},
		{"GET", "/", host, token, "PRIVATE:root"},
		{"GET", "/elsewhere", host, token, "PRIVATE:catch-all"},
		{"GET", "/users/u/notes/n", host, token, "PRIVATE:notes"},
		{"GET", "/api/encoded", host, token, "PRIVATE:encoded-literal"},
	} {
		if status, body := rawGet(t, base, c.method, c.path, c.host, c.token); body != c.want {
			t.Errorf("%s %s (Host %s, token %v): %d %q, want %q", c.method, c.path, c.host, c.token != "", status, body, c.want)
		}
	}
}

// A pattern is public only when every path it matches is public.
func TestPublicSetCovers(t *testing.T) {
	var p publicSet
	for _, r := range []string{"/about", "/docs/*", "/api/public/*"} {
		p.add(r)
	}
	for pattern, want := range map[string]bool{
		"/about":                   true,
		"GET /about":               true,
		"example.com/about":        true,
		"/about/":                  false,
		"/about/{$}":               false,
		"/about/{x}":               false,
		"/{page}":                  false,
		"/":                        false,
		"/{$}":                     false,
		"/docs":                    true,
		"/docs/":                   true,
		"/docs/{$}":                true,
		"/docs/{path...}":          true,
		"/docs/a/{b}/c":            true,
		"/doc":                     false,
		"/docsx":                   false,
		"/api/{id}":                false,
		"/api/public/{id}":         true,
		"/api/%70ublic/x":          true, // ServeMux unescapes literal segments
		"/api/public%2Fx":          false,
		"/API/public/x":            false,
		"POST  /api/public/x/{$}":  true,
		"/api/{section}/public/x/": false,
		"/api/public/../../secret": false, // ServeMux keeps dot segments in patterns without a method
		"/api/public/%2e%2e/x":     false,
		"/docs/{x}/../../y":        false,
		"/docs/a%2Fb":              false,
		"/docs/a%5Cb":              false,
	} {
		shape, err := parsePattern(pattern)
		if err != nil {
			t.Errorf("parsePattern(%q): %v", pattern, err)
			continue
		}
		if got := p.covers(shape); got != want {
			t.Errorf("covers(%q) = %v, want %v", pattern, got, want)
		}
	}
}

// The public-route decision reads patterns as Go's current ServeMux does;
// the server refuses to start under the old one.
func TestOldServeMuxRefused(t *testing.T) {
	t.Setenv("GODEBUG", "httpmuxgo121=1")
	fake := clerkfake.New(t)
	_, err := New(Settings{Name: "t", Version: "0", Streamable: true},
		Env{SecretKey: fake.SecretKey, Issuer: fake.URL, APIURL: fake.URL, PublicURL: "http://localhost:1"}, Options{})
	if err == nil || !strings.Contains(err.Error(), "httpmuxgo121") {
		t.Errorf("New under GODEBUG=httpmuxgo121=1: %v, want a refusal naming it", err)
	}
}
