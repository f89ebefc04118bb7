package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/module"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/mcpserver"
)

// ConfigFile is the name of the project file at a project's root.
const ConfigFile = "clerk-mcp.yaml"

// ConfigVersion is the version of clerk-mcp.yaml this generator reads.
const ConfigVersion = 1

// Transport names in clerk-mcp.yaml.
const (
	TransportStreamable = "streamable-http"
	TransportSSE        = "sse"
)

// Session modes of the Streamable HTTP transport (clerk-mcp.yaml sessions).
const (
	// SessionsStateless: every POST stands alone; any replica serves any
	// request; protocol 2026-07-28 and the older versions.
	SessionsStateless = "stateless"
	// SessionsStateful: Mcp-Session-Id sessions in the process, for
	// server-to-client requests with pre-2026 clients; one replica or
	// sticky routing.
	SessionsStateful = "stateful"
)

// SampleToolName is the tool `new` adds unless told not to.
const SampleToolName = "get-clerk-user-data"

// SampleToolDescription is its description, as in Clerk's guide.
const SampleToolDescription = "Gets data about the Clerk user that authorized this request"

// Config is the content of clerk-mcp.yaml.
type Config struct {
	Version    int
	Name       string
	Module     string
	Transports []string
	// Sessions is SessionsStateless or SessionsStateful: how /mcp keeps
	// (or does not keep) MCP sessions.
	Sessions string
	// SessionsImplied is set when the file has no sessions key (made
	// before it existed): Sessions is then SessionsStateful, as those
	// projects always were, and regenerate says so.
	SessionsImplied bool
	Scopes          []string
	RequiredScopes  []string
	PublicRoutes    []string
	AllowedOrigins  []string
	Tools           []Tool
	Prompts         []Prompt
	Resources       []Resource
}

// Tool is one MCP tool of the project.
type Tool struct {
	Name        string
	Description string
	// Scopes a token needs to call the tool; nil or empty: none beyond
	// requiredScopes.
	Scopes []string
}

// Prompt is one MCP prompt of the project.
type Prompt struct {
	Name        string
	Description string
	// Scopes a token needs to get the prompt.
	Scopes []string
}

// Resource is one MCP resource of the project, or a resource template when
// its URI has {...} expressions (RFC 6570).
type Resource struct {
	Name        string
	URI         string
	Description string
	MIMEType    string
	// Scopes a token needs to read the resource.
	Scopes []string
}

// IsTemplate reports whether the resource's URI is a URI template, which
// registers a resource template rather than a resource.
func (r Resource) IsTemplate() bool { return strings.ContainsAny(r.URI, "{}") }

// HasTransport reports whether the config enables transport t.
func (c *Config) HasTransport(t string) bool { return slices.Contains(c.Transports, t) }

// DefaultConfig is the configuration `new NAME` uses when no flag says
// otherwise.
func DefaultConfig(name string) *Config {
	return &Config{
		Version:        ConfigVersion,
		Name:           name,
		Module:         name,
		Transports:     []string{TransportStreamable},
		Sessions:       SessionsStateless,
		Scopes:         []string{"profile", "email"},
		RequiredScopes: []string{},
		PublicRoutes:   []string{},
		AllowedOrigins: []string{},
		Tools:          []Tool{{Name: SampleToolName, Description: SampleToolDescription}},
		Prompts:        []Prompt{},
		Resources:      []Resource{},
	}
}

