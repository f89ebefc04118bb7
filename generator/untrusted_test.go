package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadManifestRefusesEntries: the manifest is untrusted input (it is
// committed, so it arrives in pull requests); an entry naming anything but
// a generated file is refused, naming the entry.
func TestReadManifestRefusesEntries(t *testing.T) {
	bad := []string{"../victim.txt", ".env", "main.go", "tools/get_clerk_user_data.go", "internal/../.env",
		"/etc/passwd", "internal/x.txt", "internal//x.go", "./internal/x.go", `internal\x.go`, "internal/", "internal/../../x.go", "C:/x/internal/a.go"}
	for _, p := range bad {
		dir := t.TempDir()
		writeFile(t, dir, ManifestFile, `{"generator": "0.1.0", "files": {"internal/server/server_gen.go": "sha256:00", `+quoteJSON(p)+`: "sha256:00"}}`)
		_, err := ReadManifest(dir)
		if err == nil || !strings.Contains(err.Error(), "entry "+quoteJSON(p)+" is not a generated file") {
			t.Errorf("manifest entry %q: err = %v, want one naming the entry", p, err)
		}
		if err != nil && strings.Contains(err.Error(), "server_gen.go") {
			t.Errorf("manifest entry %q: the valid entry is named too: %v", p, err)
		}
	}
	for _, p := range []string{"../README.md", "/etc/passwd", ""} {
		dir := t.TempDir()
		writeFile(t, dir, ManifestFile, `{"generator": "0.1.0", "files": {}, "scaffolded": ["main.go", `+quoteJSON(p)+`]}`)
		if _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), "scaffolded entry "+quoteJSON(p)) {
			t.Errorf("scaffolded entry %q: err = %v, want one naming it", p, err)
		}
	}
}

func quoteJSON(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

// TestApplyRemovesOnlyGeneratedFiles: a manifest entry whose hash matches
// is removed only if the file is a generated file reached without a
// symlink, checked at planning and again when applying.
func TestApplyRemovesOnlyGeneratedFiles(t *testing.T) {
	dir, files := newProject(t, testConfig())
	const mine = "package notes\n\n// mine\n"
	writeFile(t, dir, "internal/notes/mine.go", mine)
	addManifestEntry(t, dir, "internal/notes/mine.go", sha256Of([]byte(mine)))

	outside := t.TempDir()
	gen := GeneratedHeader + "\n\npackage outside\n"
	writeFile(t, outside, "x_gen.go", gen)
	if err := os.Symlink(outside, filepath.Join(dir, "internal", "linked")); err != nil {
		t.Fatal(err)
	}
	addManifestEntry(t, dir, "internal/linked/x_gen.go", sha256Of([]byte(gen)))

	for _, force := range []bool{false, true} {
		addManifestEntry(t, dir, "internal/notes/mine.go", sha256Of([]byte(mine)))
		addManifestEntry(t, dir, "internal/linked/x_gen.go", sha256Of([]byte(gen)))
		p := makePlan(t, dir, files, PlanOptions{Force: force})
		checkActions(t, p, map[string]Action{"internal/notes/mine.go": Skip, "internal/linked/x_gen.go": Skip}, Identical)
		if err := Apply(p); err != nil {
			t.Fatal(err)
		}
		if readFile(t, dir, "internal/notes/mine.go") != mine || readFile(t, outside, "x_gen.go") != gen {
			t.Fatalf("force=%v: a file that is not generated, or one through a symlink, was removed", force)
		}
	}

	// A plan made before the file changed to a non-generated one (or to a
	// symlink) does not remove it when applied.
	dir, files = newProject(t, testConfig())
	writeFile(t, dir, "internal/old/x_gen.go", gen)
	addManifestEntry(t, dir, "internal/old/x_gen.go", sha256Of([]byte(gen)))
	p := makePlan(t, dir, files, PlanOptions{})
	checkActions(t, p, map[string]Action{"internal/old/x_gen.go": Remove}, Identical)
	writeFile(t, dir, "internal/old/x_gen.go", "package old // now mine\n")
	if err := Apply(p); err != nil {
		t.Fatal(err)
	}
	if !exists(dir, "internal/old/x_gen.go") {
		t.Error("a file that stopped being generated after planning was removed")
	}
}

// TestApplyKeepsWhatItDidNotCreate: a failed apply undoes its creates, but
// something that appeared at a path to create (here a dangling symlink) is
// not the run's: it is neither replaced nor removed.
func TestApplyKeepsWhatItDidNotCreate(t *testing.T) {
	dir, _ := newProject(t, testConfig())
	p := makePlan(t, dir, renderNew(t, testConfig(withScopes("a"), withTools("search-notes"))), PlanOptions{})
	if a := actions(p); a["tools/search_notes.go"] != Create {
		t.Fatalf("unexpected plan: %v", a)
	}
	link := filepath.Join(dir, "tools", "search_notes.go")
	if err := os.Symlink("nowhere.go", link); err != nil {
		t.Fatal(err)
	}
	before := snapshotWithLinks(t, dir)
	err := Apply(p)
	if err == nil || !strings.Contains(err.Error(), "tools/search_notes.go") {
		t.Fatalf("Apply = %v, want an error naming tools/search_notes.go", err)
	}
	if strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("the error names a temporary file: %v", err)
	}
	if target, err := os.Readlink(link); err != nil || target != "nowhere.go" {
		t.Errorf("the symlink is now %q, %v", target, err)
	}
	if after := snapshotWithLinks(t, dir); after != before {
		t.Errorf("the tree changed:\nbefore %s\nafter  %s", before, after)
	}
	if tmp := tempFiles(t, dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// snapshotWithLinks lists every path under dir with its content or link
// target.
func snapshotWithLinks(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			b.WriteString(rel + " -> " + target + "\n")
		case info.IsDir():
			b.WriteString(rel + "/\n")
		default:
			data, _ := os.ReadFile(p)
			b.WriteString(rel + " " + sha256Of(data) + "\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
