package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/mod/modfile"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

type newFlags struct {
	module, dir, transport string
	sessions               string
	scopes                 []string
	noSampleTool, yes      bool
	noGit, skipTidy        bool
	dryRun, force          bool
}

func newNewCmd(a *app) *cobra.Command {
	var f newFlags
	cmd := &cobra.Command{
		Use:   "new [NAME]",
		Short: "Create a new MCP server project",
		Long: `new creates a complete Go MCP server protected by Clerk OAuth in ./NAME (or --dir),
runs go mod tidy and makes the first git commit. NAME is lower-case letters, digits and '-'.
In a terminal it asks for anything not given as a flag (NAME first), unless --yes; type ?
at a question for help. Nothing is written until every answer is in.`,
		Example: `  create-clerk-mcp new
  create-clerk-mcp new notes
  create-clerk-mcp new notes --module github.com/you/notes --yes
  create-clerk-mcp new notes --transport streamable-http --scope profile --no-sample-tool --dry-run
  create-clerk-mcp new legacy --transport streamable-http,sse --sessions stateful`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("new takes one argument, the project name (such as create-clerk-mcp new my-server)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				// An explicit name is checked as given, even empty.
				if err := generator.ValidateProjectName(args[0]); err != nil {
					return usageError{err}
				}
				return a.runNew(cmd, args[0], &f)
			}
			return a.runNew(cmd, "", &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.module, "module", "", "Go module path (default NAME)")
	fl.StringVar(&f.dir, "dir", "", "directory to create the project in (default ./NAME)")
	fl.StringVar(&f.transport, "transport", "", "comma-separated transports: streamable-http,sse (default streamable-http; sse is deprecated, for old clients)")
	fl.StringVar(&f.sessions, "sessions", "", "stateless (any replica serves any request; MCP 2026-07-28) or stateful (sessions in the process) (default stateless)")
	fl.StringArrayVar(&f.scopes, "scope", nil, "OAuth scope advertised in scopes_supported; repeatable (default profile, email)")
	fl.BoolVar(&f.noSampleTool, "no-sample-tool", false, "leave out the get-clerk-user-data sample tool")
	fl.BoolVarP(&f.yes, "yes", "y", false, "ask nothing; use defaults for everything not given")
	fl.BoolVar(&f.noGit, "no-git", false, "skip git init and the first commit")
	fl.BoolVar(&f.skipTidy, "skip-tidy", false, "skip go mod tidy")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print what would be created; write nothing")
	fl.BoolVar(&f.force, "force", false, "allow a non-empty target directory (nothing in it is overwritten or deleted)")
	return cmd
}

func (a *app) runNew(cmd *cobra.Command, name string, f *newFlags) error {
	interactive := a.prompter != nil && !f.yes
	if name == "" && !interactive {
		return usagef("new needs the project name: pass NAME, such as create-clerk-mcp new my-server (it is asked for only in a terminal without --yes)")
	}
	if name != "" {
		if err := generator.ValidateProjectName(name); err != nil {
			return usageError{err}
		}
	}
	shown := name
	if shown == "" {
		shown = "NAME"
	}
	fl := cmd.Flags()
	if fl.Changed("module") && f.module == "" {
		return usagef("--module is empty; give a module path such as example.com/you/%s, or leave the flag out to use %s", shown, shown)
	}
	if fl.Changed("transport") && strings.TrimSpace(f.transport) == "" {
		return usagef("--transport is empty; use streamable-http, sse or streamable-http,sse, or leave the flag out for the default")
	}
	if fl.Changed("sessions") && f.sessions != generator.SessionsStateless && f.sessions != generator.SessionsStateful {
		return usagef("invalid --sessions %q: use stateless (the default: any replica serves any request) or stateful (sessions in the process, for server-to-client requests)", f.sessions)
	}
	if fl.Changed("dir") && f.dir == "" {
		return usagef("--dir is empty; give a directory, or leave the flag out to use ./%s", shown)
	}
	if name == "" {
		answer, err := a.prompter.Input("Project name", "The project's directory (./NAME unless --dir) and, unless you give another, its Go module path. Lower-case letters, digits and '-', starting with a letter.", "", func(s string) error {
			return generator.ValidateProjectName(strings.TrimSpace(s))
		})
		if err != nil {
			return promptErr(err)
		}
		name = strings.TrimSpace(answer)
	}
	cfg := generator.DefaultConfig(name)
	if !cmd.Flags().Changed("module") && !interactive {
		if err := generator.ValidateModulePath(name); err != nil {
			return usagef("project name %q cannot be the module path: %s; pass --module, such as --module example.com/you/%s", name, strings.TrimPrefix(err.Error(), fmt.Sprintf("invalid module path %q: ", name)), name)
		}
	}
	if f.module != "" {
		if err := generator.ValidateModulePath(f.module); err != nil {
			return usageError{err}
		}
		cfg.Module = f.module
	}
	if f.transport != "" {
		ts, err := parseTransports(f.transport)
		if err != nil {
			return err
		}
		cfg.Transports = ts
	}
	if f.sessions != "" {
		cfg.Sessions = f.sessions
	}
	if len(f.scopes) > 0 {
		cfg.Scopes = nil
		for _, s := range f.scopes {
			if strings.Contains(s, ",") || generator.ValidateScope(s) != nil {
				return usagef("invalid --scope %q: a scope is one word, such as profile; repeat --scope for more", s)
			}
			if !slices.Contains(cfg.Scopes, s) {
				cfg.Scopes = append(cfg.Scopes, s)
			}
		}
	}
	if f.noSampleTool {
		cfg.Tools = []generator.Tool{}
	}
	if interactive {
		if err := a.prompt(cmd, cfg); err != nil {
			return promptErr(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}

	dir := f.dir
	if dir == "" {
		dir = name
	}
	targetErr := checkTarget(dir, f.force)
	var notEmpty *notEmptyError
	if targetErr != nil && !errors.As(targetErr, &notEmpty) {
		return targetErr
	}
	files, err := generator.RenderNew(cfg)
	if err != nil {
		return err
	}
	plan, err := generator.MakePlan(dir, files, generator.PlanOptions{NewProject: true})
	if err != nil {
		return err
	}
	resume := false
	if targetErr != nil {
		if !resumable(dir, plan) {
			return targetErr
		}
		resume = true
	}
	if conflicts := plan.Conflicts(); len(conflicts) > 0 {
		return fmt.Errorf("%s: %w; move them away and try again", dir, &generator.ConflictError{Changes: conflicts})
	}
	if f.dryRun {
		printPlan(a.stdout, dir, plan, false)
		fmt.Fprintln(a.stdout, "dry run: nothing was written")
		return nil
	}
	if err := generator.Apply(plan); err != nil {
		return err
	}
	if resume {
		fmt.Fprintf(a.stdout, "finishing the project an earlier create-clerk-mcp new left in %s\n", dir)
	}
	printPlan(a.stdout, dir, plan, false)

	workspace := goWorkspace(dir)
	if !f.skipTidy {
		done := a.progress("running go mod tidy (downloading the dependencies)")
		out, interrupted, err := runTidy(dir, workspace != "")
		done(err == nil && !interrupted)
		again := fmt.Sprintf("run the same create-clerk-mcp new command again to finish, or run: cd %s && go mod tidy", shellQuote(dir))
		if interrupted {
			return fmt.Errorf("interrupted during go mod tidy; the project's files are written in %s: %s", dir, again)
		}
		if err != nil {
			return fmt.Errorf("go mod tidy failed in %s (%s); the project's files are written: once that is fixed, %s", dir, lastLine(out, err), again)
		}
	}
	if !f.noGit {
		a.gitInit(dir)
	}
	a.nextSteps(cfg, dir, f.skipTidy, workspace)
	return nil
}

// resumable reports whether dir holds what an earlier `new` with the same
// answers left there, stopped before it finished (go mod tidy failed or
// was interrupted): nothing conflicts, the manifest and clerk-mcp.yaml are
// there, and nothing else is.
func resumable(dir string, plan *generator.Plan) bool {
	if len(plan.Conflicts()) > 0 {
		return false
	}
	if _, err := os.Stat(filepath.Join(dir, generator.ManifestFile)); err != nil {
		return false
	}
	known := map[string]bool{generator.ManifestFile: true, strings.SplitN(generator.BaseDir, "/", 2)[0]: true, "go.sum": true, ".git": true}
	for _, c := range plan.Changes {
		if c.Path == generator.ConfigFile && c.Action != generator.Identical {
			return false
		}
		known[strings.SplitN(c.Path, "/", 2)[0]] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !known[e.Name()] {
			return false
		}
	}
	return true
}

// runTidy runs go mod tidy in dir (outside any go.work workspace when
// noWorkspace). It reports whether the user interrupted it (Ctrl-C reaches
// both processes; a signal sent to this one alone is passed on).
func runTidy(dir string, noWorkspace bool) (string, bool, error) {
	c := exec.Command("go", "mod", "tidy")
	c.Dir = dir
	if noWorkspace {
		c.Env = append(os.Environ(), "GOWORK=off")
	}
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	if err := c.Start(); err != nil {
		return "", false, err
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	interrupted := false
	for {
		select {
		case s := <-sig:
			interrupted = true
			c.Process.Signal(s)
		case err := <-done:
			select {
			case <-sig:
				interrupted = true
			default:
			}
			if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && (ws.Signal() == syscall.SIGINT || ws.Signal() == syscall.SIGTERM) {
				interrupted = true
			}
			// 130 and 143 are how a program that caught SIGINT or SIGTERM
			// exits; the signal to this process may not have arrived yet.
			if code := c.ProcessState.ExitCode(); code == 130 || code == 143 {
				interrupted = true
			}
			return out.String(), interrupted, err
		}
	}
}

// lastLine is the last non-empty line of a command's output, or err.
func lastLine(out string, err error) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return l
	}
	return err.Error()
}

// goWorkspace returns the go.work file that dir is inside of and that does
// not list dir's module yet, or "".
func goWorkspace(dir string) string {
	if _, err := exec.LookPath("go"); err != nil {
		return ""
	}
	out, err := run(dir, "go", "env", "GOWORK")
	work := strings.TrimSpace(out)
	if err != nil || work == "" || work == "off" || strings.Contains(work, "\n") {
		return ""
	}
	data, err := os.ReadFile(work)
	if err != nil {
		return work
	}
	wf, err := modfile.ParseWork(work, data, nil)
	if err != nil {
		return work
	}
	abs, _ := filepath.Abs(dir)
	for _, u := range wf.Use {
		p := u.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(work), p)
		}
		if filepath.Clean(p) == abs {
			return ""
		}
	}
	return work
}

