package clerkauth

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// A flood of distinct made-up opaque tokens costs at most the verify budget
// in Backend API calls; tokens verified before keep working from the cache.
func TestOpaqueFloodIsBounded(t *testing.T) {
	fake := clerkfake.New(t)
	v := newTestVerifier(t, fake, func(c *Config) { c.OpaqueVerifyRate, c.OpaqueVerifyBurst = 0.001, 5 })
	ctx := context.Background()
	good := fake.IssueOpaque(clerkfake.TokenOptions{})
	if _, err := v.Verify(ctx, good); err != nil {
		t.Fatal(err)
	}
	var refused int
	for i := 0; i < 200; i++ {
		_, err := v.Verify(ctx, fmt.Sprintf("oat_%032X", i))
		if errors.Is(err, ErrUnavailable) {
			refused++
		} else if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("flood token %d: %v", i, err)
		}
	}
	if calls := fake.Calls("verify"); calls != 5 {
		t.Errorf("200 made-up tokens cost %d verify calls, want the burst of 5", calls)
	}
	if refused != 196 {
		t.Errorf("%d refused, want 196 (200 less the 4 left in the burst)", refused)
	}
	if c, err := v.Verify(ctx, good); err != nil || c.UserID != clerkfake.DefaultUserID {
		t.Errorf("a cached token during the flood: %v %v", c, err)
	}
	// A made-up token that was refused by Clerk is remembered: no budget spent.
	if _, err := v.Verify(ctx, fmt.Sprintf("oat_%032X", 0)); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a remembered bad token: %v, want invalid", err)
	}
}
