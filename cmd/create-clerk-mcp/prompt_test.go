package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

// scriptedPrompter answers prompts from a script and records the questions.
type scriptedPrompter struct {
	inputs  []string
	choices []string // answers to Select
	selects [][]string
	confirm []bool
	asked   []string
}

func (p *scriptedPrompter) Input(message, _, _ string, validate func(string) error) (string, error) {
	p.asked = append(p.asked, message)
	v := p.inputs[0]
	p.inputs = p.inputs[1:]
	return v, validate(v)
}

func (p *scriptedPrompter) Select(message, _ string, _ []string, def string) (string, error) {
	p.asked = append(p.asked, message)
	if len(p.choices) == 0 {
		return def, nil
	}
	v := p.choices[0]
	p.choices = p.choices[1:]
	return v, nil
}

func (p *scriptedPrompter) MultiSelect(message, _ string, _, _ []string) ([]string, error) {
	p.asked = append(p.asked, message)
	v := p.selects[0]
	p.selects = p.selects[1:]
	return v, nil
}

func (p *scriptedPrompter) Confirm(message, _ string, _ bool) (bool, error) {
	p.asked = append(p.asked, message)
	v := p.confirm[0]
	p.confirm = p.confirm[1:]
	return v, nil
}

func readConfig(t *testing.T, dir string) *generator.Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, generator.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := generator.ParseConfig(generator.ConfigFile, data)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestNewPromptsForWhatFlagsDoNotGive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	p := &scriptedPrompter{
		inputs:  []string{"example.com/prompted", "notes:read email"},
		selects: [][]string{{"sse"}},
		confirm: []bool{false},
	}
	var out, errOut bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, prompter: p}
	if code := a.execute([]string{"new", "prompted", "--dir", dir, "--no-git", "--skip-tidy"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	cfg := readConfig(t, dir)
	if cfg.Module != "example.com/prompted" || !slices.Equal(cfg.Transports, []string{"sse"}) ||
		!slices.Equal(cfg.Scopes, []string{"notes:read", "email"}) || len(cfg.Tools) != 0 {
		t.Errorf("config from answers = %+v", cfg)
	}
	if len(p.asked) != 4 {
		t.Errorf("asked %q, want 4 questions", p.asked)
	}
}

func TestNewDoesNotPromptForFlagsOrWithYes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "f")
	p := &scriptedPrompter{confirm: []bool{true}}
	a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, prompter: p}
	code := a.execute([]string{"new", "flagged", "--dir", dir, "--no-git", "--skip-tidy",
		"--module", "example.com/f", "--transport", "streamable-http", "--scope", "profile"})
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !slices.Equal(p.asked, []string{"Sessions on /mcp", "Include the sample tool get-clerk-user-data?"}) {
		t.Errorf("asked %q, want only the sessions and sample-tool questions", p.asked)
	}

	p = &scriptedPrompter{}
	a.prompter = p
	if code := a.execute([]string{"new", "yes", "--dir", filepath.Join(t.TempDir(), "y"), "--yes", "--no-git", "--skip-tidy"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if len(p.asked) != 0 {
		t.Errorf("--yes still asked %q", p.asked)
	}
}

// TestScopePromptValidates: the scopes prompt refuses what clerk-mcp.yaml
// would then refuse, so a prompted project regenerates.
func TestScopePromptValidates(t *testing.T) {
	for _, bad := range []string{`notes"read`, `a\b`, "profile,email", "profile profile", "caf\u00e9"} {
		if err := validateScopeList(bad); err == nil {
			t.Errorf("the scopes prompt accepts %q", bad)
		}
		// And what it refuses, the config refuses too (but for commas and
		// duplicates, which the config would take as one odd scope or
		// report as listed twice).
		if !strings.Contains(bad, ",") && !strings.Contains(bad, " ") {
			cfg := generator.DefaultConfig("a")
			cfg.Scopes = []string{bad}
			if cfg.Validate() == nil {
				t.Errorf("the config accepts scope %q", bad)
			}
		}
	}
	for _, good := range []string{"", "profile email", "notes:read  email", "https://api.example.com/notes.read"} {
		if err := validateScopeList(good); err != nil {
			t.Errorf("the scopes prompt refuses %q: %v", good, err)
		}
	}

	// Through the command: a refused answer creates nothing.
	dir := filepath.Join(t.TempDir(), "p")
	p := &scriptedPrompter{inputs: []string{"example.com/p", `notes"read`}, selects: [][]string{{"sse"}}, confirm: []bool{true}}
	var errOut bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &errOut, prompter: p}
	if code := a.execute([]string{"new", "p", "--dir", dir, "--no-git", "--skip-tidy"}); code == 0 {
		t.Fatal("new accepted a scope the config refuses")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("new created %s after a refused answer", dir)
	}
}

