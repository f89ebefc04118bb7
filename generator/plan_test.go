package generator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// testConfig is DefaultConfig("x") with module example.com/x, changed by
// the edits given.
func testConfig(edits ...func(*Config)) *Config {
	c := DefaultConfig("x")
	c.Module = "example.com/x"
	for _, e := range edits {
		e(c)
	}
	return c
}

func withScopes(s ...string) func(*Config) { return func(c *Config) { c.Scopes = s } }

func withTools(names ...string) func(*Config) {
	return func(c *Config) {
		for _, n := range names {
			c.Tools = append(c.Tools, Tool{Name: n, Description: "The " + n + " tool"})
		}
	}
}

func renderNew(t *testing.T, cfg *Config) []*File {
	t.Helper()
	files, err := RenderNew(cfg)
	if err != nil {
		t.Fatalf("RenderNew: %v", err)
	}
	return files
}

func makePlan(t *testing.T, dir string, files []*File, opts PlanOptions) *Plan {
	t.Helper()
	p, err := MakePlan(dir, files, opts)
	if err != nil {
		t.Fatalf("MakePlan: %v", err)
	}
	return p
}

// newProjectIn applies a new project for cfg to dir, as `new` does.
func newProjectIn(t *testing.T, dir string, cfg *Config) []*File {
	t.Helper()
	files := renderNew(t, cfg)
	if err := Apply(makePlan(t, dir, files, PlanOptions{NewProject: true})); err != nil {
		t.Fatalf("Apply of a new project: %v", err)
	}
	return files
}

// newProject creates a project for cfg in a new temporary directory.
func newProject(t *testing.T, cfg *Config) (string, []*File) {
	t.Helper()
	dir := t.TempDir()
	return dir, newProjectIn(t, dir, cfg)
}

func actions(p *Plan) map[string]Action {
	m := map[string]Action{}
	for _, c := range p.Changes {
		m[c.Path] = c.Action
	}
	return m
}

func change(p *Plan, path string) *Change {
	for _, c := range p.Changes {
		if c.Path == path {
			return c
		}
	}
	return nil
}

// checkActions checks that the plan does want[path] for the paths in want
// and other for every other path (unless other is "").
func checkActions(t *testing.T, p *Plan, want map[string]Action, other Action) {
	t.Helper()
	got := actions(p)
	for path, a := range want {
		if a == "" {
			if g, ok := got[path]; ok {
				t.Errorf("%s: planned %s, want it absent from the plan", path, g)
			}
			continue
		}
		if got[path] != a {
			t.Errorf("%s: planned %q, want %q", path, got[path], a)
		}
	}
	if other == "" {
		return
	}
	for path, a := range got {
		if _, ok := want[path]; !ok && a != other {
			t.Errorf("%s: planned %s, want %s", path, a, other)
		}
	}
}

func writeFile(t *testing.T, dir, rel, data string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func appendFile(t *testing.T, dir, rel, more string) {
	t.Helper()
	writeFile(t, dir, rel, readFile(t, dir, rel)+more)
}

func removeFile(t *testing.T, dir, rel string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
		t.Fatal(err)
	}
}

func exists(dir, rel string) bool {
	_, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
	return err == nil
}

// sha256Of is the manifest's hash of b, computed here independently.
func sha256Of(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// readManifestFile decodes the manifest on disk without ReadManifest.
func readManifestFile(t *testing.T, dir string) Manifest {
	t.Helper()
	var m Manifest
	if err := json.Unmarshal([]byte(readFile(t, dir, ManifestFile)), &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	return m
}

// addManifestEntry records path in dir's manifest with hash.
func addManifestEntry(t *testing.T, dir, path, hash string) {
	t.Helper()
	m := readManifestFile(t, dir)
	m.Files[path] = hash
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, ManifestFile, string(b)+"\n")
}

// pathsOfTier lists the rendered paths of tier.
func pathsOfTier(files []*File, tier Tier) []string {
	var out []string
	for _, f := range files {
		if f.Tier == tier {
			out = append(out, f.Path)
		}
	}
	return out
}

// snapshot records every file (with content and mode) and directory under
// dir, to tell that nothing changed.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			m[rel+"/"] = info.Mode().String()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m[rel] = info.Mode().String() + " " + info.ModTime().String() + "\n" + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func checkSnapshot(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	after := snapshot(t, dir)
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, inBefore := before[k]
		a, inAfter := after[k]
		switch {
		case !inAfter:
			t.Errorf("%s was removed", k)
		case !inBefore:
			t.Errorf("%s was created", k)
		case a != b:
			t.Errorf("%s was changed", k)
		}
	}
}

