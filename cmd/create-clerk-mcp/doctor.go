package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/joho/godotenv"
	"github.com/spf13/cobra"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/mcpserver"
)

// Names of the instance's OAuth application settings in the Backend API.
const (
	settingDCR           = "dynamic_oauth_client_registration"
	settingJWT           = "oauth_jwt_access_tokens"
	settingCIMD          = "client_id_metadata_documents_advertised"
	settingDefaultScopes = "default_scopes"
	settingsPath         = "/v1/instance/oauth_application_settings"
)

type doctorFlags struct {
	dir, url   string
	fix, yes   bool
	timeout    time.Duration
	lookupEnvF func(string) (string, bool)
}

func newDoctorCmd(a *app) *cobra.Command {
	f := doctorFlags{lookupEnvF: os.LookupEnv}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Diagnose the project's Clerk setup (and a running server)",
		Long: `doctor checks what MCP clients need from the project's Clerk instance and, with --url,
from a running server. It reads the environment the server reads (CLERK_SECRET_KEY,
CLERK_PUBLISHABLE_KEY, CLERK_FRONTEND_API_URL, CLERK_API_URL, PUBLIC_URL; the project's .env
fills in what the environment does not set) and prints one line per finding, each saying
what to do. It checks:
  - the keys are set and well-formed, and the publishable key decodes to a Frontend API host;
  - Clerk's authorization-server metadata is reachable, its issuer matches, S256 is offered;
  - MCP clients can register: Client ID Metadata Documents (recommended) or dynamic client
    registration;
  - the instance's OAuth settings (Backend API) give, in default_scopes, the scopes the
    server advertises (clerk-mcp.yaml scopes), for clients that ask for none;
  - with --url, the server's protected-resource metadata names that URL and the keys'
    issuer, and its 401 challenge points at that metadata.
--fix offers to change the instance settings found wrong, asking first unless --yes.
Exit status: 0 when nothing is wrong, 1 otherwise.`,
		Example: `  create-clerk-mcp doctor
  create-clerk-mcp doctor --url http://localhost:8080
  create-clerk-mcp doctor --fix
  create-clerk-mcp doctor --dir ./notes --fix --yes`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("doctor takes no arguments; give the project with --dir DIR and a running server with --url URL")
			}
			return nil
		},
		RunE: func(*cobra.Command, []string) error { return a.runDoctor(&f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", "", "project directory (default: found from the current directory upwards)")
	fl.StringVar(&f.url, "url", "", "a running server to check too, such as http://localhost:8080 or https://mcp.example.com/mcp")
	fl.BoolVar(&f.fix, "fix", false, "offer to change the Clerk instance settings found wrong (through the Backend API)")
	fl.BoolVarP(&f.yes, "yes", "y", false, "with --fix: change them without asking")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "how long each HTTP request may take")
	return cmd
}

// A finding is one line of the report.
type finding struct {
	level string // "ok", "warn" or "fail"
	text  string
}

// A settingFix is a change of one instance setting that --fix offers.
type settingFix struct {
	key      string
	from, to any
	what     string // what the change does, for the question
}

// doctor holds one run of the checks.
type doctor struct {
	flags    *doctorFlags
	root     string
	cfg      *generator.Config
	client   *http.Client
	findings []finding
	fixes    []settingFix
}

func (d *doctor) add(level, format string, args ...any) {
	d.findings = append(d.findings, finding{level, fmt.Sprintf(format, args...)})
}

