// Package resources holds the MCP resources and resource templates of this
// server, one file per resource. They use the same dependencies as the tools
// (tools.Deps, filled in main.go).
//
// The files in this package are yours to edit: create-clerk-mcp writes each
// once and will not rewrite it.
package resources

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Complete completes the value of one variable of a resource template, for
// clients that ask (completion/complete): req.Params.Argument names the
// variable and holds what has been typed so far, and req.Params.Context,
// when set, the variables already chosen. A resource template's function
// returns one beside its handler to offer completion, or nil to offer none.
type Complete func(ctx context.Context, req *mcp.CompleteRequest) (*mcp.CompleteResult, error)
