package resources

import (
	"context"
	"errors"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/surface/internal/clerkauth"
	"example.com/surface/tools"
)

// About returns the handler of the about resource, https://example.com/about.
//
// resource is the resource as clerk-mcp.yaml describes it; set more of it
// here if you need to (a title, a size, annotations).
func About(resource *mcp.Resource, deps *tools.Deps) mcp.ResourceHandler {
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
			Text:     "about" + " read by " + caller.UserID,
		}}}, nil
	}
}
