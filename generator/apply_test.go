package generator

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// tempFiles lists what Apply's staging left behind under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(d.Name(), ".tmp-") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestApplyNewProject(t *testing.T) {
	for _, sub := range []string{"", "a/b/proj"} {
		t.Run("root="+sub, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), filepath.FromSlash(sub))
			files := renderNew(t, testConfig(withTools("search-notes", "notes.create_v2")))
			p := makePlan(t, dir, files, PlanOptions{NewProject: true})
			base := p.Base
			if err := Apply(p); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			want := map[string]bool{ManifestFile: true}
			for _, f := range files {
				want[f.Path] = true
				path := filepath.Join(dir, filepath.FromSlash(f.Path))
				b, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("%s: %v", f.Path, err)
					continue
				}
				if string(b) != string(f.Data) {
					t.Errorf("%s: content differs from the render", f.Path)
				}
				info, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if info.Mode().Perm() != 0o644 {
					t.Errorf("%s: mode %v, want 0644", f.Path, info.Mode().Perm())
				}
			}
			// Nothing else was written.
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, p)
				if b, ok := strings.CutPrefix(filepath.ToSlash(rel), BaseDir+"/"); ok {
					if data, _ := os.ReadFile(p); base[b] == nil || string(data) != string(base[b]) {
						t.Errorf("Apply wrote the base %s, which is not the plan's", rel)
					}
					return nil
				}
				if !want[filepath.ToSlash(rel)] {
					t.Errorf("Apply wrote %s, which is not in the plan", rel)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if tmp := tempFiles(t, dir); len(tmp) > 0 {
				t.Errorf("temporary files left: %v", tmp)
			}

			m := readManifestFile(t, dir)
			if m.Generator != Version {
				t.Errorf("manifest generator = %q, want %q", m.Generator, Version)
			}
			generated := pathsOfTier(files, Generated)
			if len(m.Files) != len(generated) {
				t.Errorf("manifest lists %d files, want the %d generated ones", len(m.Files), len(generated))
			}
			for _, g := range generated {
				if h := sha256Of([]byte(readFile(t, dir, g))); m.Files[g] != h {
					t.Errorf("manifest[%s] = %q, want %q", g, m.Files[g], h)
				}
			}
			rm, err := ReadManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			if rm.Generator != p.Manifest.Generator || len(rm.Files) != len(p.Manifest.Files) {
				t.Errorf("ReadManifest = %+v, want the plan's manifest", rm)
			}
			for k, v := range p.Manifest.Files {
				if rm.Files[k] != v {
					t.Errorf("ReadManifest: %s = %q, want %q", k, rm.Files[k], v)
				}
			}
		})
	}
}

func TestApplyConflictWritesNothing(t *testing.T) {
	dir, _ := newProject(t, testConfig())
	appendFile(t, dir, "internal/server/server_gen.go", "// mine\n")
	removeFile(t, dir, "README.md")
	oldGen := GeneratedHeader + "\n\npackage legacy\n"
	addManifestEntry(t, dir, "internal/legacy/old_gen.go", sha256Of([]byte(oldGen)))
	writeFile(t, dir, "internal/legacy/old_gen.go", oldGen)

	p := makePlan(t, dir, renderNew(t, testConfig(withScopes("a"), withTools("search-notes"))), PlanOptions{})
	got := actions(p)
	if got["internal/server/server_gen.go"] != Conflict || got["README.md"] != Skip || got["tools/search_notes.go"] != Create ||
		got["internal/legacy/old_gen.go"] != Remove || got[ConfigFile] != Update {
		t.Fatalf("unexpected plan: %v", got)
	}
	before := snapshot(t, dir)
	err := Apply(p)
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Apply = %v, want a *ConflictError", err)
	}
	if len(ce.Changes) != 1 || ce.Changes[0].Path != "internal/server/server_gen.go" {
		t.Errorf("ConflictError lists %v", ce.Changes)
	}
	if !strings.Contains(err.Error(), "internal/server/server_gen.go") {
		t.Errorf("error %q does not name the path", err)
	}
	checkSnapshot(t, dir, before)
}

