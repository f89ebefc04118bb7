package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EUpgradeMergesAndBuilds upgrades a project whose user edited
// main.go, a tool handler and the README, from an older create-clerk-mcp
// (played by editing the kept base and the manifest's version, as
// regenerate_merge.txtar does): the template's changes and the user's are
// both there, the overlapping README edit is reported and nothing is lost,
// and the result builds, vets and passes its own tests.
func TestE2EUpgradeMergesAndBuilds(t *testing.T) {
	var transcript bytes.Buffer
	dir := generatedProjectDir(t, "upgraded", nil, func(dir string) error {
		edit := func(name, old, new string) error {
			p := filepath.Join(dir, name)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !bytes.Contains(b, []byte(old)) {
				return fmt.Errorf("%s has no %q", name, old)
			}
			return os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644)
		}
		// The older create-clerk-mcp rendered these lines differently.
		for _, f := range []struct{ name, now, old string }{
			{"main.go", "with what your tools need.", "with what your tools need (old)."},
			{"tools/get_clerk_user_data.go", "set more of it here if", "set more of it here (old) if"},
			{"README.md", "Created with create-clerk-mcp.", "Created with create-clerk-mcp (old)."},
		} {
			for _, p := range []string{f.name, filepath.Join(".clerk-mcp", "base", f.name)} {
				if err := edit(p, f.now, f.old); err != nil {
					return err
				}
			}
		}
		if err := edit(".clerk-mcp-manifest.json", `"generator": "0.1.0"`, `"generator": "0.0.9"`); err != nil {
			return err
		}
		// The user's edits: code in main.go and in the handler, away from
		// the template's changes; the README on the line it changes.
		if err := edit("main.go", "\treturn mcpserver.Serve(", "\tsrv.HandleFunc(\"GET /mine\", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(\"mine\")) })\n\treturn mcpserver.Serve("); err != nil {
			return err
		}
		if err := edit("main.go", "import (\n", "import (\n\t\"net/http\"\n"); err != nil {
			return err
		}
		if err := edit("tools/get_clerk_user_data.go", "\t\tcaller, ok := clerkauth.CallerFrom(ctx, req.Extra)", "\t\t// Mine: who asks.\n\t\tcaller, ok := clerkauth.CallerFrom(ctx, req.Extra)"); err != nil {
			return err
		}
		if err := edit("README.md", "Created with create-clerk-mcp (old).", "Created with create-clerk-mcp, by me."); err != nil {
			return err
		}
		before := map[string][]byte{}
		for _, name := range []string{"main.go", "tools/get_clerk_user_data.go", "README.md"} {
			before[name], _ = os.ReadFile(filepath.Join(dir, name))
		}
		run := func(args ...string) int {
			var stdout, stderr bytes.Buffer
			code := Main(append(args, "--dir", dir), strings.NewReader(""), &stdout, &stderr)
			fmt.Fprintf(&transcript, "$ create-clerk-mcp %s\n%s%s[exit %d]\n", strings.Join(args, " "), stdout.String(), stderr.String(), code)
			return code
		}
		// Overlapping edits: exit 1, nothing written.
		if code := run("regenerate"); code != 1 {
			return fmt.Errorf("regenerate with an overlapping edit: exit %d, want 1\n%s", code, transcript.String())
		}
		for name, b := range before {
			if now, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(now, b) {
				return fmt.Errorf("regenerate with a conflict changed %s", name)
			}
		}
		// With markers: the merges are written, the README gets markers.
		if code := run("regenerate", "--conflict-markers"); code != 1 {
			return fmt.Errorf("regenerate --conflict-markers: exit %d, want 1\n%s", code, transcript.String())
		}
		// The user resolves the conflict, keeping their line.
		readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
		var kept []string
		skip := false
		for _, line := range strings.Split(string(readme), "\n") {
			switch {
			case strings.HasPrefix(line, "<<<<<<< "), strings.HasPrefix(line, ">>>>>>> "):
				skip = false
				continue
			case line == "=======":
				skip = true
				continue
			}
			if !skip {
				kept = append(kept, line)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte(strings.Join(kept, "\n")), 0o644); err != nil {
			return err
		}
		if code := run("regenerate"); code != 0 {
			return fmt.Errorf("regenerate after resolving: exit %d\n%s", code, transcript.String())
		}
		return nil
	}, true) // then go build, go vet and go test in the project
	t.Logf("the upgrade:\n%s", transcript.String())

	for _, c := range []struct{ name, want string }{
		{"main.go", "with what your tools need."},                  // the template's change
		{"main.go", `srv.HandleFunc("GET /mine"`},                  // the user's
		{"tools/get_clerk_user_data.go", "set more of it here if"}, // the template's change
		{"tools/get_clerk_user_data.go", "// Mine: who asks."},     // the user's
		{"README.md", "Created with create-clerk-mcp, by me."},     // the user's, kept in the conflict
	} {
		b, err := os.ReadFile(filepath.Join(dir, c.name))
		if err != nil || !strings.Contains(string(b), c.want) {
			t.Errorf("%s after the upgrade lacks %q (%v)", c.name, c.want, err)
		}
		if strings.Contains(string(b), "(old)") || strings.Contains(string(b), "<<<<<<<") {
			t.Errorf("%s after the upgrade still has the old render or markers", c.name)
		}
	}
	for _, want := range []string{"upgrade: the project was rendered by create-clerk-mcp 0.0.9", "main.go (your edits kept", "tools/get_clerk_user_data.go (your edits kept", "README.md (your edits and the new render overlap"} {
		if !strings.Contains(transcript.String(), want) {
			t.Errorf("the upgrade's output lacks %q:\n%s", want, transcript.String())
		}
	}
}