func (a *app) runDoctor(f *doctorFlags) error {
	if f.yes && !f.fix {
		return usagef("--yes only goes with --fix; run create-clerk-mcp doctor --fix --yes to change the settings without asking")
	}
	if f.fix && !f.yes && a.prompter == nil {
		return usagef("--fix asks before it changes the Clerk instance, and there is no terminal to ask in; pass --yes to change them without asking")
	}
	if f.timeout <= 0 {
		return usagef("--timeout must be positive, such as --timeout 10s")
	}
	var target *url.URL
	if f.url != "" {
		u, err := url.Parse(f.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return usagef("invalid --url %q: give the server's origin or MCP endpoint, such as http://localhost:8080 or https://mcp.example.com/mcp", f.url)
		}
		if p := strings.TrimSuffix(u.Path, "/"); p != "" && p != mcpserver.PathStreamable && p != mcpserver.PathSSE {
			return usagef("invalid --url %q: the path must be empty, /mcp or /sse", f.url)
		}
		target = u
	}
	root, err := findProject(f.dir)
	if err != nil {
		return err
	}
	cfg, _, err := loadProject(root)
	if err != nil {
		return err
	}
	st := newStyler(a.stdout)
	d := &doctor{flags: f, root: root, cfg: cfg, client: &http.Client{Timeout: f.timeout}}
	d.check(target)
	d.print(a.stdout, st)
	if !f.fix {
		return d.result(a.stdout, st, false)
	}
	if len(d.fixes) == 0 {
		fmt.Fprintln(a.stdout, "--fix: nothing that doctor can change in the Clerk instance")
		return d.result(a.stdout, st, true)
	}
	chosen := map[string]any{}
	var applied []settingFix
	for _, fx := range d.fixes {
		if !f.yes {
			ok, err := a.prompter.Confirm(fmt.Sprintf("%s: set %s to %s (now %s)?", fx.what, fx.key, jsonText(fx.to), jsonText(fx.from)),
				"doctor changes this setting of your Clerk instance through the Backend API (PATCH "+settingsPath+"); answer no to leave it as it is.", true)
			if err != nil {
				return fmt.Errorf("stopped before changing anything: %w", err)
			}
			if !ok {
				fmt.Fprintf(a.stdout, "left %s as it is\n", fx.key)
				continue
			}
		}
		chosen[fx.key] = fx.to
		applied = append(applied, fx)
	}
	if len(chosen) == 0 {
		fmt.Fprintln(a.stdout, "changed nothing")
		return d.result(a.stdout, st, true)
	}
	env, _ := d.env()
	if _, err := d.backend(http.MethodPatch, env, chosen); err != nil {
		return fmt.Errorf("could not change the instance settings: %v; change them in the Clerk dashboard (Configure > OAuth applications) instead", err)
	}
	for _, fx := range applied {
		fmt.Fprintf(a.stdout, "%s %s: %s -> %s\n", st.green("changed"), fx.key, jsonText(fx.from), jsonText(fx.to))
	}
	fmt.Fprintln(a.stdout, "\nchecking again:")
	again := &doctor{flags: f, root: root, cfg: cfg, client: d.client}
	again.check(target)
	again.print(a.stdout, st)
	return again.result(a.stdout, st, true)
}

