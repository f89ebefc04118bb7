package mcpserver

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
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
	// Stateless serves /mcp without sessions: every POST stands alone, so
	// any replica can serve any request, and protocol 2026-07-28 is
	// spoken. Otherwise sessions (Mcp-Session-Id) live in this process.
	Stateless bool
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
	// Operations are the scopes each tool, prompt and resource needs: a
	// call without them gets 403 insufficient_scope naming them all.
	Operations Operations
}

// Options are what New needs besides Settings and Env.
type Options struct {
	// RegisterTools adds the tools to the MCP server.
	RegisterTools func(*mcp.Server)
	// ServerOptions, if set, completes the MCP server's options (argument
	// completion, resource subscriptions) before the server is made.
	ServerOptions func(*mcp.ServerOptions)
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// HTTPClient makes the calls to Clerk; nil uses
	// clerkauth.NewHTTPClient() (a three-second timeout, connections
	// closed after two idle seconds).
	HTTPClient *http.Client
}

// Paths of the built-in routes.
const (
	PathStreamable      = "/mcp"
	PathSSE             = "/sse"
	PathHealth          = "/healthz"
	PathReady           = "/readyz"
	PathAuthServer      = "/.well-known/oauth-authorization-server"
	prefixResourceMeta  = "/.well-known/oauth-protected-resource"
	PathResourceMetaMCP = prefixResourceMeta + PathStreamable
	PathResourceMetaSSE = prefixResourceMeta + PathSSE
)

// Server is the HTTP handler of the MCP server. Everything it serves needs
// a valid Clerk OAuth access token except the metadata routes, /healthz,
// /readyz and the configured public routes.
type Server struct {
	mux          *http.ServeMux
	public       publicSet
	protect      func(http.Handler) http.Handler // the token check for routes outside the transports
	verifier     *clerkauth.Verifier
	grace        time.Duration
	streams      *streamSet
	protectedMux http.Handler  // the mux behind the token check, for what no route serves
	bodyTimeout  time.Duration // REQUEST_BODY_TIMEOUT, for the routes that read bodies themselves
	requestLog   *slog.Logger  // logs each request at LOG_LEVEL=debug; nil otherwise
}

// route is every handler registered on the mux, marked as the server's own.
// The mux's own answers (404, 405, redirects to a cleaned path) are not
// routes, and need a token like anything else that is not public.
type route struct {
	http.Handler
	// ownBody: the handler bounds the request body itself (the
	// transports read it within the body timeout; the built-in routes
	// never read it and close the connection instead).
	ownBody bool
}