func TestMakePlanFresh(t *testing.T) {
	dir := t.TempDir()
	files := renderNew(t, testConfig())
	p := makePlan(t, dir, files, PlanOptions{})
	if p.Root != dir {
		t.Errorf("Root = %q, want %q", p.Root, dir)
	}
	if len(p.Changes) != len(files) {
		t.Fatalf("%d changes for %d files", len(p.Changes), len(files))
	}
	for i, f := range files {
		c := p.Changes[i]
		if c.Path != f.Path || c.Action != Create || c.Tier != f.Tier || string(c.New) != string(f.Data) || c.Old != nil {
			t.Errorf("change %d = {%s %s %s}, want {%s create %s} with the rendered data", i, c.Path, c.Action, c.Tier, f.Path, f.Tier)
		}
	}
	if !p.Pending() || len(p.Conflicts()) != 0 {
		t.Errorf("Pending = %v, Conflicts = %d; want true, 0", p.Pending(), len(p.Conflicts()))
	}
	if p.Manifest.Generator != Version {
		t.Errorf("manifest generator = %q, want %q", p.Manifest.Generator, Version)
	}
	want := map[string]string{}
	for _, f := range files {
		if f.Tier == Generated {
			want[f.Path] = sha256Of(f.Data)
		}
	}
	if len(want) == 0 {
		t.Fatal("no generated files rendered")
	}
	for path, h := range want {
		if p.Manifest.Files[path] != h {
			t.Errorf("manifest[%s] = %q, want %q", path, p.Manifest.Files[path], h)
		}
	}
	for path := range p.Manifest.Files {
		if _, ok := want[path]; !ok {
			t.Errorf("manifest lists %s, which is not a generated file", path)
		}
	}
	// NewProject plans an empty directory the same way.
	p2 := makePlan(t, dir, files, PlanOptions{NewProject: true})
	checkActions(t, p2, nil, Create)
}

func TestMakePlanReplanIdentical(t *testing.T) {
	cfg := testConfig(withTools("search-notes", "notes.create_v2"))
	dir, files := newProject(t, cfg)
	for _, opts := range []PlanOptions{{}, {Force: true}, {NewProject: true}} {
		p := makePlan(t, dir, files, opts)
		checkActions(t, p, nil, Identical)
		if p.Pending() {
			t.Errorf("%+v: Pending() = true after an identical re-plan", opts)
		}
		if len(p.Changes) != len(files) {
			t.Errorf("%+v: %d changes for %d files", opts, len(p.Changes), len(files))
		}
	}
	// The way regenerate plans: Render plus the config file from disk.
	rendered, err := Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := makePlan(t, dir, WithConfigFile(rendered, []byte(readFile(t, dir, ConfigFile))), PlanOptions{})
	checkActions(t, p, nil, Identical)
}

func TestMakePlanSorted(t *testing.T) {
	dir, files := newProject(t, testConfig())
	addManifestEntry(t, dir, "internal/a/old_gen.go", sha256Of([]byte(GeneratedHeader+"\nx")))
	writeFile(t, dir, "internal/a/old_gen.go", GeneratedHeader+"\nx")
	addManifestEntry(t, dir, "internal/zz/old_gen.go", sha256Of([]byte(GeneratedHeader+"\ny")))
	writeFile(t, dir, "internal/zz/old_gen.go", GeneratedHeader+"\ny")
	p := makePlan(t, dir, files, PlanOptions{})
	if !slices.IsSortedFunc(p.Changes, func(a, b *Change) int { return strings.Compare(a.Path, b.Path) }) {
		t.Errorf("changes are not sorted by path")
	}
	if len(p.Changes) != len(files)+2 {
		t.Errorf("%d changes, want %d", len(p.Changes), len(files)+2)
	}
}

