package prompts

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/project/tools"
)

func TestPromptWithEmbeddedResource(prompt *mcp.Prompt, deps *tools.Deps) (mcp.PromptHandler, Complete) {
	prompt.Arguments = []*mcp.PromptArgument{{Name: "resourceUri", Description: "URI of the resource to embed", Required: true}}
	return func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{
			{Role: "user", Content: &mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
				URI: req.Params.Arguments["resourceUri"], MIMEType: "text/plain", Text: "Embedded resource content for testing.",
			}}},
			{Role: "user", Content: &mcp.TextContent{Text: "Please process the embedded resource above."}},
		}}, nil
	}, nil
}