// builtin is a route of the server's own that reads no request body: a
// request with one is answered at once and its connection closed, rather
// than left to net/http, which would read up to 256 KiB of it first.
func builtin(h http.Handler) route {
	return route{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clerkauth.EndUnreadBody(w, r)
		h.ServeHTTP(w, r)
	}), ownBody: true}
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
	if strings.Contains(os.Getenv("GODEBUG"), "httpmuxgo121=1") {
		// The old ServeMux reads patterns differently from the one the
		// public-route decision is made for.
		return nil, errors.New("GODEBUG=httpmuxgo121=1 is set: this server needs Go's current ServeMux; unset it")
	}
	for _, route := range settings.PublicRoutes {
		if err := CheckPublicRoute(route); err != nil {
			return nil, err
		}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	client := opts.HTTPClient
	if client == nil {
		client = clerkauth.NewHTTPClient()
	}
	verifier, err := clerkauth.NewVerifier(clerkauth.Config{
		Issuer:          env.Issuer,
		APIURL:          env.APIURL,
		SecretKey:       env.SecretKey,
		Audiences:       []string{env.PublicURL, env.PublicURL + PathStreamable, env.PublicURL + PathSSE},
		RequireAudience: env.RequireAudience,
		HTTPClient:      client,
		Logger:          logger,
	})
	if err != nil {
		return nil, err
	}
	limits := env.Limits.withDefaults()

	// The go-sdk logs each session's start and end at info level; in
	// stateless mode every request is a session of its own, which made
	// three log lines (and writes) per tools/call. Its info lines go out
	// at debug level, with the request lines of LOG_LEVEL=debug.
	sdkLogger := slog.New(infoAsDebug{logger.Handler()})
	serverOptions := &mcp.ServerOptions{Logger: sdkLogger}
	if opts.ServerOptions != nil {
		opts.ServerOptions(serverOptions)
	}
	mcpServer := mcp.NewServer(&mcp.Implementation{Name: settings.Name, Version: settings.Version}, serverOptions)
	if opts.RegisterTools != nil {
		opts.RegisterTools(mcpServer)
	}

	s := &Server{mux: http.NewServeMux(), verifier: verifier, grace: limits.ShutdownTimeout}
	for _, r := range settings.PublicRoutes {
		s.public.add(r)
	}
	logs := clerkauth.NewLogThrottle(10 * time.Second)
	clientAddress := func(r *http.Request) string { return clerkauth.ClientAddress(r, env.TrustedProxies) }
	middleware := func(metaPath string) *clerkauth.Middleware {
		return &clerkauth.Middleware{
			Verifier: verifier, ResourceMetadataURL: env.PublicURL + metaPath, RequiredScopes: settings.RequiredScopes,
			ChallengeScopes: challengeScopes(settings.Scopes), ClientAddress: clientAddress, Logger: logger, Logs: logs,
		}
	}
	s.streams = newStreamSet()
	guard := newTransportGuard(env.PublicURL, settings.AllowedOrigins)
	users := newUserLimits(limits, mcpServer)
	bodies := newBodyReader(limits.BodyTimeout)

	addTransport := func(path string, transport http.Handler, sessions, streams, listens *userLimits) error {
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
		ops, err := newOperationGuard(settings.Operations, settings.RequiredScopes, env.PublicURL+metaPath)
		if err != nil {
			return err
		}
		s.mux.Handle(metaPath, builtin(meta))
		s.mux.Handle(path, &transportRoute{
			guard: guard, auth: middleware(metaPath), bodies: bodies, ops: ops, sessions: sessions, streams: streams, listens: listens,
			transport: transport,
		})
		return nil
	}
	// The first enabled transport's metadata is the one announced for
	// protected routes outside the transports.
	var fallback *clerkauth.Middleware
	if settings.Streamable {
		var h http.Handler = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return mcpServer }, &mcp.StreamableHTTPOptions{
			Logger:                     sdkLogger,
			Stateless:                  settings.Stateless,
			SessionTimeout:             limits.SessionIdleTimeout,
			DisableLocalhostProtection: true, // transportGuard does it, allowing PUBLIC_URL's host
		})
		// Stateless requests hold nothing between them to bound (and a
		// GET gets 405).
		sessions := users
		if settings.Stateless {
			sessions = nil
		}
		if err := addTransport(PathStreamable, h, sessions, sessions, users); err != nil {
			return nil, err
		}
		fallback = middleware(PathResourceMetaMCP)
	}
	if settings.SSE {
		h := mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return mcpServer }, &mcp.SSEOptions{DisableLocalhostProtection: true})
		if err := addTransport(PathSSE, newSSEBinder().wrap(h), nil, users, nil); err != nil {
			return nil, err
		}
		if fallback == nil {
			fallback = middleware(PathResourceMetaSSE)
		}
	}
	s.protect = fallback.Wrap

	asMeta := &authServerMetadata{url: env.Issuer + PathAuthServer, client: client, logger: logger, logs: logs, now: time.Now}
	s.mux.Handle(PathAuthServer, builtin(metadataHandler(asMeta.get)))
	s.mux.Handle("GET "+PathHealth, builtin(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})))
	s.mux.Handle("GET "+PathReady, builtin(http.HandlerFunc(s.ready)))

	s.protectedMux = s.protect(s.mux)
	s.bodyTimeout = limits.BodyTimeout
	if logger.Enabled(context.Background(), slog.LevelDebug) {
		// One line per request at LOG_LEVEL=debug: method, path (never
		// the query, which holds SSE session ids, nor any header),
		// status and duration. At the default level a flood of
		// requests adds nothing to the log but the throttled warnings.
		s.requestLog = logger
	}
	verifier.Warm()
	return s, nil
}

