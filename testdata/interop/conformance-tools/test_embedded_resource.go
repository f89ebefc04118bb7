package tools

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestEmbeddedResource(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[struct{}, any] {
	return func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
			URI: "test://embedded-resource", MIMEType: "text/plain", Text: "This is an embedded resource content.",
		}}}}, nil, nil
	}
}
