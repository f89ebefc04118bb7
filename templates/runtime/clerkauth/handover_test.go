package clerkauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// The go-sdk must find the caller's TokenInfo in the request Authenticate
// returns (it binds sessions to users and hands it to tools), whichever way
// it was put there.
func TestAuthenticateHandsTheCallerToTheSDK(t *testing.T) {
	if sdkTokenInfoKey == nil {
		t.Fatal("the go-sdk's TokenInfo key was not learnt: every request takes the slower tokenBridge")
	}
	fake, err := clerkfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	v := newTestVerifier(t, fake, nil)
	m := &Middleware{Verifier: v, ResourceMetadataURL: "http://127.0.0.1/.well-known/oauth-protected-resource/mcp"}
	token := fake.IssueOpaque(clerkfake.TokenOptions{UserID: "user_handover", Scopes: []string{"email", "profile"}, TTL: time.Hour})

	for _, path := range []string{"callerContext", "tokenBridge"} {
		t.Run(path, func(t *testing.T) {
			if path == "tokenBridge" {
				key := sdkTokenInfoKey
				sdkTokenInfoKey = nil
				defer func() { sdkTokenInfoKey = key }()
			}
			type marker struct{}
			parent, cancel := context.WithCancel(context.WithValue(context.Background(), marker{}, "kept"))
			r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader("{}")).WithContext(parent)
			r.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			served, ok := m.Authenticate(w, r)
			if !ok {
				t.Fatalf("refused: %d %s", w.Code, w.Body)
			}
			// A context derived from the request's, as the go-sdk makes.
			ctx, stop := context.WithTimeout(served.Context(), time.Minute)
			defer stop()
			info := auth.TokenInfoFromContext(ctx)
			if info == nil || info.UserID != "user_handover" || len(info.Scopes) != 2 {
				t.Fatalf("TokenInfo = %+v", info)
			}
			caller, ok := CallerFrom(ctx, nil)
			inInfo, _ := info.Extra[tokenInfoKey].(*Caller)
			if !ok || caller.UserID != "user_handover" || inInfo == nil || inInfo.UserID != caller.UserID {
				t.Fatalf("CallerFrom = %+v, %v; TokenInfo.Extra = %v", caller, ok, info.Extra)
			}
			if ctx.Value(marker{}) != "kept" {
				t.Error("the request's own context values were lost")
			}
			cancel()
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("cancelling the request's context did not reach what was derived from it")
			}
			// What a handler is given is its own: changing the Caller,
			// or the TokenInfo's scopes, changes nothing the server checks
			// later requests with.
			caller.Scopes[0] = "changed"
			caller.UserID = "user_other"
			info.Scopes[0] = "changed"
			again, ok := m.Authenticate(httptest.NewRecorder(), r)
			if !ok {
				t.Fatal("second request refused")
			}
			if c, _ := CallerFrom(again.Context(), nil); c.Scopes[0] != "email" || c.UserID != "user_handover" {
				t.Errorf("a later request's Caller is %+v: a handler's changes reached it", c)
			}
			if c := callerIn(again.Context(), nil); c.Scopes[0] != "email" || !c.HasScope("email") {
				t.Errorf("the server's own Caller for the token is %+v: a handler's changes reached it", c)
			}
		})
	}
}