func parseTransports(list string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t != generator.TransportStreamable && t != generator.TransportSSE {
			return nil, usagef("invalid --transport %q: use streamable-http, sse or streamable-http,sse", list)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// promptErr reports a prompt that did not get its answer.
func promptErr(err error) error {
	if errors.Is(err, errInterrupted) {
		return errors.New("interrupted: nothing was created; run create-clerk-mcp new again")
	}
	return fmt.Errorf("cannot ask (%v); pass the values as flags with --yes (see create-clerk-mcp new --help)", err)
}

// prompt asks for every value of cfg that no flag gave.
func (a *app) prompt(cmd *cobra.Command, cfg *generator.Config) error {
	p := a.prompter
	fl := cmd.Flags()
	var err error
	if !fl.Changed("module") {
		if cfg.Module, err = p.Input("Go module path",
			"The path others import the project by, usually where its repository lives, such as github.com/you/"+cfg.Name+". The project name alone works for a local project.",
			cfg.Module, func(s string) error { return generator.ValidateModulePath(strings.TrimSpace(s)) }); err != nil {
			return err
		}
		cfg.Module = strings.TrimSpace(cfg.Module)
	}
	if !fl.Changed("transport") {
		if cfg.Transports, err = p.MultiSelect("Transports",
			"streamable-http serves /mcp, what current MCP clients use. sse serves the legacy HTTP+SSE transport at /sse, deprecated, for clients that predate Streamable HTTP. Space toggles, Enter accepts.",
			[]string{generator.TransportStreamable, generator.TransportSSE}, cfg.Transports); err != nil {
			return err
		}
	}
	if !fl.Changed("sessions") && cfg.HasTransport(generator.TransportStreamable) {
		if cfg.Sessions, err = p.Select("Sessions on /mcp",
			"stateless: every request stands alone, any replica serves any request (MCP 2026-07-28 and the older versions). stateful: sessions live in this process, for server-to-client requests (sampling, elicitation) with pre-2026 clients; needs one replica or sticky routing.",
			[]string{generator.SessionsStateless, generator.SessionsStateful}, cfg.Sessions); err != nil {
			return err
		}
	}
	if !fl.Changed("scope") {
		scopes, err := p.Input("OAuth scopes (space-separated)",
			"Advertised in the protected-resource metadata and named in 401 challenges. Clerk's built-in scopes are profile, email, openid, public_metadata, private_metadata; set the same in the instance's Default scopes (create-clerk-mcp doctor --fix does).",
			strings.Join(cfg.Scopes, " "), validateScopeList)
		if err != nil {
			return err
		}
		cfg.Scopes = strings.Fields(scopes)
	}
	if !fl.Changed("no-sample-tool") {
		keep, err := p.Confirm("Include the sample tool get-clerk-user-data?",
			"A tool that returns the signed-in Clerk user's profile through the Backend API: a working example of reading who called. Remove it later from clerk-mcp.yaml.", true)
		if err != nil {
			return err
		}
		if !keep {
			cfg.Tools = []generator.Tool{}
		}
	}
	return nil
}

// validateScopeList checks the answer to the scopes prompt as
// clerk-mcp.yaml will: space-separated scopes, each valid, none twice.
func validateScopeList(answer string) error {
	var seen []string
	for _, s := range strings.Fields(answer) {
		if strings.Contains(s, ",") {
			return fmt.Errorf("%q: separate scopes with spaces, not commas", s)
		}
		if err := generator.ValidateScope(s); err != nil {
			return err
		}
		if slices.Contains(seen, s) {
			return fmt.Errorf("%q is listed twice", s)
		}
		seen = append(seen, s)
	}
	return nil
}

// checkTarget refuses a target that is a file, or a non-empty directory
// unless force, listing what is in the way.
func checkTarget(dir string, force bool) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s exists and is not a directory; choose another name or --dir", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) == 0 || force {
		return nil
	}
	return &notEmptyError{dir, entries}
}

