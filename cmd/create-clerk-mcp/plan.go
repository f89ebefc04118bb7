package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/rogpeppe/go-internal/diff"
	"golang.org/x/mod/modfile"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

// printPlan prints one line per path: the action and the path (under
// dir). Identical and skipped files are left out unless all is set.
// On a terminal (unless NO_COLOR) the action is coloured.
func printPlan(w io.Writer, dir string, p *generator.Plan, all bool) {
	st := newStyler(w)
	for _, c := range p.Changes {
		if !all && (c.Action == generator.Identical || c.Action == generator.Skip) {
			continue
		}
		action := fmt.Sprintf("%-9s", c.Action)
		switch c.Action {
		case generator.Create:
			action = st.green(action)
		case generator.Update:
			action = st.yellow(action)
		case generator.Conflict, generator.Remove:
			action = st.red(action)
		default:
			action = st.dim(action)
		}
		line := fmt.Sprintf("%s %s", action, path.Join(filepath.ToSlash(dir), c.Path))
		if c.Reason != "" && (c.Action == generator.Conflict || c.Action == generator.Skip || c.Reason != "user-owned") {
			line += " (" + c.Reason + ")"
		}
		fmt.Fprintln(w, line)
	}
}

func printDiffs(w io.Writer, p *generator.Plan) {
	for _, c := range p.Changes {
		switch c.Action {
		case generator.Create, generator.Update, generator.Remove, generator.Conflict:
			if d := diff.Diff("a/"+c.Path, c.Old, "b/"+c.Path, c.New); len(d) > 0 {
				w.Write(d)
			}
		}
	}
}

// findProject returns the directory holding clerk-mcp.yaml: dir if given,
// else the current directory or the nearest parent with one.
func findProject(dir string) (string, error) {
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, generator.ConfigFile)); err != nil {
			return "", fmt.Errorf("%s has no %s; give the directory of a project made with create-clerk-mcp new", dir, generator.ConfigFile)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, generator.ConfigFile)); err == nil {
			if rel, err := filepath.Rel(wd, d); err == nil {
				return rel, nil
			}
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no %s here or in any parent directory; run this inside a project made with create-clerk-mcp new, or pass --dir", generator.ConfigFile)
		}
	}
}

// loadProject reads and checks a project's clerk-mcp.yaml, and that its
// module matches go.mod's.
func loadProject(root string) (*generator.Config, []byte, error) {
	data, err := os.ReadFile(filepath.Join(root, generator.ConfigFile))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s (%v); fix that and run the command again", filepath.Join(root, generator.ConfigFile), errText(err))
	}
	cfg, err := generator.ParseConfig(filepath.Join(root, generator.ConfigFile), data)
	if err != nil {
		return nil, nil, err
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, data, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s (%v); fix that and run the command again", filepath.Join(root, "go.mod"), errText(err))
	}
	if mod := modfile.ModulePath(gomod); mod != "" && mod != cfg.Module {
		return nil, nil, fmt.Errorf("%s says module %s but go.mod says %s; make them agree (renaming a module means updating its imports too)", generator.ConfigFile, cfg.Module, mod)
	}
	return cfg, data, nil
}

// errText is err without the path a *fs.PathError repeats.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