func TestApplyNewProjectConflictWritesNothing(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "README.md", "mine\n")
	before := snapshot(t, dir)
	for _, force := range []bool{false, true} {
		p := makePlan(t, dir, renderNew(t, testConfig()), PlanOptions{NewProject: true, Force: force})
		var ce *ConflictError
		if err := Apply(p); !errors.As(err, &ce) {
			t.Errorf("force=%v: Apply = %v, want a *ConflictError", force, err)
		}
		checkSnapshot(t, dir, before)
	}
}

func TestApplyNoTempFilesLeft(t *testing.T) {
	dir, _ := newProject(t, testConfig())
	if tmp := tempFiles(t, dir); len(tmp) > 0 {
		t.Errorf("after new: temporary files left: %v", tmp)
	}
	removeFile(t, dir, "main.go")
	appendFile(t, dir, "internal/server/server_gen.go", "// mine\n")
	p := makePlan(t, dir, renderNew(t, testConfig(withScopes("a"), withTools("b"))), PlanOptions{Force: true})
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	if tmp := tempFiles(t, dir); len(tmp) > 0 {
		t.Errorf("after regenerate: temporary files left: %v", tmp)
	}
}

func TestApplyForce(t *testing.T) {
	cfg := testConfig()
	dir, files := newProject(t, cfg)
	const path = "internal/server/server_gen.go"
	appendFile(t, dir, path, "// mine\n")
	if err := Apply(makePlan(t, dir, files, PlanOptions{Force: true})); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == path && readFile(t, dir, path) != string(f.Data) {
			t.Errorf("--force did not restore %s", path)
		}
	}
	checkActions(t, makePlan(t, dir, files, PlanOptions{}), nil, Identical)
}

// TestApplyParentIsFile checks that Apply, finding a file where it must
// create a directory, fails and leaves the tree as it was: no temporary
// files, no new directories, no file written.
func TestApplyParentIsFile(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares dir before planning; block puts the obstacle in
		// place after planning (as another process might).
		setup func(t *testing.T, dir string) []*File
		block func(t *testing.T, dir string)
	}{
		{
			name:  "new project, file named internal",
			setup: func(t *testing.T, dir string) []*File { return renderNew(t, testConfig()) },
			block: func(t *testing.T, dir string) { writeFile(t, dir, "internal", "not a directory\n") },
		},
		{
			name:  "new project, file named tools",
			setup: func(t *testing.T, dir string) []*File { return renderNew(t, testConfig()) },
			block: func(t *testing.T, dir string) { writeFile(t, dir, "tools", "not a directory\n") },
		},
		{
			name: "new project, some directories already there",
			setup: func(t *testing.T, dir string) []*File {
				writeFile(t, dir, "internal/notes.txt", "mine\n")
				return renderNew(t, testConfig())
			},
			block: func(t *testing.T, dir string) { writeFile(t, dir, "internal/server", "not a directory\n") },
		},
		{
			name: "regenerate, file where a package directory was",
			setup: func(t *testing.T, dir string) []*File {
				newProjectIn(t, dir, testConfig())
				removeFile(t, dir, "README.md")
				if err := os.RemoveAll(filepath.Join(dir, "internal", "mcpserver")); err != nil {
					t.Fatal(err)
				}
				return renderNew(t, testConfig(withScopes("a"), withTools("search-notes")))
			},
			block: func(t *testing.T, dir string) { writeFile(t, dir, "internal/mcpserver", "not a directory\n") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := tt.setup(t, dir)
			p := makePlan(t, dir, files, PlanOptions{NewProject: !exists(dir, ManifestFile)})
			if !p.Pending() || len(p.Conflicts()) > 0 {
				t.Fatalf("bad plan: %v", actions(p))
			}
			tt.block(t, dir)
			before := snapshot(t, dir)
			err := Apply(p)
			if err == nil {
				t.Fatal("Apply succeeded with a file where a directory goes")
			}
			checkSnapshot(t, dir, before)
			if tmp := tempFiles(t, dir); len(tmp) > 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
		})
	}
}

