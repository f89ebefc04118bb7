package clerkauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// testClock is a settable clock for Config.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const thisServer = "https://mcp.example.com/mcp"

// newTestVerifier returns a Verifier pointed at fake; edit may change the
// configuration first.
func newTestVerifier(t *testing.T, fake *clerkfake.Fake, edit func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{
		Issuer:    fake.URL,
		APIURL:    fake.URL,
		SecretKey: fake.SecretKey,
		Audiences: []string{"https://mcp.example.com", thisServer},
	}
	if edit != nil {
		edit(&cfg)
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func issueJWT(t *testing.T, fake *clerkfake.Fake, o clerkfake.TokenOptions) string {
	t.Helper()
	tok, err := fake.IssueJWT(o)
	if err != nil {
		t.Fatalf("IssueJWT: %v", err)
	}
	return tok
}

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// currentKid returns the kid the fake signs with now.
func currentKid(t *testing.T, fake *clerkfake.Fake) string {
	t.Helper()
	h, err := ParseAccessTokenHeader(issueJWT(t, fake, clerkfake.TokenOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

func checkCaller(t *testing.T, got *Caller, want Caller) {
	t.Helper()
	if got == nil {
		t.Fatal("caller is nil")
	}
	if got.UserID != want.UserID || got.ClientID != want.ClientID || got.Format != want.Format || !slices.Equal(got.Scopes, want.Scopes) {
		t.Errorf("caller = {UserID:%q ClientID:%q Scopes:%q Format:%q}, want {UserID:%q ClientID:%q Scopes:%q Format:%q}",
			got.UserID, got.ClientID, got.Scopes, got.Format, want.UserID, want.ClientID, want.Scopes, want.Format)
	}
	if d := time.Until(got.ExpiresAt); d < 50*time.Minute || d > 61*time.Minute {
		t.Errorf("ExpiresAt is %v from now, want about an hour", d)
	}
}

func TestVerifyValidTokens(t *testing.T) {
	fake := clerkfake.New(t)
	v := newTestVerifier(t, fake, nil)
	ctx := context.Background()

	t.Run("opaque", func(t *testing.T) {
		tok := fake.IssueOpaque(clerkfake.TokenOptions{ClientID: "client_opaque", Scopes: []string{"profile", "email", "extra"}})
		c, err := v.Verify(ctx, tok)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		checkCaller(t, c, Caller{UserID: clerkfake.DefaultUserID, ClientID: "client_opaque", Scopes: []string{"profile", "email", "extra"}, Format: FormatOpaque})
		if n := fake.Calls("verify"); n != 1 {
			t.Errorf("verify calls = %d, want 1", n)
		}
	})

	t.Run("jwt", func(t *testing.T) {
		before := fake.Calls("verify")
		tok := issueJWT(t, fake, clerkfake.TokenOptions{UserID: "user_jwt", ClientID: "client_jwt", Scopes: []string{"profile"}})
		c, err := v.Verify(ctx, tok)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		checkCaller(t, c, Caller{UserID: "user_jwt", ClientID: "client_jwt", Scopes: []string{"profile"}, Format: FormatJWT})
		// More JWTs signed with the same key reuse the cached key set.
		for range 3 {
			if _, err := v.Verify(ctx, issueJWT(t, fake, clerkfake.TokenOptions{})); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		}
		if n := fake.Calls("verify") - before; n != 0 {
			t.Errorf("verifying JWTs made %d Backend API verify calls, want 0", n)
		}
		if n := fake.Calls("jwks"); n != 1 {
			t.Errorf("jwks calls = %d, want 1 (keys cached by kid)", n)
		}
	})

	t.Run("jwt scp claim", func(t *testing.T) {
		tok := issueJWT(t, fake, clerkfake.TokenOptions{Extra: map[string]any{"scp": []string{"a", "b"}}})
		c, err := v.Verify(ctx, tok)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if !slices.Equal(c.Scopes, []string{"a", "b"}) {
			t.Errorf("scopes = %q, want the scp claim [a b]", c.Scopes)
		}
	})
}

// An audience, when a token of either format has one, must name this
// server; with RequireAudience a token without one is refused too.
func TestVerifyAudience(t *testing.T) {
	fake := clerkfake.New(t)
	v := newTestVerifier(t, fake, nil)
	strict := newTestVerifier(t, fake, func(c *Config) { c.RequireAudience = true })
	issue := map[string]func(o clerkfake.TokenOptions) string{
		"jwt":    func(o clerkfake.TokenOptions) string { return issueJWT(t, fake, o) },
		"opaque": func(o clerkfake.TokenOptions) string { return fake.IssueOpaque(o) },
	}
	for format, mint := range issue {
		for _, aud := range [][]string{{thisServer}, {thisServer + "/"}, {"https://mcp.example.com"}, {"https://other.example.com", thisServer}} {
			tok := mint(clerkfake.TokenOptions{Audience: aud})
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Errorf("%s with aud %q: Verify: %v, want accepted", format, aud, err)
			}
			if _, err := strict.Verify(context.Background(), tok); err != nil {
				t.Errorf("%s with aud %q, audience required: Verify: %v, want accepted", format, aud, err)
			}
		}
		for _, aud := range [][]string{{"https://other.example.com/mcp"}, {"https://other.example.com", "https://third.example.com"}} {
			tok := mint(clerkfake.TokenOptions{Audience: aud})
			if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "audience") {
				t.Errorf("%s with aud %q naming other servers: err = %v, want an audience ErrInvalidToken", format, aud, err)
			}
		}
		tok := mint(clerkfake.TokenOptions{})
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Errorf("%s without aud: %v, want accepted (Clerk often sets none)", format, err)
		}
		if _, err := strict.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "REQUIRE_TOKEN_AUDIENCE") {
			t.Errorf("%s without aud, audience required: err = %v, want ErrInvalidToken naming REQUIRE_TOKEN_AUDIENCE", format, err)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	fake := clerkfake.New(t)
	v := newTestVerifier(t, fake, nil)
	otherKey := newRSAKey(t)
	kid := currentKid(t, fake)

	revoked := fake.IssueOpaque(clerkfake.TokenOptions{})
	fake.Revoke(revoked)

	tests := []struct {
		name    string
		token   string
		wantMsg string // part of the error message, to tell why it was refused
	}{
		{"empty", "", "not a Clerk OAuth access token"},
		{"garbage", "garbage", "not a Clerk OAuth access token"},
		{"garbage with dots", "a.b.c", "malformed JWT"},
		{"opaque too short", "oat_abc", "malformed opaque token"},
		{"opaque bad characters", "oat_0123456789abcdef-_", "malformed opaque token"},
		{"unknown opaque", "oat_0123456789ABCDEF0123456789ABCDEF", "unknown to Clerk"},
		{"revoked opaque", revoked, "revoked"},
		{"expired opaque", fake.IssueOpaque(clerkfake.TokenOptions{TTL: -time.Minute}), "expired"},
		{"expired JWT", issueJWT(t, fake, clerkfake.TokenOptions{TTL: -time.Minute}), "expired"},
		{"wrong issuer", issueJWT(t, fake, clerkfake.TokenOptions{Issuer: "https://evil.clerk.accounts.dev"}), "issued by"},
		{"issuer with trailing slash", issueJWT(t, fake, clerkfake.TokenOptions{Issuer: fake.URL + "/"}), "issued by"},
		{"session token (typ JWT)", issueJWT(t, fake, clerkfake.TokenOptions{Type: "JWT"}), "typ"},
		{"bad signature", issueJWT(t, fake, clerkfake.TokenOptions{SignWith: otherKey, KeyID: kid}), "signature"},
		{"unknown kid", issueJWT(t, fake, clerkfake.TokenOptions{KeyID: "ins_unknown"}), "unknown signing key"},
		{"alg none", fake.UnsignedJWT(), "algorithm"},
		{"no exp", issueJWT(t, fake, clerkfake.TokenOptions{NoExpiry: true}), "no expiry"},
		{"nbf in the future", issueJWT(t, fake, clerkfake.TokenOptions{NotBefore: time.Now().Add(time.Minute)}), "not valid yet"},
		{"iat in the future", issueJWT(t, fake, clerkfake.TokenOptions{Extra: map[string]any{"iat": time.Now().Add(time.Minute).Unix()}}), "future"},
		{"aud naming another server", issueJWT(t, fake, clerkfake.TokenOptions{Audience: []string{"https://other.example.com/mcp"}}), "audience"},
		{"no sub", issueJWT(t, fake, clerkfake.TokenOptions{Extra: map[string]any{"sub": ""}}), "subject"},
		{"machine token", issueJWT(t, fake, clerkfake.TokenOptions{UserID: "mch_2xhF"}), "machine"},
		{"no client_id", issueJWT(t, fake, clerkfake.TokenOptions{Extra: map[string]any{"client_id": ""}}), "client_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tt.token)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", c, err)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("err %v is also ErrUnavailable", err)
			}
			if c != nil {
				t.Errorf("caller = %+v, want nil", c)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestVerifyClockLeeway(t *testing.T) {
	fake := clerkfake.New(t)
	v := newTestVerifier(t, fake, nil)
	for name, o := range map[string]clerkfake.TokenOptions{
		"expired 2s ago": {TTL: -2 * time.Second},
		"nbf in 2s":      {NotBefore: time.Now().Add(2 * time.Second)},
	} {
		if _, err := v.Verify(context.Background(), issueJWT(t, fake, o)); err != nil {
			t.Errorf("%s: Verify: %v, want accepted within the clock leeway", name, err)
		}
	}
}

func TestVerifyGarbageMakesNoCalls(t *testing.T) {
	fake := clerkfake.New(t)
	v := newTestVerifier(t, fake, nil)
	for _, tok := range []string{"garbage", "oat_short", "eyJhbGciOiJIUzI1NiJ9.e30.x", "a b.c.d", "oat_" + strings.Repeat("A", 200)} {
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("Verify(%q) = %v, want ErrInvalidToken", tok, err)
		}
	}
	if n, m := fake.Calls("verify"), fake.Calls("jwks"); n != 0 || m != 0 {
		t.Errorf("malformed tokens caused %d verify and %d jwks calls, want none", n, m)
	}
}

// slowSwitch delays requests by an amount that can change.
type slowSwitch struct {
	mu    sync.Mutex
	delay time.Duration
}

func (s *slowSwitch) set(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

func (s *slowSwitch) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	d := s.delay
	s.mu.Unlock()
	time.Sleep(d)
	return http.DefaultTransport.RoundTrip(r)
}

// slowTransport delays every request, so that concurrent verifications of
// one token overlap.
type slowTransport struct{ delay time.Duration }

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(s.delay)
	return http.DefaultTransport.RoundTrip(r)
}

// waitFor polls cond until it holds, failing the test after ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOpaqueCache(t *testing.T) {
	ctx := context.Background()

	t.Run("repeat", func(t *testing.T) {
		fake := clerkfake.New(t)
		v := newTestVerifier(t, fake, nil)
		tok := fake.IssueOpaque(clerkfake.TokenOptions{})
		for range 2 {
			if _, err := v.Verify(ctx, tok); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		}
		if n := fake.Calls("verify"); n != 1 {
			t.Errorf("verify calls = %d, want 1", n)
		}
	})

	t.Run("negative", func(t *testing.T) {
		fake := clerkfake.New(t)
		v := newTestVerifier(t, fake, nil)
		const tok = "oat_0123456789ABCDEF0123456789ABCDEF"
		for range 3 {
			if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %v, want ErrInvalidToken", err)
			}
		}
		if n := fake.Calls("verify"); n != 1 {
			t.Errorf("verify calls = %d, want 1 (refusals are cached briefly)", n)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		fake := clerkfake.New(t)
		v := newTestVerifier(t, fake, func(c *Config) {
			c.HTTPClient = &http.Client{Transport: slowTransport{delay: 100 * time.Millisecond}}
		})
		tok := fake.IssueOpaque(clerkfake.TokenOptions{})
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 20)
		for range 20 {
			wg.Go(func() {
				<-start
				c, err := v.Verify(ctx, tok)
				if err == nil && c.UserID != clerkfake.DefaultUserID {
					err = fmt.Errorf("user %q", c.UserID)
				}
				errs <- err
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Verify: %v", err)
			}
		}
		if n := fake.Calls("verify"); n != 1 {
			t.Errorf("20 concurrent checks of one token made %d verify calls, want 1", n)
		}
	})

	t.Run("ttl", func(t *testing.T) {
		// A token nobody uses for longer than the cache TTL is asked
		// about again: its revocation is seen.
		fake := clerkfake.New(t)
		clock := newTestClock()
		v := newTestVerifier(t, fake, func(c *Config) { c.Now = clock.Now })
		tok := fake.IssueOpaque(clerkfake.TokenOptions{})
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		clock.Advance(MaxOpaqueCacheTTL - refreshAhead - time.Second)
		fake.Revoke(tok)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("within the cache TTL: %v (the cached answer stands)", err)
		}
		if n := fake.Calls("verify"); n != 1 {
			t.Fatalf("verify calls = %d, want 1 within the cache TTL", n)
		}
		clock.Advance(refreshAhead + 2*time.Second)
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("after the cache TTL, a revoked token: err = %v, want ErrInvalidToken", err)
		}
		if n := fake.Calls("verify"); n != 2 {
			t.Errorf("verify calls = %d, want 2 after the cache TTL", n)
		}
	})

	t.Run("refreshed before it lapses", func(t *testing.T) {
		// A token in use is checked again in the background shortly
		// before its entry lapses: its user never waits, and a revocation
		// takes effect at that check.
		fake := clerkfake.New(t)
		clock := newTestClock()
		v := newTestVerifier(t, fake, func(c *Config) { c.Now = clock.Now })
		tok := fake.IssueOpaque(clerkfake.TokenOptions{})
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		clock.Advance(MaxOpaqueCacheTTL - refreshAhead/2)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("in the refresh window: %v, want the cached answer", err)
		}
		waitFor(t, "the background refresh", func() bool { return fake.Calls("verify") == 2 })
		waitFor(t, "the refreshed entry", func() bool {
			_, endsSoon, ok := v.opaque.cache.lookup(sha256.Sum256([]byte(tok)), refreshAhead)
			return ok && !endsSoon
		})
		clock.Advance(refreshAhead) // past the first entry's end
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("after the first entry would have lapsed: %v", err)
		}
		if n := fake.Calls("verify"); n != 2 {
			t.Errorf("verify calls = %d, want 2 (served from the refreshed entry)", n)
		}
		fake.Revoke(tok)
		clock.Advance(MaxOpaqueCacheTTL - refreshAhead - time.Second)
		_, _ = v.Verify(ctx, tok) // starts the next background check
		waitFor(t, "the revocation to be seen", func() bool {
			_, err := v.Verify(ctx, tok)
			return errors.Is(err, ErrInvalidToken)
		})
	})

	t.Run("never past expiry", func(t *testing.T) {
		fake := clerkfake.New(t)
		clock := newTestClock()
		v := newTestVerifier(t, fake, func(c *Config) { c.Now = clock.Now })
		tok := fake.IssueOpaque(clerkfake.TokenOptions{TTL: 10 * time.Second})
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		clock.Advance(11 * time.Second)
		// The fake still calls it valid by the wall clock; the verifier
		// must not reuse the cached answer past the expiry nor accept it.
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("after expiry: err = %v, want ErrInvalidToken", err)
		}
		if n := fake.Calls("verify"); n != 2 {
			t.Errorf("verify calls = %d, want 2 (cache entry ends at expiry)", n)
		}
	})
}

