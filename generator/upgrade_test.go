package generator

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates"
)

// Upgrade tests work the way copier's and kubebuilder's do: render a
// project with templates v1, edit it like a user, render it with templates
// v2 (here a test-only change of the templates) and check the files byte
// for byte.

// templatesV2 is templates.Project with each edit (template path -> old,
// new text) made once.
func templatesV2(t *testing.T, edits map[string][2]string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(templates.Project, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templates.Project, p)
		if err != nil {
			return err
		}
		if e, ok := edits[p]; ok {
			if strings.Count(string(b), e[0]) != 1 {
				t.Fatalf("%s: %q is not there exactly once", p, e[0])
			}
			b = []byte(strings.Replace(string(b), e[0], e[1], 1))
			delete(edits, p)
		}
		out[p] = &fstest.MapFile{Data: b, Mode: 0o644}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range edits {
		t.Fatalf("no template %s", p)
	}
	return out
}

var v2Edits = map[string][2]string{
	"project/main.go.tmpl":   {"// with what your tools need.\n", "// with what your tools need. Templates v2 say hello.\n"},
	"project/README.md.tmpl": {"Clerk issues. Created with create-clerk-mcp.\n", "Clerk issues. Created with create-clerk-mcp v2.\n"},
	"project/tools/tool.go.tmpl": {"// Do the tool's work here, as caller.UserID.\n",
		"// Do the tool's work here, as caller.UserID (v2: check caller's scopes too).\n"},
	"project/env.example.tmpl":                       {"# Optional.\n", "# Optional (v2).\n"},
	"project/tools/get_clerk_user_data_test.go.tmpl": {"package tools\n", "package tools\n\n// v2\n"},
}

// userEdit is one edit of a user's: old text replaced by new, once.
type userEdit struct{ path, old, new string }

var userEdits = []userEdit{
	{"main.go", "\tdefer stop()\n", "\tdefer stop()\n\tslog.Info(\"starting\") // mine\n"},
	{"tools/search_notes.go", "\tMessage string `json:\"message\"`\n", "\tMessage string `json:\"message\"`\n\tCount   int    `json:\"count\"` // mine\n"},
	{"README.md", "Clerk issues. Created with create-clerk-mcp.\n", "Clerk issues. Created with create-clerk-mcp, and made mine.\n"},
}

func edit(t *testing.T, s string, e userEdit) string {
	t.Helper()
	if strings.Count(s, e.old) != 1 {
		t.Fatalf("%s: %q is not there exactly once", e.path, e.old)
	}
	return strings.Replace(s, e.old, e.new, 1)
}

func renderWith(t *testing.T, cfg *Config, project fs.FS) map[string]string {
	t.Helper()
	files, err := RenderTemplates(cfg, project)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		out[f.Path] = string(f.Data)
	}
	return out
}

// upgradeProject makes a v1 project with the user's edits (and the sample
// tool's test deleted), and returns it with the v1 and v2 renders.
func upgradeProject(t *testing.T) (dir string, cfg *Config, v1, v2 map[string]string, v2files []*File) {
	t.Helper()
	cfg = testConfig(withTools("search-notes"))
	dir, _ = newProject(t, cfg)
	for _, e := range userEdits {
		writeFile(t, dir, e.path, edit(t, readFile(t, dir, e.path), e))
	}
	removeFile(t, dir, "tools/get_clerk_user_data_test.go")
	project := templatesV2(t, maps2(v2Edits))
	v1 = renderWith(t, cfg, templates.Project)
	v2 = renderWith(t, cfg, project)
	var err error
	if v2files, err = RenderTemplates(cfg, project); err != nil {
		t.Fatal(err)
	}
	return dir, cfg, v1, v2, v2files
}

