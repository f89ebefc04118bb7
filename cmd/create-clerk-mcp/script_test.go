package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(cleanupM{m}, map[string]func(){
		"create-clerk-mcp": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// cleanupM removes the shared end-to-end project after the tests.
type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	code := c.m.Run()
	if built.root != "" {
		os.RemoveAll(built.root)
	}
	return code
}

// TestScript runs the CLI scripts in testdata/script. UPDATE_SCRIPTS=1
// rewrites their expected-output sections.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testdata/script",
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") != "",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("CI", "1") // never prompt
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// manifest-entry PATH FILE records PATH in the manifest of the
			// current directory with the hash of FILE's content, as a
			// crafted or corrupted manifest would.
			"manifest-entry": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: manifest-entry PATH FILE")
				}
				var m map[string]any
				ts.Check(json.Unmarshal([]byte(ts.ReadFile(".clerk-mcp-manifest.json")), &m))
				sum := sha256.Sum256([]byte(ts.ReadFile(args[1])))
				m["files"].(map[string]any)[args[0]] = "sha256:" + hex.EncodeToString(sum[:])
				b, err := json.MarshalIndent(m, "", "  ")
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(".clerk-mcp-manifest.json"), append(b, '\n'), 0o644))
			},
			// exitcode N command [args...] runs command and checks its exit
			// status is exactly N.
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var exitErr *exec.ExitError
				if errors.As(err, &exitErr) {
					got = exitErr.ExitCode()
				} else if err != nil {
					ts.Fatalf("%v", err)
				}
				if got != want {
					ts.Fatalf("exit status %d, want %d", got, want)
				}
			},
		},
	})
}