// challengeScopes are the scopes a 401 names, so that a client asks Clerk
// for what this server uses rather than everything Clerk offers:
// the advertised scopes, without offline_access (a refresh token is the
// client's business, and Clerk refuses it to some clients).
func challengeScopes(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if s != "offline_access" {
			out = append(out, s)
		}
	}
	return out
}

// ready answers /readyz: 200 once the signing keys are loaded (tokens can
// be verified), 503 until then or while Clerk cannot be reached for them.
func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !s.verifier.Ready() {
		s.verifier.Warm()
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unavailable","reason":"Clerk's signing keys are not loaded yet"}` + "\n"))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
}

// Handle registers a route of your own, as http.ServeMux.Handle does. It
// needs a token unless publicRoutes in clerk-mcp.yaml cover every path the
// pattern matches: "/about" is public with publicRoutes [/about], and
// "/docs/{page}" with [/docs/*]; "/{page}" is not public with either, even
// for a request of /about. Handle panics, as ServeMux does, on a pattern
// that is not valid or that conflicts with another.
func (s *Server) Handle(pattern string, h http.Handler) {
	shape, err := parsePattern(pattern)
	if err != nil {
		panic("mcpserver: " + err.Error())
	}
	if !s.public.covers(shape) {
		h = s.protect(h)
	}
	s.mux.Handle(pattern, route{Handler: h})
}

// HandleFunc registers a handler function, as Handle does.
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	s.Handle(pattern, http.HandlerFunc(h))
}

// ServeHTTP serves a request. A request to a transport is served from this
// frame: each check returns before the transport is called, so that the
// go-sdk's deep handlers run with no other frame of this server's under
// them. Every frame there is walked again by each garbage collection while
// a request is in flight (a standalone GET stream is in flight for as long
// as its session lives), and under load the go-sdk's allocations bring a
// collection every few requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.requestLog != nil {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		w = rec
		defer func() {
			s.requestLog.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start).Round(time.Microsecond))
		}()
	}
	h, pattern := s.mux.Handler(r)
	if t, ok := h.(*transportRoute); ok && r.RequestURI != "*" {
		// The transports' patterns have no wildcards: no path values
		// to set, only the pattern, and the mux would find t again.
		r.Pattern = pattern
		r, held, user, ok := t.admit(w, r)
		if !ok {
			return
		}
		defer func() { t.done(w, held, user) }()
		bound, stream := t.opensStream(r)
		if stream && held.bytes <= exactBodyBytes {
			// A stream may stay open for as long as its client lives:
			// a small body (a listen request's is) keeps no place in
			// the budget of bodies held in memory meanwhile; a large
			// one stays counted.
			t.bodies.release(held)
			held = bodyHold{}
		}
		if stream {
			var opened openedStream
			if r, opened, ok = t.openStream(w, r, s.streams, bound); !ok {
				return
			}
			defer opened.end(r.Context())
		}
		t.transport.ServeHTTP(w, r)
		return
	}
	s.serveOther(w, r, h, pattern)
}

