package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// Apply carries out a plan. Every new or changed file is first written to
// a temporary file beside its target; only when all are written are they
// moved into place (a new file never replaces one that appeared since
// planning), and removed files are moved aside. Should any step fail,
// everything done is undone: a failure leaves the tree as it was found, no
// file half-written, and nothing removed that the run did not create. The
// manifest is written whenever it differs from the one on disk. A plan
// with conflicts is refused whole, unless they are written with conflict
// markers. The merge base (BaseDir) is written, and its stale files
// removed, in the same way.
func Apply(p *Plan) error {
	if conflicts := p.Blocking(); len(conflicts) > 0 {
		return &ConflictError{Changes: conflicts}
	}
	type staged struct {
		rel      string // for messages
		tmp, dst string
		existed  bool // something was at dst; moved aside to tmp+".orig" while replacing
		remove   bool // dst is removed rather than replaced
	}
	var stagedFiles []staged
	var createdDirs []string
	fail := func(err error) error {
		for _, s := range stagedFiles {
			if s.tmp != "" {
				os.Remove(s.tmp)
			}
		}
		for i := len(createdDirs) - 1; i >= 0; i-- {
			os.Remove(createdDirs[i])
		}
		return err
	}
	stage := func(rel, dst string, data []byte, existed bool) error {
		dirs, err := mkdirAll(filepath.Dir(dst))
		createdDirs = append(createdDirs, dirs...)
		if err != nil {
			return writeError(rel, err)
		}
		tmp, err := writeTemp(dst, data)
		if err != nil {
			return writeError(rel, err)
		}
		stagedFiles = append(stagedFiles, staged{rel: rel, tmp: tmp, dst: dst, existed: existed})
		return nil
	}

	for _, c := range p.Changes {
		if (c.Action == Create || c.Action == Update || c.Action == Merge || c.Markers) && !c.Tidy {
			dst := c.target
			if dst == "" {
				dst = filepath.Join(p.Root, filepath.FromSlash(c.Path))
			}
			if err := stage(c.Path, dst, c.New, c.Exists); err != nil {
				return fail(err)
			}
		}
	}
	manifest, err := p.Manifest.encode()
	if err != nil {
		return fail(err)
	}
	oldManifest, err := inspect(p.Root, ManifestFile)
	if err != nil {
		return fail(err)
	}
	if !bytes.Equal(manifest, oldManifest.data) {
		if err := stage(ManifestFile, filepath.Join(p.Root, ManifestFile), manifest, oldManifest.exists); err != nil {
			return fail(err)
		}
	}
	var staleBaseFiles []string
	if p.Base != nil {
		// Listed before staging, whose temporary files land there too.
		if staleBaseFiles, err = staleBase(p.Root, p.Base); err != nil {
			return fail(err)
		}
		for _, rel := range slices.Sorted(mapKeys(p.Base)) {
			bp := BaseDir + "/" + rel
			d, err := inspect(p.Root, bp)
			if err != nil {
				return fail(err)
			}
			if d.symlink != "" {
				return fail(fmt.Errorf("%s is reached through the symlink %s; the base is plain files only: delete %s and run the command again", bp, d.symlink, BaseDir))
			}
			if d.data != nil && bytes.Equal(normalizeEOL(d.data), p.Base[rel]) {
				continue
			}
			if err := stage(bp, filepath.Join(p.Root, filepath.FromSlash(bp)), p.Base[rel], d.exists); err != nil {
				return fail(err)
			}
		}
	}
	for _, rel := range staleBaseFiles {
		dst := filepath.Join(p.Root, filepath.FromSlash(rel))
		stagedFiles = append(stagedFiles, staged{rel: rel, tmp: dst + ".clerk-mcp-remove", dst: dst, existed: true, remove: true})
	}
	for _, c := range p.Changes {
		if c.Action != Remove {
			continue
		}
		// Checked again at the last moment: only a generated file, reached
		// without a symlink, is removed.
		d, err := inspect(p.Root, c.Path)
		if err != nil || !d.exists || d.symlink != "" || d.data == nil || !isGeneratedPath(c.Path) || !hasGeneratedHeader(d.data) {
			continue
		}
		dst := filepath.Join(p.Root, filepath.FromSlash(c.Path))
		stagedFiles = append(stagedFiles, staged{rel: c.Path, tmp: dst + ".clerk-mcp-remove", dst: dst, existed: true, remove: true})
	}

	// Each existing target is first moved aside (keeping its inode and
	// times), so that undoing puts back the very same file.
	var done []staged
	undo := func(err error) error {
		for i := len(done) - 1; i >= 0; i-- {
			d := done[i]
			switch {
			case d.remove:
				os.Rename(d.tmp, d.dst)
			case d.existed:
				os.Rename(d.tmp+".orig", d.dst)
			default:
				os.Remove(d.dst) // created by this run
			}
		}
		var rest []staged
		for _, s := range stagedFiles[len(done):] {
			if !s.remove {
				rest = append(rest, s)
			}
		}
		stagedFiles = rest
		return fail(err)
	}
	for _, s := range stagedFiles {
		switch {
		case s.remove:
			if err := os.Rename(s.dst, s.tmp); err != nil {
				return undo(removeError(s.rel, err))
			}
		case s.existed:
			if err := os.Rename(s.dst, s.tmp+".orig"); err != nil {
				return undo(writeError(s.rel, err))
			}
			if err := os.Rename(s.tmp, s.dst); err != nil {
				os.Rename(s.tmp+".orig", s.dst)
				return undo(writeError(s.rel, err))
			}
		default:
			if err := createNoReplace(s.tmp, s.dst); err != nil {
				return undo(writeError(s.rel, err))
			}
		}
		done = append(done, s)
	}
	for _, d := range done {
		switch {
		case d.remove:
			os.Remove(d.tmp)
			removeEmptyParents(p.Root, filepath.Dir(d.dst))
		case d.existed:
			os.Remove(d.tmp + ".orig")
		}
	}
	return nil
}

// createNoReplace moves tmp to dst, failing if anything is at dst (a file
// that appeared since planning is never replaced).
func createNoReplace(tmp, dst string) error {
	err := os.Link(tmp, dst)
	if err == nil {
		os.Remove(tmp)
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s appeared while writing", filepath.Base(dst))
	}
	// No hard links here (some file systems): check, then rename.
	if _, lerr := os.Lstat(dst); lerr == nil {
		return fmt.Errorf("%s appeared while writing", filepath.Base(dst))
	}
	return os.Rename(tmp, dst)
}

func writeError(rel string, err error) error {
	return fmt.Errorf("cannot write %s (%s); nothing was changed: fix that and run the command again", rel, pathErrText(err))
}

func removeError(rel string, err error) error {
	return fmt.Errorf("cannot remove %s (%s); nothing was changed: fix that and run the command again", rel, pathErrText(err))
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

// removeEmptyParents removes dir and its parents below root while empty
// (root itself stays; root may be relative, such as ".").
func removeEmptyParents(root, dir string) {
	for {
		rel, err := filepath.Rel(root, dir)
		if err != nil || rel == "." || !filepath.IsLocal(rel) {
			return
		}
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}
