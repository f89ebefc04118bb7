package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"example.com/statefulsse/internal/clerkauth"
	"example.com/statefulsse/internal/clerkfake"
)

// testDeps points the tools at a fake Clerk.
func testDeps(fake *clerkfake.Fake) *Deps {
	return &Deps{Users: user.NewClient(&clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		URL: clerk.String(fake.URL + "/v1"),
		Key: clerk.String(fake.SecretKey),
	}})}
}

func Test_GetClerkUserData(t *testing.T) {
	fake := clerkfake.New(t)
	fake.AddUser(clerkfake.User{ID: "user_grace", Username: "grace", FirstName: "Grace", LastName: "Hopper", Email: "grace@example.com"})
	handler := GetClerkUserData(&mcp.Tool{}, testDeps(fake))

	ctx := clerkauth.WithCaller(context.Background(), &clerkauth.Caller{UserID: "user_grace", ClientID: "client_1", Scopes: []string{"profile"}})
	res, _, err := handler(ctx, &mcp.CallToolRequest{}, GetClerkUserDataInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ID             string `json:"id"`
		FirstName      string `json:"first_name"`
		EmailAddresses []struct {
			EmailAddress string `json:"email_address"`
		} `json:"email_addresses"`
	}
	if err := json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "user_grace" || got.FirstName != "Grace" || len(got.EmailAddresses) != 1 || got.EmailAddresses[0].EmailAddress != "grace@example.com" {
		t.Errorf("got %+v, want Grace Hopper's user", got)
	}
	if n := fake.Calls("users"); n != 1 {
		t.Errorf("Backend API users calls = %d, want 1", n)
	}
}

func Test_GetClerkUserData_UnknownUser(t *testing.T) {
	fake := clerkfake.New(t)
	handler := GetClerkUserData(&mcp.Tool{}, testDeps(fake))
	ctx := clerkauth.WithCaller(context.Background(), &clerkauth.Caller{UserID: "user_missing"})
	_, _, err := handler(ctx, &mcp.CallToolRequest{}, GetClerkUserDataInput{})
	if err == nil {
		t.Fatal("want an error for a user Clerk does not know")
	}
	if strings.Contains(err.Error(), "resource_not_found") || strings.Contains(err.Error(), "not found") {
		t.Errorf("error %q passes Clerk's own error text to the client", err)
	}
}

func Test_GetClerkUserData_ClerkDown(t *testing.T) {
	fake := clerkfake.New(t)
	fake.SetFault(clerkfake.BackendDown)
	handler := GetClerkUserData(&mcp.Tool{}, testDeps(fake))
	ctx := clerkauth.WithCaller(context.Background(), &clerkauth.Caller{UserID: clerkfake.DefaultUserID})
	_, _, err := handler(ctx, &mcp.CallToolRequest{}, GetClerkUserDataInput{})
	if err == nil {
		t.Fatal("want an error while Clerk is down")
	}
	if strings.Contains(err.Error(), "temporarily unavailable") || strings.Contains(err.Error(), "service_unavailable") {
		t.Errorf("error %q passes Clerk's own error text to the client", err)
	}
}

func Test_GetClerkUserData_NoCaller(t *testing.T) {
	fake := clerkfake.New(t)
	handler := GetClerkUserData(&mcp.Tool{}, testDeps(fake))
	if _, _, err := handler(context.Background(), &mcp.CallToolRequest{}, GetClerkUserDataInput{}); err == nil {
		t.Fatal("want an error without an authenticated caller")
	}
	if n := fake.Calls("users"); n != 0 {
		t.Errorf("Backend API users calls = %d, want 0", n)
	}
}
