package generator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
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
	Merge     Action = "merge"     // a user-owned file: the user's edits and the new render, merged
)

// Change is the plan for one path.
type Change struct {
	Path   string
	Action Action
	Tier   Tier
	Old    []byte // the file on disk, if any
	New    []byte // the rendered file, in the line-ending style of Old; nil for Remove
	Reason string // why, for conflicts and skips
	// Exists says something (a file, or a symlink even to nothing) was at
	// Path when planned: undoing a failed apply puts back exactly that.
	Exists bool
	// Tidy marks a file that go mod tidy writes (go.sum), not Apply.
	Tidy bool
	// Markers marks a conflict that Apply writes anyway: New is the
	// user's file with git-style conflict markers (--conflict-markers).
	Markers bool
	// target is the file Apply writes, when not Path under the root: the
	// file a symlinked clerk-mcp.yaml points at.
	target string
}

// Plan is what applying a render to a directory would do, path by path,
// sorted by path.
type Plan struct {
	Root    string
	Changes []*Change
	// Manifest is the manifest to write after applying.
	Manifest *Manifest
	// RecordedScaffolded says the project's manifest predates the record
	// of scaffolded files, and the user-owned files there now were taken
	// as scaffolded.
	RecordedScaffolded bool
	// Base is the new merge base (see BaseDir): the render of each
	// user-owned file that is there, and clerk-mcp.yaml, by path. Nil
	// leaves the base on disk alone.
	Base map[string][]byte
	// RecordedBase says user-owned files had no base (the project predates
	// it): their base was recorded from this render, and nothing merged.
	RecordedBase bool
	// PreviousGenerator is the create-clerk-mcp version the manifest says
	// rendered the project last, when that is not this one.
	PreviousGenerator string
}

// Upgrade returns the older create-clerk-mcp version that rendered the
// project last, if this one is newer.
func (p *Plan) Upgrade() (string, bool) {
	v := p.PreviousGenerator
	if v == "" || !semver.IsValid("v"+v) || !semver.IsValid("v"+Version) {
		return "", false
	}
	return v, semver.Compare("v"+v, "v"+Version) < 0
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
	// Scaffold lists user-owned files to create when missing even if the
	// manifest records them as scaffolded before (the handler of a tool
	// being added).
	Scaffold []string
	// ConflictMarkers writes a user-owned file whose edits overlap the
	// new render's with git-style conflict markers, instead of refusing
	// the plan; those changes stay conflicts.
	ConflictMarkers bool
}