func maps2(m map[string][2]string) map[string][2]string {
	out := map[string][2]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fileContents reads every file under dir.
func fileContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var readmeConflict = "<<<<<<< yours\n" +
	"Clerk issues. Created with create-clerk-mcp, and made mine.\n" +
	"=======\n" +
	"Clerk issues. Created with create-clerk-mcp v2.\n" +
	">>>>>>> create-clerk-mcp " + Version + "\n"

func TestUpgradeMergesUserFiles(t *testing.T) {
	dir, _, v1, v2, files := upgradeProject(t)
	for _, p := range []string{"main.go", "tools/search_notes.go", "README.md", ".env.example"} {
		if v1[p] == v2[p] {
			t.Fatalf("templates v2 do not change %s", p)
		}
		if got := readFile(t, dir, BaseDir+"/"+p); got != v1[p] {
			t.Errorf("the base of %s is not its v1 render:\n%s", p, got)
		}
	}

	// Overlapping edits (README.md): a conflict, nothing written.
	before := fileContents(t, dir)
	p := makePlan(t, dir, files, PlanOptions{})
	checkActions(t, p, map[string]Action{
		"main.go":                           Merge,
		"tools/search_notes.go":             Merge,
		"README.md":                         Conflict,
		".env.example":                      Update, // unedited: takes the new render
		"tools/get_clerk_user_data_test.go": Skip,   // deleted: stays deleted
	}, Identical)
	var ce *ConflictError
	if err := Apply(p); !errors.As(err, &ce) || len(ce.Changes) != 1 || ce.Changes[0].Path != "README.md" {
		t.Fatalf("Apply = %v, want a conflict over README.md", err)
	}
	if after := fileContents(t, dir); len(after) != len(before) {
		t.Errorf("a refused plan wrote files: %d before, %d after", len(before), len(after))
	} else {
		for k, v := range before {
			if after[k] != v {
				t.Errorf("a refused plan changed %s", k)
			}
		}
	}

	// --conflict-markers: the clean merges and the update are written, the
	// conflict is written with git-style markers and stays a conflict.
	p = makePlan(t, dir, files, PlanOptions{ConflictMarkers: true})
	if c := change(p, "README.md"); c.Action != Conflict || !c.Markers {
		t.Fatalf("README.md planned %+v, want a conflict with markers", c)
	}
	if len(p.Blocking()) != 0 {
		t.Fatalf("Blocking() = %v with markers", p.Blocking())
	}
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"main.go":               edit(t, v2["main.go"], userEdits[0]),
		"tools/search_notes.go": edit(t, v2["tools/search_notes.go"], userEdits[1]),
		"README.md":             strings.Replace(v1["README.md"], "Clerk issues. Created with create-clerk-mcp.\n", readmeConflict, 1),
		".env.example":          v2[".env.example"],
	}
	for path, w := range want {
		if got := readFile(t, dir, path); got != w {
			t.Errorf("%s after the upgrade:\n%s\nwant:\n%s", path, got, w)
		}
		if got := readFile(t, dir, BaseDir+"/"+path); got != v2[path] {
			t.Errorf("the base of %s is not its v2 render", path)
		}
	}
	if exists(dir, "tools/get_clerk_user_data_test.go") {
		t.Error("the deleted tools/get_clerk_user_data_test.go was written again")
	}
	if exists(dir, BaseDir+"/tools/get_clerk_user_data_test.go") {
		t.Error("a deleted file keeps a base")
	}

	// The user resolves the markers; then the project is up to date and a
	// second run changes nothing.
	resolved := strings.Replace(v1["README.md"], "Clerk issues. Created with create-clerk-mcp.\n", "Clerk issues. Created with create-clerk-mcp v2, and made mine.\n", 1)
	writeFile(t, dir, "README.md", resolved)
	p = makePlan(t, dir, files, PlanOptions{})
	if p.Pending() || len(p.Conflicts()) > 0 {
		t.Errorf("after resolving, the plan is %v", actions(p))
	}
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dir, "README.md"); got != resolved {
		t.Errorf("the resolved README.md changed:\n%s", got)
	}
}

