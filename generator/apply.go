package generator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ManifestFile records the generated files of a project as last written.
const ManifestFile = ".clerk-mcp-manifest.json"

// Manifest maps each generated file to the hash of its content as written,
// which is how a hand edit is told from a stale render.
type Manifest struct {
	Generator string            `json:"generator"`
	Files     map[string]string `json:"files"`
}

// ReadManifest reads root's manifest; a missing one is empty.
func ReadManifest(root string) (*Manifest, error) {
	m := &Manifest{Files: map[string]string{}}
	b, err := os.ReadFile(filepath.Join(root, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v); delete it and run regenerate --force to rebuild it", ManifestFile, err)
	}
	if m.Files == nil {
		m.Files = map[string]string{}
	}
	return m, nil
}

func (m *Manifest) encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Apply carries out a plan: every new or changed file is first written to a
// temporary file beside its target and only then renamed into place, so a
// failure part-way leaves no file half-written and, before the renames,
// nothing changed at all. Removed generated files go last, then the
// manifest. A plan with conflicts is refused whole.
func Apply(p *Plan) error {
	if conflicts := p.Conflicts(); len(conflicts) > 0 {
		return &ConflictError{Changes: conflicts}
	}
	type staged struct{ tmp, dst string }
	var stagedFiles []staged
	var createdDirs []string
	cleanup := func() {
		for _, s := range stagedFiles {
			os.Remove(s.tmp)
		}
		for i := len(createdDirs) - 1; i >= 0; i-- {
			os.Remove(createdDirs[i])
		}
	}
	stage := func(rel string, data []byte) error {
		dst := filepath.Join(p.Root, filepath.FromSlash(rel))
		dirs, err := mkdirAll(filepath.Dir(dst))
		createdDirs = append(createdDirs, dirs...)
		if err != nil {
			return err
		}
		f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
		if err != nil {
			return err
		}
		stagedFiles = append(stagedFiles, staged{f.Name(), dst})
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		if err := f.Chmod(0o644); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}

	for _, c := range p.Changes {
		if c.Action == Create || c.Action == Update {
			if err := stage(c.Path, c.New); err != nil {
				cleanup()
				return err
			}
		}
	}
	manifest, err := p.Manifest.encode()
	if err == nil && p.Pending() {
		err = stage(ManifestFile, manifest)
	}
	if err != nil {
		cleanup()
		return err
	}
	for i, s := range stagedFiles {
		if err := os.Rename(s.tmp, s.dst); err != nil {
			for _, rest := range stagedFiles[i:] {
				os.Remove(rest.tmp)
			}
			return err
		}
	}
	for _, c := range p.Changes {
		if c.Action == Remove {
			dst := filepath.Join(p.Root, filepath.FromSlash(c.Path))
			if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			removeEmptyParents(p.Root, filepath.Dir(dst))
		}
	}
	return nil
}

// mkdirAll creates dir and its missing parents, returning those it created
// (outermost first).
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	sort.Slice(missing, func(i, j int) bool { return len(missing[i]) < len(missing[j]) })
	var created []string
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return created, err
		}
		created = append(created, d)
	}
	return created, nil
}

// removeEmptyParents removes dir and its parents up to root while empty.
func removeEmptyParents(root, dir string) {
	root = filepath.Clean(root)
	for dir = filepath.Clean(dir); dir != root && strings.HasPrefix(dir, root+string(filepath.Separator)); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			return
		}
	}
}
