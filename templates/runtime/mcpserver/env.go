// Package mcpserver assembles the HTTP side of an MCP server protected by
// Clerk: the transports, the OAuth metadata routes, the token check in front
// of everything that is not public, and the process around them.
package mcpserver

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/joho/godotenv"
)

// DefaultAPIURL is Clerk's Backend API origin.
const DefaultAPIURL = "https://api.clerk.com"

// Env is the server's runtime configuration, read from the environment.
type Env struct {
	// SecretKey is CLERK_SECRET_KEY.
	SecretKey string
	// Issuer is the Clerk Frontend API URL: CLERK_FRONTEND_API_URL, or
	// derived from CLERK_PUBLISHABLE_KEY.
	Issuer string
	// APIURL is CLERK_API_URL, the Backend API origin (calls go to /v1/...).
	APIURL string
	// Port is PORT, 8080 unless set; 0 picks a free port.
	Port int
	// PublicURL is PUBLIC_URL, the origin clients reach this server at.
	// Empty until WithListener fills in the default.
	PublicURL string
	// LogLevel is LOG_LEVEL: debug, info (the default), warn or error.
	LogLevel slog.Level
	// TrustedProxies is TRUSTED_PROXIES: the addresses (IPs or CIDRs) of
	// reverse proxies in front of the server, whose X-Forwarded-For is
	// believed when telling clients apart. Empty: the peer address is the
	// client.
	TrustedProxies []netip.Prefix
	// RequireAudience is REQUIRE_TOKEN_AUDIENCE (true/false): refuse
	// tokens that name no audience, for Clerk instances whose clients
	// always send the resource parameter. Tokens that name one must name
	// this server either way.
	RequireAudience bool
	// Limits bound what one user may hold open (MAX_SESSIONS_PER_USER,
	// MAX_STREAMS_PER_USER, SESSION_IDLE_TIMEOUT, REQUEST_BODY_TIMEOUT,
	// SHUTDOWN_TIMEOUT).
	Limits Limits
}

// Limits bound the server resources one user can hold.
type Limits struct {
	// MaxSessionsPerUser caps the Streamable HTTP sessions one user may
	// have open; past it, initialize gets 429. Default 100.
	MaxSessionsPerUser int
	// MaxStreamsPerUser caps the long-lived streams (SSE sessions,
	// standalone GET streams, subscriptions/listen streams) one user may
	// have open at once. Default 20.
	MaxStreamsPerUser int
	// SessionIdleTimeout closes a Streamable HTTP session after this long
	// without a request. Default 10 minutes.
	SessionIdleTimeout time.Duration
	// BodyTimeout bounds the time an authenticated client may take to send
	// a request body (REQUEST_BODY_TIMEOUT). Default 30 seconds.
	BodyTimeout time.Duration
	// ShutdownTimeout is how long requests in flight may go on after
	// SIGTERM (SHUTDOWN_TIMEOUT). Default 10 seconds.
	ShutdownTimeout time.Duration
}

// Defaults of Limits.
const (
	DefaultMaxSessionsPerUser = 100
	DefaultMaxStreamsPerUser  = 20
	DefaultSessionIdleTimeout = 10 * time.Minute
	DefaultBodyTimeout        = 30 * time.Second
	DefaultShutdownTimeout    = 10 * time.Second
)

// withDefaults fills in the zero fields of l.
func (l Limits) withDefaults() Limits {
	if l.MaxSessionsPerUser <= 0 {
		l.MaxSessionsPerUser = DefaultMaxSessionsPerUser
	}
	if l.MaxStreamsPerUser <= 0 {
		l.MaxStreamsPerUser = DefaultMaxStreamsPerUser
	}
	if l.SessionIdleTimeout <= 0 {
		l.SessionIdleTimeout = DefaultSessionIdleTimeout
	}
	if l.BodyTimeout <= 0 {
		l.BodyTimeout = DefaultBodyTimeout
	}
	if l.ShutdownTimeout <= 0 {
		l.ShutdownTimeout = DefaultShutdownTimeout
	}
	return l
}

