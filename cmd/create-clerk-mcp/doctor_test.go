package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/mcpserver"
)

// doctorEnvVars are the variables doctor reads; every test sets them all
// (or unsets them), so the machine's environment does not leak in.
var doctorEnvVars = []string{"CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY", "CLERK_FRONTEND_API_URL", "CLERK_API_URL",
	"PUBLIC_URL", "PORT", "LOG_LEVEL", "TRUSTED_PROXIES", "REQUIRE_TOKEN_AUDIENCE", "NO_COLOR"}

// setDoctorEnv sets exactly the variables in env (the others unset) for
// the test.
func setDoctorEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range doctorEnvVars {
		t.Setenv(k, "")
		if v, ok := env[k]; ok {
			os.Setenv(k, v)
		} else {
			os.Unsetenv(k)
		}
	}
}

// doctorProject writes a project's clerk-mcp.yaml (the default config,
// changed by edit) and returns its directory.
func doctorProject(t *testing.T, edit func(*generator.Config)) string {
	t.Helper()
	cfg := generator.DefaultConfig("doc")
	if edit != nil {
		edit(cfg)
	}
	data, err := generator.MarshalConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, generator.ConfigFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// healthyFake is a fake Clerk set up as MCP clients need: CIMD
// advertised, dynamic registration off, default scopes covering the
// default project's.
func healthyFake(t *testing.T) *clerkfake.Fake {
	f := clerkfake.New(t)
	f.SetOAuthSettings(clerkfake.OAuthSettings{CIMDAdvertised: true, DefaultScopes: []string{"openid", "profile", "email"}})
	return f
}

// runDoctor runs create-clerk-mcp doctor through Main, without a terminal.
func runDoctor(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	setDoctorEnv(t, env)
	var out, errOut bytes.Buffer
	code := Main(append([]string{"doctor"}, args...), strings.NewReader(""), &out, &errOut)
	t.Logf("doctor %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

// wantLine checks that out has a line of the level matching re.
func wantLine(t *testing.T, out, level, re string) {
	t.Helper()
	if !regexp.MustCompile(`(?m)^` + level + ` *  .*` + re).MatchString(out) {
		t.Errorf("no %s line matching %q in:\n%s", level, re, out)
	}
}

func noLevel(t *testing.T, out, level string) {
	t.Helper()
	if regexp.MustCompile(`(?m)^` + level + ` `).MatchString(out) {
		t.Errorf("unexpected %s lines in:\n%s", level, out)
	}
}

// publishableKey is the publishable key of a Frontend API host.
func publishableKey(prefix, host string) string {
	return prefix + base64.RawStdEncoding.EncodeToString([]byte(host+"$"))
}

func TestDoctorHealthy(t *testing.T) {
	f := healthyFake(t)
	dir := doctorProject(t, nil)
	code, out, stderr := runDoctor(t, f.Env(), "--dir", dir)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	wantLine(t, out, "ok", `keys: CLERK_SECRET_KEY \(environment\) is set; the Frontend API \(issuer\) is `+regexp.QuoteMeta(f.URL))
	wantLine(t, out, "ok", `authorization-server metadata at .*: issuer matches, S256 offered`)
	wantLine(t, out, "ok", `clients can register: Client ID Metadata Documents advertised`)
	wantLine(t, out, "ok", `default_scopes \["openid","profile","email"\] cover the server's scopes \["profile","email"\]`)
	noLevel(t, out, "fail")
	noLevel(t, out, "warn")
	if !strings.HasSuffix(out, "no problems found\n") {
		t.Errorf("no summary:\n%s", out)
	}
	if f.Calls("oauth-settings") != 1 {
		t.Errorf("read the settings %d times, want 1", f.Calls("oauth-settings"))
	}
}

func TestDoctorKeys(t *testing.T) {
	f := healthyFake(t)
	dir := doctorProject(t, nil)

	t.Run("missing", func(t *testing.T) {
		code, out, _ := runDoctor(t, nil, "--dir", dir)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		wantLine(t, out, "fail", `CLERK_SECRET_KEY is not set: copy the secret key`)
		wantLine(t, out, "fail", `CLERK_PUBLISHABLE_KEY is not set: copy the publishable key`)
		wantLine(t, out, "fail", `skipped the Clerk checks`)
	})
	t.Run("bad publishable key", func(t *testing.T) {
		code, out, _ := runDoctor(t, map[string]string{"CLERK_SECRET_KEY": f.SecretKey, "CLERK_PUBLISHABLE_KEY": "pk_test_bm90LWEta2V5"}, "--dir", dir)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		wantLine(t, out, "fail", `CLERK_PUBLISHABLE_KEY: not a Clerk publishable key \(pk_test_\.\.\. or pk_live_\.\.\. from the Clerk dashboard`)
	})
	t.Run("good publishable key decodes", func(t *testing.T) {
		// The key's host does not answer here: doctor says it decoded it
		// and then that it cannot reach it.
		env := map[string]string{"CLERK_SECRET_KEY": f.SecretKey, "CLERK_PUBLISHABLE_KEY": publishableKey("pk_test_", "doctor-test.invalid"), "CLERK_API_URL": f.URL}
		code, out, _ := runDoctor(t, env, "--dir", dir, "--timeout", "5s")
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		wantLine(t, out, "ok", `the Frontend API \(issuer\) is https://doctor-test\.invalid, from the publishable key \(environment\)`)
		wantLine(t, out, "fail", `cannot reach Clerk's Frontend API at https://doctor-test\.invalid/\.well-known/oauth-authorization-server \(.*\); check the network, and that CLERK_PUBLISHABLE_KEY`)
	})
	t.Run("malformed secret key", func(t *testing.T) {
		env := f.Env()
		env["CLERK_SECRET_KEY"] = "sk_nonsense"
		before := f.Calls("oauth-settings")
		code, out, _ := runDoctor(t, env, "--dir", dir)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		wantLine(t, out, "fail", `CLERK_SECRET_KEY does not look like a Clerk secret key: it starts with sk_test_ or sk_live_`)
		if f.Calls("oauth-settings") != before {
			t.Errorf("sent a malformed secret key to the Backend API")
		}
	})
	t.Run("test and live keys", func(t *testing.T) {
		env := f.Env()
		env["CLERK_PUBLISHABLE_KEY"] = publishableKey("pk_live_", "clerk.example.com")
		code, out, _ := runDoctor(t, env, "--dir", dir)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		wantLine(t, out, "fail", `CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY are from different environments`)
		wantLine(t, out, "warn", `CLERK_FRONTEND_API_URL \(`+regexp.QuoteMeta(f.URL)+`\) overrides the publishable key's Frontend API \(https://clerk\.example\.com\)`)
	})
	t.Run("wrong secret key", func(t *testing.T) {
		env := f.Env()
		env["CLERK_SECRET_KEY"] = "sk_test_notthisinstance"
		code, out, _ := runDoctor(t, env, "--dir", dir)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		wantLine(t, out, "fail", `reading the instance's OAuth settings: Clerk's Backend API refused CLERK_SECRET_KEY \(HTTP 401: The provided secret key is invalid\); copy the secret key again`)
	})
}

// TestDoctorDotEnv: doctor reads the project's .env as the server does,
// the real environment winning.
func TestDoctorDotEnv(t *testing.T) {
	f := healthyFake(t)
	dir := doctorProject(t, nil)
	dotenv := "CLERK_SECRET_KEY=sk_test_from_dotenv_is_wrong\nCLERK_FRONTEND_API_URL=" + f.URL + "\nCLERK_API_URL=" + f.URL + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runDoctor(t, map[string]string{"CLERK_SECRET_KEY": f.SecretKey}, "--dir", dir)
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	wantLine(t, out, "ok", `keys: CLERK_SECRET_KEY \(environment\) is set; the Frontend API \(issuer\) is `+regexp.QuoteMeta(f.URL)+`, from CLERK_FRONTEND_API_URL \(\.env\)`)

	// Without it in the environment, the .env's wrong key is used.
	code, out, _ = runDoctor(t, nil, "--dir", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `refused CLERK_SECRET_KEY`)

	// From inside the project, without --dir.
	t.Chdir(dir)
	if code, _, _ := runDoctor(t, map[string]string{"CLERK_SECRET_KEY": f.SecretKey}); code != 0 {
		t.Errorf("doctor in the project directory: exit %d", code)
	}
}

func TestDoctorClerkUnreachable(t *testing.T) {
	f := healthyFake(t)
	dir := doctorProject(t, nil)
	env := f.Env()
	f.Close()
	code, out, _ := runDoctor(t, env, "--dir", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `cannot reach Clerk's Frontend API at `+regexp.QuoteMeta(f.URL)+`/\.well-known/oauth-authorization-server \(.*connection refused\)`)
	wantLine(t, out, "fail", `cannot reach Clerk's Backend API at `+regexp.QuoteMeta(f.URL)+` \(.*\); check the network and CLERK_API_URL`)

	g := healthyFake(t)
	g.SetFault(clerkfake.MetadataDown)
	code, out, _ = runDoctor(t, g.Env(), "--dir", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `/\.well-known/oauth-authorization-server answered HTTP 503, not the authorization-server metadata`)

	g.SetFault(clerkfake.BackendDown)
	code, out, _ = runDoctor(t, g.Env(), "--dir", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `reading the instance's OAuth settings: GET .*/v1/instance/oauth_application_settings answered HTTP 503: The service is temporarily unavailable`)

	g.SetFault(clerkfake.BackendHang)
	code, out, _ = runDoctor(t, g.Env(), "--dir", dir, "--timeout", "1s")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `cannot reach Clerk's Backend API at .* \(no answer before the timeout \(--timeout\)\)`)
}

func TestDoctorAuthServerMetadata(t *testing.T) {
	f := healthyFake(t)
	dir := doctorProject(t, nil)

	// The issuer is the fake's 127.0.0.1 origin; localhost is another.
	env := f.Env()
	env["CLERK_FRONTEND_API_URL"] = strings.Replace(f.URL, "127.0.0.1", "localhost", 1)
	code, out, _ := runDoctor(t, env, "--dir", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `the authorization-server metadata says issuer "`+regexp.QuoteMeta(f.URL)+`", not http://localhost:\d+; MCP clients will refuse its tokens`)

	// An authorization server without S256.
	var stub *httptest.Server
	stub = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": stub.URL, "code_challenge_methods_supported": []string{"plain"}, "client_id_metadata_document_supported": true})
	}))
	defer stub.Close()
	env = f.Env()
	env["CLERK_FRONTEND_API_URL"] = stub.URL
	code, out, _ = runDoctor(t, env, "--dir", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `the authorization server does not offer PKCE with S256`)
}

