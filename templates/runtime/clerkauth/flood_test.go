package clerkauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

func from(addr string) context.Context {
	return WithClientAddress(context.Background(), addr)
}

// A flood of distinct made-up opaque tokens from one address costs at most
// that address's share of the budget in Backend API calls; tokens verified
// before keep working from the cache.
func TestOpaqueFloodFromOneAddressIsBounded(t *testing.T) {
	fake := clerkfake.New(t)
	clock := newTestClock()
	v := newTestVerifier(t, fake, func(c *Config) { c.Now = clock.Now })
	good := fake.IssueOpaque(clerkfake.TokenOptions{})
	if _, err := v.Verify(from("192.0.2.1"), good); err != nil {
		t.Fatal(err)
	}
	var refused int
	for i := 0; i < 200; i++ {
		_, err := v.Verify(from("203.0.113.7"), fmt.Sprintf("oat_%032X", i))
		if errors.Is(err, ErrUnavailable) {
			refused++
		} else if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("flood token %d: %v", i, err)
		}
	}
	calls := fake.Calls("verify") - 1
	if calls < 1 || calls > perClientVerifyBurst {
		t.Errorf("200 made-up tokens from one address cost %d verify calls, want 1 to %d (its own bucket)", calls, perClientVerifyBurst)
	}
	if refused != 200-calls {
		t.Errorf("%d refused, want %d (every token not sent to Clerk)", refused, 200-calls)
	}
	if c, err := v.Verify(from("192.0.2.1"), good); err != nil || c.UserID != clerkfake.DefaultUserID {
		t.Errorf("a cached token during the flood: %v %v", c, err)
	}
	// Another address is not held back by the flood.
	fresh := fake.IssueOpaque(clerkfake.TokenOptions{})
	if _, err := v.Verify(from("198.51.100.2"), fresh); err != nil {
		t.Errorf("a new valid token from another address during the flood: %v", err)
	}
	// A made-up token that Clerk refused is remembered: no budget spent.
	before := fake.Calls("verify")
	if _, err := v.Verify(from("203.0.113.7"), fmt.Sprintf("oat_%032X", 0)); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a remembered bad token: %v, want invalid", err)
	}
	if fake.Calls("verify") != before {
		t.Errorf("a remembered bad token was asked about again")
	}
}

