package generator

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
)

func TestAddToolToConfig(t *testing.T) {
	tests := []struct {
		name string
		in   string
		tool Tool
		want string
	}{
		{
			name: "keeps comments and key order",
			in: lines(
				"# My MCP server.",
				"# Keep this file in git.",
				"name: notes # the project name",
				"version: 1",
				"module: example.com/notes",
				"# Both transports.",
				"transports: [streamable-http, sse]",
				"tools:",
				"  # The sample.",
				"  - name: get-clerk-user-data",
				"    description: Gets data # about the user",
				"# Scopes come last here.",
				"scopes:",
				"  - profile # the profile",
				"  - email",
				`publicRoutes: ["/docs/*"]`,
				"allowedOrigins: ['https://app.example.com']",
			),
			tool: Tool{Name: "search-notes", Description: "Searches notes"},
			want: lines(
				"# My MCP server.",
				"# Keep this file in git.",
				"name: notes # the project name",
				"version: 1",
				"module: example.com/notes",
				"# Both transports.",
				"transports: [streamable-http, sse]",
				"tools:",
				"  # The sample.",
				"  - name: get-clerk-user-data",
				"    description: Gets data # about the user",
				"  - name: search-notes",
				"    description: Searches notes",
				"# Scopes come last here.",
				"scopes:",
				"  - profile # the profile",
				"  - email",
				`publicRoutes: ["/docs/*"]`,
				"allowedOrigins: ['https://app.example.com']",
			),
		},
		{
			name: "tools: [] becomes a block list",
			in: lines(
				"version: 1",
				"name: notes",
				"module: example.com/notes",
				"transports: [sse]",
				"tools: []",
				"scopes: [profile]",
			),
			tool: Tool{Name: "search-notes", Description: "Searches notes"},
			want: lines(
				"version: 1",
				"name: notes",
				"module: example.com/notes",
				"transports: [sse]",
				"tools:",
				"  - name: search-notes",
				"    description: Searches notes",
				"scopes: [profile]",
			),
		},
		{
			name: "no tools key",
			in: lines(
				"version: 1",
				"name: notes",
				"module: example.com/notes",
				"transports: [sse] # just sse",
			),
			tool: Tool{Name: "notes.create_v2", Description: "Creates a note"},
			want: lines(
				"version: 1",
				"name: notes",
				"module: example.com/notes",
				"transports: [sse] # just sse",
				"tools:",
				"  - name: notes.create_v2",
				"    description: Creates a note",
			),
		},
		{
			name: "description that needs quoting",
			in:   head(7, "tools: []"),
			tool: Tool{Name: "x", Description: "true"},
			want: head(7, "tools:", "  - name: x", `    description: "true"`),
		},
		{
			name: "second tool after the sample",
			in:   lines(baseConfigLines...),
			tool: Tool{Name: "Search", Description: "Searches: everything # really"},
			want: plus("  - name: Search", "    description: 'Searches: everything # really'"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			got, cfg, err := AddToolToConfig(ConfigFile, in, tt.tool)
			if err != nil {
				t.Fatalf("AddToolToConfig: %v", err)
			}
			if string(in) != tt.in {
				t.Errorf("AddToolToConfig changed its input to:\n%s", in)
			}
			if string(got) != tt.want {
				t.Errorf("AddToolToConfig output differs:\n%s", diff.Diff("want", []byte(tt.want), "got", got))
			}
			parsed, err := ParseConfig(ConfigFile, got)
			if err != nil {
				t.Fatalf("the output does not parse: %v\n%s", err, got)
			}
			if d := configDiff(cfg, parsed); d != "" {
				t.Errorf("the returned config differs from the output file's:\n%s", d)
			}
			if n := len(cfg.Tools); n == 0 || !reflect.DeepEqual(cfg.Tools[n-1], tt.tool) {
				t.Errorf("the last tool is %+v, want %+v", cfg.Tools, tt.tool)
			}
			before, err := ParseConfig(ConfigFile, in)
			if err != nil {
				t.Fatal(err)
			}
			before.Tools = append(before.Tools, tt.tool)
			if d := configDiff(cfg, before); d != "" {
				t.Errorf("adding a tool changed something else:\n%s", d)
			}
		})
	}
}

