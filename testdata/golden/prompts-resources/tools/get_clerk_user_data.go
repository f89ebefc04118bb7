package tools

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/surface/internal/clerkauth"
)

// GetClerkUserDataInput is the input of the get-clerk-user-data tool: it takes none.
type GetClerkUserDataInput struct{}

// GetClerkUserData returns the handler of the get-clerk-user-data tool. It fetches the
// Clerk user that authorized the request and returns it as JSON.
//
// tool is the tool as clerk-mcp.yaml describes it; set more of it here if
// you need to (a title, annotations).
func GetClerkUserData(tool *mcp.Tool, deps *Deps) mcp.ToolHandlerFor[GetClerkUserDataInput, any] {
	tool.Annotations = &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true}
	return func(ctx context.Context, req *mcp.CallToolRequest, _ GetClerkUserDataInput) (*mcp.CallToolResult, any, error) {
		caller, ok := clerkauth.CallerFrom(ctx, req.Extra)
		if !ok {
			return nil, nil, errors.New("no authenticated Clerk user")
		}
		u, err := deps.Users.Get(ctx, caller.UserID)
		if err != nil {
			// Clerk's own error text stays in the server's log: the
			// client is told what happened, not how Clerk put it.
			if deps.Logger != nil {
				deps.Logger.Warn("fetching the Clerk user failed", "user", caller.UserID, "err", err)
			}
			var apiErr *clerk.APIErrorResponse
			if errors.As(err, &apiErr) && apiErr.HTTPStatusCode == http.StatusNotFound {
				return nil, nil, errors.New("this Clerk user no longer exists")
			}
			return nil, nil, errors.New("the Clerk user could not be fetched right now; try again shortly")
		}
		body, err := json.Marshal(u)
		if err != nil {
			return nil, nil, err
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(body)}}}, nil, nil
	}
}
