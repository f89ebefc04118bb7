package tools

import (
	"context"
	"errors"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/surface/internal/clerkauth"
)

// CreateNoteInput is the input of the create-note tool. Its fields, with
// their json and jsonschema tags, make the input schema that clients see.
type CreateNoteInput struct {
	// Add input fields here, for example:
	// Query string `json:"query" jsonschema:"what to search for"`
}

// CreateNoteOutput is the structured result of the create-note tool.
type CreateNoteOutput struct {
	Message string `json:"message"`
}

// CreateNote returns the handler of the create-note tool.
// Clients see it described as: Creates a note
//
// tool is the tool as clerk-mcp.yaml describes it; set more of it here if
// you need to (a title, annotations, an input schema of your own).
func CreateNote(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[CreateNoteInput, CreateNoteOutput] {
	return func(ctx context.Context, req *mcp.CallToolRequest, in CreateNoteInput) (*mcp.CallToolResult, CreateNoteOutput, error) {
		caller, ok := clerkauth.CallerFrom(ctx, req.Extra)
		if !ok {
			return nil, CreateNoteOutput{}, errors.New("no authenticated Clerk user")
		}
		// Do the tool's work here, as caller.UserID.
		return nil, CreateNoteOutput{Message: "create-note" + " called by " + caller.UserID}, nil
	}
}