func TestDoctorRegistration(t *testing.T) {
	dir := doctorProject(t, nil)

	f := healthyFake(t)
	f.SetCIMD(false)
	f.SetDynamicRegistration(false)
	code, out, _ := runDoctor(t, f.Env(), "--dir", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `MCP clients cannot register: the metadata has neither client_id_metadata_document_supported nor registration_endpoint; turn on .*Advertise CIMD support \(recommended\) or Dynamic client registration \(--fix\)`)
	if !strings.Contains(out, "1 problem found; create-clerk-mcp doctor --fix can change") {
		t.Errorf("no summary pointing at --fix:\n%s", out)
	}

	// DCR alone works, with a recommendation.
	f.SetDynamicRegistration(true)
	code, out, _ = runDoctor(t, f.Env(), "--dir", dir)
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	wantLine(t, out, "warn", `clients can register with dynamic client registration only \(`+regexp.QuoteMeta(f.URL)+`/oauth/register\); MCP 2026-07-28 deprecates it`)
	if !strings.Contains(out, "no problems found, 1 recommendation") {
		t.Errorf("summary:\n%s", out)
	}

	// Keys of two instances: the Frontend API of one, the Backend API of
	// another with other settings.
	other := clerkfake.New(t)
	other.SetOAuthSettings(clerkfake.OAuthSettings{CIMDAdvertised: true, DefaultScopes: []string{"profile", "email"}})
	env := f.Env()
	env["CLERK_FRONTEND_API_URL"] = other.URL
	code, out, _ = runDoctor(t, env, "--dir", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `the secret key's instance has client_id_metadata_documents_advertised=false and dynamic_oauth_client_registration=true but the Frontend API's metadata shows true and false: the keys look like they are from different Clerk instances`)
}