// LoadDotEnv loads KEY=VALUE lines from path into the environment, never
// overriding a variable that is already set. A missing file is not an error.
func LoadDotEnv(path string) error {
	err := godotenv.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// LoadEnv reads the configuration with getenv (os.Getenv in main) and
// reports every problem at once, each naming its variable.
func LoadEnv(getenv func(string) string) (Env, error) {
	var env Env
	var errs []error

	env.SecretKey = strings.TrimSpace(getenv("CLERK_SECRET_KEY"))
	switch {
	case env.SecretKey == "":
		errs = append(errs, errors.New("CLERK_SECRET_KEY is not set: copy the secret key from the Clerk dashboard (Configure > API keys) into .env"))
	case !strings.HasPrefix(env.SecretKey, "sk_"):
		errs = append(errs, errors.New("CLERK_SECRET_KEY does not look like a Clerk secret key: it starts with sk_test_ or sk_live_"))
	}

	if raw := strings.TrimSpace(getenv("CLERK_FRONTEND_API_URL")); raw != "" {
		issuer, err := parseOrigin(raw, true)
		if err != nil {
			errs = append(errs, fmt.Errorf("CLERK_FRONTEND_API_URL: %w", err))
		}
		env.Issuer = issuer
	} else if pk := strings.TrimSpace(getenv("CLERK_PUBLISHABLE_KEY")); pk != "" {
		issuer, err := FrontendAPIURL(pk)
		if err != nil {
			errs = append(errs, fmt.Errorf("CLERK_PUBLISHABLE_KEY: %w", err))
		}
		env.Issuer = issuer
	} else {
		errs = append(errs, errors.New("CLERK_PUBLISHABLE_KEY is not set: copy the publishable key from the Clerk dashboard (Configure > API keys) into .env, or set CLERK_FRONTEND_API_URL"))
	}

	env.APIURL = DefaultAPIURL
	if raw := strings.TrimSpace(getenv("CLERK_API_URL")); raw != "" {
		api, err := parseOrigin(raw, true)
		if err != nil {
			errs = append(errs, fmt.Errorf("CLERK_API_URL: %w", err))
		}
		env.APIURL = api
	}

	env.Port = 8080
	if raw := strings.TrimSpace(getenv("PORT")); raw != "" {
		p, err := strconv.Atoi(raw)
		if err != nil || p < 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("PORT: %q is not a port number (0 to 65535)", raw))
		}
		env.Port = p
	}

	if raw := strings.TrimSpace(getenv("LOG_LEVEL")); raw != "" {
		if err := env.LogLevel.UnmarshalText([]byte(raw)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not a level; use debug, info, warn or error", raw))
		}
	}

	if raw := strings.TrimSpace(getenv("PUBLIC_URL")); raw != "" {
		pub, err := parseOrigin(raw, false)
		if err != nil {
			errs = append(errs, fmt.Errorf("PUBLIC_URL: %w", err))
		}
		env.PublicURL = pub
	}
	if raw := strings.TrimSpace(getenv("REQUIRE_TOKEN_AUDIENCE")); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("REQUIRE_TOKEN_AUDIENCE: %q is not true or false", raw))
		}
		env.RequireAudience = b
	}
	if raw := strings.TrimSpace(getenv("TRUSTED_PROXIES")); raw != "" {
		proxies, err := parseTrustedProxies(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %w", err))
		}
		env.TrustedProxies = proxies
	}
	for _, v := range []struct {
		name string
		into *int
	}{{"MAX_SESSIONS_PER_USER", &env.Limits.MaxSessionsPerUser}, {"MAX_STREAMS_PER_USER", &env.Limits.MaxStreamsPerUser}} {
		if raw := strings.TrimSpace(getenv(v.name)); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 {
				errs = append(errs, fmt.Errorf("%s: %q is not a positive whole number", v.name, raw))
			}
			*v.into = n
		}
	}
	for _, v := range []struct {
		name    string
		into    *time.Duration
		example string
	}{{"SESSION_IDLE_TIMEOUT", &env.Limits.SessionIdleTimeout, "10m"}, {"REQUEST_BODY_TIMEOUT", &env.Limits.BodyTimeout, "30s"}, {"SHUTDOWN_TIMEOUT", &env.Limits.ShutdownTimeout, "10s"}} {
		if raw := strings.TrimSpace(getenv(v.name)); raw != "" {
			d, err := time.ParseDuration(raw)
			if err != nil || d < time.Second {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration of at least 1s, such as %s", v.name, raw, v.example))
			}
			*v.into = d
		}
	}
	env.Limits = env.Limits.withDefaults()
	return env, errors.Join(errs...)
}

// parseTrustedProxies reads a comma-separated list of IP addresses and
// CIDR prefixes.
func parseTrustedProxies(raw string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix such as 10.0.0.0/8", item)
		}
		out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
	}
	return out, nil
}

// ListenAddr is the address to listen on: all interfaces, port Port.
func (e Env) ListenAddr() string {
	return ":" + strconv.Itoa(e.Port)
}

// WithListener fills in PublicURL, when PUBLIC_URL was not set, as
// http://localhost:<the port actually listened on>.
func (e Env) WithListener(addr net.Addr) Env {
	if e.PublicURL == "" {
		port := strconv.Itoa(e.Port)
		if tcp, ok := addr.(*net.TCPAddr); ok {
			port = strconv.Itoa(tcp.Port)
		}
		e.PublicURL = "http://localhost:" + port
	}
	return e
}

// ClerkClientConfig configures clerk-sdk-go clients (user.NewClient and the
// like) for this server's Clerk instance.
func (e Env) ClerkClientConfig() *clerk.ClientConfig {
	return &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		URL: clerk.String(e.APIURL + "/v1"),
		Key: clerk.String(e.SecretKey),
	}}
}

// FrontendAPIURL derives the Frontend API URL (the OAuth issuer) from a
// publishable key: pk_test_ or pk_live_, then the base64 of "<host>$".
func FrontendAPIURL(publishableKey string) (string, error) {
	bad := errors.New("not a Clerk publishable key (pk_test_... or pk_live_... from the Clerk dashboard, Configure > API keys)")
	rest, ok := strings.CutPrefix(publishableKey, "pk_test_")
	if !ok {
		rest, ok = strings.CutPrefix(publishableKey, "pk_live_")
	}
	if !ok || rest == "" {
		return "", bad
	}
	rest = strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimRight(rest, "="))
	decoded, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil {
		return "", bad
	}
	host, ok := strings.CutSuffix(string(decoded), "$")
	if !ok || !strings.Contains(host, ".") || strings.ContainsAny(host, "$/?#@ ") {
		return "", bad
	}
	return "https://" + host, nil
}

// parseOrigin checks that raw is an origin (scheme and host, no path) and
// returns it without a trailing slash. With httpsUnlessLoopback, http is
// accepted only for loopback hosts: tokens and keys cross these links.
func parseOrigin(raw string, httpsUnlessLoopback bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%q is not an absolute http(s) URL such as https://example.com", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q must be an origin only (scheme and host, no path, query or credentials)", raw)
	}
	if httpsUnlessLoopback && u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("%q must use https (http is allowed only for localhost)", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// isLoopbackHost reports whether host (without port) names this machine.
func isLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
