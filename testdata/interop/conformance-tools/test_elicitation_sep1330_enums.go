package tools

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestElicitationSep1330Enums(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[struct{}, any] {
	titled := func(prefix, word string) []map[string]any {
		var out []map[string]any
		for i, name := range []string{"First", "Second", "Third"} {
			out = append(out, map[string]any{"const": fmt.Sprintf("%s%d", prefix, i+1), "title": name + " " + word})
		}
		return out
	}
	return func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		res, err := req.Session.Elicit(ctx, &mcp.ElicitParams{
			Message: "Every kind of enum",
			RequestedSchema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					"untitledSingle": map[string]any{"type": "string", "enum": []string{"option1", "option2", "option3"}},
					"titledSingle":   map[string]any{"type": "string", "oneOf": titled("value", "Option")},
					"legacyEnum": map[string]any{"type": "string", "enum": []string{"opt1", "opt2", "opt3"},
						"enumNames": []string{"Option One", "Option Two", "Option Three"}},
					"untitledMulti": map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": []string{"option1", "option2", "option3"}}},
					"titledMulti":   map[string]any{"type": "array", "items": map[string]any{"anyOf": titled("value", "Choice")}},
				},
			},
		})
		if err != nil {
			return nil, nil, fmt.Errorf("elicitation: %w", err)
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf("Elicitation completed: action=%s, content=%v", res.Action, res.Content)}}}, nil, nil
	}
}
