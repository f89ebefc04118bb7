package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

// useBuildVersion makes the version the generator records in a project's
// manifest (and compares with it, to tell an upgrade) the module version
// this binary was installed as, when it has one.
func useBuildVersion() {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" && semver.IsValid(v) {
		generator.Version = strings.TrimPrefix(v, "v")
	}
}

// version is the module version when installed with go install, else the
// generator's own version.
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return moduleVersion(bi)
}

func moduleVersion(bi *debug.BuildInfo) string {
	if bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "v" + generator.Version
}

// printVersion writes what `version` prints: the version on the first
// line, then what the build info says about where the binary came from:
// the module, the VCS revision (and whether the tree had uncommitted
// changes) and the Go toolchain.
func printVersion(w io.Writer, bi *debug.BuildInfo) {
	fmt.Fprintln(w, "create-clerk-mcp", moduleVersion(bi))
	if bi == nil {
		fmt.Fprintln(w, "no build information in this binary")
		return
	}
	mod := bi.Main.Path
	if mod == "" {
		mod = bi.Path
	}
	mv := bi.Main.Version
	if mv == "" {
		mv = "(devel)"
	}
	fmt.Fprintf(w, "module   %s %s\n", mod, mv)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	switch {
	case rev == "":
		fmt.Fprintln(w, "revision unknown (not built from a VCS checkout, or built with -buildvcs=false)")
	default:
		line := "revision " + rev
		if t := settings["vcs.time"]; t != "" {
			line += " (" + t + ")"
		}
		if settings["vcs.modified"] == "true" {
			line += ", modified: built with uncommitted changes"
		}
		fmt.Fprintln(w, line)
	}
	if bi.GoVersion != "" {
		fmt.Fprintf(w, "go       %s\n", bi.GoVersion)
	}
}