// MakePlan compares the rendered files with the directory root and its
// manifest. It reads but never writes.
//
// Files are compared ignoring line-ending style, and a file is rewritten in
// the style it already has. Nothing is written through a symlink, except a
// clerk-mcp.yaml that is one. A user-owned file the manifest records as
// scaffolded stays deleted once the user deleted it (go.mod excepted: the
// project cannot build without it); one whose handler is declared in
// another file already is not scaffolded again.
func MakePlan(root string, files []*File, opts PlanOptions) (*Plan, error) {
	old, err := ReadManifest(root)
	if err != nil {
		return nil, err
	}
	manifestOnDisk, err := inspect(root, ManifestFile)
	if err != nil {
		return nil, err
	}
	legacy := old.Scaffolded == nil
	scaffolded := map[string]bool{}
	for _, p := range old.Scaffolded {
		scaffolded[p] = true
	}
	declared := map[string]map[string]string{} // dir -> identifier -> file
	declaredIn := func(dir string) map[string]string {
		if declared[dir] == nil {
			declared[dir] = declaredInPackage(root, dir, path.Base(dir))
		}
		return declared[dir]
	}

	plan := &Plan{Root: root, Manifest: &Manifest{Generator: Version, Files: map[string]string{}, Scaffolded: []string{}}, Base: map[string][]byte{}}
	if manifestOnDisk.data != nil && old.Generator != Version {
		plan.PreviousGenerator = old.Generator
	}
	configSeen := false
	rendered := map[string]bool{}
	for _, f := range files {
		rendered[f.Path] = true
		d, err := inspect(root, f.Path)
		if err != nil {
			return nil, err
		}
		disk := d.data
		c := &Change{Path: f.Path, Tier: f.Tier, Old: disk, New: f.Data, Exists: d.exists}
		var base []byte
		hasBase := false
		if f.Tier == UserOwned && !opts.NewProject {
			if base, hasBase, err = readBase(root, f.Path); err != nil {
				return nil, err
			}
		}
		switch {
		case disk == nil:
			c.Action = Create
			if f.Tier != UserOwned || opts.NewProject {
				break
			}
			if scaffolded[f.Path] && f.Path != "go.mod" && !slices.Contains(opts.Scaffold, f.Path) {
				c.Action, c.Reason = Skip, "deleted since it was scaffolded; left deleted"
				break
			}
			if len(f.Declares) > 0 {
				decl := declaredIn(path.Dir(f.Path))
				if other, ok := decl[f.Declares[0]]; ok {
					c.Action, c.Reason = Skip, f.Declares[0]+" is declared in "+other+" already"
					break
				}
				for _, name := range f.Declares[1:] {
					if other, ok := decl[name]; ok {
						c.Action, c.Reason = Conflict, other+" declares "+name+" already; rename it there, or rename the tool"
						break
					}
				}
			}
		case opts.NewProject:
			c.Action = Identical
			if !sameText(disk, f.Data) {
				c.Action, c.Reason = Conflict, "exists with other content"
			}
		case sameText(disk, f.Data):
			c.Action = Identical
		case f.Tier == UserOwned && f.Path == "go.mod":
			// go.mod is the user's, but the generated code needs its
			// dependencies: add or raise just those requirements.
			c.Action, c.Reason = Skip, "user-owned"
			if edited, added, err := requireDeps(normalizeEOL(disk)); err != nil {
				return nil, err
			} else if len(added) > 0 {
				c.Action, c.New, c.Reason = Update, edited, "requires "+strings.Join(added, ", ")
			}
		case f.Tier == UserOwned:
			if err := planUserFile(c, base, hasBase, opts); err != nil {
				return nil, err
			}
		case f.Tier == ConfigFileTier:
			c.Action = Update
		case old.Files[f.Path] == contentHash(disk):
			c.Action = Update
		case opts.Force:
			c.Action, c.Reason = Update, "edited by hand; overwritten (--force)"
		default:
			c.Action, c.Reason = Conflict, "generated file edited by hand"
		}
		if (c.Action == Update || c.Action == Merge || c.Markers) && disk != nil {
			c.New = inStyleOf(c.New, disk)
		}
		if (c.Action == Create || c.Action == Update) && d.symlink != "" {
			full := filepath.Join(root, filepath.FromSlash(f.Path))
			switch {
			case f.Path == ConfigFile && d.symlink == ConfigFile && disk != nil:
				// Edit the file the user's symlink points at, keeping the link.
				target, err := filepath.EvalSymlinks(full)
				if err != nil {
					return nil, fmt.Errorf("cannot follow the symlink %s (%v); fix it and try again", full, pathErrText(err))
				}
				c.target = target
			case d.symlink == f.Path && disk == nil:
				c.Action, c.Reason = Conflict, "a symlink to nothing is there; remove it, or point it at a file"
			case d.symlink == f.Path:
				c.Action, c.Reason = Conflict, "is a symlink; create-clerk-mcp does not write through symlinks: replace it with a file"
			default:
				c.Action, c.Reason = Conflict, "is reached through the symlink "+d.symlink+"; create-clerk-mcp does not write through symlinks: replace it with a directory"
			}
		}
		switch f.Tier {
		case Generated:
			plan.Manifest.Files[f.Path] = contentHash(f.Data)
		case UserOwned:
			if c.Action != Conflict && (disk != nil || c.Action == Create || scaffolded[f.Path] || c.Action == Skip) {
				plan.Manifest.Scaffolded = append(plan.Manifest.Scaffolded, f.Path)
			}
			if legacy && disk != nil && manifestOnDisk.data != nil && !opts.NewProject {
				plan.RecordedScaffolded = true
			}
			switch {
			case c.Action == Conflict && !c.Markers:
				if hasBase {
					plan.Base[f.Path] = base
				}
			case disk != nil || c.Action == Create:
				plan.Base[f.Path] = f.Data
				if disk != nil && !hasBase && !opts.NewProject {
					plan.RecordedBase = true
				}
			}
		case ConfigFileTier:
			configSeen = true
			plan.Base[f.Path] = normalizeEOL(f.Data)
		}
		plan.Changes = append(plan.Changes, c)
	}
	if !configSeen {
		d, err := inspect(root, ConfigFile)
		if err != nil {
			return nil, err
		}
		if d.data != nil {
			plan.Base[ConfigFile] = normalizeEOL(d.data)
		}
	}
	if !opts.NewProject {
		for p, hash := range old.Files {
			if rendered[p] {
				continue
			}
			if c := planRemoval(root, p, hash, opts.Force); c != nil {
				plan.Changes = append(plan.Changes, c)
			}
		}
	}
	slices.Sort(plan.Manifest.Scaffolded)
	slices.SortFunc(plan.Changes, func(a, b *Change) int { return strings.Compare(a.Path, b.Path) })
	return plan, nil
}

