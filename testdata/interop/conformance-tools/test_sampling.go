package tools

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type TestSamplingInput struct {
	Prompt string `json:"prompt" jsonschema:"the prompt to send to the LLM"`
}

func TestSampling(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[TestSamplingInput, any] {
	return func(ctx context.Context, req *mcp.CallToolRequest, in TestSamplingInput) (*mcp.CallToolResult, any, error) {
		res, err := req.Session.CreateMessage(ctx, &mcp.CreateMessageParams{
			Messages:  []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: in.Prompt}}},
			MaxTokens: 100,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("sampling: %w", err)
		}
		text := "(not text)"
		if tc, ok := res.Content.(*mcp.TextContent); ok {
			text = tc.Text
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "LLM response: " + text}}}, nil, nil
	}
}
