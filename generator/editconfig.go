package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// AddToolToConfig appends a tool to the tools list of the clerk-mcp.yaml in
// data and returns the new file. It inserts the tool's lines after the last
// tool, indented like the others, so every other byte of the user's file
// (comments, blank lines, indentation) stays as it was; only a list that
// cannot be edited as lines (a non-empty flow list) is re-encoded from the
// YAML node tree, which keeps comments but not layout. The result is
// validated as a whole, so a duplicate or clashing name is an error and
// nothing is returned.
func AddToolToConfig(file string, data []byte, tool Tool) ([]byte, *Config, error) {
	if err := ValidateToolName(tool.Name); err != nil {
		return nil, nil, err
	}
	return addEntry(file, data, toolKind, tool.Name, entryNodes(tool.Name, "", tool.Description, "", tool.Scopes), func(c *Config) error {
		c.Tools = append(slices.Clone(c.Tools), tool)
		return checkToolSet(c.Tools)
	})
}

// AddPromptToConfig is AddToolToConfig for the prompts list.
func AddPromptToConfig(file string, data []byte, prompt Prompt) ([]byte, *Config, error) {
	if err := ValidatePromptName(prompt.Name); err != nil {
		return nil, nil, err
	}
	return addEntry(file, data, promptKind, prompt.Name, entryNodes(prompt.Name, "", prompt.Description, "", prompt.Scopes), func(c *Config) error {
		c.Prompts = append(slices.Clone(c.Prompts), prompt)
		return checkPromptSet(c.Prompts)
	})
}

// AddResourceToConfig is AddToolToConfig for the resources list.
func AddResourceToConfig(file string, data []byte, res Resource) ([]byte, *Config, error) {
	if err := ValidateResourceName(res.Name); err != nil {
		return nil, nil, err
	}
	if err := ValidateResourceURI(res.URI); err != nil {
		return nil, nil, err
	}
	if res.MIMEType != "" {
		if err := ValidateMIMEType(res.MIMEType); err != nil {
			return nil, nil, err
		}
	}
	return addEntry(file, data, resourceKind, res.Name, entryNodes(res.Name, res.URI, res.Description, res.MIMEType, res.Scopes), func(c *Config) error {
		c.Resources = append(slices.Clone(c.Resources), res)
		return checkResourceSet(c.Resources)
	})
}

// addEntry appends the entry whose keys and values are fields to the list
// kind.key; add adds it to a config and checks the list.
func addEntry(file string, data []byte, kind *entryKind, name string, fields []*yaml.Node, add func(*Config) error) ([]byte, *Config, error) {
	for i := 3; i < len(fields); i += 2 {
		if fields[i].Kind == yaml.SequenceNode {
			for _, s := range fields[i].Content {
				if err := ValidateScope(s.Value); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	// Edited with LF line endings, written back in the file's own style.
	out, cfg, err := addEntryLF(file, normalizeEOL(data), kind, name, fields, add)
	if err != nil {
		return nil, nil, err
	}
	return inStyleOf(out, data), cfg, nil
}

func addEntryLF(file string, data []byte, kind *entryKind, name string, fields []*yaml.Node, add func(*Config) error) ([]byte, *Config, error) {
	before, err := ParseConfig(file, data)
	if err != nil {
		return nil, nil, err
	}
	want := *before
	if err := add(&want); err != nil {
		return nil, nil, fmt.Errorf("cannot add %s %q: %w", kind.singular, name, err)
	}

	out, ok := insertEntryLines(data, kind.key, fields)
	if ok {
		if cfg, err := ParseConfig(file, out); err == nil && reflect.DeepEqual(cfg, &want) {
			return out, cfg, nil
		}
	}
	out, err = appendEntryNode(data, kind.key, fields)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := ParseConfig(file, out)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot add %s %q: %w", kind.singular, name, err)
	}
	return out, cfg, nil
}

// insertEntryLines adds the entry to the list listKey as text. It reports
// false when the file's shape is not one it edits that way.
func insertEntryLines(data []byte, listKey string, fields []*yaml.Node) ([]byte, bool) {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil, false
	}
	root := doc.Content[0]
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		lines[n-1] += "\n"
	}
	toolIdx := -1
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == listKey {
			toolIdx = i
		}
	}
	if toolIdx < 0 {
		return []byte(strings.Join(lines, "") + listKey + ":\n" + entryLines(fields, 3, 5)), true
	}
	key, list := root.Content[toolIdx], root.Content[toolIdx+1]
	if list.Kind != yaml.SequenceNode {
		return nil, false
	}

	// The lines of the list end before the next top-level key and its
	// comments; skip back over blank and comment lines.
	end := len(lines) // index of the first line after the list
	if toolIdx+2 < len(root.Content) {
		next := root.Content[toolIdx+2]
		end = next.Line - 1 - strings.Count(next.HeadComment, "\n") - 1
		if next.HeadComment == "" {
			end = next.Line - 1
		}
	}
	last := end - 1
	for last >= key.Line && isBlankOrComment(lines[last]) {
		last--
	}

	if list.Style&yaml.FlowStyle != 0 {
		if len(list.Content) > 0 {
			return nil, false
		}
		// "tools: [] # comment" becomes "tools: # comment" and a block list.
		line := lines[key.Line-1]
		open := strings.Index(line, "[")
		closing := strings.Index(line, "]")
		if key.Line != list.Line || open < 0 || closing < open || strings.TrimSpace(line[open+1:closing]) != "" {
			return nil, false
		}
		lines[key.Line-1] = strings.TrimRight(line[:open], " ") + line[closing+1:]
		return splice(lines, key.Line, entryLines(fields, key.Column+2, key.Column+4)), true
	}
	if len(list.Content) == 0 {
		return nil, false
	}
	first := list.Content[0]
	dashLine := lines[first.Line-1]
	dash := len(dashLine) - len(strings.TrimLeft(dashLine, " "))
	if !strings.HasPrefix(dashLine[dash:], "-") || first.Column-1 <= dash {
		return nil, false
	}
	return splice(lines, last+1, entryLines(fields, dash+1, first.Column)), true
}

