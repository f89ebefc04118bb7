package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

// TestEndToEndHardInputs makes a project from inputs that used to give
// projects that do not build or whose tests fail (issue 8), with the CLI
// as a user would, and builds, vets and tests it with the go command:
// requiredScopes set, a tool named test-..., a Windows device name, a
// handler file of the user's, a handler moved to another file, the user's
// own edit of the sample tool, and the go line go mod tidy keeps.
func TestEndToEndHardInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a generated project; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	dir := filepath.Join(t.TempDir(), "hard")
	cli := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Main(args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("create-clerk-mcp %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	gocmd := func(args ...string) {
		t.Helper()
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	read := func(rel string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	write := func(rel, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cli("new", "hard", "--module", "example.com/hard", "--dir", dir, "--scope", "notes:read", "--scope", "email", "--yes", "--no-git")

	// Item 16: go mod tidy keeps the go line the generator wrote, so it is
	// not too old for the dependencies.
	files, err := generator.Render(generator.DefaultConfig("hard"))
	if err != nil {
		t.Fatal(err)
	}
	var rendered string
	for _, f := range files {
		if f.Path == "go.mod" {
			mf, err := modfile.Parse("go.mod", f.Data, nil)
			if err != nil {
				t.Fatal(err)
			}
			rendered = mf.Go.Version
		}
	}
	mf, err := modfile.Parse("go.mod", []byte(read("go.mod")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if mf.Go == nil || mf.Go.Version != rendered {
		t.Errorf("after go mod tidy the go line is %v, the generator wrote %s", mf.Go, rendered)
	}

	// Item 5: requiredScopes.
	cfg := regexp.MustCompile(`(?m)^scopes: .*$`).ReplaceAllString(read(generator.ConfigFile), "$0\nrequiredScopes: [notes:read]")
	write(generator.ConfigFile, cfg)
	cli("regenerate", "--dir", dir)

	// Items 7 and 17: a tool named test-..., Windows device names.
	cli("add-tool", "test-get-clerk-user-data", "--dir", dir, "--description", "Shadows the sample's test names")
	cli("add-tool", "aux", "--dir", dir, "--description", "Searches notes")
	// Item 6: a handler file of the user's, written before the tool.
	write("tools/list_notes.go", `package tools

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ListNotes is my handler, written before add-tool.
func ListNotes(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[struct{}, any] {
	return func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "my notes"}}}, nil, nil
	}
}
`)
	if out := cli("add-tool", "list-notes", "--dir", dir); !strings.Contains(out, "kept ") {
		t.Errorf("add-tool list-notes over the user's handler file: %s", out)
	}
	// Item 8: a handler moved into another file.
	cli("add-tool", "search-notes", "--dir", dir)
	if err := os.Rename(filepath.Join(dir, "tools", "search_notes.go"), filepath.Join(dir, "tools", "notes.go")); err != nil {
		t.Fatal(err)
	}
	cli("regenerate", "--dir", dir)
	cli("regenerate", "--check", "--dir", dir)
	if _, err := os.Stat(filepath.Join(dir, "tools", "search_notes.go")); err == nil {
		t.Error("regenerate put the moved handler's old file back")
	}

	gocmd("build", "./...")
	gocmd("vet", "./...")
	gocmd("test", "-count=1", "./...")

	// Item 11: the user's own edit of the sample tool does not fail the
	// generated tests.
	sample := read("tools/get_clerk_user_data.go")
	edited := strings.Replace(sample, "Text: string(body)", `Text: string(body[:0]) + "edited by its owner"`, 1)
	if edited == sample {
		t.Fatal("the sample handler has changed; update this test's edit")
	}
	write("tools/get_clerk_user_data.go", edited)
	gocmd("test", "-count=1", "./internal/...")
}
