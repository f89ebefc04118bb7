package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

func newRegenerateCmd(a *app) *cobra.Command {
	var dir string
	var dryRun, showDiff, check, force, markers bool
	cmd := &cobra.Command{
		Use:     "regenerate",
		Aliases: []string{"generate"},
		Short:   "Re-render the generated files from clerk-mcp.yaml",
		Long: `regenerate re-renders the project from clerk-mcp.yaml. Generated files that differ are
rewritten; a generated file edited by hand is a conflict: nothing is written unless --force.
Files of yours take what changed in their render since it was scaffolded (kept in
.clerk-mcp/base): an unedited one is updated, an edited one is merged three-way with your
edits. Overlapping edits are a conflict: nothing is written, unless --conflict-markers, which
writes git-style conflict markers into those files (and still exits 1).`,
		Example: `  create-clerk-mcp regenerate
  create-clerk-mcp regenerate --dry-run --diff
  create-clerk-mcp regenerate --check   # in CI: exit 1 if anything is out of date
  create-clerk-mcp regenerate --conflict-markers   # after an upgrade: mark overlapping edits`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			root, err := findProject(dir)
			if err != nil {
				return err
			}
			cfg, _, err := loadProject(root)
			if err != nil {
				return err
			}
			if cfg.SessionsImplied {
				fmt.Fprintf(a.stdout, "note: %s has no sessions key, so /mcp stays stateful, as it was; add \"sessions: stateless\" to serve MCP 2026-07-28 and any number of replicas, or \"sessions: stateful\" to keep sessions and drop this note\n", generator.ConfigFile)
			}
			files, err := generator.Render(cfg)
			if err != nil {
				return err
			}
			plan, err := generator.MakePlan(root, files, generator.PlanOptions{Force: force, ConflictMarkers: markers})
			if err != nil {
				return err
			}
			if from, ok := plan.Upgrade(); ok {
				fmt.Fprintf(a.stdout, "upgrade: the project was rendered by create-clerk-mcp %s; this is %s\n", from, generator.Version)
			}
			// --diff shows what would change; it writes nothing.
			return a.finish(root, plan, finishOptions{preview: dryRun || check || showDiff, showDiff: showDiff, check: check,
				conflictHint: "Keep your changes elsewhere (generated files are rewritten), or pass --force to overwrite hand-edited generated files; for overlapping edits in files of yours, --conflict-markers writes them with git-style markers"})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dir, "dir", "", "project directory (default: found from the current directory upwards)")
	fl.BoolVar(&dryRun, "dry-run", false, "print the plan for every file; write nothing")
	fl.BoolVar(&showDiff, "diff", false, "print the plan with unified diffs; write nothing")
	fl.BoolVar(&check, "check", false, "write nothing; exit 1 if anything would change")
	fl.BoolVar(&force, "force", false, "overwrite (or remove) generated files that were edited by hand")
	fl.BoolVar(&markers, "conflict-markers", false, "write files of yours whose edits overlap the new render with git-style conflict markers (still exits 1)")
	return cmd
}

type finishOptions struct {
	preview      bool   // print the plan; write nothing
	showDiff     bool   // with preview, print unified diffs too
	check        bool   // with preview, anything pending is a failure
	conflictHint string // what to do about conflicts, for this command
}

// finish prints a plan and applies it, or with preview only prints it;
// with check, anything pending is a failure. A missing go.sum, or a go.mod
// created or changed, is made right with go mod tidy.
func (a *app) finish(root string, plan *generator.Plan, o finishOptions) error {
	addGoSum(root, plan)
	if o.preview {
		printPlan(a.stdout, root, plan, !o.check)
		if o.showDiff {
			printDiffs(a.stdout, plan)
		}
		if o.check && (plan.Pending() || len(plan.Conflicts()) > 0) {
			return fmt.Errorf("%s is not up to date with %s; run create-clerk-mcp regenerate", root, generator.ConfigFile)
		}
		return nil
	}
	if conflicts := plan.Blocking(); len(conflicts) > 0 {
		printPlan(a.stdout, root, plan, false)
		return fmt.Errorf("%w; nothing was written. %s", &generator.ConflictError{Changes: conflicts}, o.conflictHint)
	}
	if err := generator.Apply(plan); err != nil {
		return err
	}
	if plan.RecordedScaffolded {
		fmt.Fprintf(a.stdout, "note: %s now records which of your files were scaffolded (it was made before that record existed); none of your files was changed, nothing is lost\n", generator.ManifestFile)
	}
	if plan.RecordedBase {
		fmt.Fprintf(a.stdout, "note: %s now keeps what create-clerk-mcp rendered for your files, the base later upgrades merge from (the project was made before it existed); none of your files was changed\n", generator.BaseDir)
	}
	if marked := plan.Conflicts(); len(marked) > 0 {
		printPlan(a.stdout, root, plan, false)
		return fmt.Errorf("%w; written with conflict markers, the rest applied: resolve the markers (<<<<<<< yours ... >>>>>>>), then run create-clerk-mcp regenerate --check", &generator.ConflictError{Changes: marked})
	}
	if !plan.Pending() {
		fmt.Fprintln(a.stdout, "up to date: nothing to change")
		return nil
	}
	printPlan(a.stdout, root, plan, false)
	for _, c := range plan.Changes {
		if (c.Path == "go.mod" || c.Path == "go.sum") && (c.Action == generator.Update || c.Action == generator.Create) {
			fmt.Fprintln(a.stdout, "running go mod tidy")
			if out, _, err := runTidy(root, goWorkspace(root) != ""); err != nil {
				return fmt.Errorf("go mod tidy failed%s (%s); the other changes are written: once that is fixed, run: %sgo mod tidy", inDir(root), lastLine(out, err), cdInto(root))
			}
			break
		}
	}
	return nil
}

// addGoSum plans go.sum when it is missing: without it the project does
// not build, and go mod tidy writes it.
func addGoSum(root string, plan *generator.Plan) {
	hasGoMod := false
	for _, c := range plan.Changes {
		hasGoMod = hasGoMod || c.Path == "go.mod"
		if c.Path == "go.sum" {
			return
		}
	}
	if _, err := os.Lstat(filepath.Join(root, "go.sum")); !hasGoMod || !errors.Is(err, fs.ErrNotExist) {
		return
	}
	plan.Changes = append(plan.Changes, &generator.Change{Path: "go.sum", Action: generator.Create, Tier: generator.UserOwned, Tidy: true, Reason: "by go mod tidy"})
	slices.SortFunc(plan.Changes, func(a, b *generator.Change) int { return strings.Compare(a.Path, b.Path) })
}

// inDir is " in DIR", or "" for the current directory.
func inDir(dir string) string {
	if filepath.Clean(dir) == "." {
		return ""
	}
	return " in " + dir
}

// cdInto is "cd DIR && ", or "" for the current directory.
func cdInto(dir string) string {
	if filepath.Clean(dir) == "." {
		return ""
	}
	return "cd " + shellQuote(dir) + " && "
}