func isBlankOrComment(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || strings.HasPrefix(t, "#")
}

// splice inserts text before lines[at].
func splice(lines []string, at int, text string) []byte {
	var b strings.Builder
	for _, l := range lines[:at] {
		b.WriteString(l)
	}
	b.WriteString(text)
	for _, l := range lines[at:] {
		b.WriteString(l)
	}
	return []byte(b.String())
}

// entryLines renders an entry as a block-list item whose dash is at column
// dashCol and whose keys are at column keyCol (1-based); a list value (the
// scopes) is written as a flow list.
func entryLines(fields []*yaml.Node, dashCol, keyCol int) string {
	pad := func(n int) string { return strings.Repeat(" ", max(n, 0)) }
	var b strings.Builder
	for i := 0; i+1 < len(fields); i += 2 {
		if i == 0 {
			b.WriteString(pad(dashCol-1) + "-" + pad(keyCol-dashCol-1))
		} else {
			b.WriteString(pad(keyCol - 1))
		}
		b.WriteString(fields[i].Value + ": ")
		if v := fields[i+1]; v.Kind == yaml.SequenceNode {
			items := make([]string, len(v.Content))
			for j, item := range v.Content {
				items[j] = flowScalar(item.Value)
			}
			b.WriteString("[" + strings.Join(items, ", ") + "]")
		} else {
			b.WriteString(yamlScalar(v.Value))
		}
		b.WriteString("\n")
	}
	return b.String()
}

var plainFlowRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./:-]*$`)

// flowScalar renders s for a flow list: plain when that reads back as s,
// double-quoted otherwise.
func flowScalar(s string) string {
	if plainFlowRE.MatchString(s) && !strings.HasSuffix(s, ":") {
		if out := yamlScalar(s); out == s {
			return s
		}
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// yamlScalar renders s as a one-line YAML scalar that reads back as the
// string s.
func yamlScalar(s string) string {
	b, err := yaml.Marshal(s)
	if out := strings.TrimSuffix(string(b), "\n"); err == nil && !strings.Contains(out, "\n") {
		return out
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n") // a JSON string is a YAML double-quoted scalar
}

// appendEntryNode adds the entry through the YAML node tree and re-encodes
// the file: comments stay, layout may not.
func appendEntryNode(data []byte, listKey string, fields []*yaml.Node) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	root := doc.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == listKey {
			list = root.Content[i+1]
		}
	}
	if list == nil {
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: listKey}
		list = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		root.Content = append(root.Content, key, list)
	}
	list.Style = 0 // block style, also for a list that was written as []
	list.Content = append(list.Content, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: fields})
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
