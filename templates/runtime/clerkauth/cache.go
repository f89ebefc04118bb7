package clerkauth

import (
	"crypto/sha256"
	"math"
	"sync"
	"time"
)

// tokenKey is the key a token's verdict is cached under: its SHA-256, so
// that no cache holds a token itself. A token as long as the longest opaque
// one is hashed from a copy on the stack; converting it to a []byte would
// put that copy on the heap, once per request.
func tokenKey(token string) [32]byte {
	var buf [len(OpaquePrefix) + 128]byte
	if len(token) <= len(buf) {
		return sha256.Sum256(append(buf[:0], token...))
	}
	return sha256.Sum256([]byte(token))
}

// maxCacheEntries bounds the memory a result cache can take.
const maxCacheEntries = 10000

// The caches keep their times as nanoseconds after a base time of their
// own, not as time.Time: a time.Time holds a pointer (its location), and
// every garbage collection walks each entry that holds one. The known
// opaque tokens (up to maxKnownEntries) then hold no pointer at all, and the
// collector skips their map; a result entry keeps only its caller and
// error. Differences from the base use the monotonic clock, as time.Time's
// own comparisons do.
type clockBase struct {
	now  func() time.Time
	base time.Time
}

func newClockBase(now func() time.Time) clockBase { return clockBase{now: now, base: now()} }

// at is t as nanoseconds after the base. How far t is from now is taken
// from t and now, so that a time without a monotonic reading (a token's
// expiry from Clerk) is as far away as the wall clock says when it is
// stored; a later step of the wall clock does not move it (an entry lives
// at most its cache's TTL anyway). The sum saturates: a time long past
// stays past even on a clock that has gone back before the base.
func (b clockBase) at(t time.Time) int64 {
	now := b.now()
	return saturatingAdd(int64(now.Sub(b.base)), int64(t.Sub(now)))
}

// saturatingAdd is x+y, held at the int64 bounds instead of wrapping.
func saturatingAdd(x, y int64) int64 {
	sum := x + y
	switch {
	case x > 0 && y > 0 && sum < 0:
		return math.MaxInt64
	case x < 0 && y < 0 && sum >= 0:
		return math.MinInt64
	}
	return sum
}

// current is now as nanoseconds after the base.
func (b clockBase) current() int64 { return int64(b.now().Sub(b.base)) }

type cacheEntry struct {
	caller *Caller
	err    error // a remembered ErrInvalidToken answer
	// refreshing is set once a background refresh of the entry has
	// started: each entry gets one, whatever its outcome.
	refreshing bool
	// tokenOutlives is set when the entry ends before its caller's token
	// expires (or the token has no expiry): only then can a refresh help.
	tokenOutlives bool
}

// storedEntry is a cacheEntry as the map holds it.
type storedEntry struct {
	caller        *Caller
	err           error
	until         int64 // see clockBase
	refreshing    bool
	tokenOutlives bool
}

// resultCache remembers verification results by a hash of the token (never
// the token itself) until a given time.
type resultCache struct {
	clock   clockBase
	mu      sync.Mutex
	entries map[[32]byte]storedEntry
}

func newResultCache(now func() time.Time) *resultCache {
	return &resultCache{clock: newClockBase(now), entries: make(map[[32]byte]storedEntry)}
}

func (c *resultCache) get(key [32]byte) (cacheEntry, bool) {
	e, _, ok := c.lookup(key, 0)
	return e, ok
}

// lookup is get that also reports whether the entry ends within ahead.
func (c *resultCache) lookup(key [32]byte, ahead time.Duration) (e cacheEntry, endsSoon, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.entries[key]
	if !ok {
		return cacheEntry{}, false, false
	}
	now := c.clock.current()
	if now >= s.until {
		delete(c.entries, key)
		return cacheEntry{}, false, false
	}
	e = cacheEntry{caller: s.caller, err: s.err, refreshing: s.refreshing, tokenOutlives: s.tokenOutlives}
	return e, saturatingAdd(now, int64(ahead)) >= s.until, true
}

// claimRefresh marks the entry of key as being refreshed and reports
// whether this caller is the first to do so (and the entry still there).
func (c *resultCache) claimRefresh(key [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.refreshing {
		return false
	}
	e.refreshing = true
	c.entries[key] = e
	return true
}

func (c *resultCache) put(key [32]byte, caller *Caller, err error, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCacheEntries {
		now := c.clock.current()
		for k, old := range c.entries {
			if now >= old.until {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < maxCacheEntries*9/10 {
				break
			}
			delete(c.entries, k)
		}
	}
	outlives := caller != nil && (caller.ExpiresAt.IsZero() || until.Before(caller.ExpiresAt))
	c.entries[key] = storedEntry{caller: caller, err: err, until: c.clock.at(until), tokenOutlives: outlives}
}

// knownTokens remembers, by hash, the opaque tokens that verified, until
// they expire (at most maxKnownTTL): when such a token's cache entry lapses
// it is checked again from the verify budget's reserve.
type knownTokens struct {
	clock   clockBase
	mu      sync.Mutex
	entries map[[32]byte]int64 // until, see clockBase
}

const (
	maxKnownTTL     = 24 * time.Hour
	maxKnownEntries = 50000
)

func newKnownTokens(now func() time.Time) *knownTokens {
	return &knownTokens{clock: newClockBase(now), entries: make(map[[32]byte]int64)}
}

func (k *knownTokens) add(key [32]byte, expires time.Time) {
	until := k.clock.now().Add(maxKnownTTL)
	if !expires.IsZero() && expires.Before(until) {
		until = expires
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.entries) >= maxKnownEntries {
		now := k.clock.current()
		for key, u := range k.entries {
			if now >= u || len(k.entries) >= maxKnownEntries*9/10 {
				delete(k.entries, key)
			}
		}
	}
	k.entries[key] = k.clock.at(until)
}

func (k *knownTokens) has(key [32]byte) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	until, ok := k.entries[key]
	return ok && k.clock.current() < until
}

func (k *knownTokens) forget(key [32]byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.entries, key)
}
