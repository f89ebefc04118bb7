package clerkauth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
)

var (
	// ErrInvalidToken means the token is not a valid Clerk OAuth access
	// token for this server. The client should get a new one (HTTP 401).
	ErrInvalidToken = errors.New("invalid token")
	// ErrUnavailable means Clerk could not be asked (down, slow, failing,
	// or refusing the secret key). The request fails closed (HTTP 503).
	ErrUnavailable = errors.New("clerk unavailable")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, fmt.Sprintf(format, args...))
}

func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnavailable, fmt.Sprintf(format, args...))
}

// Limits on the verifier's behaviour. They are variables only so that tests
// of this package can shorten them.
const (
	// MaxClockSkew is the leeway allowed on exp, nbf and iat.
	MaxClockSkew = 5 * time.Second
	// MaxOpaqueCacheTTL bounds how long a Backend API answer is reused.
	MaxOpaqueCacheTTL = 60 * time.Second
	// MaxJWTCacheTTL bounds how long a verified JWT is remembered, besides
	// its expiry.
	MaxJWTCacheTTL = 60 * time.Second
	// DefaultJWKSRefetchInterval is the default of Config.JWKSRefetchInterval:
	// a token signed with a freshly rotated key waits at most this long.
	DefaultJWKSRefetchInterval = time.Second
	// DefaultOutboundTimeout bounds every call to Clerk, so that a request
	// that must ask Clerk fails closed well within five seconds.
	DefaultOutboundTimeout = 3 * time.Second
	// APIIdleConnTimeout is how long NewHTTPClient's connections to Clerk
	// stay open unused.
	APIIdleConnTimeout = 2 * time.Second
)

// NewHTTPClient returns the client the server calls Clerk with when it is
// given none: DefaultOutboundTimeout on every call, and a transport of its
// own (http.DefaultTransport's settings: proxies from the environment,
// HTTP/2) whose connections close after APIIdleConnTimeout unused.
//
// The calls come in bursts (the first requests of new sessions, the
// metadata document) and as background refreshes of the tokens in use,
// tens of seconds apart. A connection kept open between them holds two
// goroutines and their buffers, which every garbage collection walks:
// under a steady load from a few users, 0.5-1.5% of the server's
// instructions per call (create-clerk-mcp's docs/BENCHMARKS.md). Opening a
// new one costs a TLS handshake, on a call that waits for Clerk anyway and
// is mostly a background refresh. The pool is not http.DefaultTransport's,
// so the application's other calls keep their own settings; to send the
// calls to Clerk through a transport of your own (a proxy, tracing), set
// Config.HTTPClient (mcpserver.Options.HTTPClient).
func NewHTTPClient() *http.Client {
	var tr *http.Transport
	if d, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = d.Clone()
	} else {
		tr = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	tr.IdleConnTimeout = APIIdleConnTimeout
	return &http.Client{Timeout: DefaultOutboundTimeout, Transport: tr}
}

// Config configures a Verifier.
type Config struct {
	// Issuer is the Clerk Frontend API URL, such as
	// "https://verb-noun-00.clerk.accounts.dev". JWTs must carry exactly this
	// "iss", and their keys come from Issuer + "/.well-known/jwks.json".
	Issuer string
	// APIURL is the Backend API origin, such as "https://api.clerk.com";
	// calls go to APIURL + "/v1/...".
	APIURL string
	// SecretKey authenticates Backend API calls.
	SecretKey string
	// Audiences lists the "aud" values that name this server. A token (of
	// either format) with an audience must name one of them; one without
	// is accepted unless RequireAudience.
	Audiences []string
	// RequireAudience refuses tokens that name no audience, for instances
	// whose clients always send the RFC 8707 resource parameter.
	RequireAudience bool
	// HTTPClient makes the calls to Clerk; nil means NewHTTPClient(). Its
	// Timeout, if zero, is set to DefaultOutboundTimeout.
	HTTPClient *http.Client
	// Logger receives warnings such as a rejected secret key. Never tokens.
	Logger *slog.Logger
	// Now returns the current time (tests set it).
	Now func() time.Time
	// JWKSRefetchInterval paces the JWKS fetches caused by unknown key ids
	// (key rotation): after a burst of three, one per interval. Requests
	// with an unknown key id wait for the next fetch. Zero means
	// DefaultJWKSRefetchInterval.
	JWKSRefetchInterval time.Duration
	// OpaqueVerifyRate bounds the Backend API verify calls for opaque
	// tokens not in the cache, per second; OpaqueVerifyBurst is how many
	// may come at once. Zero means DefaultOpaqueVerifyRate and
	// DefaultOpaqueVerifyBurst.
	OpaqueVerifyRate  float64
	OpaqueVerifyBurst int
}