// result prints the summary line and turns failures into exit status 1.
func (d *doctor) result(w io.Writer, st styler, fixing bool) error {
	fails, warns := 0, 0
	for _, f := range d.findings {
		switch f.level {
		case "fail":
			fails++
		case "warn":
			warns++
		}
	}
	switch {
	case fails == 0 && warns == 0:
		fmt.Fprintln(w, st.green("no problems found"))
		return nil
	case fails == 0:
		fmt.Fprintf(w, "no problems found, %s\n", plural(warns, "recommendation"))
		return nil
	}
	hint := ""
	if len(d.fixes) > 0 && !fixing {
		hint = "; create-clerk-mcp doctor --fix can change the instance settings marked (--fix)"
	}
	fmt.Fprintf(w, "%s%s\n", st.red(plural(fails, "problem")+" found"), hint)
	return silentError{exitFailure}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (d *doctor) print(w io.Writer, st styler) {
	for _, f := range d.findings {
		label := fmt.Sprintf("%-4s", f.level)
		switch f.level {
		case "ok":
			label = st.green(label)
		case "warn":
			label = st.yellow(label)
		default:
			label = st.red(label)
		}
		fmt.Fprintf(w, "%s  %s\n", label, f.text)
	}
}

// lookup reads a variable as the server does: the real environment first,
// then the project's .env.
func (d *doctor) lookup() (func(string) string, map[string]string, error) {
	dotenv, err := godotenv.Read(filepath.Join(d.root, ".env"))
	if errors.Is(err, fs.ErrNotExist) {
		dotenv, err = map[string]string{}, nil
	}
	from := map[string]string{}
	return func(k string) string {
		if v, ok := d.flags.lookupEnvF(k); ok {
			from[k] = "environment"
			return v
		}
		if v, ok := dotenv[k]; ok {
			from[k] = ".env"
			return v
		}
		return ""
	}, from, err
}

func (d *doctor) env() (mcpserver.Env, error) {
	getenv, _, err := d.lookup()
	if err != nil {
		return mcpserver.Env{}, err
	}
	return mcpserver.LoadEnv(getenv)
}

func (d *doctor) check(target *url.URL) {
	getenv, from, err := d.lookup()
	if err != nil {
		d.add("fail", "%s cannot be read (%v); fix its syntax (KEY=value lines), as the server will not start with it", filepath.Join(d.root, ".env"), err)
		return
	}
	env, envErr := mcpserver.LoadEnv(getenv)
	keysOK := d.checkKeys(getenv, from, env, envErr)
	if env.Issuer == "" {
		d.add("fail", "skipped the Clerk checks: without a Frontend API URL there is no Clerk instance to ask")
		return
	}
	md, ok := d.checkAuthServer(env)
	var settings map[string]any
	if keysOK {
		settings = d.readSettings(env)
	}
	if ok {
		d.checkRegistration(md, settings)
	}
	if settings != nil {
		d.checkSettings(settings)
	}
	if target != nil {
		d.checkServer(target, env, getenv)
	}
}

// checkKeys reports on the keys and the environment as the server reads
// it. It returns whether the secret key can be used for Backend API calls.
func (d *doctor) checkKeys(getenv func(string) string, from map[string]string, env mcpserver.Env, envErr error) bool {
	var problems []string
	if envErr != nil {
		for _, line := range strings.Split(envErr.Error(), "\n") {
			problems = append(problems, line)
		}
	}
	sk := strings.TrimSpace(getenv("CLERK_SECRET_KEY"))
	pk := strings.TrimSpace(getenv("CLERK_PUBLISHABLE_KEY"))
	fapi := strings.TrimSpace(getenv("CLERK_FRONTEND_API_URL"))
	skOK := sk != "" && strings.HasPrefix(sk, "sk_")
	if skOK && !strings.HasPrefix(sk, "sk_test_") && !strings.HasPrefix(sk, "sk_live_") {
		problems = append(problems, "CLERK_SECRET_KEY does not look like a Clerk secret key: it starts with sk_test_ or sk_live_; copy it again from the Clerk dashboard (Configure > API keys)")
		skOK = false
	}
	for _, p := range problems {
		d.add("fail", "%s", p)
	}
	derived := ""
	if pk != "" {
		if fapi != "" {
			// LoadEnv did not decode it: the Frontend API URL wins.
			if u, err := mcpserver.FrontendAPIURL(pk); err != nil {
				d.add("fail", "CLERK_PUBLISHABLE_KEY: %v", err)
			} else {
				derived = u
			}
		} else {
			derived = env.Issuer
		}
	}
	if derived != "" && fapi != "" && env.Issuer != "" && derived != env.Issuer {
		d.add("warn", "CLERK_FRONTEND_API_URL (%s) overrides the publishable key's Frontend API (%s); unset CLERK_FRONTEND_API_URL unless you mean to use another instance", env.Issuer, derived)
	}
	if skOK && pk != "" && (strings.HasPrefix(sk, "sk_test_") != strings.HasPrefix(pk, "pk_test_")) {
		d.add("fail", "CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY are from different environments (one test, one live); copy both from the same Clerk instance (Configure > API keys)")
	}
	if envErr == nil && skOK {
		src := func(k string) string {
			if from[k] != "" {
				return " (" + from[k] + ")"
			}
			return ""
		}
		via := "CLERK_FRONTEND_API_URL" + src("CLERK_FRONTEND_API_URL")
		if fapi == "" {
			via = "the publishable key" + src("CLERK_PUBLISHABLE_KEY")
		}
		d.add("ok", "keys: CLERK_SECRET_KEY%s is set; the Frontend API (issuer) is %s, from %s", src("CLERK_SECRET_KEY"), env.Issuer, via)
	}
	return skOK
}

// getJSON fetches a JSON object. It returns the status and the object.
func (d *doctor) getJSON(req *http.Request) (int, map[string]any, http.Header, error) {
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, nil, nil, reachError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, nil, resp.Header, reachError(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return resp.StatusCode, nil, resp.Header, fmt.Errorf("HTTP %d, and the answer is not a JSON object", resp.StatusCode)
	}
	return resp.StatusCode, obj, resp.Header, nil
}

// reachError says why a request got no answer, in a few words.
func reachError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return errors.New("no answer before the timeout (--timeout)")
		}
		return ue.Err
	}
	return err
}