// ConfigError is one problem in clerk-mcp.yaml, located by line and key.
type ConfigError struct {
	File string
	Line int
	Key  string // such as "tools[1].name"; empty for the file as a whole
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// configErrors collects ConfigErrors.
type configErrors struct {
	file string
	errs []error
}

func (c *configErrors) add(line int, key, format string, args ...any) {
	c.errs = append(c.errs, &ConfigError{File: c.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// ParseConfig reads clerk-mcp.yaml from data. file names it in errors.
// Every problem found is reported, each naming its key and line.
func ParseConfig(file string, data []byte) (*Config, error) {
	errs := &configErrors{file: file}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, &ConfigError{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var second yaml.Node
	if err := dec.Decode(&second); !errors.Is(err, io.EOF) {
		line := 0
		if err == nil {
			line = second.Line
		}
		return nil, &ConfigError{File: file, Line: line, Msg: "a second YAML document (after a --- line) is there; clerk-mcp.yaml is one document: merge the two, or remove the second"}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &ConfigError{File: file, Msg: "the file is empty; run create-clerk-mcp new to create a project"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &ConfigError{File: file, Line: root.Line, Msg: "expected a mapping of keys (version, name, module, ...)"}
	}
	cfg := &Config{PublicRoutes: []string{}, AllowedOrigins: []string{}, Scopes: []string{}, RequiredScopes: []string{}, Tools: []Tool{}, Prompts: []Prompt{}, Resources: []Resource{}}
	var requiredNode *yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := k.Value
		if seen[key] {
			errs.add(k.Line, key, "appears twice; keep one")
			continue
		}
		seen[key] = true
		switch key {
		case "version":
			n, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil {
				errs.add(v.Line, key, "must be a whole number, such as 1")
				continue
			}
			if n != ConfigVersion {
				errs.add(v.Line, key, "version %d is not supported by this create-clerk-mcp (it reads version %d); upgrade create-clerk-mcp", n, ConfigVersion)
			}
			cfg.Version = n
		case "name":
			if s, ok := scalarString(errs, key, v); ok {
				if err := ValidateProjectName(s); err != nil {
					errs.add(v.Line, key, "%v", err)
				}
				cfg.Name = s
			}
		case "module":
			if s, ok := scalarString(errs, key, v); ok {
				if err := ValidateModulePath(s); err != nil {
					errs.add(v.Line, key, "%v", err)
				}
				cfg.Module = s
			}
		case "transports":
			cfg.Transports = stringList(errs, key, v, func(s string) string {
				if s != TransportStreamable && s != TransportSSE {
					return fmt.Sprintf("%q is not a transport; use %s or %s", s, TransportStreamable, TransportSSE)
				}
				return ""
			})
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				errs.add(v.Line, key, "is empty; list at least one of %s, %s", TransportStreamable, TransportSSE)
			}
		case "sessions":
			if s, ok := scalarString(errs, key, v); ok {
				if s != SessionsStateless && s != SessionsStateful {
					errs.add(v.Line, key, "%q is not a session mode; use %s (the default: any replica serves any request) or %s (server-to-client requests, one replica)", s, SessionsStateless, SessionsStateful)
				}
				cfg.Sessions = s
			}
		case "scopes":
			cfg.Scopes = stringList(errs, key, v, scopeProblem)
		case "requiredScopes":
			requiredNode = v
			cfg.RequiredScopes = stringList(errs, key, v, scopeProblem)
		case "publicRoutes":
			cfg.PublicRoutes = stringList(errs, key, v, func(s string) string {
				if err := mcpserver.CheckPublicRoute(s); err != nil {
					return err.Error()
				}
				return ""
			})
		case "allowedOrigins":
			cfg.AllowedOrigins = stringList(errs, key, v, func(s string) string {
				if err := ValidateOrigin(s); err != nil {
					return err.Error()
				}
				return ""
			})
		case "tools":
			cfg.Tools = parseTools(errs, v)
		case "prompts":
			cfg.Prompts = parsePrompts(errs, v)
		case "resources":
			cfg.Resources = parseResources(errs, v)
		default:
			errs.add(k.Line, key, "unknown key; the keys are version, name, module, transports, sessions, scopes, requiredScopes, publicRoutes, allowedOrigins, tools, prompts and resources")
		}
	}
	if requiredNode != nil && requiredNode.Kind == yaml.SequenceNode {
		for i, item := range requiredNode.Content {
			if !slices.Contains(cfg.Scopes, item.Value) {
				errs.add(item.Line, fmt.Sprintf("requiredScopes[%d]", i), "%q is not in scopes; list it there too, so clients know to ask for it", item.Value)
			}
		}
	}
	if !seen["sessions"] {
		cfg.Sessions, cfg.SessionsImplied = SessionsStateful, true
	}
	for _, req := range []string{"version", "name", "module", "transports"} {
		if !seen[req] {
			errs.add(root.Line, req, "missing; add it (see the create-clerk-mcp README)")
		}
	}
	if len(errs.errs) > 0 {
		return nil, errors.Join(errs.errs...)
	}
	if err := cfg.Validate(); err != nil {
		return nil, &ConfigError{File: file, Msg: err.Error()}
	}
	return cfg, nil
}

func scalarString(errs *configErrors, key string, v *yaml.Node) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
		errs.add(v.Line, key, "must be a string")
		return "", false
	}
	return v.Value, true
}

// stringList reads a sequence of strings, reporting duplicates and what
// check says of each item.
func stringList(errs *configErrors, key string, v *yaml.Node, check func(string) string) []string {
	if v.Kind != yaml.SequenceNode {
		errs.add(v.Line, key, "must be a list, such as [a, b]")
		return nil
	}
	out := []string{}
	for i, item := range v.Content {
		ik := fmt.Sprintf("%s[%d]", key, i)
		if item.Kind != yaml.ScalarNode || item.Tag != "!!str" {
			errs.add(item.Line, ik, "must be a string")
			continue
		}
		if msg := check(item.Value); msg != "" {
			errs.add(item.Line, ik, "%s", msg)
			continue
		}
		if slices.Contains(out, item.Value) {
			errs.add(item.Line, ik, "%q is listed twice", item.Value)
			continue
		}
		out = append(out, item.Value)
	}
	return out
}

// entryKind describes one kind of entry of clerk-mcp.yaml (tools, prompts,
// resources): its key, the package its handlers live in, and the Go names
// each entry's handler file declares.
type entryKind struct {
	key      string // "tools"
	singular string // "tool"
	keys     string // the keys an entry has, for errors
	dir      string // the package directory of the handlers
	// suffixes are appended to an entry's identifier to give the Go names
	// its handler file declares ("" is the handler itself).
	suffixes []string
	// reserved are identifiers and file base names (lower case) of the
	// package that handlers must not take.
	reservedIdents, reservedFiles map[string]bool
	fileSuffix                    string // for a file base that would be special (ToolFileBase)
}

var (
	toolKind = &entryKind{key: "tools", singular: "tool", keys: "name, description and scopes", dir: "tools",
		suffixes: []string{"", "Input", "Output"}, reservedIdents: setOf("Deps"), reservedFiles: setOf("deps"), fileSuffix: "_tool"}
	promptKind = &entryKind{key: "prompts", singular: "prompt", keys: "name, description and scopes", dir: "prompts",
		suffixes: []string{""}, reservedIdents: setOf("Complete"), reservedFiles: setOf("prompts"), fileSuffix: "_prompt"}
	resourceKind = &entryKind{key: "resources", singular: "resource", keys: "name, uri, description, mimeType and scopes", dir: "resources",
		suffixes: []string{""}, reservedIdents: setOf("Complete"), reservedFiles: setOf("resources"), fileSuffix: "_resource"}
)

// entryItems reads a list of entries, each a mapping: it reports an item
// that is not one, keys given twice and unknown keys, and calls field for
// every other key. It returns one index per item read (into v.Content).
func entryItems(errs *configErrors, v *yaml.Node, kind *entryKind, known []string, begin func(), field func(ik, key string, val *yaml.Node)) []int {
	if v.Kind != yaml.SequenceNode {
		errs.add(v.Line, kind.key, "must be a list of %ss, each a mapping with %s", kind.singular, kind.keys)
		return nil
	}
	var read []int
	for i, item := range v.Content {
		ik := fmt.Sprintf("%s[%d]", kind.key, i)
		if item.Kind != yaml.MappingNode {
			errs.add(item.Line, ik, "must be a mapping with %s", kind.keys)
			continue
		}
		begin()
		seen := map[string]bool{}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, val := item.Content[j], item.Content[j+1]
			if seen[k.Value] {
				errs.add(k.Line, ik+"."+k.Value, "appears twice in this %s; keep one", kind.singular)
				continue
			}
			seen[k.Value] = true
			if !slices.Contains(known, k.Value) {
				errs.add(k.Line, ik+"."+k.Value, "unknown key; a %s has %s", kind.singular, kind.keys)
				continue
			}
			field(ik, k.Value, val)
		}
		if !seen["name"] {
			errs.add(item.Line, ik+".name", "missing")
		}
		if kind == resourceKind && !seen["uri"] {
			errs.add(item.Line, ik+".uri", "missing; give the resource's URI, such as notes://index")
		}
		read = append(read, i)
	}
	return read
}

// entryName reads an entry's name, checked by validate.
func entryName(errs *configErrors, ik string, val *yaml.Node, validate func(string) error) string {
	s, ok := scalarString(errs, ik+".name", val)
	if ok {
		if err := validate(s); err != nil {
			errs.add(val.Line, ik+".name", "%v", err)
		}
	}
	return s
}

// entryScopes reads an entry's scopes list.
func entryScopes(errs *configErrors, ik string, val *yaml.Node) []string {
	return stringList(errs, ik+".scopes", val, scopeProblem)
}

// reportSet locates a set error (a duplicate or clash) at the later entry.
func reportSet(errs *configErrors, v *yaml.Node, kind *entryKind, index []int, err error, field string) {
	var se *setError
	if errors.As(err, &se) {
		i := index[se.index]
		errs.add(v.Content[i].Line, fmt.Sprintf("%s[%d].%s", kind.key, i, field), "%s", se.msg)
	}
}

func parseTools(errs *configErrors, v *yaml.Node) []Tool {
	tools := []Tool{}
	index := entryItems(errs, v, toolKind, []string{"name", "description", "scopes"}, func() { tools = append(tools, Tool{}) }, func(ik, key string, val *yaml.Node) {
		t := &tools[len(tools)-1]
		switch key {
		case "name":
			t.Name = entryName(errs, ik, val, ValidateToolName)
		case "description":
			t.Description, _ = scalarString(errs, ik+".description", val)
		case "scopes":
			t.Scopes = entryScopes(errs, ik, val)
		}
	})
	reportSet(errs, v, toolKind, index, checkToolSet(tools), "name")
	return tools
}

func parsePrompts(errs *configErrors, v *yaml.Node) []Prompt {
	prompts := []Prompt{}
	index := entryItems(errs, v, promptKind, []string{"name", "description", "scopes"}, func() { prompts = append(prompts, Prompt{}) }, func(ik, key string, val *yaml.Node) {
		p := &prompts[len(prompts)-1]
		switch key {
		case "name":
			p.Name = entryName(errs, ik, val, ValidatePromptName)
		case "description":
			p.Description, _ = scalarString(errs, ik+".description", val)
		case "scopes":
			p.Scopes = entryScopes(errs, ik, val)
		}
	})
	reportSet(errs, v, promptKind, index, checkPromptSet(prompts), "name")
	return prompts
}

func parseResources(errs *configErrors, v *yaml.Node) []Resource {
	resources := []Resource{}
	index := entryItems(errs, v, resourceKind, []string{"name", "uri", "description", "mimeType", "scopes"}, func() { resources = append(resources, Resource{}) }, func(ik, key string, val *yaml.Node) {
		r := &resources[len(resources)-1]
		switch key {
		case "name":
			r.Name = entryName(errs, ik, val, ValidateResourceName)
		case "uri":
			if s, ok := scalarString(errs, ik+".uri", val); ok {
				if err := ValidateResourceURI(s); err != nil {
					errs.add(val.Line, ik+".uri", "%v", err)
				}
				r.URI = s
			}
		case "description":
			r.Description, _ = scalarString(errs, ik+".description", val)
		case "mimeType":
			if s, ok := scalarString(errs, ik+".mimeType", val); ok {
				if err := ValidateMIMEType(s); err != nil {
					errs.add(val.Line, ik+".mimeType", "%v", err)
				}
				r.MIMEType = s
			}
		case "scopes":
			r.Scopes = entryScopes(errs, ik, val)
		}
	})
	var se *setError
	if err := checkResourceSet(resources); errors.As(err, &se) {
		field := "name"
		if se.uri {
			field = "uri"
		}
		i := index[se.index]
		errs.add(v.Content[i].Line, fmt.Sprintf("resources[%d].%s", i, field), "%s", se.msg)
	}
	return resources
}

type setError struct {
	index int
	msg   string
	uri   bool // the URI is the problem, not the name
}

func (e *setError) Error() string { return e.msg }

// checkNames refuses duplicate names within a kind and names that derive
// the same Go identifier or file name in the kind's package.
func checkNames(kind *entryKind, names []string) error {
	idents := map[string]string{}
	files := map[string]string{}
	pkg := "the " + kind.dir + " package"
	for name := range kind.reservedIdents {
		idents[name] = pkg
	}
	for name := range kind.reservedFiles {
		files[name] = pkg
	}
	owner := func(o string) string {
		if o == pkg {
			return o
		}
		return fmt.Sprintf("%s %q", kind.singular, o)
	}
	for i, name := range names {
		if name == "" || validateName(kind.singular, name) != nil {
			continue
		}
		id := ToolIdent(name)
		for _, suffix := range kind.suffixes {
			if other, ok := idents[id+suffix]; ok {
				if other == name {
					return &setError{index: i, msg: fmt.Sprintf("%s %q is listed twice", kind.singular, name)}
				}
				return &setError{index: i, msg: fmt.Sprintf("%s %q clashes with %s: both need the Go name %s; rename one", kind.singular, name, owner(other), id+suffix)}
			}
		}
		file := strings.ToLower(fileBase(name, kind.fileSuffix))
		if other, ok := files[file]; ok {
			return &setError{index: i, msg: fmt.Sprintf("%s %q clashes with %s: both need the file %s/%s.go; rename one", kind.singular, name, owner(other), kind.dir, file)}
		}
		for _, suffix := range kind.suffixes {
			idents[id+suffix] = name
		}
		files[file] = name
	}
	return nil
}

// checkToolSet refuses duplicate tool names and names that derive the same
// Go identifier or file name.
func checkToolSet(tools []Tool) error {
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.Name
	}
	return checkNames(toolKind, names)
}

