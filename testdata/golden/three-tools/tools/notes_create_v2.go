package tools

import (
	"context"
	"errors"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/threetools/internal/clerkauth"
)

// NotesCreateV2Input is the input of the notes.create_v2 tool. Its fields, with
// their json and jsonschema tags, make the input schema that clients see.
type NotesCreateV2Input struct {
	// Add input fields here, for example:
	// Query string `json:"query" jsonschema:"what to search for"`
}

// NotesCreateV2Output is the structured result of the notes.create_v2 tool.
type NotesCreateV2Output struct {
	Message string `json:"message"`
}

// NotesCreateV2 returns the handler of the notes.create_v2 tool.
// Clients see it described as: Creates a note. Takes a title and a body.
//
// tool is the tool as clerk-mcp.yaml describes it; set more of it here if
// you need to (a title, annotations, an input schema of your own).
func NotesCreateV2(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[NotesCreateV2Input, NotesCreateV2Output] {
	return func(ctx context.Context, req *mcp.CallToolRequest, in NotesCreateV2Input) (*mcp.CallToolResult, NotesCreateV2Output, error) {
		caller, ok := clerkauth.CallerFrom(ctx, req.Extra)
		if !ok {
			return nil, NotesCreateV2Output{}, errors.New("no authenticated Clerk user")
		}
		// Do the tool's work here, as caller.UserID.
		return nil, NotesCreateV2Output{Message: "notes.create_v2" + " called by " + caller.UserID}, nil
	}
}
