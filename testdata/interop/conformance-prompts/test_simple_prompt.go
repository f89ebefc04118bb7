package prompts

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/project/tools"
)

func TestSimplePrompt(prompt *mcp.Prompt, deps *tools.Deps) (mcp.PromptHandler, Complete) {
	return func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{
			{Role: "user", Content: &mcp.TextContent{Text: "This is a simple prompt for testing."}},
		}}, nil
	}, nil
}