func TestApplyRootIsFile(t *testing.T) {
	parent := t.TempDir()
	writeFile(t, parent, "file", "x")
	dir := filepath.Join(parent, "file", "proj")
	p := makePlan(t, filepath.Join(parent, "other"), renderNew(t, testConfig()), PlanOptions{NewProject: true})
	p.Root = dir
	before := snapshot(t, parent)
	if err := Apply(p); err == nil {
		t.Fatal("Apply into a path below a file succeeded")
	}
	checkSnapshot(t, parent, before)
}

func TestApplyRemove(t *testing.T) {
	dir, files := newProject(t, testConfig())
	gone := []string{"internal/legacy/deep/old_gen.go", "internal/legacy/other_gen.go", "internal/keep/old_gen.go", "internal/top_gen.go"}
	for _, g := range gone {
		data := GeneratedHeader + "\n\npackage " + filepath.Base(filepath.Dir(g)) + "\n"
		writeFile(t, dir, g, data)
		addManifestEntry(t, dir, g, sha256Of([]byte(data)))
	}
	writeFile(t, dir, "internal/keep/notes.txt", "mine\n")

	p := makePlan(t, dir, files, PlanOptions{})
	want := map[string]Action{}
	for _, g := range gone {
		want[g] = Remove
	}
	checkActions(t, p, want, Identical)
	if !p.Pending() {
		t.Error("Pending() = false for a plan with removals")
	}
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	for _, g := range gone {
		if exists(dir, g) {
			t.Errorf("%s was not removed", g)
		}
	}
	if exists(dir, "internal/legacy") {
		t.Error("internal/legacy is empty but was not removed")
	}
	for _, keep := range []string{"internal/keep/notes.txt", "internal/server/server_gen.go", "internal"} {
		if !exists(dir, keep) {
			t.Errorf("%s was removed", keep)
		}
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the project root: %v", err)
	}
	m := readManifestFile(t, dir)
	for _, g := range gone {
		if _, ok := m.Files[g]; ok {
			t.Errorf("the manifest still lists %s", g)
		}
	}
	checkActions(t, makePlan(t, dir, files, PlanOptions{}), nil, Identical)
}

func TestApplyRemovesLastFileKeepsRoot(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "proj")
	files := []*File{{Path: "internal/pkg/a_gen.go", Data: []byte(GeneratedHeader + "\n\npackage pkg\n"), Tier: Generated}}
	if err := Apply(makePlan(t, root, files, PlanOptions{NewProject: true})); err != nil {
		t.Fatal(err)
	}
	p := makePlan(t, root, nil, PlanOptions{})
	checkActions(t, p, map[string]Action{"internal/pkg/a_gen.go": Remove}, "")
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	if exists(root, "internal") {
		t.Error("internal is empty but was not removed")
	}
	if !exists(dir, "proj") {
		t.Error("the project root was removed")
	}
}

// TestApplyIdenticalTouchesNothing: running regenerate twice, the second
// run changes nothing, not even the manifest's modification time.
func TestApplyIdenticalTouchesNothing(t *testing.T) {
	dir, files := newProject(t, testConfig())
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
	appendFile(t, dir, "main.go", "// mine\n")
	if err := os.Chtimes(filepath.Join(dir, "main.go"), old, old); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	p := makePlan(t, dir, files, PlanOptions{})
	if p.Pending() {
		t.Fatalf("plan is pending: %v", actions(p))
	}
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, dir, before)
}