// Defaults for Config.OpaqueVerifyRate and OpaqueVerifyBurst: far above what
// real clients need (each verified token is then cached), well below what
// would exhaust a Clerk instance's Backend API rate limit.
const (
	DefaultOpaqueVerifyRate  = 20
	DefaultOpaqueVerifyBurst = 50
)

// Verifier verifies Clerk OAuth access tokens of both formats. It is safe
// for concurrent use.
type Verifier struct {
	issuer          string
	audiences       map[string]bool
	requireAudience bool
	now             func() time.Time
	logger          *slog.Logger
	jwks            *jwksCache
	jwtCache        *resultCache
	opaque          *opaqueVerifier
}

// NewVerifier checks cfg and returns a Verifier.
func NewVerifier(cfg Config) (*Verifier, error) {
	issuer, err := normalizeOrigin(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	apiURL, err := normalizeOrigin(cfg.APIURL)
	if err != nil {
		return nil, fmt.Errorf("api url: %w", err)
	}
	if cfg.SecretKey == "" {
		return nil, errors.New("secret key is empty")
	}
	client := cfg.HTTPClient
	if client == nil {
		client = NewHTTPClient()
	}
	if client.Timeout == 0 {
		c := *client
		c.Timeout = DefaultOutboundTimeout
		client = &c
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	auds := make(map[string]bool)
	for _, a := range cfg.Audiences {
		auds[strings.TrimSuffix(a, "/")] = true
	}
	refetch := cfg.JWKSRefetchInterval
	if refetch <= 0 {
		refetch = DefaultJWKSRefetchInterval
	}
	perSecond, burst := cfg.OpaqueVerifyRate, cfg.OpaqueVerifyBurst
	if perSecond <= 0 {
		perSecond = DefaultOpaqueVerifyRate
	}
	if burst <= 0 {
		burst = DefaultOpaqueVerifyBurst
	}
	logs := NewLogThrottle(10 * time.Second)
	jwksURL := issuer + "/.well-known/jwks.json"
	backend := clerk.NewBackend(&clerk.BackendConfig{
		HTTPClient: client,
		URL:        clerk.String(apiURL + "/v1"),
		Key:        clerk.String(cfg.SecretKey),
	})
	jwks := newJWKSCache(jwksURL, func(ctx context.Context) (map[string]*rsa.PublicKey, error) { return fetchJWKS(ctx, client, jwksURL) }, refetch, now)
	jwks.onError = func(err error) {
		logs.Log(logger, slog.LevelWarn, "cannot fetch Clerk's signing keys", "err", err)
	}
	opaque := newOpaqueVerifier(backend, now, logger, logs, perSecond, burst)
	v := &Verifier{
		issuer:          issuer,
		audiences:       auds,
		requireAudience: cfg.RequireAudience,
		now:             now,
		logger:          logger,
		jwks:            jwks,
		jwtCache:        newResultCache(now),
		opaque:          opaque,
	}
	opaque.audienceOK, opaque.requireAudience = v.audienceMatches, cfg.RequireAudience
	return v, nil
}

// Verify checks token and returns its caller, a copy of the caller's own.
// Errors wrap ErrInvalidToken or ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, token string) (*Caller, error) {
	c, err := v.verifyFrom(ctx, token, clientOf{})
	return c.clone(), err
}

// clientOf finds the address of the client presenting a token when it is
// needed (an opaque token not in the cache), so that the common path pays
// nothing for it.
type clientOf struct {
	r       *http.Request
	address func(*http.Request) string
}

func (c clientOf) get(ctx context.Context) string {
	switch {
	case c.r != nil && c.address != nil:
		return c.address(c.r)
	case c.r != nil:
		return ClientAddress(c.r, nil)
	}
	return clientAddressFrom(ctx)
}

// verifyFrom is Verify for the middleware: the Caller it returns is the
// token's sealed one, shared by every request with the token.
func (v *Verifier) verifyFrom(ctx context.Context, token string, client clientOf) (*Caller, error) {
	switch {
	case strings.HasPrefix(token, OpaquePrefix):
		return v.opaque.verify(ctx, token, client)
	case looksLikeJWT(token):
		return v.verifyJWT(ctx, token)
	default:
		return nil, invalid("not a Clerk OAuth access token")
	}
}

// Warm starts loading the signing keys, so that the first requests with
// JWTs do not wait for them. Call it once the server starts.
func (v *Verifier) Warm() { v.jwks.warm() }

// Ready reports whether tokens can be verified now without waiting: the
// signing keys are loaded. (Opaque tokens need Clerk for each new token;
// readiness follows the keys, which a reachable Clerk serves.)
func (v *Verifier) Ready() bool { return v.jwks.loaded() }

// normalizeOrigin checks that raw is an absolute http(s) URL without query or
// fragment and returns it without a trailing slash.
func normalizeOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q must not have credentials, a query or a fragment", raw)
	}
	return strings.TrimSuffix(raw, "/"), nil
}
