package generator

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
)

// lines joins its arguments as the lines of a file, so that a case's line
// numbers can be read off its position in the list.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// normalizeConfig returns a copy of c with nil slices made empty, so that
// configs can be compared whatever way "nothing" was spelled.
func normalizeConfig(c *Config) *Config {
	n := *c
	for _, s := range []*[]string{&n.Transports, &n.Scopes, &n.RequiredScopes, &n.PublicRoutes, &n.AllowedOrigins} {
		if *s == nil {
			*s = []string{}
		}
	}
	if n.Tools == nil {
		n.Tools = []Tool{}
	}
	if n.Prompts == nil {
		n.Prompts = []Prompt{}
	}
	if n.Resources == nil {
		n.Resources = []Resource{}
	}
	return &n
}

// configDiff returns "" when got and want are the same config, or a
// unified diff of the two.
func configDiff(got, want *Config) string {
	if got == nil || want == nil {
		if got == want {
			return ""
		}
		return fmt.Sprintf("got %+v, want %+v", got, want)
	}
	g, w := normalizeConfig(got), normalizeConfig(want)
	if reflect.DeepEqual(g, w) {
		return ""
	}
	gb, _ := json.MarshalIndent(g, "", "  ")
	wb, _ := json.MarshalIndent(w, "", "  ")
	return string(diff.Diff("want", append(wb, '\n'), "got", append(gb, '\n')))
}

// configErrorsOf flattens err (possibly an errors.Join) into its
// ConfigErrors.
func configErrorsOf(err error) []*ConfigError {
	var out []*ConfigError
	var walk func(error)
	walk = func(e error) {
		if ce, ok := e.(*ConfigError); ok {
			out = append(out, ce)
			return
		}
		if u, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range u.Unwrap() {
				walk(x)
			}
			return
		}
		if x := errors.Unwrap(e); x != nil {
			walk(x)
		}
	}
	walk(err)
	return out
}

// baseConfigLines is a valid clerk-mcp.yaml, one line per element (line N
// is baseConfigLines[N-1]).
var baseConfigLines = []string{
	"version: 1",
	"name: myapp",
	"module: example.com/myapp",
	"transports: [streamable-http, sse]",
	"scopes: [profile, email]",
	"publicRoutes: []",
	"allowedOrigins: []",
	"tools:",
	"  - name: get-clerk-user-data",
	"    description: Gets data about the Clerk user that authorized this request",
}

// withLines returns baseConfigLines with line n (1-based) replaced by
// repl; an empty repl slice deletes the line.
func withLines(n int, repl ...string) string {
	out := append([]string{}, baseConfigLines[:n-1]...)
	out = append(out, repl...)
	out = append(out, baseConfigLines[n:]...)
	return lines(out...)
}

// head returns the first n lines of baseConfigLines followed by more.
func head(n int, more ...string) string {
	return lines(append(append([]string{}, baseConfigLines[:n]...), more...)...)
}

// plus returns baseConfigLines followed by more.
func plus(more ...string) string {
	return lines(append(append([]string{}, baseConfigLines...), more...)...)
}

