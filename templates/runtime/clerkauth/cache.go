package clerkauth

import (
	"sync"
	"time"
)

// maxCacheEntries bounds the memory a result cache can take.
const maxCacheEntries = 10000

type cacheEntry struct {
	caller *Caller
	err    error // a remembered ErrInvalidToken answer
	until  time.Time
	// refreshing is set once a background refresh of the entry has
	// started: each entry gets one, whatever its outcome.
	refreshing bool
}

// resultCache remembers verification results by a hash of the token (never
// the token itself) until a given time.
type resultCache struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[[32]byte]cacheEntry
}

func newResultCache(now func() time.Time) *resultCache {
	return &resultCache{now: now, entries: make(map[[32]byte]cacheEntry)}
}

func (c *resultCache) get(key [32]byte) (cacheEntry, bool) {
	e, _, ok := c.lookup(key, 0)
	return e, ok
}

// lookup is get that also reports whether the entry ends within ahead.
func (c *resultCache) lookup(key [32]byte, ahead time.Duration) (e cacheEntry, endsSoon, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok = c.entries[key]
	if !ok {
		return cacheEntry{}, false, false
	}
	now := c.now()
	if !now.Before(e.until) {
		delete(c.entries, key)
		return cacheEntry{}, false, false
	}
	return e, !now.Add(ahead).Before(e.until), true
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
		now := c.now()
		for k, old := range c.entries {
			if !now.Before(old.until) {
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
	c.entries[key] = cacheEntry{caller: caller, err: err, until: until}
}

// knownTokens remembers, by hash, the opaque tokens that verified, until
// they expire (at most maxKnownTTL): when such a token's cache entry lapses
// it is checked again from the verify budget's reserve.
type knownTokens struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[[32]byte]time.Time
}

const (
	maxKnownTTL     = 24 * time.Hour
	maxKnownEntries = 50000
)

func newKnownTokens(now func() time.Time) *knownTokens {
	return &knownTokens{now: now, entries: make(map[[32]byte]time.Time)}
}

func (k *knownTokens) add(key [32]byte, expires time.Time) {
	until := k.now().Add(maxKnownTTL)
	if !expires.IsZero() && expires.Before(until) {
		until = expires
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.entries) >= maxKnownEntries {
		now := k.now()
		for key, u := range k.entries {
			if !now.Before(u) || len(k.entries) >= maxKnownEntries*9/10 {
				delete(k.entries, key)
			}
		}
	}
	k.entries[key] = until
}

func (k *knownTokens) has(key [32]byte) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	until, ok := k.entries[key]
	return ok && k.now().Before(until)
}

func (k *knownTokens) forget(key [32]byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.entries, key)
}
