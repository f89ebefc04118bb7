package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.25.0",
		Path:      "github.com/create-clerk-mcp/create-clerk-mcp/cmd/create-clerk-mcp",
		Main:      debug.Module{Path: "github.com/create-clerk-mcp/create-clerk-mcp", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-09-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	var out bytes.Buffer
	printVersion(&out, bi)
	for _, want := range []string{
		"create-clerk-mcp v1.2.3\n",
		"module   github.com/create-clerk-mcp/create-clerk-mcp v1.2.3\n",
		"revision 0123456789abcdef0123456789abcdef01234567 (2026-09-01T10:00:00Z), modified: built with uncommitted changes\n",
		"go       go1.25.0\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, out.String())
		}
	}

	bi.Settings[3].Value = "false"
	out.Reset()
	printVersion(&out, bi)
	if strings.Contains(out.String(), "modified") {
		t.Errorf("a clean build says modified:\n%s", out.String())
	}

	out.Reset()
	printVersion(&out, &debug.BuildInfo{Main: debug.Module{Path: "m", Version: "(devel)"}})
	if !strings.Contains(out.String(), "revision unknown") || !strings.HasPrefix(out.String(), "create-clerk-mcp v") {
		t.Errorf("no VCS info:\n%s", out.String())
	}
}

// TestVersionOfBuiltBinary builds the command from a clone of this
// checkout (the go command stamps VCS information into a binary built in
// a plain clone) and checks it reports the clone's revision, then that it
// says modified after an uncommitted change.
func TestVersionOfBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command twice")
	}
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout:", err)
	}
	clone := filepath.Join(t.TempDir(), "src")
	if out, err := exec.Command("git", "clone", "-q", "--no-hardlinks", strings.TrimSpace(string(root)), clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	head, err := exec.Command("git", "-C", clone, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	build := func() string {
		t.Helper()
		bin := filepath.Join(t.TempDir(), "create-clerk-mcp")
		c := exec.Command(realGo, "build", "-buildvcs=true", "-o", bin, "./cmd/create-clerk-mcp")
		c.Dir = clone
		c.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		out, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil {
			t.Fatalf("version: %v\n%s", err, out)
		}
		return string(out)
	}
	out := build()
	if !regexp.MustCompile(`(?m)^revision `+strings.TrimSpace(string(head))+` \(`).MatchString(out) || strings.Contains(out, "modified") {
		t.Errorf("version of a clean build at %s:\n%s", head, out)
	}
	if err := os.WriteFile(filepath.Join(clone, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := build(); !strings.Contains(out, "modified: built with uncommitted changes") {
		t.Errorf("version of a build with an uncommitted change:\n%s", out)
	}
}