// The measure of issue "no lockout": during a flood of made-up tokens at
// about 100 requests a second, at least 19 of 20 fresh valid tokens are
// accepted, and the calls to Clerk stay within the budget.
func TestOpaqueFloodDoesNotLockOutValidUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for two seconds")
	}
	fake := clerkfake.New(t)
	v := newTestVerifier(t, fake, nil) // the default budget
	stop := make(chan struct{})
	var flooded atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
	for f := range 4 { // four flooding addresses, 25 requests a second each
		wg.Go(func() {
			tick := time.NewTicker(40 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				_, err := v.Verify(from(fmt.Sprintf("203.0.113.%d", f+1)), fmt.Sprintf("oat_%08X%024X", f, i))
				if err == nil {
					t.Errorf("a made-up token was accepted")
				}
				flooded.Add(1)
			}
		})
	}
	accepted := 0
	for i := range 20 {
		time.Sleep(100 * time.Millisecond)
		tok := fake.IssueOpaque(clerkfake.TokenOptions{UserID: fmt.Sprintf("user_%02d", i)})
		c, err := v.Verify(from(fmt.Sprintf("198.51.100.%d", i+1)), tok)
		if err == nil && c.UserID == fmt.Sprintf("user_%02d", i) {
			accepted++
		} else {
			t.Logf("fresh valid token %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	elapsed := time.Since(began)
	if accepted < 19 {
		t.Errorf("%d of 20 fresh valid tokens accepted during the flood, want at least 19", accepted)
	}
	calls := fake.Calls("verify")
	most := DefaultOpaqueVerifyBurst + int(DefaultOpaqueVerifyRate*elapsed.Seconds()) + 1
	if calls > most {
		t.Errorf("%d requests of made-up tokens and 20 valid ones in %v made %d verify calls, want at most %d", flooded.Load(), elapsed, calls, most)
	}
	t.Logf("%d flood requests and 20 valid in %v: %d verify calls, %d of 20 valid accepted", flooded.Load(), elapsed, calls, accepted)
}

// A user whose cache entry lapsed while a flood from many addresses spent
// the shared budget is checked again from the reserve.
func TestOpaqueKnownTokenSurvivesSpentBudget(t *testing.T) {
	fake := clerkfake.New(t)
	clock := newTestClock()
	v := newTestVerifier(t, fake, func(c *Config) { c.Now = clock.Now; c.OpaqueVerifyRate, c.OpaqueVerifyBurst = 0.0001, 5 })
	good := fake.IssueOpaque(clerkfake.TokenOptions{TTL: time.Hour})
	if _, err := v.Verify(from("192.0.2.1"), good); err != nil {
		t.Fatal(err)
	}
	clock.Advance(MaxOpaqueCacheTTL + time.Second) // the entry lapses
	for i := range 20 {                            // one made-up token each from many addresses
		_, _ = v.Verify(from(fmt.Sprintf("203.0.113.%d", i)), fmt.Sprintf("oat_%032X", i))
	}
	if _, err := v.Verify(from("198.51.100.9"), fake.IssueOpaque(clerkfake.TokenOptions{})); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a new token with the shared budget spent: %v, want ErrUnavailable (the test needs the budget spent)", err)
	}
	if c, err := v.Verify(from("192.0.2.1"), good); err != nil || c.UserID != clerkfake.DefaultUserID {
		t.Errorf("a token that verified before, after its entry lapsed, with the shared budget spent: %v %v; want it checked from the reserve", c, err)
	}
}

// Many first callers of many tokens at once: every valid one verifies, each
// token costs one call, nothing races (run with -race).
func TestOpaqueConcurrentFirstCallers(t *testing.T) {
	fake := clerkfake.New(t)
	v := newTestVerifier(t, fake, nil)
	tokens := make([]string, 10)
	for i := range tokens {
		tokens[i] = fake.IssueOpaque(clerkfake.TokenOptions{UserID: fmt.Sprintf("user_%d", i)})
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 100 {
		wg.Go(func() {
			<-start
			tok := tokens[i%len(tokens)]
			c, err := v.Verify(from(fmt.Sprintf("192.0.2.%d", i%len(tokens))), tok)
			if err != nil || c.UserID != fmt.Sprintf("user_%d", i%len(tokens)) {
				t.Errorf("caller %d: %v %v", i, c, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := fake.Calls("verify"); n != len(tokens) {
		t.Errorf("100 callers of %d tokens made %d verify calls, want %d", len(tokens), n, len(tokens))
	}
}

// A token near its expiry, used again and again, costs no Clerk call per
// request: its cache entry cannot outlive the token, so it is not
// refreshed, and others' new tokens keep their budget.
func TestOpaqueTokenNearExpiryDoesNotDrainTheBudget(t *testing.T) {
	fake := clerkfake.New(t)
	v := newTestVerifier(t, fake, nil)
	tok := fake.IssueOpaque(clerkfake.TokenOptions{TTL: 10 * time.Second})
	for i := range 200 {
		if _, err := v.Verify(from("192.0.2.1"), tok); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		time.Sleep(time.Millisecond)
	}
	if n := fake.Calls("verify"); n != 1 {
		t.Errorf("200 requests with one token in its last seconds made %d verify calls, want 1", n)
	}
	accepted := 0
	for i := range 20 {
		if _, err := v.Verify(from(fmt.Sprintf("198.51.100.%d", i+1)), fake.IssueOpaque(clerkfake.TokenOptions{})); err == nil {
			accepted++
		}
	}
	if accepted < 19 {
		t.Errorf("%d of 20 fresh tokens accepted afterwards, want at least 19", accepted)
	}
}

// A refresh whose check with Clerk fails is not tried again on every hit.
func TestOpaqueRefreshOncePerEntry(t *testing.T) {
	fake := clerkfake.New(t)
	clock := newTestClock()
	v := newTestVerifier(t, fake, func(c *Config) { c.Now = clock.Now })
	tok := fake.IssueOpaque(clerkfake.TokenOptions{TTL: time.Hour})
	if _, err := v.Verify(from("192.0.2.1"), tok); err != nil {
		t.Fatal(err)
	}
	clock.Advance(MaxOpaqueCacheTTL - refreshAhead/2)
	fake.SetFault(clerkfake.BackendDown)
	for range 50 {
		if _, err := v.Verify(from("192.0.2.1"), tok); err != nil {
			t.Fatalf("cached token while Clerk fails: %v", err)
		}
	}
	waitFor(t, "the one refresh", func() bool { return fake.Calls("verify") >= 2 })
	time.Sleep(50 * time.Millisecond)
	if n := fake.Calls("verify"); n != 2 {
		t.Errorf("50 hits in the refresh window with Clerk failing made %d verify calls, want 2 (one refresh)", n)
	}
}

// Rotating addresses within one network (each request from a new IPv6 /64
// of one /48) gains a flooder nothing: the network has a bucket too.
func TestOpaqueFloodFromRotatingAddresses(t *testing.T) {
	fake := clerkfake.New(t)
	clock := newTestClock()
	v := newTestVerifier(t, fake, func(c *Config) { c.Now = clock.Now })
	for i := range 200 {
		addr := fmt.Sprintf("2001:db8:1:%x::/64", i)
		_, _ = v.Verify(from(addr), fmt.Sprintf("oat_%032X", i))
	}
	if calls := fake.Calls("verify"); calls > perNetworkVerifyBurst {
		t.Errorf("200 made-up tokens from 200 /64s of one /48 cost %d verify calls, want at most %d", calls, perNetworkVerifyBurst)
	}
	accepted := 0
	for i := range 20 {
		if _, err := v.Verify(from(fmt.Sprintf("198.51.%d.1", i)), fake.IssueOpaque(clerkfake.TokenOptions{})); err == nil {
			accepted++
		}
	}
	if accepted < 19 {
		t.Errorf("%d of 20 fresh valid tokens from elsewhere accepted, want at least 19", accepted)
	}
}