// checkPromptSet does the same for prompts.
func checkPromptSet(prompts []Prompt) error {
	names := make([]string, len(prompts))
	for i, p := range prompts {
		names[i] = p.Name
	}
	return checkNames(promptKind, names)
}

// checkResourceSet does the same for resources, and refuses a URI listed
// twice (the later would replace the earlier in the server).
func checkResourceSet(resources []Resource) error {
	names := make([]string, len(resources))
	for i, r := range resources {
		names[i] = r.Name
	}
	if err := checkNames(resourceKind, names); err != nil {
		return err
	}
	uris := map[string]string{}
	for i, r := range resources {
		if r.URI == "" {
			continue
		}
		if other, ok := uris[r.URI]; ok {
			return &setError{index: i, uri: true, msg: fmt.Sprintf("resource %q has the URI %s of resource %q; each resource needs its own URI", r.Name, r.URI, other)}
		}
		uris[r.URI] = r.Name
	}
	return nil
}

func checkScopes(scopes []string) []error {
	var errs []error
	for _, s := range scopes {
		if err := ValidateScope(s); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Validate checks the config as a whole, as ParseConfig does for a file.
func (c *Config) Validate() error {
	var errs []error
	if c.Version != ConfigVersion {
		errs = append(errs, fmt.Errorf("version %d is not supported (this create-clerk-mcp reads version %d)", c.Version, ConfigVersion))
	}
	if err := ValidateProjectName(c.Name); err != nil {
		errs = append(errs, err)
	}
	if err := ValidateModulePath(c.Module); err != nil {
		errs = append(errs, err)
	}
	if len(c.Transports) == 0 {
		errs = append(errs, fmt.Errorf("no transport: enable %s, %s or both", TransportStreamable, TransportSSE))
	}
	for _, t := range c.Transports {
		if t != TransportStreamable && t != TransportSSE {
			errs = append(errs, fmt.Errorf("%q is not a transport; use %s or %s", t, TransportStreamable, TransportSSE))
		}
	}
	if c.Sessions != SessionsStateless && c.Sessions != SessionsStateful {
		errs = append(errs, fmt.Errorf("%q is not a session mode; use %s or %s", c.Sessions, SessionsStateless, SessionsStateful))
	}
	for _, sc := range append(slices.Clone(c.Scopes), c.RequiredScopes...) {
		if err := ValidateScope(sc); err != nil {
			errs = append(errs, err)
		}
	}
	for _, r := range c.RequiredScopes {
		if !slices.Contains(c.Scopes, r) {
			errs = append(errs, fmt.Errorf("required scope %q is not in scopes; list it there too", r))
		}
	}
	for _, r := range c.PublicRoutes {
		if err := mcpserver.CheckPublicRoute(r); err != nil {
			errs = append(errs, err)
		}
	}
	for _, o := range c.AllowedOrigins {
		if err := ValidateOrigin(o); err != nil {
			errs = append(errs, err)
		}
	}
	for _, t := range c.Tools {
		if err := ValidateToolName(t.Name); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, checkScopes(t.Scopes)...)
	}
	for _, p := range c.Prompts {
		if err := ValidatePromptName(p.Name); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, checkScopes(p.Scopes)...)
	}
	for _, r := range c.Resources {
		if err := ValidateResourceName(r.Name); err != nil {
			errs = append(errs, err)
		}
		if err := ValidateResourceURI(r.URI); err != nil {
			errs = append(errs, err)
		}
		if r.MIMEType != "" {
			if err := ValidateMIMEType(r.MIMEType); err != nil {
				errs = append(errs, err)
			}
		}
		errs = append(errs, checkScopes(r.Scopes)...)
	}
	for _, err := range []error{checkToolSet(c.Tools), checkPromptSet(c.Prompts), checkResourceSet(c.Resources)} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ValidateModulePath checks a Go module path: one go mod init accepts and
// a project can build with. Refused besides malformed paths: a first
// element without a dot that is a standard-library package (the module's
// packages would be ambiguous with it) or a word the go command reserves,
// a vendor element, and an element starting with "~".
func ValidateModulePath(p string) error {
	if err := module.CheckImportPath(p); err != nil {
		return fmt.Errorf("invalid module path %q: %v (use a path such as github.com/you/myapp)", p, strings.TrimPrefix(err.Error(), "malformed import path "+strconv.Quote(p)+": "))
	}
	elems := strings.Split(p, "/")
	first, last := elems[0], elems[len(elems)-1]
	if !strings.Contains(first, ".") {
		switch {
		case stdTopLevel[first]:
			return fmt.Errorf("invalid module path %q: %s is a standard-library package, so the project would not build (use a path such as example.com/you/%s)", p, first, last)
		case goReserved[first]:
			return fmt.Errorf("invalid module path %q: %q is reserved by the go command, so the project would not build (use a path such as example.com/you/%s)", p, first, last)
		}
	}
	for _, e := range elems {
		if e == "vendor" {
			return fmt.Errorf("invalid module path %q: the element vendor is reserved for vendored packages, so the project would not build (use a path without it)", p)
		}
		if strings.HasPrefix(e, "~") {
			return fmt.Errorf("invalid module path %q: the go command refuses directories whose name starts with ~ (use a path without it)", p)
		}
	}
	return nil
}

// stdTopLevel are the first elements of the standard library's import
// paths (go list std | cut -d/ -f1 | sort -u, Go 1.26).
var stdTopLevel = setOf("archive", "bufio", "builtin", "bytes", "cmp", "compress", "container", "context", "crypto",
	"database", "debug", "embed", "encoding", "errors", "expvar", "flag", "fmt", "go", "hash", "html", "image",
	"index", "internal", "io", "iter", "log", "maps", "math", "mime", "net", "os", "path", "plugin", "reflect",
	"regexp", "runtime", "slices", "sort", "strconv", "strings", "structs", "sync", "syscall", "testing", "text",
	"time", "unicode", "unique", "unsafe", "vendor", "weak")

// goReserved are package patterns and module paths with a meaning of their
// own to the go command (go help packages; toolchain module names).
var goReserved = setOf("all", "cmd", "go", "std", "tool", "toolchain", "work")

// ValidateScope checks an OAuth scope: a scope-token of RFC 6749 §3.3,
// printable ASCII other than space, '"' and '\'.
func ValidateScope(s string) error {
	if msg := scopeProblem(s); msg != "" {
		return errors.New(msg)
	}
	return nil
}

func scopeProblem(s string) string {
	ok := s != ""
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			ok = false
		}
	}
	if !ok {
		return fmt.Sprintf("%q is not a scope: scopes are single words such as profile (printable ASCII, no spaces, quotes or backslashes)", s)
	}
	return ""
}

