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
	selects [][]string
	confirm []bool
	asked   []string
}

func (p *scriptedPrompter) Input(message, _ string, validate func(string) error) (string, error) {
	p.asked = append(p.asked, message)
	v := p.inputs[0]
	p.inputs = p.inputs[1:]
	return v, validate(v)
}

func (p *scriptedPrompter) MultiSelect(message string, _, _ []string) ([]string, error) {
	p.asked = append(p.asked, message)
	v := p.selects[0]
	p.selects = p.selects[1:]
	return v, nil
}

func (p *scriptedPrompter) Confirm(message string, _ bool) (bool, error) {
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
	if !slices.Equal(p.asked, []string{"Include the sample tool get-clerk-user-data?"}) {
		t.Errorf("asked %q, want only the sample-tool question", p.asked)
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
