package main

import (
	"fmt"
	"path"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

// addition is what add-tool, add-prompt and add-resource each do
// differently; addEntry does the rest, the same way for all three.
type addition struct {
	command string // "add-tool"
	// edit adds the entry to clerk-mcp.yaml's content data.
	edit func(data []byte) ([]byte, *generator.Config, error)
	// check reports whether a handler file there already is kept.
	check func(root string) (bool, error)
	file  string // the handler file
	ident string // the handler function
}

// addEntry adds an entry to the project in dir (or found upwards): it edits
// clerk-mcp.yaml keeping the user's comments, scaffolds the handler file and
// regenerates, all or nothing.
func (a *app) addEntry(dir string, dryRun bool, add addition) error {
	root, err := findProject(dir)
	if err != nil {
		return err
	}
	_, data, err := loadProject(root)
	if err != nil {
		return err
	}
	edited, cfg, err := add.edit(data)
	if err != nil {
		return err
	}
	kept, err := add.check(root)
	if err != nil {
		return err
	}
	files, err := generator.Render(cfg)
	if err != nil {
		return err
	}
	// The handler is created even if a file of that name was scaffolded
	// and deleted before: the entry is being added now.
	plan, err := generator.MakePlan(root, generator.WithConfigFile(files, edited), generator.PlanOptions{Scaffold: []string{add.file}})
	if err != nil {
		return err
	}
	if err := a.finish(root, plan, finishOptions{preview: dryRun,
		conflictHint: "Resolve the conflicts listed first (create-clerk-mcp regenerate --force overwrites hand-edited generated files), then run " + add.command + " again"}); err != nil {
		return err
	}
	if kept {
		fmt.Fprintf(a.stdout, "kept %s: it declares %s already\n", path.Join(filepath.ToSlash(root), add.file), add.ident)
	}
	return nil
}

// checkScopes refuses a --scope that is not a scope token, as a usage error.
func checkScopes(scopes []string) error {
	for _, s := range scopes {
		if err := generator.ValidateScope(s); err != nil {
			return usageError{fmt.Errorf("--scope: %v", err)}
		}
	}
	return nil
}

func oneName(command, kind, example string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usagef("%s takes exactly one argument, the %s name (such as create-clerk-mcp %s %s)", command, kind, command, example)
		}
		return nil
	}
}

// nilIfEmpty keeps an entry without --scope free of a scopes key.
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func newAddToolCmd(a *app) *cobra.Command {
	var dir, description string
	var scopes []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "add-tool NAME",
		Short: "Add an MCP tool to the project",
		Long: `add-tool lists a new tool in clerk-mcp.yaml (keeping your comments), creates its handler
file tools/NAME.go (yours from then on) and regenerates the wiring. NAME is 1 to 64 letters,
digits, '_', '-' or '.', starting with a letter. --scope (repeatable) lists the scopes a token
needs to call the tool.`,
		Example: `  create-clerk-mcp add-tool search-notes --description "Searches the user's notes"
  create-clerk-mcp add-tool create-note --scope notes:write`,
		Args: oneName("add-tool", "tool", "search-notes"),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := generator.ValidateToolName(args[0]); err != nil {
				return usageError{err}
			}
			if err := checkScopes(scopes); err != nil {
				return err
			}
			tool := generator.Tool{Name: args[0], Description: description, Scopes: nilIfEmpty(scopes)}
			return a.addEntry(dir, dryRun, addition{
				command: "add-tool",
				edit: func(data []byte) ([]byte, *generator.Config, error) {
					return generator.AddToolToConfig(generator.ConfigFile, data, tool)
				},
				check: func(root string) (bool, error) { return generator.CheckNewTool(root, tool) },
				file:  generator.ToolFile(tool.Name), ident: generator.ToolIdent(tool.Name),
			})
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "what the tool does, shown to MCP clients")
	cmd.Flags().StringArrayVar(&scopes, "scope", nil, "a scope a token needs to call the tool; repeatable")
	cmd.Flags().StringVar(&dir, "dir", "", "project directory (default: found from the current directory upwards)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan; write nothing")
	return cmd
}

