package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// silentError has been reported already; only its exit code matters.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// app is what the commands share: the streams and how to prompt.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	prompter       Prompter // nil when prompts are not possible
}

// Main runs the command line args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	useBuildVersion()
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	if f, ok := stdin.(*os.File); ok && isTerminal(f) && os.Getenv("CI") == "" {
		a.prompter = newSurveyPrompter()
	}
	return a.execute(args)
}

// execute runs args with a fresh command tree and returns the exit code.
func (a *app) execute(args []string) int {
	stderr := a.stderr
	cmd := newRootCmd(a)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return exitOK
	}
	var silent silentError
	if errors.As(err, &silent) {
		return silent.code
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(stderr, "create-clerk-mcp: "+line)
	}
	var usage usageError
	if errors.As(err, &usage) || isCobraUsageError(err) {
		return exitUsage
	}
	return exitFailure
}

// isCobraUsageError recognises the argument errors cobra makes itself.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires ", "invalid argument", "flag needs an argument", "bad flag syntax"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "create-clerk-mcp",
		Short: "Create Go MCP servers protected by Clerk OAuth",
		Long: `create-clerk-mcp creates a Go MCP server whose tools are protected by Clerk OAuth:
Streamable HTTP (/mcp) and SSE (/sse) transports, Clerk access-token verification
(JWT and opaque), the OAuth metadata MCP clients look for, and a sample tool.
The project's clerk-mcp.yaml drives add-tool and regenerate.`,
		Example: `  create-clerk-mcp new
  create-clerk-mcp new notes --module github.com/you/notes --yes
  cd notes && create-clerk-mcp doctor --fix
  create-clerk-mcp add-tool search-notes --description "Searches notes"`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newNewCmd(a), newAddToolCmd(a), newAddPromptCmd(a), newAddResourceCmd(a), newRegenerateCmd(a), newDoctorCmd(a), newVersionCmd(a))

	// cobra's completion and help commands exit 0 for a shell or topic they
	// do not know; those are usage errors.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Args = func(_ *cobra.Command, args []string) error {
				if len(args) > 0 {
					return usagef("unknown shell %q: completion supports bash, zsh, fish and powershell (such as create-clerk-mcp completion bash)", args[0])
				}
				return nil
			}
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
	}
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "help prints the help of a command (the same as COMMAND --help).",
		RunE: func(_ *cobra.Command, args []string) error {
			c, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 || (len(args) > 0 && c == root) {
				return usagef("unknown help topic %q; run create-clerk-mcp --help to see the commands", strings.Join(args, " "))
			}
			return c.Help()
		},
	})
	return root
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of create-clerk-mcp",
		Long:    "version prints the module version of create-clerk-mcp, the VCS revision it was built from\n(and whether that tree had uncommitted changes) and the Go toolchain, from the binary's build info.",
		Example: "  create-clerk-mcp version",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			bi, _ := debug.ReadBuildInfo()
			printVersion(a.stdout, bi)
			return nil
		},
	}
}
