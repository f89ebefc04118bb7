package generator

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current render")

const goldenRoot = "../testdata/golden"

// goldenScenarios are the configurations whose renders are pinned.
func goldenScenarios() map[string]*Config {
	withModule := func(c *Config) *Config { c.Module = "example.com/" + c.Name; return c }

	defaults := withModule(DefaultConfig("myapp"))

	// A project as a pre-2026 client needs it: sessions in the process,
	// and the legacy SSE transport beside Streamable HTTP.
	stateful := withModule(DefaultConfig("statefulsse"))
	stateful.Transports = []string{TransportStreamable, TransportSSE}
	stateful.Sessions = SessionsStateful

	noSample := withModule(DefaultConfig("nosample"))
	noSample.Tools = []Tool{}

	custom := withModule(DefaultConfig("custom"))
	custom.Scopes = []string{"notes:read", "notes:write", "email"}
	custom.RequiredScopes = []string{"notes:read"}
	custom.PublicRoutes = []string{"/about", "/docs/*"}
	custom.AllowedOrigins = []string{"https://app.example.com"}

	three := withModule(DefaultConfig("threetools"))
	three.Tools = append(three.Tools,
		Tool{Name: "search-notes", Description: "Searches the signed-in user's notes"},
		Tool{Name: "notes.create_v2", Description: "Creates a note.\nTakes a title and a body."},
	)

	// Prompts, resources (one a template) and scoped entries of each kind.
	surface := withModule(DefaultConfig("surface"))
	surface.Scopes = []string{"profile", "email", "notes:read", "notes:write"}
	surface.Tools = append(surface.Tools, Tool{Name: "create-note", Description: "Creates a note", Scopes: []string{"notes:write"}})
	surface.Prompts = []Prompt{
		{Name: "summarize-notes", Description: "Summarizes the user's notes", Scopes: []string{"notes:read"}},
		{Name: "greet"},
	}
	surface.Resources = []Resource{
		{Name: "notes-index", URI: "notes://index", Description: "Every note's title", MIMEType: "application/json", Scopes: []string{"notes:read"}},
		{Name: "note", URI: "notes://note/{id}", Description: "One note, by id", Scopes: []string{"notes:read", "profile"}},
		{Name: "about", URI: "https://example.com/about"},
	}

	return map[string]*Config{
		"prompts-resources":    surface,
		"defaults":             defaults,
		"stateful-sse":         stateful,
		"no-sample-tool":       noSample,
		"scopes-public-routes": custom,
		"three-tools":          three,
	}
}

func TestGolden(t *testing.T) {
	for name, cfg := range goldenScenarios() {
		t.Run(name, func(t *testing.T) {
			files, err := RenderNew(cfg)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(goldenRoot, name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				for _, f := range files {
					p := filepath.Join(dir, filepath.FromSlash(f.Path))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			compareTree(t, dir, files)
		})
	}
}

// compareTree reports files missing from the render, files missing from the
// golden tree, and differing files with a unified diff.
func compareTree(t *testing.T, dir string, files []*File) {
	t.Helper()
	want := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		want[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatalf("reading golden tree (run go test ./generator -update to create it): %v", err)
	}
	got := map[string][]byte{}
	for _, f := range files {
		got[f.Path] = f.Data
	}
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		w, inWant := want[p]
		g, inGot := got[p]
		switch {
		case !inGot:
			t.Errorf("%s: in the golden tree but not rendered", p)
		case !inWant:
			t.Errorf("%s: rendered but not in the golden tree", p)
		case !bytes.Equal(w, g):
			t.Errorf("%s differs from the golden file (go test ./generator -update rewrites it):\n%s", p, diff.Diff("golden/"+p, w, "rendered/"+p, g))
		}
	}
}

// TestGoldenReplanIdentical plans each golden tree against its own render:
// regenerating a project that is up to date must change nothing.
func TestGoldenReplanIdentical(t *testing.T) {
	for name, cfg := range goldenScenarios() {
		files, err := RenderNew(cfg)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := MakePlan(filepath.Join(goldenRoot, name), files, PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range plan.Changes {
			if c.Action != Identical {
				t.Errorf("%s: %s planned %s, want identical", name, c.Path, c.Action)
			}
		}
	}
}