func (d *doctor) checkAuthServer(env mcpserver.Env) (map[string]any, bool) {
	u := env.Issuer + mcpserver.PathAuthServer
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	status, md, _, err := d.getJSON(req)
	switch {
	case err != nil && status == 0:
		d.add("fail", "cannot reach Clerk's Frontend API at %s (%v); check the network, and that CLERK_PUBLISHABLE_KEY (or CLERK_FRONTEND_API_URL) is your instance's", u, err)
		return nil, false
	case status != http.StatusOK:
		d.add("fail", "%s answered HTTP %d, not the authorization-server metadata; check that CLERK_PUBLISHABLE_KEY (or CLERK_FRONTEND_API_URL) is your instance's", u, status)
		return nil, false
	case err != nil:
		d.add("fail", "%s: %v; check that CLERK_FRONTEND_API_URL points at Clerk's Frontend API", u, err)
		return nil, false
	}
	ok := true
	if iss, _ := md["issuer"].(string); iss != env.Issuer {
		d.add("fail", "the authorization-server metadata says issuer %q, not %s; MCP clients will refuse its tokens: set CLERK_FRONTEND_API_URL (or CLERK_PUBLISHABLE_KEY) to exactly the issuer", iss, env.Issuer)
		ok = false
	}
	if !slices.Contains(stringsOf(md["code_challenge_methods_supported"]), "S256") {
		d.add("fail", "the authorization server does not offer PKCE with S256 (code_challenge_methods_supported); MCP clients require it: check CLERK_FRONTEND_API_URL points at Clerk")
		ok = false
	}
	if ok {
		d.add("ok", "authorization-server metadata at %s: issuer matches, S256 offered", u)
	}
	return md, true
}

// checkRegistration tells whether MCP clients can register, from the
// metadata (what clients see) and, when read, the instance settings.
func (d *doctor) checkRegistration(md, settings map[string]any) {
	cimd, _ := md["client_id_metadata_document_supported"].(bool)
	reg, _ := md["registration_endpoint"].(string)
	dcr := reg != ""
	cimdFix := func() {
		if settings != nil && settings[settingCIMD] != true {
			d.fixes = append(d.fixes, settingFix{key: settingCIMD, from: settings[settingCIMD], to: true, what: "Advertise Client ID Metadata Documents support"})
		}
	}
	switch {
	case cimd:
		how := "Client ID Metadata Documents advertised (client_id_metadata_document_supported)"
		if dcr {
			how += ", and dynamic client registration on as the fallback"
		}
		d.add("ok", "clients can register: %s", how)
	case dcr:
		d.add("warn", "clients can register with dynamic client registration only (%s); MCP 2026-07-28 deprecates it and VS Code, Claude and ChatGPT use Client ID Metadata Documents: turn on Clerk dashboard > Configure > OAuth applications > Advertise CIMD support%s", reg, fixable(settings))
		cimdFix()
	default:
		d.add("fail", "MCP clients cannot register: the metadata has neither client_id_metadata_document_supported nor registration_endpoint; turn on Clerk dashboard > Configure > OAuth applications > Advertise CIMD support (recommended) or Dynamic client registration%s", fixable(settings))
		cimdFix()
	}
	if settings == nil {
		return
	}
	// The Backend API answers for the secret key's instance; the metadata
	// for the publishable key's. When they disagree, the keys are from
	// different instances.
	sCIMD, _ := settings[settingCIMD].(bool)
	sDCR, _ := settings[settingDCR].(bool)
	if sCIMD != cimd || sDCR != dcr {
		d.add("fail", "the secret key's instance has %s=%v and %s=%v but the Frontend API's metadata shows %v and %v: the keys look like they are from different Clerk instances; copy both from the same one (Configure > API keys)", settingCIMD, sCIMD, settingDCR, sDCR, cimd, dcr)
	}
}

