package generator

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
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
func ValidateToolName(name string) error {
	if !toolNameRE.MatchString(name) {
		return fmt.Errorf("invalid tool name %q: use 1 to 64 letters, digits, '_', '-' or '.', starting with a letter (such as search-notes)", name)
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
func ToolFileBase(name string) string {
	parts := splitToolName(name)
	for i := range parts {
		parts[i] = strings.ToLower(parts[i])
	}
	base := strings.Join(parts, "_")
	last := parts[len(parts)-1]
	if len(parts) > 1 && (last == "test" || knownOS[last] || knownArch[last]) || windowsReserved[base] {
		base += "_tool"
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

// reservedIdents are identifiers of the tools package that tool handlers
// must not take.
var reservedIdents = setOf("Deps")

// reservedFiles are file base names (lower case) in the tools package that
// tool handler files must not take.
var reservedFiles = setOf("deps")

// ToolFile is the path of a tool's handler file in a project.
func ToolFile(name string) string { return "tools/" + ToolFileBase(name) + ".go" }
