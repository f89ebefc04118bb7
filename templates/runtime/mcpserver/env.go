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
	"net/url"
	"strconv"
	"strings"

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
	return env, errors.Join(errs...)
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