func TestMakePlanUserOwned(t *testing.T) {
	cfg := testConfig(withTools("search-notes"))
	files := renderNew(t, cfg)
	userOwned := pathsOfTier(files, UserOwned)
	for _, want := range []string{"main.go", "README.md", ".env.example", ".gitignore", "go.mod", "tools/deps.go",
		"tools/get_clerk_user_data.go", "tools/get_clerk_user_data_test.go", "tools/search_notes.go"} {
		if !slices.Contains(userOwned, want) {
			t.Errorf("%s is not user-owned; user-owned: %v", want, userOwned)
		}
	}
	for _, path := range userOwned {
		t.Run(path, func(t *testing.T) {
			dir := t.TempDir()
			newProjectIn(t, dir, cfg)

			appendFile(t, dir, path, "\n// my edit\n")
			for _, force := range []bool{false, true} {
				p := makePlan(t, dir, files, PlanOptions{Force: force})
				checkActions(t, p, map[string]Action{path: Skip}, Identical)
				if c := change(p, path); c.Reason == "" || !strings.HasSuffix(string(c.Old), "// my edit\n") {
					t.Errorf("force=%v: skip has reason %q and old content %q", force, c.Reason, c.Old)
				}
				if p.Pending() {
					t.Errorf("force=%v: Pending() = true for a plan of skips and identicals", force)
				}
			}

			// Deleted after it was scaffolded, it stays deleted (CONTRACT
			// §1), except go.mod, without which nothing builds.
			removeFile(t, dir, path)
			p := makePlan(t, dir, files, PlanOptions{})
			if path == "go.mod" {
				checkActions(t, p, map[string]Action{path: Create}, Identical)
				if !p.Pending() {
					t.Error("Pending() = false for a plan with a create")
				}
				return
			}
			checkActions(t, p, map[string]Action{path: Skip}, Identical)
			if c := change(p, path); !strings.Contains(c.Reason, "deleted") {
				t.Errorf("skip of a deleted file has reason %q", c.Reason)
			}
			if p.Pending() {
				t.Error("Pending() = true: a deleted user file would come back")
			}
			if !slices.Contains(p.Manifest.Scaffolded, path) {
				t.Errorf("the manifest forgets that %s was scaffolded", path)
			}
			// Unless asked for by name (add-tool of a tool whose handler
			// file was deleted).
			checkActions(t, makePlan(t, dir, files, PlanOptions{Scaffold: []string{path}}), map[string]Action{path: Create}, Identical)
		})
	}
}

func TestMakePlanGeneratedEdited(t *testing.T) {
	cfg := testConfig()
	files := renderNew(t, cfg)
	generated := pathsOfTier(files, Generated)
	for _, want := range []string{"internal/server/server_gen.go", "internal/server/server_gen_test.go"} {
		if !slices.Contains(generated, want) {
			t.Errorf("%s is not generated; generated: %v", want, generated)
		}
	}
	for _, path := range generated {
		t.Run(path, func(t *testing.T) {
			dir := t.TempDir()
			newProjectIn(t, dir, cfg)

			appendFile(t, dir, path, "\n// my edit\n")
			p := makePlan(t, dir, files, PlanOptions{})
			checkActions(t, p, map[string]Action{path: Conflict}, Identical)
			conflicts := p.Conflicts()
			if len(conflicts) != 1 || conflicts[0].Path != path || conflicts[0].Reason == "" {
				t.Errorf("Conflicts() = %v, want just %s with a reason", conflicts, path)
			}

			p = makePlan(t, dir, files, PlanOptions{Force: true})
			checkActions(t, p, map[string]Action{path: Update}, Identical)
			if len(p.Conflicts()) != 0 {
				t.Errorf("Conflicts() with Force = %v", p.Conflicts())
			}

			removeFile(t, dir, path)
			for _, force := range []bool{false, true} {
				p = makePlan(t, dir, files, PlanOptions{Force: force})
				checkActions(t, p, map[string]Action{path: Create}, Identical)
			}
		})
	}
}

