package resources

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/project/tools"
)

func StaticText(resource *mcp.Resource, deps *tools.Deps) mcp.ResourceHandler {
	return func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{
			{URI: resource.URI, MIMEType: "text/plain", Text: "This is the content of the static text resource."},
		}}, nil
	}
}
