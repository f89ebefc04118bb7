package generator

import (
	"bytes"
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

// Apply carries out a plan. Every new or changed file is first written to
// a temporary file beside its target; only when all are written are they
// renamed into place, and should a rename fail, those already renamed are
// put back as they were. So a failure leaves the tree as it was found and
// no file half-written. Removed generated files go last. The manifest is
// written whenever it differs from the one on disk. A plan with conflicts
// is refused whole.
func Apply(p *Plan) error {
	if conflicts := p.Conflicts(); len(conflicts) > 0 {
		return &ConflictError{Changes: conflicts}
	}
	type staged struct {
		tmp, dst string
		old      []byte // content before, to put back; nil if the file did not exist
	}
	var stagedFiles []staged
	var createdDirs []string
	removeCreatedDirs := func() {
		for i := len(createdDirs) - 1; i >= 0; i-- {
			os.Remove(createdDirs[i])
		}
	}
	stage := func(rel string, data, old []byte) error {
		dst := filepath.Join(p.Root, filepath.FromSlash(rel))
		dirs, err := mkdirAll(filepath.Dir(dst))
		createdDirs = append(createdDirs, dirs...)
		if err != nil {
			return err
		}
		tmp, err := writeTemp(dst, data)
		if err != nil {
			return err
		}
		stagedFiles = append(stagedFiles, staged{tmp, dst, old})
		return nil
	}
	fail := func(err error) error {
		for _, s := range stagedFiles {
			os.Remove(s.tmp)
		}
		removeCreatedDirs()
		return err
	}

	for _, c := range p.Changes {
		if c.Action == Create || c.Action == Update {
			if err := stage(c.Path, c.New, c.Old); err != nil {
				return fail(err)
			}
		}
	}
	manifest, err := p.Manifest.encode()
	if err != nil {
		return fail(err)
	}
	oldManifest, err := readIfExists(filepath.Join(p.Root, ManifestFile))
	if err != nil {
		return fail(err)
	}
	if !bytes.Equal(manifest, oldManifest) {
		if err := stage(ManifestFile, manifest, oldManifest); err != nil {
			return fail(err)
		}
	}
	// Each existing target is first moved aside (keeping its inode and
	// times), so that undoing puts back the very same file.
	var done []staged
	undo := func(err error) error {
		for i := len(done) - 1; i >= 0; i-- {
			d := done[i]
			if d.old == nil {
				os.Remove(d.dst)
			} else {
				os.Rename(d.tmp+".orig", d.dst)
			}
		}
		stagedFiles = stagedFiles[len(done):]
		return fail(err)
	}
	for _, s := range stagedFiles {
		if s.old != nil {
			if err := os.Rename(s.dst, s.tmp+".orig"); err != nil {
				return undo(err)
			}
		}
		if err := os.Rename(s.tmp, s.dst); err != nil {
			if s.old != nil {
				os.Rename(s.tmp+".orig", s.dst)
			}
			return undo(err)
		}
		done = append(done, s)
	}
	for _, d := range done {
		if d.old != nil {
			os.Remove(d.tmp + ".orig")
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

// writeTemp writes data to a new temporary file beside dst and returns its
// name.
func writeTemp(dst string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
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
