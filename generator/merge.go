package generator

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// merge3 merges two lines of change to base, the user's file (ours) and
// the new render (theirs), with git merge-file: git's own three-way merge
// (xdiff), so create-clerk-mcp merges exactly as git does and no line
// diff is hand-rolled here. All three are taken with LF line endings. On
// overlapping edits conflicted is true and merged holds the file with
// git-style conflict markers.
func merge3(ours, base, theirs []byte) (merged []byte, conflicted bool, err error) {
	git, err := exec.LookPath("git")
	if err != nil {
		return nil, false, errors.New("git is needed to merge it and was not found on PATH")
	}
	dir, err := os.MkdirTemp("", "clerk-mcp-merge-")
	if err != nil {
		return nil, false, err
	}
	defer os.RemoveAll(dir)
	names := []string{"yours", "base", "new"}
	for i, b := range [][]byte{ours, base, theirs} {
		if err := os.WriteFile(filepath.Join(dir, names[i]), normalizeEOL(b), 0o600); err != nil {
			return nil, false, err
		}
	}
	// Labels name the sides in conflict markers; the config is pinned
	// (no system or global git config) so every machine merges alike.
	cmd := exec.Command(git, "-c", "merge.conflictStyle=merge", "merge-file", "-p",
		"-L", "yours", "-L", "base", "-L", "create-clerk-mcp "+Version,
		"yours", "base", "new")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.Bytes(), false, nil
	case errors.As(err, &exit) && exit.ExitCode() > 0 && exit.ExitCode() < 128:
		// The exit code is the number of conflicts.
		return stdout.Bytes(), true, nil
	default:
		return nil, false, fmt.Errorf("git merge-file failed (%v: %s)", err, bytes.TrimSpace(stderr.Bytes()))
	}
}
