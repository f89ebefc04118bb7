package tools

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestSimpleText(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[struct{}, any] {
	return func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "This is a simple text response for testing."}}}, nil, nil
	}
}