// serveOther serves what is not a transport: the server's other routes, the
// user's, and what the mux answers itself.
func (s *Server) serveOther(w http.ResponseWriter, r *http.Request, h http.Handler, pattern string) {
	// Each route brings its own protection (see publicSet). What the mux
	// answers itself (404, 405) needs a token too, unless the path is
	// public: no handler of anyone's runs for those.
	if rt, ok := h.(route); ok {
		if !rt.ownBody {
			orig := r
			r = boundBody(w, r, s.bodyTimeout)
			if r != orig {
				defer clerkauth.RemoveUploads(r, orig)
			}
		}
		if r.RequestURI != "*" && !strings.Contains(pattern, "{") {
			// The mux would find rt again. Without wildcards in its
			// pattern there are no path values to set, only the
			// pattern: serve it without a second lookup.
			r.Pattern = pattern
			rt.ServeHTTP(w, r)
			return
		}
		s.mux.ServeHTTP(w, r)
		return
	}
	if _, ok := h.(*transportRoute); ok {
		s.mux.ServeHTTP(w, r) // an OPTIONS * request, which the mux answers
		return
	}
	if s.public.coversRequest(r) {
		clerkauth.EndUnreadBody(w, r)
		// A redirect to a public path may be followed; anything else
		// the mux would say (a 405 naming a private route's methods, a
		// redirect to a private path) is a plain 404.
		if shape, err := parsePattern(pattern); pattern != "" && err == nil && s.public.covers(shape) {
			s.mux.ServeHTTP(w, r)
			return
		}
		clerkauth.WriteJSONError(w, http.StatusNotFound, "not_found", "nothing is served at this path")
		return
	}
	s.protectedMux.ServeHTTP(w, r)
}

// transportRoute is /mcp or /sse: the transport behind its checks (the
// transport guard, the token, the body, the operation's scopes, the user's
// session and stream bounds), run one after the other by Server.ServeHTTP,
// each returning before the transport is called rather than as nested
// handlers.
type transportRoute struct {
	guard    *transportGuard
	auth     *clerkauth.Middleware
	bodies   *bodyReader
	ops      *operationGuard
	sessions *userLimits // bounds the sessions POSTs open; nil where none are kept
	streams  *userLimits // bounds the GET streams a user holds open; nil where GET opens none
	listens  *userLimits // bounds the subscriptions/listen streams; nil on SSE

	transport http.Handler
}

// ServeHTTP is never called: Server.ServeHTTP serves the transports itself,
// and the one request it leaves to the mux that would match (OPTIONS *) the
// mux answers without a handler. It is here to make a transportRoute a
// handler the mux can hold.
func (t *transportRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	clerkauth.EndUnreadBody(w, r)
	clerkauth.WriteJSONError(w, http.StatusNotFound, "not_found", "nothing is served at this path")
}

// opensStream reports whether r may hold its response open for long: a
// GET (a session's standalone stream, or an SSE session), or a POST of
// subscriptions/listen (MCP 2026-07-28: the stream of notifications, in
// either session mode). It returns the bound that applies (nil: none).
func (t *transportRoute) opensStream(r *http.Request) (*userLimits, bool) {
	switch {
	case r.Method == http.MethodGet:
		return t.streams, true
	case r.Method == http.MethodPost && t.listens != nil:
		body, ok := bufferedBodyOf(r)
		if !ok || !bytes.Contains(body, []byte(methodListen)) {
			return nil, false
		}
		reqs, _ := parseRPC(body)
		for i := range reqs {
			if reqs[i].Method == methodListen {
				return t.listens, true
			}
		}
	}
	return nil, false
}

// methodListen opens the stream of notifications of MCP 2026-07-28.
const methodListen = "subscriptions/listen"

// openStream readies a request that may hold its stream open for as long
// as a session or a client lives: within the user's stream bound (bound,
// if not nil), and ended when the server shuts down (streams.closeAll).
// It returns the request to serve and the stream, to end with that
// request's context once it has been served; or false when it has answered
// the request itself.
func (t *transportRoute) openStream(w http.ResponseWriter, r *http.Request, streams *streamSet, bound *userLimits) (*http.Request, openedStream, bool) {
	opened := openedStream{set: streams}
	if bound != nil {
		if id, ok := clerkauth.UserIDFrom(r.Context()); ok {
			if !bound.openStream(id) {
				tooMany(w, "streams", bound.limits.MaxStreamsPerUser, "MAX_STREAMS_PER_USER")
				return nil, openedStream{}, false
			}
			opened.bound, opened.user = bound, id
		}
	}
	ctx, cancel := context.WithCancel(r.Context())
	streams.add(ctx, cancel)
	return r.WithContext(ctx), opened, true
}