// TestUpgradeWithoutConflicts: without overlapping edits the whole upgrade
// applies in one run.
func TestUpgradeWithoutConflicts(t *testing.T) {
	dir, _, v1, v2, files := upgradeProject(t)
	writeFile(t, dir, "README.md", v1["README.md"]) // the user's README edit undone
	p := makePlan(t, dir, files, PlanOptions{})
	checkActions(t, p, map[string]Action{
		"main.go":                           Merge,
		"tools/search_notes.go":             Merge,
		"README.md":                         Update,
		".env.example":                      Update,
		"tools/get_clerk_user_data_test.go": Skip,
	}, Identical)
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dir, "README.md"); got != v2["README.md"] {
		t.Errorf("README.md:\n%s", got)
	}
	if got, want := readFile(t, dir, "main.go"), edit(t, v2["main.go"], userEdits[0]); got != want {
		t.Errorf("main.go:\n%s\nwant:\n%s", got, want)
	}
	if p := makePlan(t, dir, files, PlanOptions{}); p.Pending() {
		t.Errorf("a second run plans %v", actions(p))
	}
}

// TestUpgradeCRLF: a checkout with CRLF line endings merges the same and
// keeps its style.
func TestUpgradeCRLF(t *testing.T) {
	dir, _, _, v2, files := upgradeProject(t)
	writeFile(t, dir, "main.go", strings.ReplaceAll(readFile(t, dir, "main.go"), "\n", "\r\n"))
	writeFile(t, dir, BaseDir+"/main.go", strings.ReplaceAll(readFile(t, dir, BaseDir+"/main.go"), "\n", "\r\n"))
	p := makePlan(t, dir, files, PlanOptions{ConflictMarkers: true})
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(edit(t, v2["main.go"], userEdits[0]), "\n", "\r\n")
	if got := readFile(t, dir, "main.go"); got != want {
		t.Errorf("main.go with CRLF:\n%q", got)
	}
}

// TestLegacyProjectRecordsBase: a project made before the base existed
// gets its base recorded from the current render, and nothing else changes.
func TestLegacyProjectRecordsBase(t *testing.T) {
	dir, _, _, v2, files := upgradeProject(t)
	if err := os.RemoveAll(filepath.Join(dir, ".clerk-mcp")); err != nil {
		t.Fatal(err)
	}
	before := fileContents(t, dir)
	p := makePlan(t, dir, files, PlanOptions{})
	if !p.RecordedBase {
		t.Error("RecordedBase is false")
	}
	checkActions(t, p, map[string]Action{
		"main.go": Skip, "tools/search_notes.go": Skip, "README.md": Skip, ".env.example": Skip,
		"tools/get_clerk_user_data_test.go": Skip,
	}, Identical)
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	after := fileContents(t, dir)
	for k, v := range after {
		if b, ok := strings.CutPrefix(k, BaseDir+"/"); ok {
			if b != ConfigFile && v != v2[b] {
				t.Errorf("the recorded base of %s is not the render", b)
			}
			continue
		}
		if before[k] != v {
			t.Errorf("%s changed", k)
		}
	}
	if p := makePlan(t, dir, files, PlanOptions{}); p.RecordedBase || p.Pending() {
		t.Errorf("a second run: RecordedBase %v, %v", p.RecordedBase, actions(p))
	}
}

// TestBaseUntrusted: the base arrives in pull requests; a symlink in it is
// refused, and files in it the render does not name are removed, not read.
func TestBaseUntrusted(t *testing.T) {
	dir, _ := newProject(t, testConfig())
	files := renderNew(t, testConfig())
	outside := filepath.Join(t.TempDir(), "secret")
	writeFile(t, filepath.Dir(outside), "secret", "secret\n")
	os.Remove(filepath.Join(dir, BaseDir, "main.go"))
	if err := os.Symlink(outside, filepath.Join(dir, BaseDir, "main.go")); err != nil {
		t.Fatal(err)
	}
	if _, err := MakePlan(dir, files, PlanOptions{}); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("MakePlan with a symlinked base: %v", err)
	}
	os.Remove(filepath.Join(dir, BaseDir, "main.go"))

	writeFile(t, dir, BaseDir+"/extra/stale.go", "package extra\n")
	if err := Apply(makePlan(t, dir, files, PlanOptions{})); err != nil {
		t.Fatal(err)
	}
	if exists(dir, BaseDir+"/extra/stale.go") || exists(dir, BaseDir+"/extra") {
		t.Error("a stale base file stayed")
	}
	if !exists(dir, BaseDir+"/main.go") {
		t.Error("the missing base of main.go was not recorded again")
	}
	if !exists(filepath.Dir(outside), "secret") {
		t.Error("the file outside was removed")
	}
}
