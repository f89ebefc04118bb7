package generator

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// BaseDir keeps, under the project root, the base of the three-way merge
// regenerate does: what create-clerk-mcp last rendered for each user-owned
// file (and the clerk-mcp.yaml it rendered from), as plain files at the
// same paths, committed with the project so upgrades merge without the old
// generator. Generated files need no copy: their base is the hash in the
// manifest (a generated file must equal its base to be rewritten).
//
// Like the manifest, the base arrives in pull requests and is untrusted:
// only paths the render names are read, never through a symlink.
const BaseDir = ".clerk-mcp/base"

// readBase reads the base of the project file p; ok is false when there is
// none.
func readBase(root, p string) (data []byte, ok bool, err error) {
	rel := BaseDir + "/" + p
	d, err := inspect(root, rel)
	if err != nil {
		return nil, false, err
	}
	if d.symlink != "" {
		return nil, false, fmt.Errorf("%s is reached through the symlink %s; the base is plain files only: delete %s and run create-clerk-mcp regenerate to record it again", rel, d.symlink, BaseDir)
	}
	if d.data == nil {
		return nil, false, nil
	}
	return normalizeEOL(d.data), true, nil
}

// staleBase lists the files under BaseDir that the new base does not
// have, to be removed. Nothing is followed through a symlink: a symlinked
// BaseDir (or parent) is an error.
func staleBase(root string, keep map[string][]byte) ([]string, error) {
	for _, dir := range []string{path.Dir(BaseDir), BaseDir} {
		fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			return nil, nil // nothing there yet
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s is not a directory; move it away and run the command again", dir)
		}
	}
	var stale []string
	top := filepath.Join(root, filepath.FromSlash(BaseDir))
	err := filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(top, p)
		if err != nil {
			return err
		}
		if _, ok := keep[filepath.ToSlash(rel)]; !ok {
			stale = append(stale, BaseDir+"/"+filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read %s (%v); fix that and run the command again", BaseDir, pathErrText(err))
	}
	slices.SortFunc(stale, strings.Compare)
	return stale, nil
}