func newAddPromptCmd(a *app) *cobra.Command {
	var dir, description string
	var scopes []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "add-prompt NAME",
		Short: "Add an MCP prompt to the project",
		Long: `add-prompt lists a new prompt in clerk-mcp.yaml (keeping your comments), creates its handler
file prompts/NAME.go (yours from then on: it declares the prompt's arguments, writes its
messages and may offer argument completion) and regenerates the wiring. NAME follows the
tool-name rules and must be unique among the prompts. --scope (repeatable) lists the scopes a
token needs to get the prompt.`,
		Example: `  create-clerk-mcp add-prompt summarize-notes --description "Summarizes the user's notes"
  create-clerk-mcp add-prompt weekly-review --scope notes:read`,
		Args: oneName("add-prompt", "prompt", "summarize-notes"),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := generator.ValidatePromptName(args[0]); err != nil {
				return usageError{err}
			}
			if err := checkScopes(scopes); err != nil {
				return err
			}
			prompt := generator.Prompt{Name: args[0], Description: description, Scopes: nilIfEmpty(scopes)}
			return a.addEntry(dir, dryRun, addition{
				command: "add-prompt",
				edit: func(data []byte) ([]byte, *generator.Config, error) {
					return generator.AddPromptToConfig(generator.ConfigFile, data, prompt)
				},
				check: func(root string) (bool, error) { return generator.CheckNewPrompt(root, prompt) },
				file:  generator.PromptFile(prompt.Name), ident: generator.ToolIdent(prompt.Name),
			})
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "what the prompt is for, shown to MCP clients")
	cmd.Flags().StringArrayVar(&scopes, "scope", nil, "a scope a token needs to get the prompt; repeatable")
	cmd.Flags().StringVar(&dir, "dir", "", "project directory (default: found from the current directory upwards)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan; write nothing")
	return cmd
}

func newAddResourceCmd(a *app) *cobra.Command {
	var dir, description, uri, mimeType string
	var scopes []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "add-resource NAME --uri URI",
		Short: "Add an MCP resource or resource template to the project",
		Long: `add-resource lists a new resource in clerk-mcp.yaml (keeping your comments), creates its
handler file resources/NAME.go (yours from then on) and regenerates the wiring. NAME follows the
tool-name rules and must be unique among the resources. --uri is absolute, with a scheme
(notes://index, https://example.com/about); a URI with {...} (RFC 6570, such as notes://{id})
is a resource template, whose handler reads every URI it matches and may offer completion of
its variables. --scope (repeatable) lists the scopes a token needs to read the resource.`,
		Example: `  create-clerk-mcp add-resource notes-index --uri notes://index --mime-type application/json
  create-clerk-mcp add-resource note --uri 'notes://note/{id}' --scope notes:read`,
		Args: oneName("add-resource", "resource", "notes-index --uri notes://index"),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := generator.ValidateResourceName(args[0]); err != nil {
				return usageError{err}
			}
			if uri == "" {
				return usagef("add-resource needs --uri, the resource's URI (such as create-clerk-mcp add-resource %s --uri notes://index)", args[0])
			}
			if err := generator.ValidateResourceURI(uri); err != nil {
				return usageError{fmt.Errorf("--uri: %v", err)}
			}
			if mimeType != "" {
				if err := generator.ValidateMIMEType(mimeType); err != nil {
					return usageError{fmt.Errorf("--mime-type: %v", err)}
				}
			}
			if err := checkScopes(scopes); err != nil {
				return err
			}
			res := generator.Resource{Name: args[0], URI: uri, Description: description, MIMEType: mimeType, Scopes: nilIfEmpty(scopes)}
			return a.addEntry(dir, dryRun, addition{
				command: "add-resource",
				edit: func(data []byte) ([]byte, *generator.Config, error) {
					return generator.AddResourceToConfig(generator.ConfigFile, data, res)
				},
				check: func(root string) (bool, error) { return generator.CheckNewResource(root, res) },
				file:  generator.ResourceFile(res.Name), ident: generator.ToolIdent(res.Name),
			})
		},
	}
	cmd.Flags().StringVar(&uri, "uri", "", "the resource's URI, or an RFC 6570 URI template (required)")
	cmd.Flags().StringVar(&description, "description", "", "what the resource holds, shown to MCP clients")
	cmd.Flags().StringVar(&mimeType, "mime-type", "", "the MIME type of its content, such as text/plain or application/json")
	cmd.Flags().StringArrayVar(&scopes, "scope", nil, "a scope a token needs to read the resource; repeatable")
	cmd.Flags().StringVar(&dir, "dir", "", "project directory (default: found from the current directory upwards)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan; write nothing")
	return cmd
}
