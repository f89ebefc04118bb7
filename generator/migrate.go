package generator

import (
	"bytes"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// A Migration rewrites a clerk-mcp.yaml of version From into version
// From+1, editing its YAML node tree in place so that the user's comments
// stay. It gets the document's top-level mapping.
type Migration struct {
	From  int
	Apply func(root *yaml.Node) error
}

// configMigrations is the registry of steps, one per version: when
// ConfigVersion goes from N to N+1, a step From: N goes here. None yet:
// version 1 is the first.
var configMigrations []Migration

// MigrateConfig brings data, a clerk-mcp.yaml, up to version target by
// running the steps of migrations in order, and sets its version key. It
// returns data unchanged (and false) when it is at target already; a
// version newer than target, or a missing step, is an error.
func MigrateConfig(data []byte, target int, migrations []Migration) ([]byte, bool, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, false, fmt.Errorf("%s: %v", ConfigFile, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, false, fmt.Errorf("%s: expected a mapping of keys (version, name, module, ...)", ConfigFile)
	}
	root := doc.Content[0]
	var version *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "version" {
			version = root.Content[i+1]
		}
	}
	if version == nil {
		return nil, false, fmt.Errorf("%s: no version key; add \"version: %d\"", ConfigFile, target)
	}
	from, err := strconv.Atoi(version.Value)
	if err != nil {
		return nil, false, fmt.Errorf("%s:%d: version %q is not a number", ConfigFile, version.Line, version.Value)
	}
	switch {
	case from == target:
		return data, false, nil
	case from > target:
		return nil, false, fmt.Errorf("%s: version %d is newer than this create-clerk-mcp reads (%d); upgrade create-clerk-mcp", ConfigFile, from, target)
	}
	for v := from; v < target; v++ {
		var step *Migration
		for i := range migrations {
			if migrations[i].From == v {
				step = &migrations[i]
			}
		}
		if step == nil {
			return nil, false, fmt.Errorf("%s: no migration from version %d to %d", ConfigFile, v, v+1)
		}
		if err := step.Apply(root); err != nil {
			return nil, false, fmt.Errorf("%s: migrating version %d to %d: %v", ConfigFile, v, v+1, err)
		}
		version.Value = strconv.Itoa(v + 1)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, false, err
	}
	if err := enc.Close(); err != nil {
		return nil, false, err
	}
	return buf.Bytes(), true, nil
}
