package resources

import (
	"context"
	"errors"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/surface/internal/clerkauth"
	"example.com/surface/tools"
)

// NotesIndex returns the handler of the notes-index resource, notes://index.
// Clients see it described as: Every note's title
//
// resource is the resource as clerk-mcp.yaml describes it; set more of it
// here if you need to (a title, a size, annotations).
func NotesIndex(resource *mcp.Resource, deps *tools.Deps) mcp.ResourceHandler {
	mimeType := resource.MIMEType
	if mimeType == "" {
		mimeType = "text/plain"
	}
	return func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		caller, ok := clerkauth.CallerFrom(ctx, req.Extra)
		if !ok {
			return nil, errors.New("no authenticated Clerk user")
		}
		// Read the resource here, as caller.UserID. Binary content goes in
		// Blob instead of Text.
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{
			URI:      req.Params.URI,
			MIMEType: mimeType,
			Text:     "notes-index" + " read by " + caller.UserID,
		}}}, nil
	}
}
