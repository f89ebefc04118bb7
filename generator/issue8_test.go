package generator

import (
	"bytes"
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// TestRenderNoRedeclarations: tool names starting with test- (or any
// other) must not redeclare what the scaffolded files of package tools
// declare, the sample tool's tests included.
func TestRenderNoRedeclarations(t *testing.T) {
	cfg := testConfig(withTools("test-get-clerk-user-data", "test-get-clerk-user-data-unknown-user",
		"test-get-clerk-user-data-no-caller", "test_deps", "aux", "nul", "com1", "search-notes"))
	declared := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range render(t, cfg) {
		if !strings.HasPrefix(f.Path, "tools/") {
			continue
		}
		file, err := parser.ParseFile(fset, f.Path, f.Data, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range topLevelNames(file) {
			if other, ok := declared[name]; ok {
				t.Errorf("%s is declared in %s and in %s", name, other, f.Path)
			}
			declared[name] = f.Path
		}
		if len(f.Declares) > 0 {
			for _, name := range f.Declares {
				if declared[name] != f.Path {
					t.Errorf("%s: Declares lists %s, which it does not declare", f.Path, name)
				}
			}
		}
	}
	if declared["Test_GetClerkUserData"] == "" || declared["TestGetClerkUserData"] == "" {
		t.Errorf("want both the sample's test and the tool test-get-clerk-user-data's handler; declared %v", declared)
	}
}

// TestToolFileWindowsReserved: Windows cannot create aux.go or con.go.
func TestToolFileWindowsReserved(t *testing.T) {
	for name, want := range map[string]string{"aux": "aux_tool", "CON": "con_tool", "nul": "nul_tool", "com1": "com1_tool", "lpt9": "lpt9_tool", "auxiliary": "auxiliary", "con-fig": "con_fig"} {
		if got := ToolFileBase(name); got != want {
			t.Errorf("ToolFileBase(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestToolStubDescription: a description without a full stop must not
// become a doc-comment heading (gofmt turns such a lone line into
// "// # Heading"), nor anything else but text.
func TestToolStubDescription(t *testing.T) {
	for _, desc := range []string{"Searches notes", "# Heading", "- an item", "1. First", "Searches notes\n\nin two paragraphs", "\tindented code"} {
		cfg := testConfig(func(c *Config) { c.Tools = []Tool{{Name: "search-notes", Description: desc}} })
		var stub string
		for _, f := range render(t, cfg) {
			if f.Path == "tools/search_notes.go" {
				stub = string(f.Data)
			}
		}
		want := "// Clients see it described as: " + strings.Join(strings.Fields(desc), " ") + "\n"
		if !strings.Contains(stub, "// SearchNotes returns the handler of the search-notes tool.\n"+want) {
			t.Errorf("description %q: stub does not carry it in the doc comment's first paragraph:\n%s", desc, stub)
		}
		for _, line := range strings.Split(stub, "\n") {
			if strings.HasPrefix(line, "// #") || strings.HasPrefix(line, "//   -") || strings.HasPrefix(line, "//\t") {
				t.Errorf("description %q: gofmt made %q of it", desc, line)
			}
		}
	}
}

// TestParseConfigOneDocument: a second YAML document was ignored by
// regenerate and dropped by add-tool; it is an error naming its line.
func TestParseConfigOneDocument(t *testing.T) {
	src := "version: 1\nname: a\nmodule: a\ntransports: [sse]\n---\nname: b\n"
	_, err := ParseConfig(ConfigFile, []byte(src))
	if err == nil || !strings.Contains(err.Error(), "clerk-mcp.yaml:5: a second YAML document") {
		t.Errorf("ParseConfig of two documents: %v", err)
	}
	if _, _, err := AddToolToConfig(ConfigFile, []byte(src), Tool{Name: "x"}); err == nil {
		t.Error("AddToolToConfig dropped the second document")
	}
	if _, err := ParseConfig(ConfigFile, []byte("---\n"+src[:strings.Index(src, "---")])); err != nil {
		t.Errorf("one document after a leading ---: %v", err)
	}
}

// TestAddToolToConfigCRLF: a clerk-mcp.yaml with CRLF line endings stays
// CRLF throughout.
func TestAddToolToConfigCRLF(t *testing.T) {
	lf := "# mine\nversion: 1\nname: a\nmodule: a\ntransports: [sse]\ntools:\n  - name: one\n    description: first\n"
	crlf := strings.ReplaceAll(lf, "\n", "\r\n")
	out, cfg, err := AddToolToConfig(ConfigFile, []byte(crlf), Tool{Name: "two", Description: "second"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Tools) != 2 {
		t.Errorf("tools = %v", cfg.Tools)
	}
	if bytes.Count(out, []byte("\n")) != bytes.Count(out, []byte("\r\n")) {
		t.Errorf("mixed line endings:\n%q", out)
	}
	if want := crlf + "  - name: two\r\n    description: second\r\n"; string(out) != want {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
}

// TestMakePlanLineEndings: files checked out with CRLF (git core.autocrlf)
// are identical to their LF render; a change is written with CRLF.
func TestMakePlanLineEndings(t *testing.T) {
	dir, files := newProject(t, testConfig())
	for _, f := range files {
		writeFile(t, dir, f.Path, strings.ReplaceAll(string(f.Data), "\n", "\r\n"))
	}
	checkActions(t, makePlan(t, dir, files, PlanOptions{}), nil, Identical)
	p := makePlan(t, dir, renderNew(t, testConfig(withScopes("notes:read"))), PlanOptions{})
	c := change(p, "internal/server/server_gen.go")
	if c == nil || c.Action != Update {
		t.Fatalf("server_gen.go planned %+v, want update (not a conflict)", c)
	}
	if bytes.Count(c.New, []byte("\n")) != bytes.Count(c.New, []byte("\r\n")) {
		t.Error("the update is not written with CRLF line endings")
	}
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	checkActions(t, makePlan(t, dir, renderNew(t, testConfig(withScopes("notes:read"))), PlanOptions{}), nil, Identical)
}

// TestProjectGoVersion: the project's go line is the oldest Go that builds
// it: the newest go line among the go.mod files of its dependencies (from
// the module cache; skipped when the go command cannot get them).
func TestProjectGoVersion(t *testing.T) {
	newest, from := "", ""
	for _, d := range projectDeps {
		out, err := exec.Command("go", "mod", "download", "-json", d.Path+"@"+d.Version).Output()
		if err != nil {
			t.Skipf("go mod download %s@%s: %v", d.Path, d.Version, err)
		}
		var info struct{ GoMod string }
		if err := json.Unmarshal(out, &info); err != nil {
			t.Fatal(err)
		}
		data, err := readFileBytes(info.GoMod)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := modfile.Parse(info.GoMod, data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if mf.Go != nil && compareGoVersions(mf.Go.Version, newest) > 0 {
			newest, from = mf.Go.Version, d.Path+"@"+d.Version
		}
	}
	if compareGoVersions(projectGoVersion, newest) != 0 {
		t.Errorf("projectGoVersion = %s, but the newest go line of the dependencies is %s (%s)", projectGoVersion, newest, from)
	}
}

func readFileBytes(p string) ([]byte, error) { return os.ReadFile(p) }
