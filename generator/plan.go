package generator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// Action is what applying a plan does to one path.
type Action string

const (
	Create    Action = "create"    // the file does not exist; write it
	Update    Action = "update"    // a generated file is out of date; rewrite it
	Identical Action = "identical" // the file already has the rendered content
	Skip      Action = "skip"      // the file is the user's; leave it alone
	Conflict  Action = "conflict"  // writing would destroy the user's edits
	Remove    Action = "remove"    // a generated file the config no longer produces
)

// Change is the plan for one path.
type Change struct {
	Path   string
	Action Action
	Tier   Tier
	Old    []byte // the file on disk, if any
	New    []byte // the rendered file; nil for Remove
	Reason string // why, for conflicts and skips
}

// Plan is what applying a render to a directory would do, path by path,
// sorted by path.
type Plan struct {
	Root    string
	Changes []*Change
	// Manifest is the manifest to write after applying.
	Manifest *Manifest
}

// PlanOptions tune planning.
type PlanOptions struct {
	// NewProject plans a `new`: every existing file that differs from the
	// render is a conflict, whatever its tier, and Force does not change
	// that (new never overwrites anything).
	NewProject bool
	// Force turns conflicts over hand-edited generated files into updates
	// (and removals).
	Force bool
}

// MakePlan compares the rendered files with the directory root and its
// manifest. It reads but never writes.
func MakePlan(root string, files []*File, opts PlanOptions) (*Plan, error) {
	old, err := ReadManifest(root)
	if err != nil {
		return nil, err
	}
	plan := &Plan{Root: root, Manifest: &Manifest{Generator: Version, Files: map[string]string{}}}
	rendered := map[string]bool{}
	for _, f := range files {
		rendered[f.Path] = true
		disk, err := readIfExists(filepath.Join(root, filepath.FromSlash(f.Path)))
		if err != nil {
			return nil, err
		}
		c := &Change{Path: f.Path, Tier: f.Tier, Old: disk, New: f.Data}
		switch {
		case disk == nil:
			c.Action = Create
		case bytes.Equal(disk, f.Data):
			c.Action = Identical
		case opts.NewProject:
			c.Action, c.Reason = Conflict, "exists with other content"
		case f.Tier == UserOwned && f.Path == "go.mod":
			// go.mod is the user's, but the generated code needs its
			// dependencies: add or raise just those requirements.
			c.Action, c.Reason = Skip, "user-owned"
			if edited, added, err := requireDeps(disk); err != nil {
				return nil, err
			} else if len(added) > 0 {
				c.Action, c.New, c.Reason = Update, edited, "requires "+strings.Join(added, ", ")
			}
		case f.Tier == UserOwned:
			c.Action, c.Reason = Skip, "user-owned"
		case f.Tier == ConfigFileTier:
			c.Action = Update
		case old.Files[f.Path] == hashOf(disk):
			c.Action = Update
		case opts.Force:
			c.Action, c.Reason = Update, "edited by hand; overwritten (--force)"
		default:
			c.Action, c.Reason = Conflict, "generated file edited by hand"
		}
		if f.Tier == Generated {
			plan.Manifest.Files[f.Path] = hashOf(f.Data)
		}
		plan.Changes = append(plan.Changes, c)
	}
	if !opts.NewProject {
		for p, hash := range old.Files {
			if rendered[p] {
				continue
			}
			disk, err := readIfExists(filepath.Join(root, filepath.FromSlash(p)))
			if err != nil {
				return nil, err
			}
			switch {
			case disk == nil:
				continue
			case hashOf(disk) == hash:
				plan.Changes = append(plan.Changes, &Change{Path: p, Action: Remove, Tier: Generated, Old: disk})
			case opts.Force:
				plan.Changes = append(plan.Changes, &Change{Path: p, Action: Remove, Tier: Generated, Old: disk, Reason: "edited by hand; removed (--force)"})
			default:
				plan.Changes = append(plan.Changes, &Change{Path: p, Action: Conflict, Tier: Generated, Old: disk, Reason: "no longer generated, but edited by hand"})
			}
		}
	}
	slices.SortFunc(plan.Changes, func(a, b *Change) int { return strings.Compare(a.Path, b.Path) })
	return plan, nil
}

// Conflicts returns the changes that stop the plan from being applied.
func (p *Plan) Conflicts() []*Change {
	var out []*Change
	for _, c := range p.Changes {
		if c.Action == Conflict {
			out = append(out, c)
		}
	}
	return out
}

// Pending reports whether applying the plan would change anything on disk.
func (p *Plan) Pending() bool {
	for _, c := range p.Changes {
		if c.Action != Identical && c.Action != Skip {
			return true
		}
	}
	return false
}

// ConflictError lists the paths that stop a plan.
type ConflictError struct{ Changes []*Change }

func (e *ConflictError) Error() string {
	paths := make([]string, len(e.Changes))
	for i, c := range e.Changes {
		paths[i] = c.Path + " (" + c.Reason + ")"
	}
	return fmt.Sprintf("%d file(s) would be overwritten: %s", len(e.Changes), strings.Join(paths, ", "))
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func readIfExists(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "is a directory") {
			return nil, fmt.Errorf("%s is a directory, but a file goes there; move it away", p)
		}
		return nil, err
	}
	return b, nil
}

// requireDeps adds to a go.mod the requirements of the generated code that
// it lacks or has at an older version, editing it with x/mod/modfile. It
// returns the new file and what it added ("path@version").
func requireDeps(gomod []byte) ([]byte, []string, error) {
	mf, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("go.mod: %v; fix it so the dependencies can be checked", err)
	}
	have := map[string]string{}
	for _, r := range mf.Require {
		have[r.Mod.Path] = r.Mod.Version
	}
	var added []string
	for _, d := range projectDeps {
		if v, ok := have[d.Path]; ok && semver.Compare(v, d.Version) >= 0 {
			continue
		}
		if err := mf.AddRequire(d.Path, d.Version); err != nil {
			return nil, nil, err
		}
		added = append(added, d.Path+"@"+d.Version)
	}
	if len(added) == 0 {
		return gomod, nil, nil
	}
	mf.Cleanup()
	out, err := mf.Format()
	return out, added, err
}
