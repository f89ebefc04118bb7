package mcpserver

import (
	"log/slog"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// getenv returns a getenv over vars.
func getenv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// validVars returns a complete, valid environment; edit changes it (an
// empty value unsets a variable).
func validVars(edit map[string]string) map[string]string {
	vars := map[string]string{
		"CLERK_SECRET_KEY":      "sk_test_abc",
		"CLERK_PUBLISHABLE_KEY": "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k",
	}
	for k, v := range edit {
		vars[k] = v
	}
	return vars
}

func TestLoadEnvDefaults(t *testing.T) {
	env, err := LoadEnv(getenv(validVars(nil)))
	if err != nil {
		t.Fatalf("LoadEnv: %v", err)
	}
	want := Env{SecretKey: "sk_test_abc", Issuer: "https://clerk.example.com", APIURL: "https://api.clerk.com", Port: 8080,
		Limits: Limits{MaxSessionsPerUser: DefaultMaxSessionsPerUser, MaxStreamsPerUser: DefaultMaxStreamsPerUser, SessionIdleTimeout: DefaultSessionIdleTimeout, BodyTimeout: DefaultBodyTimeout, ShutdownTimeout: DefaultShutdownTimeout}}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env = %+v, want %+v", env, want)
	}
	if got := env.ListenAddr(); got != ":8080" {
		t.Errorf("ListenAddr = %q", got)
	}
}

func TestLoadEnvValues(t *testing.T) {
	env, err := LoadEnv(getenv(validVars(map[string]string{
		"CLERK_SECRET_KEY":       "  sk_live_xyz  ",
		"CLERK_FRONTEND_API_URL": "https://clerk.mydomain.com/",
		"CLERK_API_URL":          "http://127.0.0.1:9999",
		"PORT":                   "0",
		"PUBLIC_URL":             "https://mcp.mydomain.com/",
		"TRUSTED_PROXIES":        "10.0.0.0/8, 127.0.0.1,::1",
		"MAX_SESSIONS_PER_USER":  "5",
		"MAX_STREAMS_PER_USER":   "3",
		"SESSION_IDLE_TIMEOUT":   "90s",
		"REQUEST_BODY_TIMEOUT":   "5s",
		"SHUTDOWN_TIMEOUT":       "25s",
		"REQUIRE_TOKEN_AUDIENCE": "true",
	})))
	if err != nil {
		t.Fatalf("LoadEnv: %v", err)
	}
	want := Env{SecretKey: "sk_live_xyz", Issuer: "https://clerk.mydomain.com", APIURL: "http://127.0.0.1:9999", Port: 0, PublicURL: "https://mcp.mydomain.com",
		RequireAudience: true,
		TrustedProxies:  []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
		Limits:          Limits{MaxSessionsPerUser: 5, MaxStreamsPerUser: 3, SessionIdleTimeout: 90 * time.Second, BodyTimeout: 5 * time.Second, ShutdownTimeout: 25 * time.Second}}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env = %+v, want %+v (CLERK_FRONTEND_API_URL wins over the publishable key)", env, want)
	}

	for _, issuer := range []string{"http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000", "http://clerk.localhost"} {
		env, err := LoadEnv(getenv(validVars(map[string]string{"CLERK_FRONTEND_API_URL": issuer})))
		if err != nil || env.Issuer != issuer {
			t.Errorf("loopback issuer %q: Issuer %q, err %v; want it accepted", issuer, env.Issuer, err)
		}
	}
	// PUBLIC_URL may be plain http on any host (a TLS-terminating proxy in front).
	if env, err := LoadEnv(getenv(validVars(map[string]string{"PUBLIC_URL": "http://mcp.internal:8080"}))); err != nil || env.PublicURL != "http://mcp.internal:8080" {
		t.Errorf("http PUBLIC_URL: %+v, %v", env, err)
	}
}

