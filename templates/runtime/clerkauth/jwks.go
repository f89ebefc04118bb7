package clerkauth

import (
	"context"
	"crypto/rsa"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// jwksCache keeps the instance's signing keys by key id.
//
// A request whose key id is not known waits for a fetch of the key set
// that started after it arrived, and only then gets a final answer: the key,
// 401 for a key id Clerk does not publish, or 503 when the fetch failed.
// Requests never get a 401 just because the keys are still loading (cold
// start) or were rotated a moment ago.
//
// Fetches are bounded by a token bucket: one fetch at a time, shared by
// everyone waiting, and no more than the bucket allows (a burst of
// jwksRefetchBurst, then one per refetch interval). A stream of made-up key
// ids thus costs Clerk at most one fetch per interval, and a token signed
// with a freshly rotated key waits at most one interval for the fetch that
// finds it, however many made-up ones arrive around it.
type jwksCache struct {
	url     string
	load    func(ctx context.Context) (map[string]*rsa.PublicKey, error)
	budget  *rate.Limiter
	maxAge  time.Duration
	now     func() time.Time
	onError func(error)

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	fetchedAt time.Time  // last successful fetch
	pending   *jwksFetch // the fetch scheduled or under way, if any
}

// jwksFetch is one fetch of the key set; done closes when it has ended.
type jwksFetch struct {
	done    chan struct{}
	err     error
	started time.Time // when the request to Clerk went out (wall clock)
}

// jwksRefetchBurst is how many fetches may follow one another at once
// before the refetch interval applies.
const jwksRefetchBurst = 3

func newJWKSCache(url string, load func(context.Context) (map[string]*rsa.PublicKey, error), refetch time.Duration, now func() time.Time) *jwksCache {
	return &jwksCache{
		url:    url,
		load:   load,
		budget: rate.NewLimiter(rate.Every(refetch), jwksRefetchBurst),
		maxAge: time.Hour,
		now:    now,
	}
}

// key returns the public key with id kid.
func (c *jwksCache) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	arrived := time.Now()
	c.mu.Lock()
	if k, ok := c.keys[kid]; ok {
		if c.now().Sub(c.fetchedAt) > c.maxAge {
			// Refresh in the background; the keys we have stay good
			// until the refresh says otherwise.
			c.scheduleLocked()
		}
		c.mu.Unlock()
		return k, nil
	}
	f := c.scheduleLocked()
	c.mu.Unlock()

	var k *rsa.PublicKey
	var ok bool
	for attempt := 0; ; attempt++ {
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, unavailable("waiting for the signing keys: %v", ctx.Err())
		}
		c.mu.Lock()
		k, ok = c.keys[kid]
		// A fetch that was already under way when this request arrived
		// may predate the key: only one that started later is final.
		if !ok && f.err == nil && f.started.Before(arrived) && attempt == 0 {
			f = c.scheduleLocked()
			c.mu.Unlock()
			continue
		}
		c.mu.Unlock()
		break
	}
	switch {
	case ok:
		return k, nil
	case f.err != nil:
		return nil, unavailable("fetching JWKS: %v", f.err)
	default:
		return nil, invalid("unknown signing key %q", kid)
	}
}

// warm starts a fetch of the key set if none has succeeded yet, so that the
// first requests find the keys loaded.
func (c *jwksCache) warm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.scheduleLocked()
	}
}

// loaded reports whether a fetch of the key set has succeeded.
func (c *jwksCache) loaded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keys != nil
}

// scheduleLocked returns the pending fetch, or schedules a new one as soon
// as the budget allows. Only one fetch is ever pending, so the wait for the
// budget is at most one refetch interval.
func (c *jwksCache) scheduleLocked() *jwksFetch {
	if c.pending != nil {
		return c.pending
	}
	f := &jwksFetch{done: make(chan struct{})}
	c.pending = f
	delay := c.budget.Reserve().Delay()
	go c.run(f, delay)
	return f
}

func (c *jwksCache) run(f *jwksFetch, delay time.Duration) {
	if delay > 0 {
		time.Sleep(delay)
	}
	c.mu.Lock()
	f.started = time.Now()
	c.mu.Unlock()
	// Nobody's request context: the fetch serves everyone waiting, and
	// the HTTP client's timeout bounds it.
	keys, err := c.load(context.Background())
	c.mu.Lock()
	if err == nil {
		c.keys, c.fetchedAt = keys, c.now()
	}
	f.err = err
	c.pending = nil
	c.mu.Unlock()
	close(f.done)
	if err != nil && c.onError != nil {
		c.onError(err)
	}
}
