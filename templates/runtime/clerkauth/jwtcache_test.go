package clerkauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// A verified JWT is remembered, but never past its expiry (plus the clock
// leeway); a signing key Clerk withdraws stops being trusted once the key
// set is an hour old and fetched again.
func TestJWTCache(t *testing.T) {
	fake := clerkfake.New(t)
	clock := newTestClock()
	v := newTestVerifier(t, fake, func(c *Config) { c.Now = clock.Now; c.JWKSRefetchInterval = time.Millisecond })
	ctx := context.Background()
	token := issueJWT(t, fake, clerkfake.TokenOptions{TTL: time.Hour})
	if _, err := v.Verify(ctx, token); err != nil {
		t.Fatal(err)
	}
	if err := fake.RotateKey(true); err != nil {
		t.Fatal(err)
	}
	clock.Advance(MaxJWTCacheTTL + time.Second)
	if _, err := v.Verify(ctx, token); err != nil {
		t.Fatalf("with a key set fetched a minute ago: %v", err)
	}
	clock.Advance(time.Hour)
	if _, err := v.Verify(ctx, token); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("an hour later, with the key withdrawn: %v, want invalid", err)
	}

	short := issueJWT(t, fake, clerkfake.TokenOptions{TTL: 30 * time.Second})
	v2 := newTestVerifier(t, fake, func(c *Config) { c.Now = clock.Now })
	// The fake signs with the real clock; move the test clock back to it.
	clock.Set(time.Now())
	if _, err := v2.Verify(ctx, short); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30*time.Second + MaxClockSkew + time.Second)
	if _, err := v2.Verify(ctx, short); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("a cached JWT after its expiry: %v, want invalid", err)
	}
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// TestCacheTimesSaturate checks the caches' times at the ends of their
// range: a time long past (the zero time) stays past on a clock that has
// gone back before the cache's base, and a time centuries away does not
// wrap round into the past.
func TestCacheTimesSaturate(t *testing.T) {
	clock := newTestClock()
	results, known := newResultCache(clock.Now), newKnownTokens(clock.Now)
	clock.Advance(-time.Hour)
	caller := &Caller{UserID: "user_1"}
	past, future := [32]byte{1}, [32]byte{2}
	results.put(past, caller, nil, time.Time{})
	if _, ok := results.get(past); ok {
		t.Error("an entry stored until the zero time is served on a clock set back before the cache began")
	}
	known.add(past, time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC))
	if known.has(past) {
		t.Error("a token known until year 1 is known on a clock set back before the cache began")
	}
	clock.Advance(2 * time.Hour)
	far := clock.Now().AddDate(300, 0, 0)
	results.put(future, caller, nil, far)
	_, endsSoon, ok := results.lookup(future, 200*365*24*time.Hour)
	if !ok || endsSoon {
		t.Errorf("an entry stored until 300 years from now: served %v, ends within 200 years %v", ok, endsSoon)
	}
}

// A token's cache key is its SHA-256 at every length, and an opaque token's
// is taken without a heap allocation (the middleware does it per request).
func TestTokenKey(t *testing.T) {
	for _, n := range []int{0, 1, 20, len(OpaquePrefix) + 127, len(OpaquePrefix) + 128, len(OpaquePrefix) + 129, 1200} {
		token := strings.Repeat("a", n)
		if got, want := tokenKey(token), sha256.Sum256([]byte(token)); got != want {
			t.Errorf("tokenKey of %d bytes = %x, want %x", n, got, want)
		}
	}
	longest := OpaquePrefix + strings.Repeat("Z9", 64)
	if !WellFormedOpaqueToken(longest) {
		t.Fatal("the longest opaque token is not well formed")
	}
	// Allocation counts are those of an optimized build: with optimizations
	// off (a debugger's build) even hashing a stack array allocates.
	var sink [32]byte
	var stack [len(OpaquePrefix) + 128]byte
	n := copy(stack[:], longest)
	if base := testing.AllocsPerRun(100, func() { sink = sha256.Sum256(stack[:n]) }); base != 0 {
		t.Skipf("hashing a stack array allocates %v times in this build (optimizations off?)", base)
	}
	if allocs := testing.AllocsPerRun(100, func() { sink = tokenKey(longest) }); allocs != 0 {
		t.Errorf("tokenKey of an opaque token allocates %v times, want 0", allocs)
	}
	_ = sink
}