func TestLoadEnvErrors(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		mention []string
	}{
		{"missing secret key", map[string]string{"CLERK_SECRET_KEY": ""}, []string{"CLERK_SECRET_KEY"}},
		{"blank secret key", map[string]string{"CLERK_SECRET_KEY": "   "}, []string{"CLERK_SECRET_KEY"}},
		{"publishable key as secret key", map[string]string{"CLERK_SECRET_KEY": "pk_test_abc"}, []string{"CLERK_SECRET_KEY"}},
		{"no issuer", map[string]string{"CLERK_PUBLISHABLE_KEY": ""}, []string{"CLERK_PUBLISHABLE_KEY"}},
		{"bad publishable key", map[string]string{"CLERK_PUBLISHABLE_KEY": "pk_test_!!!"}, []string{"CLERK_PUBLISHABLE_KEY"}},
		{"secret key as publishable key", map[string]string{"CLERK_PUBLISHABLE_KEY": "sk_test_Y2xlcmsuZXhhbXBsZS5jb20k"}, []string{"CLERK_PUBLISHABLE_KEY"}},
		{"http issuer not loopback", map[string]string{"CLERK_FRONTEND_API_URL": "http://clerk.example.com"}, []string{"CLERK_FRONTEND_API_URL", "https"}},
		{"issuer with path", map[string]string{"CLERK_FRONTEND_API_URL": "https://clerk.example.com/x"}, []string{"CLERK_FRONTEND_API_URL"}},
		{"issuer not a URL", map[string]string{"CLERK_FRONTEND_API_URL": "clerk.example.com"}, []string{"CLERK_FRONTEND_API_URL"}},
		{"api url with path", map[string]string{"CLERK_API_URL": "https://api.clerk.com/v1"}, []string{"CLERK_API_URL"}},
		{"api url over http", map[string]string{"CLERK_API_URL": "http://api.clerk.com"}, []string{"CLERK_API_URL"}},
		{"api url with query", map[string]string{"CLERK_API_URL": "https://api.clerk.com?x=1"}, []string{"CLERK_API_URL"}},
		{"port not a number", map[string]string{"PORT": "eighty"}, []string{"PORT"}},
		{"port too big", map[string]string{"PORT": "65536"}, []string{"PORT"}},
		{"port negative", map[string]string{"PORT": "-1"}, []string{"PORT"}},
		{"public url with path", map[string]string{"PUBLIC_URL": "https://mcp.example.com/mcp"}, []string{"PUBLIC_URL"}},
		{"public url with credentials", map[string]string{"PUBLIC_URL": "https://u:p@mcp.example.com"}, []string{"PUBLIC_URL"}},
		{"audience flag not a bool", map[string]string{"REQUIRE_TOKEN_AUDIENCE": "strict"}, []string{"REQUIRE_TOKEN_AUDIENCE"}},
		{"trusted proxy not an address", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,nginx"}, []string{"TRUSTED_PROXIES", "nginx"}},
		{"session cap zero", map[string]string{"MAX_SESSIONS_PER_USER": "0"}, []string{"MAX_SESSIONS_PER_USER"}},
		{"stream cap not a number", map[string]string{"MAX_STREAMS_PER_USER": "many"}, []string{"MAX_STREAMS_PER_USER"}},
		{"idle timeout without unit", map[string]string{"SESSION_IDLE_TIMEOUT": "600"}, []string{"SESSION_IDLE_TIMEOUT"}},
		{
			"all at once",
			map[string]string{"CLERK_SECRET_KEY": "", "CLERK_PUBLISHABLE_KEY": "", "CLERK_API_URL": "ftp://x", "PORT": "x"},
			[]string{"CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY", "CLERK_API_URL", "PORT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadEnv(getenv(validVars(tt.vars)))
			if err == nil {
				t.Fatal("LoadEnv succeeded, want an error")
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %s", err, m)
				}
			}
		})
	}
}

func TestFrontendAPIURL(t *testing.T) {
	for key, want := range map[string]string{
		"pk_test_Y2xlcmsuZXhhbXBsZS5jb20k":                        "https://clerk.example.com",
		"pk_live_Y2xlcmsuZXhhbXBsZS5jb20k":                        "https://clerk.example.com",
		"pk_test_ZmFrZS1zbHVnLTEyLmNsZXJrLmFjY291bnRzLmRldiQ":     "https://fake-slug-12.clerk.accounts.dev",
		"pk_test_ZmFrZS1zbHVnLTEyLmNsZXJrLmFjY291bnRzLmRldiQ=":    "https://fake-slug-12.clerk.accounts.dev",
		"pk_test_ZmFrZS1zbHVnLTEyLmNsZXJrLmFjY291bnRzLmRldiQ====": "https://fake-slug-12.clerk.accounts.dev",
	} {
		got, err := FrontendAPIURL(key)
		if err != nil || got != want {
			t.Errorf("FrontendAPIURL(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
	for _, key := range []string{
		"",
		"pk_test_",
		"pk_prod_Y2xlcmsuZXhhbXBsZS5jb20k",
		"sk_test_Y2xlcmsuZXhhbXBsZS5jb20k",
		"Y2xlcmsuZXhhbXBsZS5jb20k",
		"pk_test_Y2xlcmsuZXhhbXBsZS5jb20", // "clerk.example.com" without the $
		"pk_test_bG9jYWxob3N0JA",          // "localhost$": no dot
		"pk_test_ZXZpbC5jb20vcGF0aCQ",     // "evil.com/path$"
		"pk_test_dUBldmlsLmNvbSQ",         // "u@evil.com$"
		"pk_test_!!!!",
	} {
		if got, err := FrontendAPIURL(key); err == nil {
			t.Errorf("FrontendAPIURL(%q) = %q, want an error", key, got)
		}
	}
}

func TestWithListener(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4321}
	if got := (Env{Port: 0}).WithListener(addr).PublicURL; got != "http://localhost:4321" {
		t.Errorf("PublicURL = %q, want the port actually listened on", got)
	}
	if got := (Env{Port: 0, PublicURL: "https://mcp.example.com"}).WithListener(addr).PublicURL; got != "https://mcp.example.com" {
		t.Errorf("PublicURL = %q, want PUBLIC_URL kept", got)
	}
}

func TestLogLevel(t *testing.T) {
	base := map[string]string{"CLERK_SECRET_KEY": "sk_test_x", "CLERK_FRONTEND_API_URL": "https://clerk.example.com"}
	get := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}
	}
	env, err := LoadEnv(get(nil))
	if err != nil || env.LogLevel != slog.LevelInfo {
		t.Fatalf("default level %v (%v), want info", env.LogLevel, err)
	}
	env, err = LoadEnv(get(map[string]string{"LOG_LEVEL": "debug"}))
	if err != nil || env.LogLevel != slog.LevelDebug {
		t.Fatalf("LOG_LEVEL=debug: %v (%v)", env.LogLevel, err)
	}
	if _, err := LoadEnv(get(map[string]string{"LOG_LEVEL": "loud"})); err == nil || !strings.Contains(err.Error(), "LOG_LEVEL") {
		t.Fatalf("LOG_LEVEL=loud: %v, want an error naming LOG_LEVEL", err)
	}
}
