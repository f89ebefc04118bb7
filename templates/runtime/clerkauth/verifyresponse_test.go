package clerkauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestOpaqueVerifyResponses feeds the verifier the Backend API answers Clerk
// documents (and a few it might give) and checks each is read right.
func TestOpaqueVerifyResponses(t *testing.T) {
	now := time.Now()
	body := func(extra string) string {
		return `{"object":"clerk_idp_oauth_access_token","id":"oat_x","client_id":"client_1","subject":"user_1",` +
			`"scopes":["profile"],"revoked":false,"revocation_reason":null,"expired":false,"created_at":1,"updated_at":1` + extra + `}`
	}
	cases := []struct {
		name    string
		status  int
		body    string
		want    error // nil: accepted
		expires time.Time
	}{
		{"expiration in milliseconds", 200, body(fmt.Sprintf(`,"expiration":%d`, now.Add(time.Hour).UnixMilli())), nil, now.Add(time.Hour)},
		{"expiration in seconds", 200, body(fmt.Sprintf(`,"expiration":%d`, now.Add(time.Hour).Unix())), nil, now.Add(time.Hour)},
		{"no expiration", 200, body(`,"expiration":null`), nil, time.Time{}},
		{"expiration passed, in seconds", 200, body(fmt.Sprintf(`,"expiration":%d`, now.Add(-time.Minute).Unix())), ErrInvalidToken, time.Time{}},
		{"expired flag", 200, `{"object":"clerk_idp_oauth_access_token","subject":"user_1","expired":true}`, ErrInvalidToken, time.Time{}},
		{"revoked flag", 200, `{"object":"clerk_idp_oauth_access_token","subject":"user_1","revoked":true}`, ErrInvalidToken, time.Time{}},
		{"inactive", 200, `{"active":false}`, ErrInvalidToken, time.Time{}},
		{"another object", 200, `{"object":"machine_token","subject":"mch_1"}`, ErrInvalidToken, time.Time{}},
		{"no subject", 200, `{"object":"clerk_idp_oauth_access_token"}`, ErrInvalidToken, time.Time{}},
		{"not found", 404, `{"errors":[{"code":"resource_not_found","message":"not found"}]}`, ErrInvalidToken, time.Time{}},
		{"secret key refused", 401, `{"errors":[{"code":"authentication_invalid","message":"bad key"}]}`, ErrUnavailable, time.Time{}},
		{"rate limited", 429, `{"errors":[{"code":"too_many_requests","message":"slow down"}]}`, ErrUnavailable, time.Time{}},
		{"server error", 500, `{"errors":[{"code":"internal","message":"oops"}]}`, ErrUnavailable, time.Time{}},
		{"gateway error page", 502, `<html>bad gateway</html>`, ErrUnavailable, time.Time{}},
		// An answer that cannot be read says nothing about the token.
		{"a field of the wrong type", 200, body(`,"revoked":"no"`), ErrUnavailable, time.Time{}},
		{"not an object", 200, `["clerk_idp_oauth_access_token"]`, ErrUnavailable, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/oauth_applications/access_tokens/verify" || r.Method != http.MethodPost {
					http.NotFound(w, r)
					return
				}
				var sent map[string]any
				if err := json.NewDecoder(r.Body).Decode(&sent); err != nil || len(sent) != 1 || sent["access_token"] != "oat_0123456789abcdef0123456789abcdef" {
					t.Errorf("the verify call sent %v (%v), want only the access_token", sent, err)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.body)
			}))
			defer api.Close()
			v, err := NewVerifier(Config{Issuer: "https://clerk.example.com", APIURL: api.URL, SecretKey: "sk_test_x"})
			if err != nil {
				t.Fatal(err)
			}
			caller, err := v.Verify(context.Background(), "oat_0123456789abcdef0123456789abcdef")
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want == nil:
				if caller.UserID != "user_1" || caller.ClientID != "client_1" || caller.Format != FormatOpaque || len(caller.Scopes) != 1 || caller.Scopes[0] != "profile" {
					t.Errorf("caller %+v", caller)
				}
				if d := caller.ExpiresAt.Sub(c.expires); d > time.Second || d < -time.Second {
					t.Errorf("expires at %v, want %v", caller.ExpiresAt, c.expires)
				}
			case !errors.Is(err, c.want):
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}
