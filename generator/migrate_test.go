package generator

import (
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// renameKey is a test migration: a fake version 0 called transports
// "transport".
var renameKey = Migration{From: 0, Apply: func(root *yaml.Node) error {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "transport" {
			root.Content[i].Value = "transports"
			return nil
		}
	}
	return errors.New("no transport key")
}}

func TestMigrateConfigKeepsComments(t *testing.T) {
	in := `# my project
version: 0 # the old format
name: myapp
module: example.com/myapp
# how clients connect
transport: [streamable-http] # just this one
tools: []
`
	out, changed, err := MigrateConfig([]byte(in), 1, []Migration{renameKey})
	if err != nil || !changed {
		t.Fatalf("MigrateConfig: %v, changed %v", err, changed)
	}
	want := `# my project
version: 1 # the old format
name: myapp
module: example.com/myapp
# how clients connect
transports: [streamable-http] # just this one
tools: []
`
	if string(out) != want {
		t.Errorf("migrated:\n%s\nwant:\n%s", out, want)
	}
	if _, err := ParseConfig(ConfigFile, out); err != nil {
		t.Errorf("the migrated file does not parse: %v", err)
	}

	// At the target already: untouched, byte for byte.
	again, changed, err := MigrateConfig(out, 1, []Migration{renameKey})
	if err != nil || changed || string(again) != string(out) {
		t.Errorf("a second migration: %v, changed %v", err, changed)
	}
}

func TestMigrateConfigErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"version: 2\n", "newer than this create-clerk-mcp reads"},
		{"version: 0\ntransport: []\n", "no migration from version 0 to 1"},
		{"name: x\n", "no version key"},
		{"version: one\n", "not a number"},
	} {
		_, _, err := MigrateConfig([]byte(tt.in), 1, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("MigrateConfig(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
	if len(configMigrations) != 0 {
		t.Errorf("configMigrations has steps, but ConfigVersion is still %d: wire them into regenerate", ConfigVersion)
	}
}
