package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

func newRegenerateCmd(a *app) *cobra.Command {
	var dir string
	var dryRun, showDiff, check, force bool
	cmd := &cobra.Command{
		Use:     "regenerate",
		Aliases: []string{"generate"},
		Short:   "Re-render the generated files from clerk-mcp.yaml",
		Long: `regenerate re-renders the project's generated files from clerk-mcp.yaml. Generated files
that differ are rewritten; files of yours are never touched (missing ones are created again).
A generated file edited by hand is a conflict: nothing is written unless --force.`,
		Example: `  create-clerk-mcp regenerate
  create-clerk-mcp regenerate --dry-run --diff
  create-clerk-mcp regenerate --check   # in CI: exit 1 if anything is out of date`,
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
			files, err := generator.Render(cfg)
			if err != nil {
				return err
			}
			plan, err := generator.MakePlan(root, files, generator.PlanOptions{Force: force})
			if err != nil {
				return err
			}
			return a.finish(root, plan, dryRun || check, showDiff, check)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dir, "dir", "", "project directory (default: found from the current directory upwards)")
	fl.BoolVar(&dryRun, "dry-run", false, "print the plan for every file; write nothing")
	fl.BoolVar(&showDiff, "diff", false, "with --dry-run or --check, also print unified diffs")
	fl.BoolVar(&check, "check", false, "write nothing; exit 1 if anything would change")
	fl.BoolVar(&force, "force", false, "overwrite (or remove) generated files that were edited by hand")
	return cmd
}

// finish prints a plan and applies it, or with preview only prints it;
// with check, anything pending is a failure.
func (a *app) finish(root string, plan *generator.Plan, preview, showDiff, check bool) error {
	if preview {
		printPlan(a.stdout, root, plan, !check)
		if showDiff {
			printDiffs(a.stdout, plan)
		}
		if check && (plan.Pending() || len(plan.Conflicts()) > 0) {
			return fmt.Errorf("%s is not up to date with %s; run create-clerk-mcp regenerate", root, generator.ConfigFile)
		}
		return nil
	}
	if conflicts := plan.Conflicts(); len(conflicts) > 0 {
		printPlan(a.stdout, root, plan, false)
		return fmt.Errorf("%w; nothing was written. Keep your changes elsewhere (generated files are rewritten), or pass --force to overwrite them", &generator.ConflictError{Changes: conflicts})
	}
	if err := generator.Apply(plan); err != nil {
		return err
	}
	if !plan.Pending() {
		fmt.Fprintln(a.stdout, "up to date: nothing to change")
		return nil
	}
	printPlan(a.stdout, root, plan, false)
	for _, c := range plan.Changes {
		if c.Path == "go.mod" && c.Action == generator.Update {
			fmt.Fprintln(a.stdout, "running go mod tidy")
			if out, err := run(root, "go", "mod", "tidy"); err != nil {
				fmt.Fprintf(a.stderr, "create-clerk-mcp: warning: go mod tidy failed (%v); run it in %s once the problem is fixed\n%s", err, root, out)
			}
		}
	}
	return nil
}
