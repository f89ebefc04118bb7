package generator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ManifestFile records the generated files of a project as last written.
const ManifestFile = ".clerk-mcp-manifest.json"

// Manifest maps each generated file to the hash of its content as written,
// which is how a hand edit is told from a stale render, and lists the
// user-owned files that were scaffolded, which is how a file the user
// deleted is told from one never written.
//
// The manifest is committed with the project, so it arrives in pull
// requests: it is untrusted input. ReadManifest refuses entries that do not
// name a generated file (a .go file under internal/) or a path inside the
// project.
type Manifest struct {
	Generator string            `json:"generator"`
	Files     map[string]string `json:"files"`
	// Scaffolded lists the user-owned files written once (or found) by
	// create-clerk-mcp. Nil in a manifest made before the list existed.
	Scaffolded []string `json:"scaffolded"`
}

// ReadManifest reads root's manifest; a missing one is empty (and has no
// scaffolded record).
func ReadManifest(root string) (*Manifest, error) {
	m := &Manifest{Files: map[string]string{}}
	b, err := os.ReadFile(filepath.Join(root, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s (%v); fix that and run the command again", ManifestFile, pathErrText(err))
	}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v); delete it and run create-clerk-mcp regenerate --force to rebuild it", ManifestFile, err)
	}
	if m.Files == nil {
		m.Files = map[string]string{}
	}
	var errs []error
	for _, p := range slices.Sorted(mapKeys(m.Files)) {
		if !isGeneratedPath(p) {
			errs = append(errs, fmt.Errorf("%s: entry %q is not a generated file of this project (those are .go files under internal/); delete that entry and run the command again", ManifestFile, p))
		}
	}
	for _, p := range m.Scaffolded {
		if !isProjectPath(p) {
			errs = append(errs, fmt.Errorf("%s: scaffolded entry %q is not a path inside the project; delete that entry and run the command again", ManifestFile, p))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// isProjectPath reports whether p is a clean, relative, slash-separated
// path that stays inside the project.
func isProjectPath(p string) bool {
	return p != "" && p != "." && !strings.ContainsAny(p, "\\:\x00") && path.Clean(p) == p &&
		!strings.HasPrefix(p, "/") && p != ".." && !strings.HasPrefix(p, "../") && filepath.IsLocal(filepath.FromSlash(p))
}

// isGeneratedPath reports whether p may name a generated file: the current
// rules generate .go files under internal/ only.
func isGeneratedPath(p string) bool {
	return isProjectPath(p) && strings.HasPrefix(p, "internal/") && strings.HasSuffix(p, ".go")
}

// hasGeneratedHeader reports whether data starts with the generated-code
// header, the other half of what makes a file generated.
func hasGeneratedHeader(data []byte) bool {
	return strings.HasPrefix(string(normalizeEOL(data)), GeneratedHeader+"\n")
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (m *Manifest) encode() ([]byte, error) {
	out := *m
	if out.Scaffolded == nil {
		out.Scaffolded = []string{}
	}
	b, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
