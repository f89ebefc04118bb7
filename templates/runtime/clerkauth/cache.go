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

func (c *resultCache) get(key [32]byte) (*Caller, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, nil, false
	}
	if !c.now().Before(e.until) {
		delete(c.entries, key)
		return nil, nil, false
	}
	return e.caller, e.err, true
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
