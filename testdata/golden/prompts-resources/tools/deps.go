// Package tools holds the MCP tools of this server, one file per tool.
//
// The files in this package are yours to edit: create-clerk-mcp writes each
// once and will not rewrite it.
package tools

import (
	"log/slog"

	"github.com/clerk/clerk-sdk-go/v2/user"
)

// Deps is what the tools need to do their work. Add your own (a database,
// an API client) and fill them in main.go.
type Deps struct {
	// Users reads Clerk users through the Backend API.
	Users *user.Client
	// Logger is the server's logger.
	Logger *slog.Logger
}