func fixable(settings map[string]any) string {
	if settings != nil {
		return " (--fix)"
	}
	return ""
}

// backend calls the instance settings endpoint of the Backend API.
func (d *doctor) backend(method string, env mcpserver.Env, body map[string]any) (map[string]any, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, env.APIURL+settingsPath, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+env.SecretKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	status, obj, _, err := d.getJSON(req)
	switch {
	case err != nil && status == 0:
		return nil, fmt.Errorf("cannot reach Clerk's Backend API at %s (%v); check the network and CLERK_API_URL", env.APIURL, err)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return nil, fmt.Errorf("Clerk's Backend API refused CLERK_SECRET_KEY (HTTP %d%s); copy the secret key again from the Clerk dashboard (Configure > API keys)", status, clerkMessage(obj))
	case status != http.StatusOK:
		return nil, fmt.Errorf("%s %s answered HTTP %d%s", method, env.APIURL+settingsPath, status, clerkMessage(obj))
	case err != nil:
		return nil, fmt.Errorf("%s: %v", env.APIURL+settingsPath, err)
	}
	return obj, nil
}

// clerkMessage is the first message of a Clerk error envelope, if any.
func clerkMessage(obj map[string]any) string {
	errs, _ := obj["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	if m, _ := e["long_message"].(string); m != "" {
		return ": " + m
	}
	if m, _ := e["message"].(string); m != "" {
		return ": " + m
	}
	return ""
}

// readSettings reads the instance's OAuth application settings through
// the Backend API; nil when that fails (and says so).
func (d *doctor) readSettings(env mcpserver.Env) map[string]any {
	settings, err := d.backend(http.MethodGet, env, nil)
	if err != nil {
		d.add("fail", "reading the instance's OAuth settings: %v", err)
		return nil
	}
	return settings
}