// planRemoval plans a generated file the render no longer produces. Only
// a file that the current rules call generated (a .go file under internal/
// starting with the generated-code header), reached without a symlink, is
// ever removed; anything else the manifest names is left alone.
func planRemoval(root, p, hash string, force bool) *Change {
	d, err := inspect(root, p)
	switch {
	case err != nil || !d.exists:
		return nil
	case d.symlink != "":
		return &Change{Path: p, Action: Skip, Tier: Generated, Exists: true, Reason: "no longer generated, but reached through the symlink " + d.symlink + "; left alone"}
	case d.data == nil:
		return nil
	case !isGeneratedPath(p) || !hasGeneratedHeader(d.data):
		return &Change{Path: p, Action: Skip, Tier: Generated, Exists: true, Old: d.data, Reason: "no longer generated, but not a generated file (no generated-code header); left alone"}
	case contentHash(d.data) == hash:
		return &Change{Path: p, Action: Remove, Tier: Generated, Exists: true, Old: d.data}
	case force:
		return &Change{Path: p, Action: Remove, Tier: Generated, Exists: true, Old: d.data, Reason: "edited by hand; removed (--force)"}
	default:
		return &Change{Path: p, Action: Conflict, Tier: Generated, Exists: true, Old: d.data, Reason: "no longer generated, but edited by hand"}
	}
}

// planUserFile plans a user-owned file that is there and differs from the
// render: a three-way merge of the user's file and the render from base,
// the render the user's file started from. Without a base (a project made
// before it was kept) the file is left alone, and the render becomes its
// base.
func planUserFile(c *Change, base []byte, hasBase bool, opts PlanOptions) error {
	switch {
	case !hasBase || sameText(base, c.New):
		c.Action, c.Reason = Skip, "user-owned"
	case sameText(c.Old, base):
		c.Action, c.Reason = Update, "unchanged since scaffolded; takes the new render"
	default:
		merged, conflicted, err := merge3(c.Old, base, c.New)
		switch {
		case err != nil:
			c.Action, c.Reason = Conflict, "your edits and the new render need a merge, but "+err.Error()
		case conflicted && opts.ConflictMarkers:
			c.Action, c.New, c.Markers = Conflict, merged, true
			c.Reason = "your edits and the new render overlap; written with conflict markers: resolve them"
		case conflicted:
			c.Action, c.Reason = Conflict, "your edits and the new render overlap; pass --conflict-markers to write the file with git-style markers"
		case sameText(merged, c.Old):
			c.Action, c.Reason = Skip, "user-owned; has the new render's changes already"
		default:
			c.Action, c.New, c.Reason = Merge, merged, "your edits kept, the new render's merged in"
		}
	}
	return nil
}

// Blocking returns the conflicts that stop the plan from being applied:
// all but those written with conflict markers.
func (p *Plan) Blocking() []*Change {
	var out []*Change
	for _, c := range p.Conflicts() {
		if !c.Markers {
			out = append(out, c)
		}
	}
	return out
}

// Conflicts returns the changes that need the user: with Markers, written
// with conflict markers; otherwise they stop the plan from being applied.
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
	return fmt.Sprintf("%d conflicting file(s): %s", len(e.Changes), strings.Join(paths, ", "))
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// contentHash is the manifest's hash of a file: of its content with LF
// line endings, so that a checkout with CRLF line endings matches.
func contentHash(b []byte) string { return hashOf(normalizeEOL(b)) }

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
