package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkauth"
)

// Settings are the parts of the server that clerk-mcp.yaml decides.
type Settings struct {
	// Name and Version identify the server to MCP clients.
	Name, Version string
	// Streamable serves Streamable HTTP at /mcp; SSE serves the legacy
	// HTTP+SSE transport at /sse.
	Streamable, SSE bool
	// Scopes are advertised in the protected-resource metadata.
	Scopes []string
	// RequiredScopes must all have been granted to a token, else 403
	// insufficient_scope.
	RequiredScopes []string
	// PublicRoutes are paths ("/about") or prefixes ("/docs/*") served
	// without a token, besides the built-in public routes.
	PublicRoutes []string
	// AllowedOrigins are browser origins allowed on /mcp and /sse besides
	// PUBLIC_URL's own; "*" allows all.
	AllowedOrigins []string
}

// Options are what New needs besides Settings and Env.
type Options struct {
	// RegisterTools adds the tools to the MCP server.
	RegisterTools func(*mcp.Server)
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// HTTPClient makes the calls to Clerk; nil uses a client with a
	// three-second timeout.
	HTTPClient *http.Client
}

// Paths of the built-in routes.
const (
	PathStreamable      = "/mcp"
	PathSSE             = "/sse"
	PathHealth          = "/healthz"
	PathAuthServer      = "/.well-known/oauth-authorization-server"
	prefixResourceMeta  = "/.well-known/oauth-protected-resource"
	PathResourceMetaMCP = prefixResourceMeta + PathStreamable
	PathResourceMetaSSE = prefixResourceMeta + PathSSE
)

// Server is the HTTP handler of the MCP server. Everything it serves needs
// a valid Clerk OAuth access token except the metadata routes, /healthz and
// the configured public routes.
type Server struct {
	mux          *http.ServeMux
	handler      http.Handler
	publicExact  map[string]bool
	publicPrefix []string
	transports   map[string]bool // paths of the enabled transports
	streams      context.Context
	closeStreams context.CancelFunc
}