func TestParseConfigValid(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want *Config
	}{
		{
			name: "contract example",
			yaml: lines(
				"version: 1",
				"name: myapp",
				"module: example.com/myapp",
				"transports: [streamable-http, sse]",
				"scopes: [profile, email]",
				`publicRoutes: []          # extra public paths or prefixes ("/docs/*"), beyond the built-in ones`,
				`allowedOrigins: []        # browser origins allowed on /mcp and /sse besides PUBLIC_URL's; ["*"] allows all`,
				"tools:",
				"  - name: get-clerk-user-data",
				"    description: Gets data about the Clerk user that authorized this request",
			),
			want: &Config{
				Version: 1, Name: "myapp", Module: "example.com/myapp",
				Transports: []string{"streamable-http", "sse"}, Scopes: []string{"profile", "email"},
				PublicRoutes: []string{}, AllowedOrigins: []string{},
				Tools: []Tool{{Name: "get-clerk-user-data", Description: "Gets data about the Clerk user that authorized this request"}},
			},
		},
		{
			name: "block lists, comments, other key order",
			yaml: lines(
				"# my server",
				"name: notes-server # the name",
				"version: 1",
				"tools:",
				"  - name: search-notes",
				"    description: \"Searches notes: by title\"",
				"  - description: Creates a note.",
				"    name: notes.create_v2",
				"  - name: Get",
				"module: github.com/me/notes-server/v2",
				"transports:",
				"  - sse",
				"scopes:",
				"  - notes:read",
				"  - 'notes:write'",
				"publicRoutes: [/about, \"/docs/*\", /]",
				"allowedOrigins: ['*', https://app.example.com, http://localhost:3000]",
			),
			want: &Config{
				Version: 1, Name: "notes-server", Module: "github.com/me/notes-server/v2",
				Transports:     []string{"sse"},
				Scopes:         []string{"notes:read", "notes:write"},
				PublicRoutes:   []string{"/about", "/docs/*", "/"},
				AllowedOrigins: []string{"*", "https://app.example.com", "http://localhost:3000"},
				Tools: []Tool{
					{Name: "search-notes", Description: "Searches notes: by title"},
					{Name: "notes.create_v2", Description: "Creates a note."},
					{Name: "Get"},
				},
			},
		},
		{
			name: "only the required keys",
			yaml: lines("version: 1", "name: a", "module: a", "transports: [streamable-http]"),
			want: &Config{Version: 1, Name: "a", Module: "a", Transports: []string{"streamable-http"}},
		},
		{
			name: "empty tools list",
			yaml: head(7, "tools: []"),
			want: &Config{
				Version: 1, Name: "myapp", Module: "example.com/myapp",
				Transports: []string{"streamable-http", "sse"}, Scopes: []string{"profile", "email"},
			},
		},
	}
	tests = append(tests, struct {
		name string
		yaml string
		want *Config
	}{
		name: "sessions stateless",
		yaml: lines("version: 1", "name: a", "module: a", "transports: [streamable-http]", "sessions: stateless"),
		want: &Config{Version: 1, Name: "a", Module: "a", Transports: []string{"streamable-http"}, Sessions: SessionsStateless},
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.yaml
			if !strings.Contains(src, "sessions:") {
				// Made before the key existed: stateful, as it always was.
				tt.want.Sessions, tt.want.SessionsImplied = SessionsStateful, true
			}
			got, err := ParseConfig(ConfigFile, []byte(src))
			if err != nil {
				t.Fatalf("ParseConfig:\n%s\nerror: %v", src, err)
			}
			if d := configDiff(got, tt.want); d != "" {
				t.Errorf("ParseConfig:\n%s\ndiffers:\n%s", src, d)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate of a parsed config: %v", err)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	type want struct {
		line int
		key  string
		msg  string // a part of the message
	}
	tests := []struct {
		name string
		yaml string
		want []want
	}{
		{"unknown key", plus("colour: blue"), []want{{11, "colour", "unknown key"}}},
		{"misspelt key", withLines(4, "transport: [sse]"), []want{{4, "transport", "unknown key"}, {1, "transports", "missing"}}},
		{"version is a word", withLines(1, "version: one"), []want{{1, "version", "whole number"}}},
		{"version is a quoted number", withLines(1, `version: "1"`), []want{{1, "version", "whole number"}}},
		{"version is a fraction", withLines(1, "version: 1.5"), []want{{1, "version", "whole number"}}},
		{"version is a list", withLines(1, "version: [1]"), []want{{1, "version", "whole number"}}},
		{"unsupported version", withLines(1, "version: 2"), []want{{1, "version", "version 2 is not supported"}}},
		{"name is a number", withLines(2, "name: 123"), []want{{2, "name", "must be a string"}}},
		{"invalid name", withLines(2, "name: My App"), []want{{2, "name", "invalid project name"}}},
		{"invalid module", withLines(3, `module: "example.com/my app"`), []want{{3, "module", "invalid module path"}}},
		{"module is a list", withLines(3, "module: [a]"), []want{{3, "module", "must be a string"}}},
		{"transports is a scalar", withLines(4, "transports: streamable-http"), []want{{4, "transports", "must be a list"}}},
		{"transports is a map", withLines(4, "transports: {sse: true}"), []want{{4, "transports", "must be a list"}}},
		{"empty transports", withLines(4, "transports: []"), []want{{4, "transports", "empty"}}},
		{"unknown session mode", plus("sessions: sticky"), []want{{11, "sessions", `"sticky" is not a session mode`}}},
		{"session mode is a list", plus("sessions: [stateless]"), []want{{11, "sessions", "must be a string"}}},
		{"unknown transport", withLines(4, "transports: [streamable-http, websocket]"), []want{{4, "transports[1]", `"websocket" is not a transport`}}},
		{"unknown transport in a block list", withLines(4, "transports:", "  - sse", "  - http"), []want{{6, "transports[1]", `"http" is not a transport`}}},
		{"transport is a number", withLines(4, "transports: [1]"), []want{{4, "transports[0]", "must be a string"}}},
		{"duplicate transport", withLines(4, "transports: [sse, sse]"), []want{{4, "transports[1]", "twice"}}},
		{"scopes is a scalar", withLines(5, "scopes: profile"), []want{{5, "scopes", "must be a list"}}},
		{"scope with a space", withLines(5, `scopes: [profile, "read notes"]`), []want{{5, "scopes[1]", "not a scope"}}},
		{"empty scope", withLines(5, `scopes: [""]`), []want{{5, "scopes[0]", "not a scope"}}},
		{"publicRoutes /*", withLines(6, `publicRoutes: ["/*"]`), []want{{6, "publicRoutes[0]", "/mcp"}}},
		{"publicRoutes /mcp", withLines(6, `publicRoutes: [/about, /mcp]`), []want{{6, "publicRoutes[1]", "/mcp"}}},
		{"publicRoutes /mcp/*", withLines(6, `publicRoutes: ["/mcp/*"]`), []want{{6, "publicRoutes[0]", "/mcp"}}},
		{"publicRoutes /sse", withLines(6, `publicRoutes: [/sse]`), []want{{6, "publicRoutes[0]", "/sse"}}},
		{"publicRoutes relative", withLines(6, `publicRoutes: [relative]`), []want{{6, "publicRoutes[0]", "relative"}}},
		{"publicRoutes unclean", withLines(6, `publicRoutes: [/a/../mcp]`), []want{{6, "publicRoutes[0]", "clean path"}}},
		{"publicRoutes block list", withLines(6, "publicRoutes:", "  - /about", "  - /*"), []want{{8, "publicRoutes[1]", "/mcp"}}},
		{"publicRoutes is a scalar", withLines(6, `publicRoutes: /about`), []want{{6, "publicRoutes", "must be a list"}}},
		{"allowedOrigins with a path", withLines(7, `allowedOrigins: ["https://x.com/path"]`), []want{{7, "allowedOrigins[0]", "not an origin"}}},
		{"allowedOrigins without a scheme", withLines(7, `allowedOrigins: [x.com]`), []want{{7, "allowedOrigins[0]", "not an origin"}}},
		{"tools is a map", head(7, "tools: {name: x}", "extra: 1"), []want{{8, "tools", "must be a list"}, {9, "extra", "unknown key"}}},
		{"tool is a scalar", head(7, "tools: [search]"), []want{{8, "tools[0]", "mapping"}}},
		{"duplicate tool", plus("  - name: get-clerk-user-data", "    description: again"), []want{{11, "tools[1].name", "listed twice"}}},
		{"invalid tool name", withLines(9, "  - name: 1bad"), []want{{9, "tools[0].name", "invalid tool name"}}},
		{"tool name with a space", withLines(9, `  - name: "search notes"`), []want{{9, "tools[0].name", "invalid tool name"}}},
		{"tool name is a number", withLines(9, "  - name: 42"), []want{{9, "tools[0].name", "must be a string"}}},
		{"tool without a name", head(8, "  - description: x"), []want{{9, "tools[0].name", "missing"}}},
		{"tool with an unknown key", plus("    input: {}"), []want{{11, "tools[0].input", "unknown key"}}},
		{"tool description is a list", withLines(10, "    description: [a]"), []want{{10, "tools[0].description", "must be a string"}}},
		{"same Go identifier", plus("  - name: search-notes", "  - name: search_notes"), []want{{12, "tools[2].name", "SearchNotes"}}},
		{"same Go identifier, other case", plus("  - name: search-notes", "  - name: Search.Notes"), []want{{12, "tools[2].name", "SearchNotes"}}},
		{"same identifier as the sample", plus("  - name: GetClerkUserData"), []want{{11, "tools[1].name", "GetClerkUserData"}}},
		{"identifier of another tool's input type", plus("  - name: search", "  - name: search-input"), []want{{12, "tools[2].name", "SearchInput"}}},
		{"tool named deps", plus("  - name: deps"), []want{{11, "tools[1].name", "Deps"}}},
		{"tool named Deps", plus("  - name: Deps"), []want{{11, "tools[1].name", "Deps"}}},
		{"missing version", withLines(1), []want{{1, "version", "missing"}}},
		{"missing name", withLines(2), []want{{1, "name", "missing"}}},
		{"missing module", withLines(3), []want{{1, "module", "missing"}}},
		{"missing transports", withLines(4), []want{{1, "transports", "missing"}}},
		{"missing key after a comment", lines(append([]string{"# my project"}, baseConfigLines[1:]...)...), []want{{2, "version", "missing"}}},
		{"duplicate key", plus("name: other"), []want{{11, "name", "appears twice"}}},
		{"duplicate key, same value", withLines(2, "name: myapp", "name: myapp"), []want{{3, "name", "appears twice"}}},
		{"duplicate key in a tool", plus("    description: again"), []want{{11, "tools[0].description", "appears twice"}}},
		{"duplicate name in a tool", plus("    name: other"), []want{{11, "tools[0].name", "appears twice"}}},
		{"not a mapping", "- a\n- b\n", []want{{1, "", "mapping"}}},
		{
			"several errors at once",
			lines(
				"version: 2",
				"name: My App",
				"module: example.com/myapp",
				"transports: []",
				"scopes: [profile, email]",
				"publicRoutes: [/mcp]",
				`allowedOrigins: ["https://x.com/path"]`,
				"tools:",
				"  - name: search-notes",
				"  - name: search_notes",
				"colour: blue",
			),
			[]want{
				{1, "version", "not supported"},
				{2, "name", "invalid project name"},
				{4, "transports", "empty"},
				{6, "publicRoutes[0]", "/mcp"},
				{7, "allowedOrigins[0]", "not an origin"},
				{10, "tools[1].name", "SearchNotes"},
				{11, "colour", "unknown key"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig(ConfigFile, []byte(tt.yaml))
			if err == nil {
				t.Fatalf("ParseConfig:\n%s\nreturned %+v, want an error", tt.yaml, cfg)
			}
			if cfg != nil {
				t.Errorf("ParseConfig returned a config (%+v) with its error", cfg)
			}
			text := err.Error()
			got := configErrorsOf(err)
			for _, w := range tt.want {
				prefix := fmt.Sprintf("%s:%d: ", ConfigFile, w.line)
				if w.key != "" {
					prefix += w.key + ": "
				}
				if !strings.Contains(text, prefix) {
					t.Errorf("error does not contain %q:\n%s", prefix, text)
				}
				found := false
				for _, ce := range got {
					if ce.File == ConfigFile && ce.Line == w.line && ce.Key == w.key && strings.Contains(ce.Msg, w.msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("no ConfigError{Line: %d, Key: %q, Msg: ...%q...} in:\n%s", w.line, w.key, w.msg, text)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d errors, want %d:\n%s", len(got), len(tt.want), text)
			}
		})
	}
}

func TestParseConfigInvalidYAML(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		line int
	}{
		// yaml.v3 places this one at the line before the flow list
		// starts, so its line is not checked.
		{"unclosed flow list", withLines(4, "transports: [streamable-http, sse"), 0},
		{"bad indentation", withLines(2, "name: myapp", "  bad: x"), 3},
		{"tab indentation", withLines(9, "\t- name: x"), 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig(ConfigFile, []byte(tt.yaml))
			if err == nil {
				t.Fatalf("ParseConfig returned %+v, want an error", cfg)
			}
			text := err.Error()
			if !strings.HasPrefix(text, ConfigFile) {
				t.Errorf("error %q does not start with the file name", text)
			}
			// The line is in yaml's own words ("line 3") or as file:line.
			if tt.line > 0 && !strings.Contains(text, fmt.Sprintf("line %d", tt.line)) && !strings.Contains(text, fmt.Sprintf("%s:%d:", ConfigFile, tt.line)) {
				t.Errorf("error %q does not name line %d", text, tt.line)
			}
			if !strings.Contains(text, "YAML") {
				t.Errorf("error %q does not say the file is not valid YAML", text)
			}
		})
	}
}

func TestParseConfigEmpty(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# only a comment\n", "\n# only comments\n\n# here\n"} {
		cfg, err := ParseConfig(ConfigFile, []byte(src))
		if err == nil {
			t.Errorf("ParseConfig(%q) = %+v, want an error", src, cfg)
			continue
		}
		if !strings.HasPrefix(err.Error(), ConfigFile+":") || !strings.Contains(err.Error(), "empty") {
			t.Errorf("ParseConfig(%q) error = %q, want the file name and \"empty\"", src, err)
		}
	}
}

func TestParseConfigUsesFileName(t *testing.T) {
	_, err := ParseConfig("sub/dir/clerk-mcp.yaml", []byte(withLines(1, "version: 2")))
	if err == nil || !strings.Contains(err.Error(), "sub/dir/clerk-mcp.yaml:1: version: ") {
		t.Errorf("error = %v, want it to start with the file name given", err)
	}
}

// roundTripConfigs are configs MarshalConfig must write so that ParseConfig
// reads them back unchanged.
func roundTripConfigs() map[string]*Config {
	def := DefaultConfig("myapp")
	def.Module = "example.com/myapp"

	bare := DefaultConfig("bare")
	bare.Tools = []Tool{}
	bare.Scopes = []string{}

	sse := DefaultConfig("sse-only")
	sse.Module = "github.com/me/sse-only/v3"
	sse.Transports = []string{TransportSSE}

	tricky := DefaultConfig("tricky")
	tricky.Module = "example.com/tricky"
	tricky.Scopes = []string{"notes:read", "123", "yes", "null", "true", "~", "a,b", "[x]"}
	tricky.PublicRoutes = []string{"/about", "/docs/*", "/"}
	tricky.AllowedOrigins = []string{"*", "https://app.example.com", "http://localhost:3000"}
	tricky.Tools = []Tool{
		{Name: "get-clerk-user-data", Description: SampleToolDescription},
		{Name: "empty", Description: ""},
		{Name: "number", Description: "123"},
		{Name: "bool", Description: "true"},
		{Name: "null", Description: "null"},
		{Name: "tilde", Description: "~"},
		{Name: "colon", Description: " leading space: and # not a comment"},
		{Name: "multi", Description: "Creates a note.\nTakes a title and a body."},
		{Name: "multi-trailing", Description: "line one\nline two\n"},
		{Name: "quotes", Description: `say "hi" and 'bye' \ back`},
		{Name: "dash", Description: "- not a list"},
		{Name: "unicode", Description: "Notizen durchsuchen – schnell ✓"},
		{Name: "braces", Description: "{not: a map} [nor a list]"},
		{Name: "tmpl", Description: "{{.Module}} and <no value>"},
	}
	return map[string]*Config{"default": def, "bare": bare, "sse-only": sse, "tricky": tricky}
}

func TestMarshalConfigRoundTrip(t *testing.T) {
	for name, cfg := range roundTripConfigs() {
		t.Run(name, func(t *testing.T) {
			b, err := MarshalConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseConfig(ConfigFile, b)
			if err != nil {
				t.Fatalf("ParseConfig of MarshalConfig's output:\n%s\nerror: %v", b, err)
			}
			if d := configDiff(got, cfg); d != "" {
				t.Errorf("round trip differs:\n%s\nfile:\n%s", d, b)
			}
			// Marshalling again gives the same bytes.
			b2, err := MarshalConfig(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != string(b2) {
				t.Errorf("MarshalConfig is not stable:\n%s", diff.Diff("first", b, "second", b2))
			}
		})
	}
}

func TestMarshalConfigLayout(t *testing.T) {
	cfg := DefaultConfig("myapp")
	cfg.Module = "example.com/myapp"
	b, err := MarshalConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if !strings.HasPrefix(text, "# ") {
		t.Errorf("MarshalConfig output does not start with a comment:\n%s", text)
	}
	// Keys in the order of CONTRACT.md's example, each at the start of a line.
	last := -1
	for _, key := range []string{"version: 1", "name: myapp", "module: example.com/myapp", "transports: [streamable-http]",
		"sessions: stateless", "scopes: [profile, email]", "publicRoutes: []", "allowedOrigins: []", "tools:"} {
		i := strings.Index(text, "\n"+key+"\n")
		if i < 0 {
			t.Errorf("no line %q in:\n%s", key, text)
			continue
		}
		if i < last {
			t.Errorf("%q is out of order in:\n%s", key, text)
		}
		last = i
	}
	if !strings.Contains(text, "\n  - name: get-clerk-user-data\n    description: "+SampleToolDescription+"\n") {
		t.Errorf("the sample tool is not written as a block list item:\n%s", text)
	}
	if strings.Contains(text, "add-tool") == false || strings.Contains(text, "regenerate") == false {
		t.Errorf("the comments do not tell the user about add-tool and regenerate:\n%s", text)
	}

	cfg.Tools = []Tool{}
	b, err = MarshalConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\ntools: []\n") {
		t.Errorf("an empty tools list is not written as tools: []:\n%s", b)
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := DefaultConfig("myapp")
	want := &Config{
		Version: ConfigVersion, Name: "myapp", Module: "myapp",
		Transports:     []string{"streamable-http"},
		Sessions:       "stateless",
		Scopes:         []string{"profile", "email"},
		PublicRoutes:   []string{},
		AllowedOrigins: []string{},
		Tools:          []Tool{{Name: "get-clerk-user-data", Description: "Gets data about the Clerk user that authorized this request"}},
	}
	if d := configDiff(cfg, want); d != "" {
		t.Errorf("DefaultConfig differs from CONTRACT.md's defaults:\n%s", d)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("DefaultConfig does not validate: %v", err)
	}
	if cfg.HasTransport(TransportSSE) || !cfg.HasTransport(TransportStreamable) || cfg.HasTransport("websocket") {
		t.Errorf("HasTransport is wrong for %v", cfg.Transports)
	}
}

func TestConfigValidate(t *testing.T) {
	valid := func() *Config {
		c := DefaultConfig("myapp")
		c.Module = "example.com/myapp"
		return c
	}
	tests := []struct {
		name   string
		edit   func(*Config)
		errHas string // "" for valid
	}{
		{"default", func(*Config) {}, ""},
		{"no tools", func(c *Config) { c.Tools = nil }, ""},
		{"one transport", func(c *Config) { c.Transports = []string{TransportSSE} }, ""},
		{"version 0", func(c *Config) { c.Version = 0 }, "version 0"},
		{"version 2", func(c *Config) { c.Version = 2 }, "version 2"},
		{"bad name", func(c *Config) { c.Name = "My App" }, "project name"},
		{"bad module", func(c *Config) { c.Module = "" }, "module path"},
		{"no transports", func(c *Config) { c.Transports = nil }, "no transport"},
		{"bad transport", func(c *Config) { c.Transports = []string{"websocket"} }, "websocket"},
		{"public /mcp", func(c *Config) { c.PublicRoutes = []string{"/mcp"} }, "/mcp"},
		{"public /*", func(c *Config) { c.PublicRoutes = []string{"/*"} }, "/mcp"},
		{"public relative", func(c *Config) { c.PublicRoutes = []string{"relative"} }, "relative"},
		{"bad origin", func(c *Config) { c.AllowedOrigins = []string{"https://x.com/path"} }, "not an origin"},
		{"bad tool", func(c *Config) { c.Tools = append(c.Tools, Tool{Name: "1x"}) }, "invalid tool name"},
		{"empty tool name", func(c *Config) { c.Tools = append(c.Tools, Tool{}) }, "invalid tool name"},
		{"duplicate tool", func(c *Config) { c.Tools = append(c.Tools, c.Tools[0]) }, "listed twice"},
		{"clashing tools", func(c *Config) {
			c.Tools = []Tool{{Name: "search-notes"}, {Name: "search_notes"}}
		}, "SearchNotes"},
		{"tool deps", func(c *Config) { c.Tools = []Tool{{Name: "deps"}} }, "Deps"},
	}
	for _, tt := range tests {
		c := valid()
		tt.edit(c)
		err := c.Validate()
		switch {
		case tt.errHas == "" && err != nil:
			t.Errorf("%s: Validate = %v, want nil", tt.name, err)
		case tt.errHas != "" && err == nil:
			t.Errorf("%s: Validate = nil, want an error", tt.name)
		case tt.errHas != "" && !strings.Contains(err.Error(), tt.errHas):
			t.Errorf("%s: Validate = %q, want it to contain %q", tt.name, err, tt.errHas)
		}
	}
}

// TestToolNamesClashingOnFile checks that a tool name whose handler file
// would be another file of the tools package is refused when the config is
// read, not later when the render finds two files at one path.
func TestToolNamesClashingOnFile(t *testing.T) {
	for _, name := range []string{"DEPS", "dEPS", "dePs"} {
		src := plus("  - name: " + name)
		cfg, err := ParseConfig(ConfigFile, []byte(src))
		if err == nil {
			_, rerr := Render(cfg)
			t.Errorf("ParseConfig accepted tool %q (Render then says: %v); want a config error at %s:11: tools[1].name", name, rerr, ConfigFile)
			continue
		}
		if !strings.Contains(err.Error(), ConfigFile+":11: tools[1].name: ") {
			t.Errorf("tool %q: error %q does not name %s:11: tools[1].name", name, err, ConfigFile)
		}
	}
}

func TestValidateOrigin(t *testing.T) {
	tests := []struct {
		origin string
		ok     bool
	}{
		{"*", true},
		{"https://app.example.com", true},
		{"http://localhost:3000", true},
		{"https://x.com:8443", true},
		{"http://127.0.0.1:8080", true},

		{"", false},
		{"https://x.com/path", false},
		{"https://x.com/", false},
		{"x.com", false},
		{"ftp://x.com", false},
		{"https://", false},
		{"https://user@x.com", false},
		{"https://x.com?q=1", false},
		{"https://x.com#f", false},
		{"**", false},
		{"https://*.example.com/a", false},
	}
	for _, tt := range tests {
		err := ValidateOrigin(tt.origin)
		if tt.ok != (err == nil) {
			t.Errorf("ValidateOrigin(%q) = %v, want ok=%v", tt.origin, err, tt.ok)
		}
	}
}

func TestValidateModulePath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"example.com/x", true},
		{"myapp", true},
		{"my-app", true},
		{"github.com/me/app/v2", true},
		{"example.com/a_b.c~d", true},

		{"", false},
		{"a b", false},
		{"/abs", false},
		{"example.com/x/", false},
		{"example.com//x", false},
		{"..", false},
		{"example.com/../x", false},
		{`example.com\x`, false},
		{"example.com/x\"y", false},

		// Accepted by go mod init, but the project would not build.
		{"time", false}, {"log", false}, {"context", false}, {"net", false}, {"errors", false},
		{"math", false}, {"image", false}, {"crypto", false}, {"net/http", false}, {"crypto/notes", false},
		{"go", false}, {"std", false}, {"cmd", false}, {"all", false}, {"tool", false}, {"work", false},
		{"toolchain", false}, {"vendor", false}, {"example.com/vendor/x", false}, {"example.com/~me", false},
		{"~x", false}, {"x~1", false},
		// These build.
		{"timekeeper", true}, {"example.com/time", true}, {"main", true}, {"x~y", true}, {"example.com/internal/x", true},
	}
	for _, tt := range tests {
		err := ValidateModulePath(tt.path)
		if tt.ok != (err == nil) {
			t.Errorf("ValidateModulePath(%q) = %v, want ok=%v", tt.path, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "module path") {
			t.Errorf("ValidateModulePath(%q) = %q, want it to say module path", tt.path, err)
		}
	}
}

func TestRequiredScopesMustBeAdvertised(t *testing.T) {
	src := "version: 1\nname: a\nmodule: a\ntransports: [sse]\nscopes: [profile]\nrequiredScopes: [profile, notes:read]\n"
	_, err := ParseConfig(ConfigFile, []byte(src))
	if err == nil || !strings.Contains(err.Error(), `clerk-mcp.yaml:6: requiredScopes[1]: "notes:read" is not in scopes`) {
		t.Fatalf("got %v, want an error naming requiredScopes[1] on line 6", err)
	}
	cfg, err := ParseConfig(ConfigFile, []byte(strings.Replace(src, "scopes: [profile]", "scopes: [profile, notes:read]", 1)))
	if err != nil || len(cfg.RequiredScopes) != 2 {
		t.Fatalf("got %+v, %v", cfg, err)
	}
	out, err := MarshalConfig(cfg)
	if err != nil || !strings.Contains(string(out), "requiredScopes: [profile, 'notes:read']") {
		t.Fatalf("marshalled:\n%s (%v)", out, err)
	}
}
