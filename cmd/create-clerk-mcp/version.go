package main

import (
	"runtime/debug"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

// version is the module version when installed with go install, else the
// generator's own version.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "v" + generator.Version
}
