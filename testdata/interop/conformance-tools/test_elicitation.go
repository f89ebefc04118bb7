package tools

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type TestElicitationInput struct {
	Message string `json:"message" jsonschema:"the message to show the user"`
}

func TestElicitation(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[TestElicitationInput, any] {
	return func(ctx context.Context, req *mcp.CallToolRequest, in TestElicitationInput) (*mcp.CallToolResult, any, error) {
		res, err := req.Session.Elicit(ctx, &mcp.ElicitParams{
			Message: in.Message,
			RequestedSchema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					"username": map[string]any{"type": "string", "description": "User's response"},
					"email":    map[string]any{"type": "string", "description": "User's email address"},
				},
				"required": []string{"username", "email"},
			},
		})
		if err != nil {
			return nil, nil, fmt.Errorf("elicitation: %w", err)
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf("User response: action=%s, content=%v", res.Action, res.Content)}}}, nil, nil
	}
}