func TestApplyUpdateKeepsUserFiles(t *testing.T) {
	dir, _ := newProject(t, testConfig())
	appendFile(t, dir, "main.go", "// mine\n")
	mainGo := readFile(t, dir, "main.go")
	writeFile(t, dir, "notes.txt", "mine\n")
	filesB := renderNew(t, testConfig(withScopes("notes:read")))
	p := makePlan(t, dir, filesB, PlanOptions{})
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	if readFile(t, dir, "main.go") != mainGo || readFile(t, dir, "notes.txt") != "mine\n" {
		t.Error("Apply changed a file of the user's")
	}
	for _, f := range filesB {
		if f.Tier != UserOwned && readFile(t, dir, f.Path) != string(f.Data) {
			t.Errorf("%s is not the new render", f.Path)
		}
	}
	m := readManifestFile(t, dir)
	for _, g := range pathsOfTier(filesB, Generated) {
		if m.Files[g] != sha256Of([]byte(readFile(t, dir, g))) {
			t.Errorf("manifest[%s] is not the hash of the file written", g)
		}
	}
	var names []string
	for name := range m.Files {
		names = append(names, name)
	}
	slices.Sort(names)
	if !slices.Equal(names, func() []string { g := pathsOfTier(filesB, Generated); slices.Sort(g); return g }()) {
		t.Errorf("manifest lists %v", names)
	}
}

func TestReadManifest(t *testing.T) {
	dir := t.TempDir()
	m, err := ReadManifest(dir)
	if err != nil || m == nil || m.Files == nil || len(m.Files) != 0 {
		t.Errorf("ReadManifest of a directory without one = %+v, %v; want an empty manifest", m, err)
	}
	writeFile(t, dir, ManifestFile, `{"generator": "9.9.9", "files": {"internal/a.go": "sha256:00"}}`)
	m, err = ReadManifest(dir)
	if err != nil || m.Generator != "9.9.9" || m.Files["internal/a.go"] != "sha256:00" {
		t.Errorf("ReadManifest = %+v, %v", m, err)
	}
	writeFile(t, dir, ManifestFile, `[1, 2]`)
	if _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), ManifestFile) {
		t.Errorf("ReadManifest of a damaged manifest: %v", err)
	}
}

// TestApplyRenameFailureRollsBack: CONTRACT §1 says a command that fails
// leaves the file tree exactly as it found it. Here the last rename fails
// (a directory appeared at a target path after planning), after earlier
// files were already renamed into place.
func TestApplyRenameFailureRollsBack(t *testing.T) {
	dir, _ := newProject(t, testConfig())
	p := makePlan(t, dir, renderNew(t, testConfig(withScopes("a"), withTools("search-notes"))), PlanOptions{})
	if a := actions(p); a["internal/server/server_gen.go"] != Update || a["tools/search_notes.go"] != Create {
		t.Fatalf("unexpected plan: %v", a)
	}
	if err := os.Mkdir(filepath.Join(dir, "tools", "search_notes.go"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	if err := Apply(p); err == nil {
		t.Fatal("Apply succeeded with a directory at a target path")
	}
	checkSnapshot(t, dir, before)
	if tmp := tempFiles(t, dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// TestApplyRebuildsMissingManifest follows ReadManifest's own advice for a
// damaged manifest ("delete it and run regenerate --force to rebuild it"):
// the manifest must be written again even though every file is identical,
// or the next real change to a generated file is reported as a hand edit.
func TestApplyRebuildsMissingManifest(t *testing.T) {
	dir, files := newProject(t, testConfig())
	removeFile(t, dir, ManifestFile)
	if err := Apply(makePlan(t, dir, files, PlanOptions{Force: true})); err != nil {
		t.Fatal(err)
	}
	if !exists(dir, ManifestFile) {
		t.Fatal("regenerate --force did not rebuild the manifest")
	}
	p := makePlan(t, dir, renderNew(t, testConfig(withScopes("notes:read"))), PlanOptions{})
	if c := change(p, "internal/server/server_gen.go"); c == nil || c.Action != Update {
		t.Errorf("after rebuilding the manifest, a stale server_gen.go is planned as %+v, want update", c)
	}
}
