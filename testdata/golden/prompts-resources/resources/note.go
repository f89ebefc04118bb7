package resources

import (
	"context"
	"errors"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/surface/internal/clerkauth"
	"example.com/surface/tools"
)

// Note returns the handler of the note resource template,
// notes://note/{id}, and a Complete function for its variables (nil
// offers none).
// Clients see it described as: One note, by id
//
// template is the resource template as clerk-mcp.yaml describes it; set more
// of it here if you need to (a title, annotations).
func Note(template *mcp.ResourceTemplate, deps *tools.Deps) (mcp.ResourceHandler, Complete) {
	mimeType := template.MIMEType
	if mimeType == "" {
		mimeType = "text/plain"
	}
	handler := func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		caller, ok := clerkauth.CallerFrom(ctx, req.Extra)
		if !ok {
			return nil, errors.New("no authenticated Clerk user")
		}
		// req.Params.URI is the URI asked for, which matches the template:
		// take its variables from it and read what it names, as
		// caller.UserID. For a URI that names nothing, return
		// mcp.ResourceNotFoundError(req.Params.URI).
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{
			URI:      req.Params.URI,
			MIMEType: mimeType,
			Text:     "note" + ": " + req.Params.URI + ", read by " + caller.UserID,
		}}}, nil
	}
	return handler, nil
}