func TestDoctorDefaultScopes(t *testing.T) {
	f := healthyFake(t)
	f.SetDefaultScopes("profile")
	dir := doctorProject(t, func(c *generator.Config) {
		c.Scopes = []string{"profile", "email", "notes:read"}
		c.RequiredScopes = []string{"notes:read"}
	})
	code, out, _ := runDoctor(t, f.Env(), "--dir", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `the instance's default_scopes \["profile"\] lack email, notes:read, which the server advertises \(clerk-mcp\.yaml scopes\).*\(--fix\)`)
}

// startServer runs the project's server (the runtime package, in process)
// against the fake, with env changed by edit.
func startServer(t *testing.T, f *clerkfake.Fake, cfg *generator.Config, edit func(*mcpserver.Env)) *httptest.Server {
	t.Helper()
	env, err := mcpserver.LoadEnv(func(k string) string { return f.Env()[k] })
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	env.PublicURL = srv.URL
	if edit != nil {
		edit(&env)
	}
	s, err := mcpserver.New(mcpserver.Settings{Name: cfg.Name, Version: "test", Streamable: cfg.HasTransport(generator.TransportStreamable),
		SSE: cfg.HasTransport(generator.TransportSSE), Stateless: cfg.Sessions == generator.SessionsStateless, Scopes: cfg.Scopes}, env, mcpserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h = s
	return srv
}

func TestDoctorRunningServer(t *testing.T) {
	f := healthyFake(t)
	var cfg *generator.Config
	dir := doctorProject(t, func(c *generator.Config) {
		c.Transports = []string{generator.TransportStreamable, generator.TransportSSE}
		cfg = c
	})

	srv := startServer(t, f, cfg, nil)
	code, out, _ := runDoctor(t, f.Env(), "--dir", dir, "--url", srv.URL)
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	for _, p := range []string{"/mcp", "/sse"} {
		wantLine(t, out, "ok", `the server's metadata at `+regexp.QuoteMeta(srv.URL+"/.well-known/oauth-protected-resource"+p)+` names resource `+regexp.QuoteMeta(srv.URL+p)+` and issuer `+regexp.QuoteMeta(f.URL))
		wantLine(t, out, "ok", `the server's 401 challenge at `+regexp.QuoteMeta(srv.URL+p)+` points at `+regexp.QuoteMeta(srv.URL+"/.well-known/oauth-protected-resource"+p))
	}
	// The MCP endpoint alone.
	code, out, _ = runDoctor(t, f.Env(), "--dir", dir, "--url", srv.URL+"/mcp")
	if code != 0 || strings.Contains(out, "/sse") {
		t.Errorf("--url .../mcp: exit %d\n%s", code, out)
	}

	// PUBLIC_URL is not the URL clients use.
	wrong := startServer(t, f, cfg, func(e *mcpserver.Env) { e.PublicURL = "https://mcp.example.com" })
	env := f.Env()
	env["PUBLIC_URL"] = "https://mcp.example.com"
	code, out, _ = runDoctor(t, env, "--dir", dir, "--url", wrong.URL+"/mcp")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "warn", `PUBLIC_URL here is https://mcp\.example\.com but --url is `+regexp.QuoteMeta(wrong.URL))
	wantLine(t, out, "fail", `says resource "https://mcp\.example\.com/mcp", not `+regexp.QuoteMeta(wrong.URL+"/mcp")+`; clients will refuse it: set PUBLIC_URL=`+regexp.QuoteMeta(wrong.URL))
	wantLine(t, out, "fail", `the server's 401 challenge at .* points at resource_metadata "https://mcp\.example\.com/\.well-known/oauth-protected-resource/mcp", not `)

	// The server runs with another instance's keys.
	other := clerkfake.New(t)
	otherSrv := startServer(t, other, cfg, nil)
	code, out, _ = runDoctor(t, f.Env(), "--dir", dir, "--url", otherSrv.URL+"/mcp")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `names authorization servers \["`+regexp.QuoteMeta(other.URL)+`"\], not the keys' issuer `+regexp.QuoteMeta(f.URL)+`; the server runs with other Clerk keys`)

	// Something that is not this server: no metadata, no 401.
	open := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/") {
			json.NewEncoder(w).Encode(map[string]any{"resource": "http://" + r.Host + "/mcp", "authorization_servers": []string{f.URL}})
			return
		}
		w.Write([]byte("{}"))
	}))
	defer open.Close()
	code, out, _ = runDoctor(t, f.Env(), "--dir", dir, "--url", open.URL+"/mcp")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `answered HTTP 200 to a request without a token, not 401`)

	// Nothing listening.
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	code, out, _ = runDoctor(t, f.Env(), "--dir", dir, "--url", down.URL)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLine(t, out, "fail", `cannot reach the server at `+regexp.QuoteMeta(down.URL)+`/\.well-known/oauth-protected-resource/mcp \(.*\); start it \(go run \.\) or check --url`)
}