func TestMakePlanStaleGenerated(t *testing.T) {
	tests := []struct {
		name    string
		b       *Config
		updates []string
		// user-owned files the change renders otherwise: unedited since
		// scaffolded, they take the new render
		userUpdates []string
	}{
		{"other scopes", testConfig(withScopes("notes:read")), []string{"internal/server/server_gen.go"}, nil},
		{"another transport", testConfig(func(c *Config) { c.Transports = []string{TransportStreamable, TransportSSE} }),
			[]string{"internal/server/server_gen.go", "internal/server/server_gen_test.go"}, []string{"README.md"}},
		{"public routes", testConfig(func(c *Config) { c.PublicRoutes = []string{"/about"} }), []string{"internal/server/server_gen.go"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := newProject(t, testConfig())
			filesB := renderNew(t, tt.b)
			want := map[string]Action{ConfigFile: Update}
			for _, u := range tt.updates {
				want[u] = Update
			}
			for _, s := range tt.userUpdates {
				want[s] = Update
			}
			p := makePlan(t, dir, filesB, PlanOptions{})
			checkActions(t, p, want, Identical)
			c := change(p, tt.updates[0])
			if c == nil || c.Reason != "" && strings.Contains(c.Reason, "hand") {
				t.Errorf("a stale, unedited file is planned as %+v", c)
			}
			if err := Apply(p); err != nil {
				t.Fatal(err)
			}
			m := readManifestFile(t, dir)
			for _, u := range tt.updates {
				if got := readFile(t, dir, u); m.Files[u] != sha256Of([]byte(got)) {
					t.Errorf("manifest[%s] = %s, not the hash of the file written", u, m.Files[u])
				}
			}
			delete(want, ConfigFile)
			for _, u := range append(tt.updates, tt.userUpdates...) {
				delete(want, u)
			}
			checkActions(t, makePlan(t, dir, filesB, PlanOptions{}), want, Identical)

			// Hand-edited and stale: a conflict.
			dir2, _ := newProject(t, testConfig())
			appendFile(t, dir2, tt.updates[0], "// mine\n")
			want[ConfigFile] = Update
			for _, u := range append(tt.updates, tt.userUpdates...) {
				want[u] = Update
			}
			want[tt.updates[0]] = Conflict
			checkActions(t, makePlan(t, dir2, filesB, PlanOptions{}), want, Identical)
		})
	}
}

func TestMakePlanToolRemoved(t *testing.T) {
	dir, _ := newProject(t, testConfig(withTools("search-notes")))
	handler := readFile(t, dir, "tools/search_notes.go")
	appendFile(t, dir, "tools/search_notes.go", "// my code\n")

	p := makePlan(t, dir, renderNew(t, testConfig()), PlanOptions{})
	checkActions(t, p, map[string]Action{
		"internal/server/server_gen.go":      Update,
		"internal/server/server_gen_test.go": Update,
		ConfigFile:                           Update,
		"README.md":                          Update, // unedited: takes the new render
		"tools/search_notes.go":              "",     // the user's: not removed
	}, Identical)
	if c := change(p, "internal/server/server_gen.go"); strings.Contains(string(c.New), "SearchNotes") || !strings.Contains(string(c.Old), "tools.SearchNotes(") {
		t.Errorf("server_gen.go update does not drop the SearchNotes reference")
	}
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dir, "tools/search_notes.go"); got != handler+"// my code\n" {
		t.Errorf("the user's handler file changed:\n%s", got)
	}

	// The sample tool's files stay too.
	dir, _ = newProject(t, testConfig())
	p = makePlan(t, dir, renderNew(t, testConfig(func(c *Config) { c.Tools = nil })), PlanOptions{})
	checkActions(t, p, map[string]Action{
		"internal/server/server_gen.go":      Update,
		"internal/server/server_gen_test.go": Update,
		ConfigFile:                           Update,
		"README.md":                          Update, // unedited: takes the new render
		"tools/get_clerk_user_data.go":       "",
		"tools/get_clerk_user_data_test.go":  "",
	}, Identical)
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tools/get_clerk_user_data.go", "tools/get_clerk_user_data_test.go"} {
		if !exists(dir, f) {
			t.Errorf("%s was removed", f)
		}
	}
}