func TestAddToolToConfigTwice(t *testing.T) {
	in := []byte(head(7, "# the tools", "tools: []"))
	out, _, err := AddToolToConfig(ConfigFile, in, Tool{Name: "a", Description: "first"})
	if err != nil {
		t.Fatal(err)
	}
	out, cfg, err := AddToolToConfig(ConfigFile, out, Tool{Name: "b", Description: "second\nline"})
	if err != nil {
		t.Fatal(err)
	}
	want := head(7, "# the tools", "tools:", "  - name: a", "    description: first", "  - name: b", `    description: "second\nline"`)
	if string(out) != want {
		t.Errorf("output differs:\n%s", diff.Diff("want", []byte(want), "got", out))
	}
	if len(cfg.Tools) != 2 || cfg.Tools[1].Description != "second\nline" {
		t.Errorf("tools = %+v", cfg.Tools)
	}
}

func TestAddToolToConfigRefuses(t *testing.T) {
	valid := lines(baseConfigLines...)
	tests := []struct {
		name   string
		in     string
		tool   string
		errHas string
	}{
		{"duplicate", valid, "get-clerk-user-data", "get-clerk-user-data"},
		{"same identifier", valid, "get_clerk_user_data", "GetClerkUserData"},
		{"same identifier, other case", valid, "GetClerkUserData", "GetClerkUserData"},
		{"reserved identifier", valid, "deps", "Deps"},
		{"empty name", valid, "", "invalid tool name"},
		{"starts with a digit", valid, "1x", "invalid tool name"},
		{"space", valid, "search notes", "invalid tool name"},
		{"slash", valid, "a/b", "invalid tool name"},
		{"too long", valid, "a" + strings.Repeat("b", 64), "invalid tool name"},
		{"duplicate in a block list", plus("  - name: search-notes"), "search-notes", "search-notes"},
		{"invalid file", withLines(1, "version: 2"), "search-notes", ConfigFile + ":1: version: "},
		{"unknown key in the file", plus("colour: blue"), "search-notes", ConfigFile + ":11: colour: "},
		{"not YAML", "tools: [\n", "search-notes", ConfigFile},
		{"empty file", "", "search-notes", ConfigFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			orig := bytes.Clone(in)
			out, cfg, err := AddToolToConfig(ConfigFile, in, Tool{Name: tt.tool, Description: "d"})
			if err == nil {
				t.Fatalf("AddToolToConfig(%q) succeeded:\n%s", tt.tool, out)
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q does not contain %q", err, tt.errHas)
			}
			if out != nil || cfg != nil {
				t.Errorf("AddToolToConfig returned output with its error: %q, %+v", out, cfg)
			}
			if !bytes.Equal(in, orig) {
				t.Errorf("AddToolToConfig changed its input to:\n%s", in)
			}
		})
	}
}

// TestAddToolToConfigKeepsFormatting covers what CONTRACT.md promises
// beyond comments: the user's formatting stays.
func TestAddToolToConfigKeepsFormatting(t *testing.T) {
	tests := []struct {
		name string
		in   string
		must []string // substrings of the output
		bug  string
	}{
		{
			name: "comment after tools: []",
			in:   head(7, "tools: [] # none yet"),
			must: []string{"# none yet"},
		},
		{
			name: "blank lines between sections",
			in: lines(
				"version: 1",
				"name: myapp",
				"module: example.com/myapp",
				"",
				"transports: [streamable-http, sse]",
				"",
				"tools: []",
			),
			must: []string{"module: example.com/myapp\n\ntransports:", "[streamable-http, sse]\n\ntools:"},
		},
		{
			name: "four-space indentation",
			in: lines(
				"version: 1",
				"name: myapp",
				"module: example.com/myapp",
				"transports:",
				"    - sse",
				"tools:",
				"    - name: a",
				"      description: first",
			),
			must: []string{"transports:\n    - sse\n", "tools:\n    - name: a\n      description: first\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := AddToolToConfig(ConfigFile, []byte(tt.in), Tool{Name: "search-notes", Description: "Searches notes"})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tt.must {
				if !strings.Contains(string(out), m) {
					t.Errorf("output does not contain %q:\n%s", m, out)
				}
			}
		})
	}
}