// checkSettings checks the default scopes cover the server's, and notes
// the access-token format.
func (d *doctor) checkSettings(settings map[string]any) {
	want := slices.Clone(d.cfg.Scopes)
	for _, s := range d.cfg.RequiredScopes {
		if !slices.Contains(want, s) {
			want = append(want, s)
		}
	}
	have := stringsOf(settings[settingDefaultScopes])
	var missing []string
	for _, s := range want {
		if !slices.Contains(have, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		to := slices.Clone(have)
		to = append(to, missing...)
		d.add("fail", "the instance's default_scopes %s lack %s, which the server advertises (clerk-mcp.yaml scopes): clients that ask for no scope (ChatGPT, Claude) would get tokens without them; add them in Clerk dashboard > Configure > OAuth applications > Default scopes (--fix)", jsonText(have), strings.Join(missing, ", "))
		d.fixes = append(d.fixes, settingFix{key: settingDefaultScopes, from: have, to: to, what: "Give clients that ask for no scope the server's scopes"})
	} else {
		d.add("ok", "the instance's default_scopes %s cover the server's scopes %s", jsonText(have), jsonText(want))
	}
	if jwt, ok := settings[settingJWT].(bool); ok && !jwt {
		d.add("ok", "access tokens are opaque (%s is off): the server verifies each through the Backend API; JWTs would verify locally", settingJWT)
	}
}

// checkServer checks a running server at target: its protected-resource
// metadata and its 401 challenge, for each transport the URL names (or
// the project serves).
func (d *doctor) checkServer(target *url.URL, env mcpserver.Env, getenv func(string) string) {
	origin := target.Scheme + "://" + target.Host
	if pub := strings.TrimSuffix(strings.TrimSpace(getenv("PUBLIC_URL")), "/"); pub != "" && pub != origin {
		d.add("warn", "PUBLIC_URL here is %s but --url is %s; the server's resource must be the URL clients use: set PUBLIC_URL=%s where the server runs", pub, origin, origin)
	}
	var paths []string
	switch p := strings.TrimSuffix(target.Path, "/"); p {
	case "":
		if d.cfg.HasTransport(generator.TransportStreamable) {
			paths = append(paths, mcpserver.PathStreamable)
		}
		if d.cfg.HasTransport(generator.TransportSSE) {
			paths = append(paths, mcpserver.PathSSE)
		}
	default:
		paths = []string{p}
	}
	for _, p := range paths {
		resource := origin + p
		prm := origin + "/.well-known/oauth-protected-resource" + p
		req, _ := http.NewRequest(http.MethodGet, prm, nil)
		status, md, _, err := d.getJSON(req)
		switch {
		case err != nil && status == 0:
			d.add("fail", "cannot reach the server at %s (%v); start it (go run .) or check --url", prm, err)
			continue
		case status != http.StatusOK || err != nil:
			d.add("fail", "%s answered HTTP %d, not protected-resource metadata; check --url is this project's server and that it serves %s", prm, status, p)
			continue
		}
		ok := true
		if got, _ := md["resource"].(string); got != resource {
			d.add("fail", "the server's metadata at %s says resource %q, not %s; clients will refuse it: set PUBLIC_URL=%s where the server runs and restart it", prm, got, resource, origin)
			ok = false
		}
		if as := stringsOf(md["authorization_servers"]); !slices.Contains(as, env.Issuer) {
			d.add("fail", "the server's metadata at %s names authorization servers %s, not the keys' issuer %s; the server runs with other Clerk keys: give it the same CLERK_PUBLISHABLE_KEY (or CLERK_FRONTEND_API_URL) and restart it", prm, jsonText(as), env.Issuer)
			ok = false
		}
		if ok {
			d.add("ok", "the server's metadata at %s names resource %s and issuer %s", prm, resource, env.Issuer)
		}
		d.checkChallenge(resource, prm, p)
	}
}

// checkChallenge makes an unauthenticated MCP request and checks the 401
// points at the protected-resource metadata.
func (d *doctor) checkChallenge(resource, prm, path string) {
	var req *http.Request
	if path == mcpserver.PathSSE {
		req, _ = http.NewRequest(http.MethodGet, resource, nil)
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req, _ = http.NewRequest(http.MethodPost, resource, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	resp, err := d.client.Do(req)
	if err != nil {
		d.add("fail", "cannot reach %s (%v); start the server or check --url", resource, reachError(err))
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	challenge := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusUnauthorized {
		d.add("fail", "%s answered HTTP %d to a request without a token, not 401; MCP clients learn where to sign in from the 401: check --url is this project's server", resource, resp.StatusCode)
		return
	}
	got := authParam(challenge, "resource_metadata")
	if got != prm {
		d.add("fail", "the server's 401 challenge at %s points at resource_metadata %q, not %s; set PUBLIC_URL=%s where the server runs and restart it", resource, got, prm, strings.TrimSuffix(prm, "/.well-known/oauth-protected-resource"+path))
		return
	}
	d.add("ok", "the server's 401 challenge at %s points at %s", resource, prm)
}

// authParam returns the value of an auth-param of a Bearer challenge.
func authParam(challenge, name string) string {
	rest, ok := strings.CutPrefix(strings.TrimSpace(challenge), "Bearer")
	if !ok {
		return ""
	}
	for rest != "" {
		rest = strings.TrimLeft(rest, " ,")
		k, v, found := strings.Cut(rest, "=")
		if !found {
			return ""
		}
		k = strings.TrimSpace(k)
		var val string
		if strings.HasPrefix(v, `"`) {
			end := 1
			for end < len(v) && v[end] != '"' {
				if v[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(v) {
				return ""
			}
			val = strings.ReplaceAll(v[1:end], `\"`, `"`)
			rest = v[end+1:]
		} else {
			val, rest, _ = strings.Cut(v, ",")
			val = strings.TrimSpace(val)
		}
		if strings.EqualFold(k, name) {
			return val
		}
	}
	return ""
}

// stringsOf reads a JSON array of strings, or a space-separated string
// (the form OAuth uses for scopes).
func stringsOf(v any) []string {
	switch v := v.(type) {
	case []any:
		out := []string{}
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	case string:
		return strings.Fields(v)
	}
	return []string{}
}

// jsonText renders a setting's value as JSON, the way the API shows it.
func jsonText(v any) string {
	if v == nil {
		return "unset"
	}
	if s, ok := v.([]string); ok {
		s = slices.Clone(s)
		if s == nil {
			s = []string{}
		}
		v = s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