// TestNewAsksForTheNameFirst: without NAME, in a terminal, the name is
// the first question, then everything else no flag gave.
func TestNewAsksForTheNameFirst(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	p := &scriptedPrompter{
		inputs:  []string{"asked-name", "example.com/asked", "profile notes:read"},
		selects: [][]string{{"streamable-http", "sse"}},
		choices: []string{"stateful"},
		confirm: []bool{true},
	}
	var out, errOut bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, prompter: p}
	if code := a.execute([]string{"new", "--no-git", "--skip-tidy"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	want := []string{"Project name", "Go module path", "Transports", "Sessions on /mcp", "OAuth scopes (space-separated)", "Include the sample tool get-clerk-user-data?"}
	if !slices.Equal(p.asked, want) {
		t.Errorf("asked %q, want %q", p.asked, want)
	}
	cfg := readConfig(t, filepath.Join(wd, "asked-name"))
	if cfg.Name != "asked-name" || cfg.Module != "example.com/asked" || cfg.Sessions != "stateful" ||
		!slices.Equal(cfg.Transports, []string{"streamable-http", "sse"}) || !slices.Equal(cfg.Scopes, []string{"profile", "notes:read"}) || len(cfg.Tools) != 1 {
		t.Errorf("config from answers = %+v", cfg)
	}
}

// TestNewInterruptedAtAPrompt: Ctrl-C at any question leaves nothing.
func TestNewInterruptedAtAPrompt(t *testing.T) {
	for n := 0; n < 6; n++ {
		wd := t.TempDir()
		t.Chdir(wd)
		p := &interruptingPrompter{scriptedPrompter: scriptedPrompter{
			inputs: []string{"late", "late", "profile"}, selects: [][]string{{"streamable-http"}}, confirm: []bool{true},
		}, after: n}
		var errOut bytes.Buffer
		a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &errOut, prompter: p}
		code := a.execute([]string{"new", "--no-git", "--skip-tidy"})
		if code != 1 || errOut.String() != "create-clerk-mcp: interrupted: nothing was created; run create-clerk-mcp new again\n" {
			t.Errorf("interrupted at question %d: exit %d, %q", n+1, code, errOut.String())
		}
		if entries, _ := os.ReadDir(wd); len(entries) != 0 {
			t.Errorf("interrupted at question %d left %v", n+1, entries)
		}
	}
}

// interruptingPrompter answers `after` questions, then is interrupted.
type interruptingPrompter struct {
	scriptedPrompter
	after int
}

func (p *interruptingPrompter) stop() bool { p.after--; return p.after < 0 }

func (p *interruptingPrompter) Input(m, h, d string, v func(string) error) (string, error) {
	if p.stop() {
		return "", errInterrupted
	}
	return p.scriptedPrompter.Input(m, h, d, v)
}

func (p *interruptingPrompter) Select(m, h string, o []string, d string) (string, error) {
	if p.stop() {
		return "", errInterrupted
	}
	return p.scriptedPrompter.Select(m, h, o, d)
}

func (p *interruptingPrompter) MultiSelect(m, h string, o, d []string) ([]string, error) {
	if p.stop() {
		return nil, errInterrupted
	}
	return p.scriptedPrompter.MultiSelect(m, h, o, d)
}

func (p *interruptingPrompter) Confirm(m, h string, d bool) (bool, error) {
	if p.stop() {
		return false, errInterrupted
	}
	return p.scriptedPrompter.Confirm(m, h, d)
}

// TestNewWithoutNameOrTerminal: a missing NAME is a usage error when
// nothing can ask for it.
func TestNewWithoutNameOrTerminal(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{{"new"}, {"new", "--yes"}} {
		var out, errOut bytes.Buffer
		code := Main(args, strings.NewReader(""), &out, &errOut)
		if code != 2 || errOut.String() != "create-clerk-mcp: new needs the project name: pass NAME, such as create-clerk-mcp new my-server (it is asked for only in a terminal without --yes)\n" {
			t.Errorf("%q: exit %d, %q", args, code, errOut.String())
		}
	}
	// --yes wins over a terminal.
	a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, prompter: &scriptedPrompter{}}
	if code := a.execute([]string{"new", "--yes"}); code != 2 {
		t.Errorf("new --yes in a terminal without NAME: exit %d, want 2", code)
	}
}