// openedStream is what a stream holds until it ends: its place in the
// server's streams and in its user's bound, if any. It is a value, so that
// the stream's deferred end keeps no object of its own.
type openedStream struct {
	set   *streamSet
	bound *userLimits
	user  string
}

// end forgets the stream whose context is ctx, and gives back its place.
func (o openedStream) end(ctx context.Context) {
	o.set.remove(ctx)
	if o.user != "" {
		o.bound.closeStream(o.user)
	}
}

// streamSet is the long-lived streams being served, each by the cancel
// function of its context, which CloseStreams calls. (A context.AfterFunc
// on a server-wide context did the same with three more objects per
// stream, each walked by every garbage collection for the stream's life.)
type streamSet struct {
	mu     sync.Mutex
	closed bool
	open   map[context.Context]context.CancelFunc
}

func newStreamSet() *streamSet {
	return &streamSet{open: make(map[context.Context]context.CancelFunc)}
}

// add records a stream's context; after closeAll it is cancelled at once.
func (s *streamSet) add(ctx context.Context, cancel context.CancelFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		cancel()
		return
	}
	s.open[ctx] = cancel
}

// remove forgets a stream that has ended, cancelling its context.
func (s *streamSet) remove(ctx context.Context) {
	s.mu.Lock()
	cancel := s.open[ctx]
	delete(s.open, ctx)
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// closeAll cancels every stream, and any opened from now on.
func (s *streamSet) closeAll() {
	s.mu.Lock()
	s.closed = true
	open := s.open
	s.open = make(map[context.Context]context.CancelFunc)
	s.mu.Unlock()
	for _, cancel := range open {
		cancel()
	}
}

// admit runs the checks. It returns the request to serve (carrying its
// caller, its body read), the place its body holds and the user whose
// session place it holds, for done; or false when it has answered the
// request itself.
func (t *transportRoute) admit(w http.ResponseWriter, r *http.Request) (_ *http.Request, held bodyHold, user string, ok bool) {
	if !t.guard.check(w, r) {
		return nil, bodyHold{}, "", false
	}
	if r, ok = t.auth.Authenticate(w, r); !ok {
		return nil, bodyHold{}, "", false
	}
	if held, ok = t.bodies.take(w, r); !ok {
		return nil, bodyHold{}, "", false
	}
	if r.Method == http.MethodGet && held.bytes != 0 {
		// A GET's body means nothing to the transport, and its stream
		// may stay open for as long as a session lives: the body is
		// dropped and keeps no place among the bodies held in memory.
		t.bodies.release(held)
		held, r.Body = bodyHold{}, http.NoBody
	}
	if !t.ops.check(w, r) {
		t.bodies.release(held)
		return nil, bodyHold{}, "", false
	}
	if t.sessions != nil && r.Method == http.MethodPost {
		if user, ok = t.sessions.admitPost(w, r); !ok {
			t.bodies.release(held)
			return nil, bodyHold{}, "", false
		}
	}
	return r, held, user, true
}

// done gives back what admit held once the request has been served.
func (t *transportRoute) done(w http.ResponseWriter, held bodyHold, user string) {
	t.bodies.release(held)
	if user != "" {
		t.sessions.settleSession(user, firstValue(w.Header(), "Mcp-Session-Id"))
	}
}

// ShutdownTimeout is how long Serve lets requests in flight finish after
// it is told to stop (SHUTDOWN_TIMEOUT).
func (s *Server) ShutdownTimeout() time.Duration { return s.grace }

// CloseStreams ends the long-lived streams (SSE sessions, standalone GET
// streams, subscriptions/listen streams) so that a graceful shutdown does
// not wait for them.
func (s *Server) CloseStreams() { s.streams.closeAll() }