// brokenFake is an instance as new: no way for clients to register, no
// default scopes.
func brokenFake(t *testing.T) *clerkfake.Fake {
	f := clerkfake.New(t)
	f.SetOAuthSettings(clerkfake.OAuthSettings{})
	return f
}

func TestDoctorFixYes(t *testing.T) {
	f := brokenFake(t)
	dir := doctorProject(t, nil)
	code, out, _ := runDoctor(t, f.Env(), "--dir", dir, "--fix", "--yes")
	if code != 0 {
		t.Errorf("exit %d, want 0 after the fixes", code)
	}
	s := f.OAuthSettings()
	if !s.CIMDAdvertised || s.DynamicRegistration || !slices.Equal(s.DefaultScopes, []string{"profile", "email"}) || s.JWTAccessTokens {
		t.Errorf("settings after --fix = %+v", s)
	}
	for _, want := range []string{
		"changed client_id_metadata_documents_advertised: false -> true\n",
		`changed default_scopes: [] -> ["profile","email"]` + "\n",
		"\nchecking again:\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	_, after, _ := strings.Cut(out, "checking again:")
	wantLine(t, after, "ok", `clients can register: Client ID Metadata Documents advertised`)
	noLevel(t, after, "fail")
	if !strings.HasSuffix(out, "no problems found\n") {
		t.Errorf("summary:\n%s", out)
	}

	// Nothing wrong: nothing changed.
	before := f.Calls("oauth-settings")
	code, out, _ = runDoctor(t, f.Env(), "--dir", dir, "--fix", "--yes")
	if code != 0 || !strings.Contains(out, "--fix: nothing that doctor can change") || f.Calls("oauth-settings") != before+1 {
		t.Errorf("second --fix: exit %d, %d settings calls\n%s", code, f.Calls("oauth-settings")-before, out)
	}
}

// TestDoctorFixAsks: --fix asks for each change, and changes only those
// agreed to.
func TestDoctorFixAsks(t *testing.T) {
	f := brokenFake(t)
	f.SetDefaultScopes("openid")
	dir := doctorProject(t, nil)
	setDoctorEnv(t, f.Env())
	p := &scriptedPrompter{confirm: []bool{true, false}}
	var out, errOut bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, prompter: p}
	code := a.execute([]string{"doctor", "--dir", dir, "--fix"})
	t.Logf("%s%s", out.String(), errOut.String())
	if code != 1 {
		t.Errorf("exit %d, want 1: the scopes were left wrong", code)
	}
	want := []string{
		"Advertise Client ID Metadata Documents support: set client_id_metadata_documents_advertised to true (now false)?",
		`Give clients that ask for no scope the server's scopes: set default_scopes to ["openid","profile","email"] (now ["openid"])?`,
	}
	if !slices.Equal(p.asked, want) {
		t.Errorf("asked %q,\nwant %q", p.asked, want)
	}
	if s := f.OAuthSettings(); !s.CIMDAdvertised || !slices.Equal(s.DefaultScopes, []string{"openid"}) {
		t.Errorf("settings = %+v", s)
	}
	if !strings.Contains(out.String(), "left default_scopes as it is") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestDoctorUsage(t *testing.T) {
	f := healthyFake(t)
	dir := doctorProject(t, nil)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--fix"}, "--fix asks before it changes the Clerk instance, and there is no terminal to ask in; pass --yes"},
		{[]string{"--yes"}, "--yes only goes with --fix"},
		{[]string{"--url", "localhost:8080"}, `invalid --url "localhost:8080": give the server's origin or MCP endpoint`},
		{[]string{"--url", "http://localhost:8080/other"}, "the path must be empty, /mcp or /sse"},
		{[]string{"extra"}, "doctor takes no arguments"},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
	} {
		code, out, stderr := runDoctor(t, f.Env(), append([]string{"--dir", dir}, tc.args...)...)
		if code != 2 || !strings.HasPrefix(stderr, "create-clerk-mcp: ") || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 || out != "" {
			t.Errorf("doctor %q: exit %d, stderr %q, want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	code, _, stderr := runDoctor(t, f.Env(), "--dir", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "has no clerk-mcp.yaml; give the directory of a project") {
		t.Errorf("no project: exit %d, %q", code, stderr)
	}
}