// ValidateOrigin checks an allowedOrigins entry: "*", or an origin such as
// https://app.example.com.
func ValidateOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q is not an origin: use scheme and host only, such as https://app.example.com, or \"*\"", o)
	}
	return nil
}

// MarshalConfig renders cfg as a commented clerk-mcp.yaml.
func MarshalConfig(cfg *Config) ([]byte, error) {
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	list := func(items []string) *yaml.Node {
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, s := range items {
			n.Content = append(n.Content, str(s))
		}
		return n
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	add := func(comment, key string, v *yaml.Node) {
		k := str(key)
		k.HeadComment = comment
		root.Content = append(root.Content, k, v)
	}
	add("clerk-mcp.yaml describes this MCP server to create-clerk-mcp.\n"+
		"Edit it, then run `create-clerk-mcp regenerate` to update the generated files.",
		"version", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(cfg.Version)})
	add("", "name", str(cfg.Name))
	add("", "module", str(cfg.Module))
	add("Transports: streamable-http serves /mcp; add sse to serve /sse for clients that predate it\n(HTTP+SSE is deprecated since MCP 2025-03-26).", "transports", list(cfg.Transports))
	if !cfg.SessionsImplied {
		add("Sessions on /mcp: stateless (any replica serves any request; MCP 2026-07-28 and older)\n"+
			"or stateful (sessions in this process, for server-to-client requests; one replica or sticky routing).", "sessions", str(cfg.Sessions))
	}
	add("OAuth scopes advertised in the protected-resource metadata.", "scopes", list(cfg.Scopes))
	if len(cfg.RequiredScopes) > 0 {
		add("Scopes every token must carry (403 insufficient_scope otherwise).", "requiredScopes", list(cfg.RequiredScopes))
	}
	add("Paths (\"/about\") or prefixes (\"/docs/*\") served without a token, besides the built-in public routes.", "publicRoutes", list(cfg.PublicRoutes))
	add("Browser origins allowed on /mcp and /sse besides PUBLIC_URL's own; [\"*\"] allows all.", "allowedOrigins", list(cfg.AllowedOrigins))
	entries := func(items [][]*yaml.Node) *yaml.Node {
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if len(items) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, content := range items {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: content})
		}
		return n
	}
	var tools, prompts, resources [][]*yaml.Node
	for _, t := range cfg.Tools {
		tools = append(tools, entryNodes(t.Name, "", t.Description, "", t.Scopes))
	}
	for _, p := range cfg.Prompts {
		prompts = append(prompts, entryNodes(p.Name, "", p.Description, "", p.Scopes))
	}
	for _, r := range cfg.Resources {
		resources = append(resources, entryNodes(r.Name, r.URI, r.Description, r.MIMEType, r.Scopes))
	}
	add("MCP tools. Add one with `create-clerk-mcp add-tool NAME`.", "tools", entries(tools))
	add("MCP prompts. Add one with `create-clerk-mcp add-prompt NAME`. On a tool, prompt or resource,\n"+
		"scopes: [...] lists the scopes a token needs to use it (403 insufficient_scope otherwise).", "prompts", entries(prompts))
	add("MCP resources. Add one with `create-clerk-mcp add-resource NAME --uri URI`; a URI with {...}\n"+
		"(RFC 6570, such as notes://{id}) is a resource template.", "resources", entries(resources))

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// entryNodes are the keys and values of a tools, prompts or resources
// entry, in the order clerk-mcp.yaml lists them: name, uri (resources),
// description, mimeType (when set) and scopes (when any).
func entryNodes(name, uri, description, mimeType string, scopes []string) []*yaml.Node {
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	out := []*yaml.Node{str("name"), str(name)}
	if uri != "" {
		out = append(out, str("uri"), str(uri))
	}
	out = append(out, str("description"), str(description))
	if mimeType != "" {
		out = append(out, str("mimeType"), str(mimeType))
	}
	if len(scopes) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, s := range scopes {
			list.Content = append(list.Content, str(s))
		}
		out = append(out, str("scopes"), list)
	}
	return out
}
