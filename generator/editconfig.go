package generator

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// AddToolToConfig appends a tool to the tools list of the clerk-mcp.yaml in
// data, editing the YAML node tree so that the user's comments and layout
// stay, and returns the new file. The result is validated as a whole, so a
// duplicate or clashing name is an error and nothing is returned.
func AddToolToConfig(file string, data []byte, tool Tool) ([]byte, *Config, error) {
	if err := ValidateToolName(tool.Name); err != nil {
		return nil, nil, err
	}
	if _, err := ParseConfig(file, data); err != nil {
		return nil, nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	root := doc.Content[0]
	var tools *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "tools" {
			tools = root.Content[i+1]
		}
	}
	if tools == nil {
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "tools"}
		tools = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		root.Content = append(root.Content, key, tools)
	}
	tools.Style = 0 // block style, also for a list that was written as []
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	tools.Content = append(tools.Content, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		str("name"), str(tool.Name), str("description"), str(tool.Description),
	}})
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, nil, err
	}
	cfg, err := ParseConfig(file, buf.Bytes())
	if err != nil {
		return nil, nil, fmt.Errorf("cannot add tool %q: %w", tool.Name, err)
	}
	return buf.Bytes(), cfg, nil
}
