package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

type newFlags struct {
	module, dir, transport string
	scopes                 []string
	noSampleTool, yes      bool
	noGit, skipTidy        bool
	dryRun, force          bool
}

func newNewCmd(a *app) *cobra.Command {
	var f newFlags
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Create a new MCP server project",
		Long: `new creates a complete Go MCP server protected by Clerk OAuth in ./NAME (or --dir),
runs go mod tidy and makes the first git commit. NAME is lower-case letters, digits and '-'.
In a terminal it asks for anything not given as a flag, unless --yes.`,
		Example: `  create-clerk-mcp new notes
  create-clerk-mcp new notes --module github.com/you/notes --yes
  create-clerk-mcp new notes --transport streamable-http --scope profile --no-sample-tool --dry-run`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("new takes exactly one argument, the project name (such as create-clerk-mcp new my-server)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return a.runNew(cmd, args[0], &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.module, "module", "", "Go module path (default NAME)")
	fl.StringVar(&f.dir, "dir", "", "directory to create the project in (default ./NAME)")
	fl.StringVar(&f.transport, "transport", "", "comma-separated transports: streamable-http,sse (default both)")
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
	if err := generator.ValidateProjectName(name); err != nil {
		return usageError{err}
	}
	cfg := generator.DefaultConfig(name)
	if !cmd.Flags().Changed("module") && (a.prompter == nil || f.yes) {
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
	if len(f.scopes) > 0 {
		cfg.Scopes = nil
		for _, s := range f.scopes {
			if s == "" || strings.ContainsAny(s, " \t\"\\,") {
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
	if a.prompter != nil && !f.yes {
		if err := a.prompt(cmd, cfg); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}

	dir := f.dir
	if dir == "" {
		dir = name
	}
	if err := checkTarget(dir, f.force); err != nil {
		return err
	}
	files, err := generator.RenderNew(cfg)
	if err != nil {
		return err
	}
	plan, err := generator.MakePlan(dir, files, generator.PlanOptions{NewProject: true})
	if err != nil {
		return err
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
	printPlan(a.stdout, dir, plan, false)

	if !f.skipTidy {
		fmt.Fprintln(a.stdout, "running go mod tidy")
		if out, err := run(dir, "go", "mod", "tidy"); err != nil {
			fmt.Fprintf(a.stderr, "create-clerk-mcp: warning: go mod tidy failed (%v); run it in %s once the problem is fixed\n%s", err, dir, out)
		}
	}
	if !f.noGit {
		a.gitInit(dir)
	}
	a.nextSteps(cfg, dir, f.skipTidy)
	return nil
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

func (a *app) prompt(cmd *cobra.Command, cfg *generator.Config) error {
	p := a.prompter
	fl := cmd.Flags()
	var err error
	if !fl.Changed("module") {
		if cfg.Module, err = p.Input("Go module path", cfg.Module, generator.ValidateModulePath); err != nil {
			return err
		}
	}
	if !fl.Changed("transport") {
		if cfg.Transports, err = p.MultiSelect("Transports", []string{generator.TransportStreamable, generator.TransportSSE}, cfg.Transports); err != nil {
			return err
		}
	}
	if !fl.Changed("scope") {
		scopes, err := p.Input("OAuth scopes (space-separated)", strings.Join(cfg.Scopes, " "), func(string) error { return nil })
		if err != nil {
			return err
		}
		cfg.Scopes = strings.Fields(scopes)
	}
	if !fl.Changed("no-sample-tool") {
		keep, err := p.Confirm("Include the sample tool get-clerk-user-data?", true)
		if err != nil {
			return err
		}
		if !keep {
			cfg.Tools = []generator.Tool{}
		}
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
	var names []string
	for i, e := range entries {
		if i == 10 {
			names = append(names, fmt.Sprintf("and %d more", len(entries)-10))
			break
		}
		names = append(names, e.Name())
	}
	return fmt.Errorf("%s exists and is not empty (%s); choose another directory, or pass --force to create the project among them", dir, strings.Join(names, ", "))
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

func (a *app) nextSteps(cfg *generator.Config, dir string, skippedTidy bool) {
	w := a.stdout
	fmt.Fprintf(w, "\nSuccess! Created %s in %s\n\nNext steps:\n", cfg.Name, dir)
	fmt.Fprintf(w, "  cd %s\n", dir)
	if skippedTidy {
		fmt.Fprintln(w, "  go mod tidy")
	}
	fmt.Fprintln(w, "  cp .env.example .env   # then set CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY (Clerk dashboard, API keys)")
	fmt.Fprintln(w, "  go run .")
	fmt.Fprintln(w, "\nIn the Clerk dashboard, turn on OAuth applications > Dynamic client registration.")
	endpoint := "http://localhost:8080/mcp"
	if !cfg.HasTransport(generator.TransportStreamable) {
		endpoint = "http://localhost:8080/sse"
	}
	fmt.Fprintf(w, "The MCP endpoint is %s. For example, in Cursor's .cursor/mcp.json:\n", endpoint)
	fmt.Fprintf(w, "  {\"mcpServers\": {%q: {\"url\": %q}}}\n", cfg.Name, endpoint)
}
