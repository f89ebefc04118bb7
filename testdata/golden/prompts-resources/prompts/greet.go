package prompts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/surface/internal/clerkauth"
	"example.com/surface/tools"
)

// Greet returns the handler of the greet prompt, and a
// Complete function that suggests values for its arguments (return nil
// instead to offer none).
//
// prompt is the prompt as clerk-mcp.yaml describes it; declare its arguments
// here (and a title if you like). Clients pass them as strings, in
// req.Params.Arguments.
func Greet(prompt *mcp.Prompt, deps *tools.Deps) (mcp.PromptHandler, Complete) {
	prompt.Arguments = []*mcp.PromptArgument{
		{Name: "topic", Description: "What the prompt is about (optional)"},
	}
	handler := func(ctx context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		caller, ok := clerkauth.CallerFrom(ctx, req.Extra)
		if !ok {
			return nil, errors.New("no authenticated Clerk user")
		}
		topic := req.Params.Arguments["topic"]
		if topic == "" {
			topic = "anything"
		}
		// Write the prompt's messages here, for caller.UserID.
		text := fmt.Sprintf("%s for %s, about %s.", "greet", caller.UserID, topic)
		return &mcp.GetPromptResult{
			Description: prompt.Description,
			Messages:    []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: text}}},
		}, nil
	}
	complete := func(ctx context.Context, req *mcp.CompleteRequest) (*mcp.CompleteResult, error) {
		values := []string{}
		if req.Params.Argument.Name == "topic" {
			for _, topic := range []string{"notes", "news", "weather"} {
				if strings.HasPrefix(topic, req.Params.Argument.Value) {
					values = append(values, topic)
				}
			}
		}
		return &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: values, Total: len(values)}}, nil
	}
	return handler, complete
}
