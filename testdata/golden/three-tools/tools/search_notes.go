package tools

import (
	"context"
	"errors"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/threetools/internal/clerkauth"
)

// SearchNotesInput is the input of the search-notes tool. Its fields, with
// their json and jsonschema tags, make the input schema that clients see.
type SearchNotesInput struct {
	// Add input fields here, for example:
	// Query string `json:"query" jsonschema:"what to search for"`
}

// SearchNotesOutput is the structured result of the search-notes tool.
type SearchNotesOutput struct {
	Message string `json:"message"`
}

// SearchNotes returns the handler of the search-notes tool.
// Clients see it described as: Searches the signed-in user's notes
//
// tool is the tool as clerk-mcp.yaml describes it; set more of it here if
// you need to (a title, annotations, an input schema of your own).
func SearchNotes(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[SearchNotesInput, SearchNotesOutput] {
	return func(ctx context.Context, req *mcp.CallToolRequest, in SearchNotesInput) (*mcp.CallToolResult, SearchNotesOutput, error) {
		caller, ok := clerkauth.CallerFrom(ctx, req.Extra)
		if !ok {
			return nil, SearchNotesOutput{}, errors.New("no authenticated Clerk user")
		}
		// Do the tool's work here, as caller.UserID.
		return nil, SearchNotesOutput{Message: "search-notes" + " called by " + caller.UserID}, nil
	}
}