func TestOpaqueFailClosed(t *testing.T) {
	ctx := context.Background()

	t.Run("backend down", func(t *testing.T) {
		fake := clerkfake.New(t)
		v := newTestVerifier(t, fake, nil)
		tok := fake.IssueOpaque(clerkfake.TokenOptions{})
		fake.SetFault(clerkfake.BackendDown)
		if c, err := v.Verify(ctx, tok); !errors.Is(err, ErrUnavailable) || c != nil {
			t.Fatalf("Verify = %+v, %v; want ErrUnavailable", c, err)
		}
		// An outage is not remembered as a verdict on the token.
		fake.SetFault(clerkfake.NoFault)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Errorf("after recovery: Verify: %v", err)
		}
	})

	t.Run("backend hangs", func(t *testing.T) {
		fake := clerkfake.New(t)
		v := newTestVerifier(t, fake, func(c *Config) { c.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond} })
		tok := fake.IssueOpaque(clerkfake.TokenOptions{})
		fake.SetFault(clerkfake.BackendHang)
		start := time.Now()
		_, err := v.Verify(ctx, tok)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Verify took %v, want well under 2s", d)
		}
	})

	t.Run("secret key refused", func(t *testing.T) {
		fake := clerkfake.New(t)
		v := newTestVerifier(t, fake, func(c *Config) { c.SecretKey = "sk_test_wrong" })
		tok := fake.IssueOpaque(clerkfake.TokenOptions{})
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v, want ErrUnavailable", err)
		}
	})
}

