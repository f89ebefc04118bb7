package resources

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/project/tools"
)

func WatchedResource(resource *mcp.Resource, deps *tools.Deps) mcp.ResourceHandler {
	return func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{
			{URI: resource.URI, MIMEType: "text/plain", Text: "A resource that can be subscribed to."},
		}}, nil
	}
}
