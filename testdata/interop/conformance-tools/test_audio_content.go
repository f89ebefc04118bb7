package tools

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestAudioContent(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[struct{}, any] {
	return func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.AudioContent{Data: silentWAV(), MIMEType: "audio/wav"}}}, nil, nil
	}
}
