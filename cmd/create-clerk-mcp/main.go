// Create-clerk-mcp creates Go MCP servers protected by Clerk OAuth, and
// keeps them up to date with their clerk-mcp.yaml.
//
// Usage:
//
//	create-clerk-mcp new [NAME] [flags]
//	create-clerk-mcp doctor [--dir DIR] [--url URL] [--fix [--yes]]
//	create-clerk-mcp version
//	create-clerk-mcp add-tool NAME [--description TEXT]
//	create-clerk-mcp regenerate [--check | --dry-run [--diff]] [--force]
//
// Example:
//
//	create-clerk-mcp new notes --module github.com/you/notes --yes
//	cd notes && cp .env.example .env && go run .
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
