// Package prompts holds the MCP prompts of this server, one file per prompt.
// They use the same dependencies as the tools (tools.Deps, filled in
// main.go).
//
// The files in this package are yours to edit: create-clerk-mcp writes each
// once and will not rewrite it.
package prompts

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Complete completes the value of one argument of a prompt, for clients that
// ask (completion/complete): req.Params.Argument names the argument and holds
// what has been typed so far, and req.Params.Context, when set, the arguments
// already chosen. A prompt's function returns one beside its handler to offer
// completion, or nil to offer none.
type Complete func(ctx context.Context, req *mcp.CompleteRequest) (*mcp.CompleteResult, error)