func TestJWKS(t *testing.T) {
	ctx := context.Background()

	t.Run("rotation", func(t *testing.T) {
		// A token signed with a key published since the last fetch waits
		// for a fetch and is accepted: never a 401 for a valid token.
		fake := clerkfake.New(t)
		clock := newTestClock()
		v := newTestVerifier(t, fake, func(c *Config) { c.Now = clock.Now; c.JWKSRefetchInterval = time.Second })
		if _, err := v.Verify(ctx, issueJWT(t, fake, clerkfake.TokenOptions{})); err != nil {
			t.Fatal(err)
		}
		if err := fake.RotateKey(false); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(ctx, issueJWT(t, fake, clerkfake.TokenOptions{})); err != nil {
			t.Fatalf("new key right after the rotation: %v", err)
		}
		if n := fake.Calls("jwks"); n != 2 {
			t.Errorf("jwks calls = %d, want 2", n)
		}
	})

	t.Run("rotation real clock", func(t *testing.T) {
		fake := clerkfake.New(t)
		v := newTestVerifier(t, fake, func(c *Config) { c.JWKSRefetchInterval = time.Millisecond })
		if _, err := v.Verify(ctx, issueJWT(t, fake, clerkfake.TokenOptions{})); err != nil {
			t.Fatal(err)
		}
		if err := fake.RotateKey(true); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if _, err := v.Verify(ctx, issueJWT(t, fake, clerkfake.TokenOptions{})); err != nil {
			t.Errorf("JWT signed with the rotated key: %v", err)
		}
	})

	t.Run("burst of unknown kids", func(t *testing.T) {
		// Concurrent made-up kids share one fetch; one after another,
		// each waits for the next fetch the budget allows.
		fake := clerkfake.New(t)
		const interval = 20 * time.Millisecond
		slow := &slowSwitch{}
		v := newTestVerifier(t, fake, func(c *Config) {
			c.JWKSRefetchInterval = interval
			c.HTTPClient = &http.Client{Transport: slow}
		})
		if _, err := v.Verify(ctx, issueJWT(t, fake, clerkfake.TokenOptions{})); err != nil {
			t.Fatal(err)
		}
		toks := make([]string, 50)
		for i := range toks {
			toks[i] = issueJWT(t, fake, clerkfake.TokenOptions{KeyID: fmt.Sprintf("ins_madeup%02d", i)})
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(toks))
		start := make(chan struct{})
		// The fetch takes a while, so that all 25 arrive while it is on.
		slow.set(300 * time.Millisecond)
		for _, tok := range toks[:25] {
			wg.Go(func() {
				<-start
				_, err := v.Verify(ctx, tok)
				errs <- err
			})
		}
		close(start)
		wg.Wait()
		slow.set(0)
		// One, or two if the machine was too slow to start every caller
		// within the fetch.
		if n := fake.Calls("jwks"); n < 2 || n > 3 {
			t.Errorf("25 concurrent made-up kids caused %d jwks calls after the first, want 1", n-1)
		}
		before := fake.Calls("jwks")
		began := time.Now()
		for _, tok := range toks[25:] {
			_, err := v.Verify(ctx, tok)
			errs <- err
		}
		elapsed := time.Since(began)
		close(errs)
		for err := range errs {
			if !errors.Is(err, ErrInvalidToken) {
				t.Errorf("made-up kid: err = %v, want ErrInvalidToken", err)
			}
		}
		// The bound: a burst, then one fetch per interval.
		if n, most := fake.Calls("jwks")-before, jwksRefetchBurst+int(elapsed/interval)+1; n > most {
			t.Errorf("25 made-up kids in %v caused %d jwks calls, want at most %d", elapsed, n, most)
		}
		if _, err := v.Verify(ctx, issueJWT(t, fake, clerkfake.TokenOptions{})); err != nil {
			t.Errorf("valid JWT after the burst: %v", err)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		fake := clerkfake.New(t)
		v := newTestVerifier(t, fake, nil)
		fake.SetFault(clerkfake.MetadataDown)
		if _, err := v.Verify(ctx, issueJWT(t, fake, clerkfake.TokenOptions{})); !errors.Is(err, ErrUnavailable) {
			t.Errorf("JWKS down on first use: err = %v, want ErrUnavailable", err)
		}
	})

	t.Run("stale keys survive an outage", func(t *testing.T) {
		fake := clerkfake.New(t)
		clock := newTestClock()
		v := newTestVerifier(t, fake, func(c *Config) { c.Now = clock.Now })
		tok := issueJWT(t, fake, clerkfake.TokenOptions{TTL: 3 * time.Hour})
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		fake.SetFault(clerkfake.MetadataDown)
		clock.Advance(90 * time.Minute)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Errorf("stale key while JWKS is down: %v", err)
		}
		waitFor(t, "the refresh of stale keys", func() bool { return fake.Calls("jwks") == 2 })
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Errorf("stale key after a failed refresh: %v", err)
		}
	})
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    string
		wantErr error // nil, errMissingCredentials or ErrInvalidToken
	}{
		{"missing", nil, "", errMissingCredentials},
		{"basic", []string{"Basic x"}, "", errMissingCredentials},
		{"scheme only", []string{"Bearer"}, "", ErrInvalidToken},
		{"empty token", []string{"Bearer  "}, "", ErrInvalidToken},
		{"lowercase scheme", []string{"bearer tok"}, "tok", nil},
		{"uppercase scheme", []string{"BEARER tok"}, "tok", nil},
		{"extra spaces", []string{"Bearer   tok  "}, "tok", nil},
		{"token68 padding", []string{"Bearer abc-._~+/=="}, "abc-._~+/==", nil},
		{"jwt", []string{"Bearer aa.bb.cc"}, "aa.bb.cc", nil},
		{"two headers", []string{"Bearer a", "Bearer b"}, "", ErrInvalidToken},
		{"space in token", []string{"Bearer a b"}, "", ErrInvalidToken},
		{"quoted token", []string{`Bearer "tok"`}, "", ErrInvalidToken},
		{"only padding", []string{"Bearer =="}, "", ErrInvalidToken},
		{"too long", []string{"Bearer " + strings.Repeat("a", maxJWTLength+1)}, "", ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("Authorization", v)
			}
			got, err := BearerToken(h)
			if got != tt.want {
				t.Errorf("token = %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("err = %v, want nil", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			case errors.Is(tt.wantErr, errMissingCredentials) && errors.Is(err, ErrInvalidToken):
				t.Errorf("err = %v: missing credentials must not be ErrInvalidToken", err)
			}
		})
	}
}