// notEmptyError refuses a non-empty target directory, listing what is in
// the way.
type notEmptyError struct {
	dir     string
	entries []os.DirEntry
}

func (e *notEmptyError) Error() string {
	dir, entries := e.dir, e.entries
	var names []string
	for i, e := range entries {
		if i == 10 {
			names = append(names, fmt.Sprintf("and %d more", len(entries)-10))
			break
		}
		names = append(names, e.Name())
	}
	return fmt.Sprintf("%s exists and is not empty (%s); choose another directory, or pass --force to create the project among them", dir, strings.Join(names, ", "))
}

func run(dir, name string, args ...string) (string, error) {
	c := exec.Command(name, args...)
	c.Dir = dir
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	return out.String(), err
}

// gitInit makes the project a git repository with a first commit, unless
// it is inside one already or has a .git of its own (which it never
// touches, whether git can open it or not). On failure it removes only the
// .git it created itself.
func (a *app) gitInit(dir string) {
	if _, err := exec.LookPath("git"); err != nil {
		fmt.Fprintln(a.stderr, "create-clerk-mcp: warning: git not found; skipped git init")
		return
	}
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil || !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(a.stderr, "create-clerk-mcp: warning: %s already has a .git, left as it is; skipped git init (commit the project yourself with git add -A && git commit)\n", dir)
		return
	}
	if out, err := run(dir, "git", "rev-parse", "--is-inside-work-tree"); err == nil && strings.TrimSpace(out) == "true" {
		return
	}
	steps := [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=create-clerk-mcp", "-c", "user.email=create-clerk-mcp@users.noreply.localhost", "commit", "-q", "-m", "Initial commit from create-clerk-mcp"},
	}
	if out, err := run(dir, "git", "config", "user.email"); err == nil && strings.TrimSpace(out) != "" {
		steps[2] = []string{"commit", "-q", "-m", "Initial commit from create-clerk-mcp"}
	}
	for _, s := range steps {
		if out, err := run(dir, "git", s...); err != nil {
			os.RemoveAll(filepath.Join(dir, ".git"))
			fmt.Fprintf(a.stderr, "create-clerk-mcp: warning: git %s failed (%v); skipped git init\n%s", s[0], err, out)
			return
		}
	}
	fmt.Fprintln(a.stdout, "initialized a git repository with the first commit")
}

