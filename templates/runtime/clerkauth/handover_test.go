package clerkauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

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
			if !ok || caller.UserID != "user_handover" {
				t.Fatalf("CallerFrom = %+v, %v", caller, ok)
			}
			// A tool is given the TokenInfo (req.Extra): the caller it
			// finds there is a copy too, and the server's own Caller
			// cannot be taken out of it.
			fromExtra, ok := CallerFrom(context.Background(), &mcp.RequestExtra{TokenInfo: info})
			if !ok || fromExtra.UserID != "user_handover" || fromExtra == callerIn(ctx, nil) {
				t.Fatalf("CallerFrom(req.Extra) = %+v, %v; want a copy of the caller", fromExtra, ok)
			}
			for k, v := range info.Extra {
				if c, ok := v.(*Caller); ok {
					t.Fatalf("TokenInfo.Extra[%q] holds the server's *Caller %p", k, c)
				}
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

// sharingVerifier is a TokenVerifier of a user's that returns one Caller
// for every request, as a verifier with a cache of its own would.
type sharingVerifier struct{ c *Caller }

func (s sharingVerifier) Verify(context.Context, string) (*Caller, error) { return s.c, nil }

// With a TokenVerifier that shares its Callers, what one request's handler
// changes in its TokenInfo still reaches neither the verifier's Caller nor
// another request.
func TestAuthenticateCopiesCallersOfOtherVerifiers(t *testing.T) {
	shared := &Caller{UserID: "user_shared", Scopes: []string{"email"}, Format: FormatOpaque}
	m := &Middleware{Verifier: sharingVerifier{shared}, ResourceMetadataURL: "http://127.0.0.1/.well-known/oauth-protected-resource/mcp"}
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader("{}"))
	r.Header.Set("Authorization", "Bearer oat_anything")
	served, ok := m.Authenticate(httptest.NewRecorder(), r)
	if !ok {
		t.Fatal("refused")
	}
	info := auth.TokenInfoFromContext(served.Context())
	if info == nil || info.UserID != "user_shared" {
		t.Fatalf("TokenInfo = %+v", info)
	}
	info.Scopes[0] = "changed"
	if shared.Scopes[0] != "email" {
		t.Error("a request's TokenInfo shares its scopes with the verifier's Caller")
	}
	again, _ := m.Authenticate(httptest.NewRecorder(), r)
	if c := callerIn(again.Context(), nil); c == nil || c.Scopes[0] != "email" {
		t.Errorf("the next request's caller is %+v", c)
	}
}

// A sealed Caller keeps nothing of the Caller it was made from (which the
// verifier drops), and neither its scopes nor its TokenInfo's can grow into
// the other's.
func TestSealSharesNothing(t *testing.T) {
	orig := &Caller{UserID: "user_seal", ClientID: "client_seal", Scopes: []string{"email", "profile"}, Format: FormatOpaque}
	sealed := orig.seal()
	if sealed == orig || &sealed.Scopes[0] == &orig.Scopes[0] {
		t.Fatal("the sealed Caller shares the original's memory")
	}
	info := sealed.info
	if info == nil || info.UserID != "user_seal" || info.Extra["clientId"] != "client_seal" || len(info.Scopes) != 2 {
		t.Fatalf("TokenInfo = %+v", info)
	}
	if h, ok := info.Extra[tokenInfoKey].(heldCaller); !ok || h.c != sealed {
		t.Fatalf("TokenInfo.Extra does not hold the sealed Caller")
	}
	grownInfo := append(info.Scopes, "admin")
	grownCaller := append(sealed.Scopes, "write")
	if sealed.Scopes[0] != "email" || sealed.Scopes[1] != "profile" || sealed.HasScope("admin") {
		t.Errorf("appending to the TokenInfo's scopes reached the Caller's: %q", sealed.Scopes)
	}
	if info.Scopes[0] != "email" || len(info.Scopes) != 2 || grownInfo[2] != "admin" || grownCaller[2] != "write" {
		t.Errorf("appending to the Caller's scopes reached the TokenInfo's: %q", info.Scopes)
	}
	info.Scopes[1] = "changed"
	if !sealed.HasScope("profile") {
		t.Error("changing the TokenInfo's scopes reached the Caller's")
	}
	if none := (&Caller{UserID: "user_none"}).seal(); none.Scopes != nil || none.info.Scopes != nil {
		t.Errorf("a Caller without scopes sealed to %q and %q, want nil", none.Scopes, none.info.Scopes)
	}
}