func TestParseAccessTokenHeader(t *testing.T) {
	seg := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	tok := func(header any) string { return seg(header) + "." + seg(map[string]any{"sub": "x"}) + ".c2ln" }
	tests := []struct {
		name    string
		token   string
		wantKid string // "" means an ErrInvalidToken is expected
	}{
		{"at+jwt", tok(map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": "k1"}), "k1"},
		{"application/at+jwt", tok(map[string]any{"alg": "RS256", "typ": "application/at+jwt", "kid": "k2"}), "k2"},
		{"typ case", tok(map[string]any{"alg": "RS256", "typ": "AT+JWT", "kid": "k3"}), "k3"},
		{"session typ JWT", tok(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "k"}), ""},
		{"no typ", tok(map[string]any{"alg": "RS256", "kid": "k"}), ""},
		{"alg none", tok(map[string]any{"alg": "none", "typ": "at+jwt", "kid": "k"}), ""},
		{"alg HS256", tok(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": "k"}), ""},
		{"alg lowercase", tok(map[string]any{"alg": "rs256", "typ": "at+jwt", "kid": "k"}), ""},
		{"no kid", tok(map[string]any{"alg": "RS256", "typ": "at+jwt"}), ""},
		{"crit", tok(map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": "k", "crit": []string{"exp"}}), ""},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".e30.c2ln", ""},
		{"header not base64", "e.e30.c2ln", ""},
		{"two segments", "e30.e30", ""},
		{"four segments", "e30.e30.e30.e30", ""},
		{"bad characters", "e30.e30.c2l+", ""},
		{"too long", tok(map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": strings.Repeat("k", maxJWTLength)}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseAccessTokenHeader(tt.token)
			if tt.wantKid == "" {
				if !errors.Is(err, ErrInvalidToken) || h != nil {
					t.Errorf("ParseAccessTokenHeader = %+v, %v; want ErrInvalidToken", h, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAccessTokenHeader: %v", err)
			}
			if h.Kid != tt.wantKid || h.Alg != "RS256" {
				t.Errorf("header = %+v, want kid %q alg RS256", h, tt.wantKid)
			}
		})
	}
}

func TestCallerFrom(t *testing.T) {
	c := &Caller{UserID: "user_1", ClientID: "client_1", Scopes: []string{"email"}, Format: FormatOpaque}
	if got, ok := CallerFrom(context.Background(), nil); ok || got != nil {
		t.Errorf("empty context: CallerFrom = %+v, %v", got, ok)
	}
	got, ok := CallerFrom(WithCaller(context.Background(), c), nil)
	if !ok || got == c || got.UserID != c.UserID || got.ClientID != c.ClientID || !slices.Equal(got.Scopes, c.Scopes) || got.Format != c.Format {
		t.Errorf("WithCaller: CallerFrom = %+v, %v; want a copy of %+v", got, ok, c)
	}
	got.Scopes[0] = "changed"
	if c.Scopes[0] != "email" {
		t.Error("changing what CallerFrom returned changed the caller in the context")
	}
	if !c.HasScope("email") || c.HasScope("profile") || (*Caller)(nil).HasScope("email") {
		t.Error("HasScope is wrong")
	}
	ti := c.TokenInfo()
	if ti.UserID != "user_1" || !slices.Equal(ti.Scopes, c.Scopes) {
		t.Errorf("TokenInfo = %+v", ti)
	}
}