func (a *app) nextSteps(cfg *generator.Config, dir string, skippedTidy bool, workspace string) {
	w := a.stdout
	st := newStyler(w)
	fmt.Fprintf(w, "\n%s Created %s in %s\n\n%s\n", st.green("Success!"), cfg.Name, dir, st.bold("Next steps:"))
	fmt.Fprintf(w, "  cd %s\n", shellQuote(dir))
	if skippedTidy {
		fmt.Fprintln(w, "  go mod tidy")
	}
	if workspace != "" {
		rel := dir
		if abs, err := filepath.Abs(dir); err == nil {
			if r, err := filepath.Rel(filepath.Dir(workspace), abs); err == nil {
				rel = "./" + filepath.ToSlash(r)
			}
		}
		fmt.Fprintf(w, "  (cd %s && go work use %s)   # %s does not list this module; or build with GOWORK=off\n", shellQuote(filepath.Dir(workspace)), shellQuote(rel), workspace)
	}
	fmt.Fprintln(w, "  cp .env.example .env   # then set CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY (Clerk dashboard > Configure > API keys)")
	fmt.Fprintln(w, "  go run .")

	endpoint := "http://localhost:8080/mcp"
	if !cfg.HasTransport(generator.TransportStreamable) {
		endpoint = "http://localhost:8080/sse"
	}
	scopes := strings.Join(cfg.Scopes, " ")
	fmt.Fprintf(w, "\n%s\n", st.bold("Set up Clerk for MCP clients (Clerk dashboard > Configure > OAuth applications):"))
	fmt.Fprintln(w, "  1. Turn on Client ID Metadata Documents (\"Advertise CIMD support\"): VS Code, Claude and ChatGPT")
	fmt.Fprintln(w, "     register this way. Or, with the keys in .env: "+st.cyan("create-clerk-mcp doctor --fix"))
	fmt.Fprintln(w, "  2. Only for clients without CIMD: turn on Dynamic client registration (deprecated by MCP 2026-07-28).")
	if scopes != "" {
		fmt.Fprintf(w, "  3. Set Default scopes to %q, for clients that ask for none (doctor --fix does this too).\n", scopes)
	} else {
		fmt.Fprintln(w, "  3. Set Default scopes to the scopes your tools need, for clients that ask for none.")
	}
	fmt.Fprintf(w, "  Check it all with %s (add --url %s while the server runs).\n", st.cyan("create-clerk-mcp doctor"), endpoint)

	name := cfg.Name
	fmt.Fprintf(w, "\n%s\n", st.bold("Connect a client to "+endpoint+":"))
	fmt.Fprintf(w, "  Claude Code      claude mcp add --transport http %s %s\n", name, endpoint)
	fmt.Fprintf(w, "  Claude Desktop   claude_desktop_config.json: {\"mcpServers\": {%q: {\"command\": \"npx\", \"args\": [\"mcp-remote\", %q, \"--allow-http\"]}}}\n", name, endpoint)
	fmt.Fprintln(w, "                   (or, once deployed on https: Settings > Connectors > Add custom connector, with the URL)")
	fmt.Fprintf(w, "  Cursor           .cursor/mcp.json: {\"mcpServers\": {%q: {\"url\": %q}}}\n", name, endpoint)
	fmt.Fprintf(w, "  VS Code          .vscode/mcp.json: {\"servers\": {%q: {\"type\": \"http\", \"url\": %q}}}\n", name, endpoint)
	fmt.Fprintln(w, "  ChatGPT          Settings > Apps & Connectors > Create (developer mode), URL https://YOUR-HOST/mcp, OAuth;")
	fmt.Fprintln(w, "                   it needs an https URL it can reach: deploy, or a tunnel, with PUBLIC_URL set to it")
	fmt.Fprintln(w, "More in README.md: Set up Clerk, Connect a client.")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+:@%=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