func TestMakePlanToolAdded(t *testing.T) {
	dir, _ := newProject(t, testConfig())
	appendFile(t, dir, "main.go", "// mine\n")
	p := makePlan(t, dir, renderNew(t, testConfig(withTools("search-notes"))), PlanOptions{})
	checkActions(t, p, map[string]Action{
		"internal/server/server_gen.go":      Update,
		"internal/server/server_gen_test.go": Update,
		ConfigFile:                           Update,
		"README.md":                          Update, // unedited: takes the new render
		"tools/search_notes.go":              Create,
		"main.go":                            Skip,
	}, Identical)
}

func TestMakePlanNoLongerRendered(t *testing.T) {
	const old = "internal/legacy/old_gen.go"
	const content = GeneratedHeader + "\n\npackage legacy\n"
	tests := []struct {
		name   string
		disk   string // "" for no file
		hash   string
		opts   PlanOptions
		action Action // "" for absent from the plan
	}{
		{"unmodified", content, sha256Of([]byte(content)), PlanOptions{}, Remove},
		{"unmodified, force", content, sha256Of([]byte(content)), PlanOptions{Force: true}, Remove},
		{"edited", content + "// mine\n", sha256Of([]byte(content)), PlanOptions{}, Conflict},
		{"edited, force", content + "// mine\n", sha256Of([]byte(content)), PlanOptions{Force: true}, Remove},
		{"already gone", "", sha256Of([]byte(content)), PlanOptions{}, ""},
		{"new project", content, sha256Of([]byte(content)), PlanOptions{NewProject: true}, ""},
		{"new project, force", content, sha256Of([]byte(content)), PlanOptions{NewProject: true, Force: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, files := newProject(t, testConfig())
			addManifestEntry(t, dir, old, tt.hash)
			if tt.disk != "" {
				writeFile(t, dir, old, tt.disk)
			}
			p := makePlan(t, dir, files, tt.opts)
			checkActions(t, p, map[string]Action{old: tt.action}, Identical)
			if c := change(p, old); c != nil {
				if c.Tier != Generated || c.New != nil || string(c.Old) != tt.disk {
					t.Errorf("change = {tier %s, new %q, old %q}", c.Tier, c.New, c.Old)
				}
				if tt.action == Conflict && c.Reason == "" {
					t.Error("conflict without a reason")
				}
			}
			if _, ok := p.Manifest.Files[old]; ok {
				t.Errorf("the new manifest still lists %s", old)
			}
		})
	}
}

