package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// realGo is the go command, found before testscript puts the fake go of
// the scripts first on PATH.
var realGo string

func TestMain(m *testing.M) {
	realGo, _ = exec.LookPath("go")
	if os.Getenv("REAL_GO") == "" {
		// testscript puts the fake go first on this process's PATH too: the
		// end-to-end tests get the real one through it.
		os.Setenv("REAL_GO", realGo)
	}
	testscript.Main(cleanupM{m}, map[string]func(){
		"create-clerk-mcp": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
		"go":               fakeGo,
	})
}

// fakeGo stands in for the go command in the scripts (FAKE_GO=1; elsewhere
// it is the real go), so they run offline
// and can make go mod tidy fail: `go mod tidy` writes a go.sum, or with
// FAKE_GO_TIDY=fail fails as it does offline, or with
// FAKE_GO_TIDY=interrupt interrupts its parent (as Ctrl-C in a terminal
// does) and dies. Every other command runs the real go ($REAL_GO).
func fakeGo() {
	args := os.Args[1:]
	if os.Getenv("FAKE_GO") == "1" && len(args) == 2 && args[0] == "mod" && args[1] == "tidy" {
		switch os.Getenv("FAKE_GO_TIDY") {
		case "fail":
			fmt.Fprintln(os.Stderr, "go: finding module for package github.com/modelcontextprotocol/go-sdk/mcp")
			fmt.Fprintln(os.Stderr, "go: example.com/x imports github.com/modelcontextprotocol/go-sdk/mcp: dial tcp: lookup proxy.golang.org: no such host")
			os.Exit(1)
		case "interrupt":
			syscall.Kill(os.Getppid(), syscall.SIGINT)
			os.Exit(130)
		}
		if _, err := os.Stat("go.mod"); err != nil {
			fmt.Fprintln(os.Stderr, "go: go.mod file not found in current directory or any parent directory")
			os.Exit(1)
		}
		os.WriteFile("go.sum", []byte("fake go.sum of go mod tidy in the scripts\n"), 0o644)
		os.Exit(0)
	}
	cmd := exec.Command(os.Getenv("REAL_GO"), args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			os.Exit(exitErr.ExitCode())
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// cleanupM removes the shared end-to-end projects after the tests.
type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	code := c.m.Run()
	generated.Range(func(_, v any) bool {
		if p := v.(*generatedProject); p.root != "" {
			os.RemoveAll(p.root)
		}
		return true
	})
	if builtDir != "" {
		os.RemoveAll(builtDir)
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
			if realGo == "" {
				return errors.New("no go command on PATH")
			}
			env.Setenv("REAL_GO", realGo)
			env.Setenv("FAKE_GO", "1")
			env.Setenv("GOFLAGS", os.Getenv("GOFLAGS"))
			if out, err := exec.Command(realGo, "env", "GOCACHE", "GOMODCACHE").Output(); err == nil {
				if v := strings.Fields(string(out)); len(v) == 2 {
					env.Setenv("GOCACHE", v[0])
					env.Setenv("GOMODCACHE", v[1])
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// manifest-legacy removes the record of scaffolded files from the
			// manifest of the current directory, as manifests made before it
			// existed are.
			"manifest-legacy": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 0 {
					ts.Fatalf("usage: manifest-legacy")
				}
				var m map[string]any
				ts.Check(json.Unmarshal([]byte(ts.ReadFile(".clerk-mcp-manifest.json")), &m))
				delete(m, "scaffolded")
				b, err := json.MarshalIndent(m, "", "  ")
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(".clerk-mcp-manifest.json"), append(b, '\n'), 0o644))
			},
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