// New builds the server: one MCP server behind each enabled transport, the
// metadata routes, and the token check in front of the rest.
func New(settings Settings, env Env, opts Options) (*Server, error) {
	if !settings.Streamable && !settings.SSE {
		return nil, errors.New("no transport enabled: enable streamable-http or sse in clerk-mcp.yaml")
	}
	if env.PublicURL == "" {
		return nil, errors.New("PublicURL is empty: call Env.WithListener first")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: clerkauth.DefaultOutboundTimeout}
	}
	verifier, err := clerkauth.NewVerifier(clerkauth.Config{
		Issuer:     env.Issuer,
		APIURL:     env.APIURL,
		SecretKey:  env.SecretKey,
		Audiences:  []string{env.PublicURL, env.PublicURL + PathStreamable, env.PublicURL + PathSSE},
		HTTPClient: client,
		Logger:     logger,
	})
	if err != nil {
		return nil, err
	}

	mcpServer := mcp.NewServer(&mcp.Implementation{Name: settings.Name, Version: settings.Version}, &mcp.ServerOptions{Logger: logger})
	if opts.RegisterTools != nil {
		opts.RegisterTools(mcpServer)
	}

	s := &Server{mux: http.NewServeMux(), publicExact: map[string]bool{PathHealth: true, PathAuthServer: true}, transports: map[string]bool{}}
	middleware := func(metaPath string) *clerkauth.Middleware {
		return &clerkauth.Middleware{Verifier: verifier, ResourceMetadataURL: env.PublicURL + metaPath, RequiredScopes: settings.RequiredScopes, Logger: logger}
	}
	s.streams, s.closeStreams = context.WithCancel(context.Background())
	guard := newTransportGuard(env.PublicURL, settings.AllowedOrigins)

	addTransport := func(path string, transport http.Handler) error {
		metaPath := prefixResourceMeta + path
		meta, err := protectedResourceHandler(ProtectedResourceMetadata{
			Resource:               env.PublicURL + path,
			AuthorizationServers:   []string{env.Issuer},
			ScopesSupported:        settings.Scopes,
			BearerMethodsSupported: []string{"header"},
			ResourceName:           settings.Name,
		})
		if err != nil {
			return err
		}
		s.mux.Handle(metaPath, meta)
		s.publicExact[metaPath] = true
		s.mux.Handle(path, guard.wrap(middleware(metaPath).Wrap(s.endOnShutdown(transport))))
		s.transports[path] = true
		return nil
	}
	// The first enabled transport's metadata is the one announced for
	// protected routes outside the transports.
	var fallback *clerkauth.Middleware
	if settings.Streamable {
		h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return mcpServer }, &mcp.StreamableHTTPOptions{
			Logger:                     logger,
			SessionTimeout:             30 * time.Minute,
			DisableLocalhostProtection: true, // transportGuard does it, allowing PUBLIC_URL's host
		})
		if err := addTransport(PathStreamable, h); err != nil {
			return nil, err
		}
		fallback = middleware(PathResourceMetaMCP)
	}
	if settings.SSE {
		h := mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return mcpServer }, &mcp.SSEOptions{DisableLocalhostProtection: true})
		if err := addTransport(PathSSE, newSSEBinder().wrap(h)); err != nil {
			return nil, err
		}
		if fallback == nil {
			fallback = middleware(PathResourceMetaSSE)
		}
	}

	asMeta := &authServerMetadata{url: env.Issuer + PathAuthServer, client: client, logger: logger, now: time.Now}
	s.mux.Handle(PathAuthServer, metadataHandler(asMeta.get))
	s.mux.HandleFunc("GET "+PathHealth, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})

	for _, route := range settings.PublicRoutes {
		if err := CheckPublicRoute(route); err != nil {
			return nil, err
		}
		if prefix, ok := strings.CutSuffix(route, "/*"); ok {
			s.publicExact[prefix] = true
			s.publicPrefix = append(s.publicPrefix, prefix+"/")
		} else {
			s.publicExact[route] = true
		}
	}

	protected := fallback.Wrap(s.mux)
	s.handler = logRequests(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The transports check tokens themselves, each naming its own
		// metadata in challenges.
		if s.isPublic(r.URL.Path) || s.transports[r.URL.Path] {
			s.mux.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	}))
	return s, nil
}

// CheckPublicRoute refuses public routes that are not clean absolute paths
// or that would expose the MCP transports.
func CheckPublicRoute(route string) error {
	p := strings.TrimSuffix(route, "/*")
	if !strings.HasPrefix(route, "/") || strings.ContainsAny(route, " \t?#%") || (p != "" && path.Clean(p) != p) || strings.Contains(p, "*") {
		return fmt.Errorf("public route %q: use a clean path such as /about, or a prefix such as /docs/*", route)
	}
	for _, t := range []string{PathStreamable, PathSSE} {
		if p == "" || p == t || strings.HasPrefix(t, p+"/") {
			return fmt.Errorf("public route %q would make %s public; the MCP endpoints always need a token", route, t)
		}
	}
	return nil
}

func (s *Server) isPublic(p string) bool {
	if p != "/" && path.Clean(p) != strings.TrimSuffix(p, "/") {
		return false // not clean: let the mux redirect it after the token check
	}
	if s.publicExact[p] {
		return true
	}
	for _, prefix := range s.publicPrefix {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// Handle registers a route of your own, as http.ServeMux.Handle does. It
// needs a token unless it is among publicRoutes in clerk-mcp.yaml.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// HandleFunc registers a handler function, as http.ServeMux.HandleFunc does.
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	s.mux.HandleFunc(pattern, h)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// CloseStreams ends the long-lived streams (SSE sessions, standalone GET
// streams) so that a graceful shutdown does not wait for them.
func (s *Server) CloseStreams() { s.closeStreams() }

// endOnShutdown makes requests end when CloseStreams is called.
func (s *Server) endOnShutdown(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		stop := context.AfterFunc(s.streams, cancel)
		defer stop()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