func TestMakePlanNewProjectNeverOverwrites(t *testing.T) {
	files := renderNew(t, testConfig())
	byPath := map[string]*File{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	for _, path := range []string{"README.md", "main.go", ConfigFile, "internal/server/server_gen.go", "go.mod"} {
		t.Run(path, func(t *testing.T) {
			if byPath[path] == nil {
				t.Fatalf("%s is not rendered", path)
			}
			dir := t.TempDir()
			writeFile(t, dir, path, "my own "+path+"\n")
			writeFile(t, dir, "notes.txt", "unrelated\n")
			writeFile(t, dir, ".gitignore", string(byPath[".gitignore"].Data)) // identical
			for _, force := range []bool{false, true} {
				p := makePlan(t, dir, files, PlanOptions{NewProject: true, Force: force})
				checkActions(t, p, map[string]Action{path: Conflict, ".gitignore": Identical, "notes.txt": ""}, Create)
				if c := change(p, path); c.Reason == "" {
					t.Errorf("force=%v: conflict without a reason", force)
				}
			}
		})
	}
}

func TestMakePlanConfigFile(t *testing.T) {
	dir, _ := newProject(t, testConfig())
	cfgB := testConfig(withTools("search-notes"))
	yml, err := MarshalConfig(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := Render(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	p := makePlan(t, dir, WithConfigFile(rendered, yml), PlanOptions{})
	if c := change(p, ConfigFile); c == nil || c.Action != Update || c.Tier != ConfigFileTier {
		t.Errorf("config file change = %+v, want an update of tier config", c)
	}
	if _, ok := p.Manifest.Files[ConfigFile]; ok {
		t.Error("the manifest lists the config file")
	}
}

func TestMakePlanBadManifest(t *testing.T) {
	dir, files := newProject(t, testConfig())
	writeFile(t, dir, ManifestFile, "{not json")
	_, err := MakePlan(dir, files, PlanOptions{})
	if err == nil || !strings.Contains(err.Error(), ManifestFile) {
		t.Errorf("MakePlan with a damaged manifest: err = %v, want one naming %s", err, ManifestFile)
	}

	// A manifest without files is an empty one: every generated file that
	// differs is then a hand edit.
	writeFile(t, dir, ManifestFile, `{"generator": "0.0.1"}`)
	appendFile(t, dir, "internal/server/server_gen.go", "// x\n")
	p := makePlan(t, dir, files, PlanOptions{})
	checkActions(t, p, map[string]Action{"internal/server/server_gen.go": Conflict}, Identical)
}

func TestMakePlanDirectoryInTheWay(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "README.md", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := MakePlan(dir, renderNew(t, testConfig()), PlanOptions{NewProject: true})
	if err == nil || !strings.Contains(err.Error(), "README.md") || !strings.Contains(err.Error(), "directory") {
		t.Errorf("MakePlan with a directory at README.md: err = %v, want one naming it a directory", err)
	}
}

func TestMakePlanFileInTheWay(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "internal", "a file where a directory goes\n")
	p, err := MakePlan(dir, renderNew(t, testConfig()), PlanOptions{NewProject: true})
	if err != nil {
		if !strings.Contains(err.Error(), "internal") {
			t.Errorf("error %q does not name the path", err)
		}
		return
	}
	// A plan is fine too, as long as it cannot be applied.
	if len(p.Conflicts()) == 0 {
		t.Errorf("MakePlan with a file named internal planned no conflict: %v", actions(p))
	}
}

func TestMakePlanWritesNothing(t *testing.T) {
	dir, _ := newProject(t, testConfig())
	appendFile(t, dir, "internal/server/server_gen.go", "// mine\n")
	removeFile(t, dir, "README.md")
	addManifestEntry(t, dir, "internal/legacy/old_gen.go", sha256Of([]byte("old")))
	writeFile(t, dir, "internal/legacy/old_gen.go", "old")
	before := snapshot(t, dir)
	for _, opts := range []PlanOptions{{}, {Force: true}, {NewProject: true}} {
		makePlan(t, dir, renderNew(t, testConfig(withScopes("a"), withTools("b"))), opts)
	}
	checkSnapshot(t, dir, before)
}

func TestConflictErrorLists(t *testing.T) {
	e := &ConflictError{Changes: []*Change{
		{Path: "internal/server/server_gen.go", Action: Conflict, Reason: "generated file edited by hand"},
		{Path: "README.md", Action: Conflict, Reason: "exists with other content"},
	}}
	msg := e.Error()
	for _, s := range []string{"2", "internal/server/server_gen.go", "README.md", "edited by hand", "exists with other content"} {
		if !strings.Contains(msg, s) {
			t.Errorf("ConflictError %q does not contain %q", msg, s)
		}
	}
}

// TestRegenerateAfterUpgradeRequiresNewDeps: a project made by an older
// create-clerk-mcp is regenerated by a newer one whose runtime packages need
// a module the old go.mod does not require. After regenerate the project's
// go.mod must require every module the generated code imports, or the
// project no longer builds.
func TestRegenerateAfterUpgradeRequiresNewDeps(t *testing.T) {
	saved := projectDeps
	t.Cleanup(func() { projectDeps = saved })
	projectDeps = saved[:len(saved)-1] // an older create-clerk-mcp
	dir, _ := newProject(t, testConfig())
	projectDeps = saved

	if err := Apply(makePlan(t, dir, renderNew(t, testConfig()), PlanOptions{})); err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", []byte(readFile(t, dir, "go.mod")), nil)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, r := range mf.Require {
		have[r.Mod.Path] = r.Mod.Version
	}
	for _, d := range projectDeps {
		if v, ok := have[d.Path]; !ok || semver.Compare(v, d.Version) < 0 {
			t.Errorf("after regenerate, go.mod requires %s at %q, want at least %s", d.Path, v, d.Version)
		}
	}
}
