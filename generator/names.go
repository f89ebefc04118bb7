package generator

import (
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/yosida95/uritemplate/v3"
)

var (
	projectNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	toolNameRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)
)

// ValidateProjectName checks a project name: lower-case letters, digits and
// "-", starting with a letter, at most 64 characters.
func ValidateProjectName(name string) error {
	if name == "" {
		return fmt.Errorf("project name is empty; give one such as my-mcp-server")
	}
	if len(name) > 64 || !projectNameRE.MatchString(name) {
		return fmt.Errorf("invalid project name %q: use lower-case letters, digits and '-', starting with a letter (such as my-mcp-server)", name)
	}
	if windowsReserved[name] {
		return fmt.Errorf("invalid project name %q: it is a reserved device name on Windows, so the directory could not be made there; choose another name", name)
	}
	return nil
}

// windowsReserved are the device names Windows reserves, with or without
// an extension, in any case.
var windowsReserved = setOf("con", "prn", "aux", "nul",
	"com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
	"lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9")

// ValidateToolName checks an MCP tool name: 1 to 64 characters of A-Z a-z
// 0-9 _ - . starting with a letter.
func ValidateToolName(name string) error { return validateName("tool", name) }

// ValidatePromptName checks an MCP prompt name: the tool-name rules.
func ValidatePromptName(name string) error { return validateName("prompt", name) }

// ValidateResourceName checks an MCP resource name: the tool-name rules.
func ValidateResourceName(name string) error { return validateName("resource", name) }

var nameExamples = map[string]string{"tool": "search-notes", "prompt": "summarize-notes", "resource": "notes-index"}

func validateName(kind, name string) error {
	if !toolNameRE.MatchString(name) {
		return fmt.Errorf("invalid %s name %q: use 1 to 64 letters, digits, '_', '-' or '.', starting with a letter (such as %s)", kind, name, nameExamples[kind])
	}
	return nil
}

// ToolIdent derives the Go identifier of a tool's handler from its name:
// the parts between '-', '_' and '.' are capitalised and joined, so
// "search-notes" becomes "SearchNotes" and "get.v2_data" "GetV2Data".
func ToolIdent(name string) string {
	var b strings.Builder
	for _, part := range splitToolName(name) {
		r := []rune(part)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// ToolFileBase derives the base name (without ".go") of a tool's handler
// file: the parts of the name in lower case joined by '_'. A name whose
// file would be a test file or build-constrained ("x_test", "x-linux"), or
// a device name Windows reserves ("aux", "con"), gets "_tool" appended.
func ToolFileBase(name string) string { return fileBase(name, "_tool") }

// PromptFileBase is ToolFileBase for a prompt's handler file ("_prompt"
// appended where ToolFileBase appends "_tool").
func PromptFileBase(name string) string { return fileBase(name, "_prompt") }

// ResourceFileBase is ToolFileBase for a resource's handler file.
func ResourceFileBase(name string) string { return fileBase(name, "_resource") }

func fileBase(name, suffix string) string {
	parts := splitToolName(name)
	for i := range parts {
		parts[i] = strings.ToLower(parts[i])
	}
	base := strings.Join(parts, "_")
	last := parts[len(parts)-1]
	if len(parts) > 1 && (last == "test" || knownOS[last] || knownArch[last]) || windowsReserved[base] {
		base += suffix
	}
	return base
}

func splitToolName(name string) []string {
	return strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
}

// Go's file-name build constraints (go/build's knownOS and knownArch).
var knownOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
	"linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos")

var knownArch = setOf("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips",
	"mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv",
	"riscv64", "s390", "s390x", "sparc", "sparc64", "wasm")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// ToolFile is the path of a tool's handler file in a project.
func ToolFile(name string) string { return "tools/" + ToolFileBase(name) + ".go" }

// PromptFile is the path of a prompt's handler file in a project.
func PromptFile(name string) string { return "prompts/" + PromptFileBase(name) + ".go" }

// ResourceFile is the path of a resource's handler file in a project.
func ResourceFile(name string) string { return "resources/" + ResourceFileBase(name) + ".go" }

var uriSchemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// ValidateResourceURI checks a resource's URI: an absolute URI with a
// scheme (notes://index, https://example.com/x), or, when it has {...}
// expressions, an RFC 6570 URI template whose scheme is literal
// (notes://{id}), which registers a resource template.
func ValidateResourceURI(uri string) error {
	const hint = "use an absolute URI with a scheme, such as notes://index, or a URI template such as notes://{id}"
	if uri == "" {
		return fmt.Errorf("the resource URI is empty; %s", hint)
	}
	for _, r := range uri {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("invalid resource URI %q: it has a space or control character; %s", uri, hint)
		}
	}
	if !uriSchemeRE.MatchString(uri) {
		return fmt.Errorf("invalid resource URI %q: it has no scheme; %s", uri, hint)
	}
	if strings.ContainsAny(uri, "{}") {
		if _, err := uritemplate.New(uri); err != nil {
			return fmt.Errorf("invalid resource URI template %q: %v (RFC 6570: expressions such as {id} or {+path})", uri, err)
		}
		return nil
	}
	if _, err := url.Parse(uri); err != nil {
		return fmt.Errorf("invalid resource URI %q: %v; %s", uri, strings.TrimPrefix(err.Error(), "parse "+strconv.Quote(uri)+": "), hint)
	}
	return nil
}

// ValidateMIMEType checks a resource's mimeType: a media type such as
// text/plain or application/json; charset=utf-8.
func ValidateMIMEType(t string) error {
	if _, _, err := mime.ParseMediaType(t); err != nil || !strings.Contains(strings.SplitN(t, ";", 2)[0], "/") {
		return fmt.Errorf("invalid MIME type %q: use a media type such as text/plain or application/json", t)
	}
	return nil
}
