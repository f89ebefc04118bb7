// Package templates holds what create-clerk-mcp writes into a project.
//
// project/ has the text/template files (*.tmpl), rendered with the
// project's clerk-mcp.yaml. runtime/ has ordinary Go packages of this
// module (the Clerk auth wrapper, the server wiring and a fake Clerk for
// tests); they are compiled and tested here, and copied into each project
// under internal/ with their import paths rewritten.
package templates

import "embed"

// Project is the template tree.
//
//go:embed all:project
var Project embed.FS

// Runtime is the tree of runtime packages.
//
//go:embed runtime
var Runtime embed.FS

// RuntimeImportPrefix is the import path prefix of the runtime packages in
// this module; in a project it becomes "<module>/internal/".
const RuntimeImportPrefix = "github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/"
