package generator

import (
	"go/build"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateProjectName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"a", true},
		{"my-app", true},
		{"x1", true},
		{"my-mcp-server-2", true},
		{"a-", true},
		{"a" + strings.Repeat("b", 63), true}, // 64 characters

		{"", false},
		{"My", false},
		{"myApp", false},
		{"1a", false},
		{"a b", false},
		{"a/b", false},
		{"..", false},
		{".", false},
		{"-a", false},
		{"a_b", false},
		{"a.b", false},
		{"ä", false},
		{"a\n", false},
		{"a" + strings.Repeat("b", 64), false}, // 65 characters
	}
	for _, tt := range tests {
		err := ValidateProjectName(tt.name)
		if tt.ok && err != nil {
			t.Errorf("ValidateProjectName(%q) = %v, want nil", tt.name, err)
		}
		if !tt.ok {
			if err == nil {
				t.Errorf("ValidateProjectName(%q) = nil, want an error", tt.name)
			} else if tt.name != "" && !strings.Contains(err.Error(), "project name") {
				t.Errorf("ValidateProjectName(%q) = %q, want it to say what is wrong (project name)", tt.name, err)
			}
		}
	}
}

func TestValidateToolName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"a", true},
		{"A", true},
		{"search-notes", true},
		{"get-clerk-user-data", true},
		{"get.v2_data", true},
		{"notes.create_v2", true},
		{"Z9", true},
		{"a-", true},
		{"a.", true},
		{"a_", true},
		{"aB", true},
		{"a" + strings.Repeat("x", 63), true}, // 64 characters

		{"", false},
		{"1a", false},
		{"-a", false},
		{"_a", false},
		{".a", false},
		{"a b", false},
		{"a/b", false},
		{"a:b", false},
		{"a!", false},
		{"é", false},
		{"aé", false},
		{"a\n", false},
		{"a\t", false},
		{"a" + strings.Repeat("x", 64), false}, // 65 characters
	}
	for _, tt := range tests {
		err := ValidateToolName(tt.name)
		if tt.ok && err != nil {
			t.Errorf("ValidateToolName(%q) = %v, want nil", tt.name, err)
		}
		if !tt.ok {
			if err == nil {
				t.Errorf("ValidateToolName(%q) = nil, want an error", tt.name)
			} else if !strings.Contains(err.Error(), "tool name") {
				t.Errorf("ValidateToolName(%q) = %q, want it to say what is wrong (tool name)", tt.name, err)
			}
		}
	}
}

func TestToolIdent(t *testing.T) {
	tests := []struct{ name, want string }{
		{"search-notes", "SearchNotes"},
		{"get.v2_data", "GetV2Data"},
		{"get-clerk-user-data", "GetClerkUserData"},
		{"aB", "AB"},
		{"a", "A"},
		{"x", "X"},
		{"Search", "Search"},
		{"notes.create_v2", "NotesCreateV2"},
		{"a--b", "AB"},
		{"a-", "A"},
		{"a_b.c-d", "ABCD"},
		{"camelCase-name", "CamelCaseName"},
		{"v2", "V2"},
	}
	for _, tt := range tests {
		got := ToolIdent(tt.name)
		if got != tt.want {
			t.Errorf("ToolIdent(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if !token.IsIdentifier(got) || !token.IsExported(got) {
			t.Errorf("ToolIdent(%q) = %q, not an exported Go identifier", tt.name, got)
		}
	}
}

func TestToolFileBase(t *testing.T) {
	tests := []struct{ name, want string }{
		{"search-notes", "search_notes"},
		{"get-clerk-user-data", "get_clerk_user_data"},
		{"notes.create_v2", "notes_create_v2"},
		{"Search-Notes", "search_notes"},
		{"a--b", "a_b"},
		{"a-", "a"},
		{"linux", "linux"},
		{"test", "test"},
		{"amd64", "amd64"},
		{"x_test", "x_test_tool"},
		{"x-TEST", "x_test_tool"},
		{"x.test", "x_test_tool"},
		{"foo-linux", "foo_linux_tool"},
		{"foo_windows", "foo_windows_tool"},
		{"foo-amd64", "foo_amd64_tool"},
		{"foo-linux-amd64", "foo_linux_amd64_tool"},
		{"foo-wasip1", "foo_wasip1_tool"},
		{"foo.js", "foo_js_tool"},
		{"foo-linux-x", "foo_linux_x"},
		{"test-foo", "test_foo"},
		{"testing", "testing"},
		{"foo-tests", "foo_tests"},
	}
	for _, tt := range tests {
		if got := ToolFileBase(tt.name); got != tt.want {
			t.Errorf("ToolFileBase(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestToolFileBaseAlwaysBuilds checks, with go/build itself, that no tool
// name gives a handler file that some platform would leave out of the build
// or that would be taken for a test file.
func TestToolFileBaseAlwaysBuilds(t *testing.T) {
	words := []string{
		"test",
		// go/build's knownOS
		"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
		"linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
		// go/build's knownArch
		"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips",
		"mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv",
		"riscv64", "s390", "s390x", "sparc", "sparc64", "wasm",
	}
	var names []string
	for _, w := range words {
		if ValidateToolName(w) == nil {
			names = append(names, w)
		}
		names = append(names, "foo-"+w, "foo_"+w, "foo."+w, "foo-"+strings.ToUpper(w), "foo-linux-"+w, "foo-"+w+"-test")
	}
	dir := t.TempDir()
	contexts := []build.Context{build.Default, build.Default}
	contexts[0].GOOS, contexts[0].GOARCH = "windows", "amd64"
	contexts[1].GOOS, contexts[1].GOARCH = "linux", "arm64"
	for _, name := range names {
		if err := ValidateToolName(name); err != nil {
			t.Fatalf("test name %q: %v", name, err)
		}
		file := ToolFileBase(name) + ".go"
		if strings.HasSuffix(file, "_test.go") {
			t.Errorf("ToolFileBase(%q) = %q: a test file", name, file)
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte("package tools\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, ctx := range contexts {
			ok, err := ctx.MatchFile(dir, file)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Errorf("ToolFileBase(%q) = %q: not built for GOOS=%s GOARCH=%s", name, file, ctx.GOOS, ctx.GOARCH)
			}
		}
	}
}
