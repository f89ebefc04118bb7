package main

import (
	"fmt"
	"path"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

func newAddToolCmd(a *app) *cobra.Command {
	var dir, description string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "add-tool NAME",
		Short: "Add an MCP tool to the project",
		Long: `add-tool lists a new tool in clerk-mcp.yaml (keeping your comments), creates its handler
file tools/NAME.go (yours from then on) and regenerates the wiring. NAME is 1 to 64 letters,
digits, '_', '-' or '.', starting with a letter.`,
		Example: `  create-clerk-mcp add-tool search-notes --description "Searches the user's notes"`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("add-tool takes exactly one argument, the tool name (such as create-clerk-mcp add-tool search-notes)")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if err := generator.ValidateToolName(args[0]); err != nil {
				return usageError{err}
			}
			root, err := findProject(dir)
			if err != nil {
				return err
			}
			_, data, err := loadProject(root)
			if err != nil {
				return err
			}
			tool := generator.Tool{Name: args[0], Description: description}
			edited, cfg, err := generator.AddToolToConfig(generator.ConfigFile, data, tool)
			if err != nil {
				return err
			}
			kept, err := generator.CheckNewTool(root, tool)
			if err != nil {
				return err
			}
			files, err := generator.Render(cfg)
			if err != nil {
				return err
			}
			// The handler is created even if a file of that name was
			// scaffolded and deleted before: the tool is being added now.
			plan, err := generator.MakePlan(root, generator.WithConfigFile(files, edited), generator.PlanOptions{Scaffold: []string{generator.ToolFile(tool.Name)}})
			if err != nil {
				return err
			}
			if err := a.finish(root, plan, finishOptions{preview: dryRun,
				conflictHint: "Resolve the conflicts listed first (create-clerk-mcp regenerate --force overwrites hand-edited generated files), then run add-tool again"}); err != nil {
				return err
			}
			if kept {
				fmt.Fprintf(a.stdout, "kept %s: it declares %s already\n", path.Join(filepath.ToSlash(root), generator.ToolFile(tool.Name)), generator.ToolIdent(tool.Name))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "what the tool does, shown to MCP clients")
	cmd.Flags().StringVar(&dir, "dir", "", "project directory (default: found from the current directory upwards)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan; write nothing")
	return cmd
}
