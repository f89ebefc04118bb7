package clerkauth

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// LogThrottle lets at most one log line of each kind through per interval,
// and reports on the next line how many it held back. Under a flood of bad
// requests the log then grows by a line per interval, not by a line per
// request. The zero value is not usable; use NewLogThrottle.
type LogThrottle struct {
	interval time.Duration
	now      func() time.Time

	mu    sync.Mutex
	kinds map[string]*throttledKind
}

type throttledKind struct {
	last       time.Time
	suppressed int
}

// NewLogThrottle returns a throttle letting one line per kind through per
// interval.
func NewLogThrottle(interval time.Duration) *LogThrottle {
	return &LogThrottle{interval: interval, now: time.Now, kinds: make(map[string]*throttledKind)}
}

// Log logs msg at level unless a line with the same msg was logged less than
// the interval ago. A line that follows held-back ones says how many.
func (t *LogThrottle) Log(logger *slog.Logger, level slog.Level, msg string, args ...any) {
	if t == nil {
		logger.Log(context.Background(), level, msg, args...)
		return
	}
	if !logger.Enabled(context.Background(), level) {
		return
	}
	t.mu.Lock()
	k := t.kinds[msg]
	if k == nil {
		if len(t.kinds) > 1000 { // kinds are messages of this program: a handful
			clear(t.kinds)
		}
		k = &throttledKind{}
		t.kinds[msg] = k
	}
	now := t.now()
	if !k.last.IsZero() && now.Sub(k.last) < t.interval {
		k.suppressed++
		t.mu.Unlock()
		return
	}
	suppressed := k.suppressed
	k.last, k.suppressed = now, 0
	t.mu.Unlock()
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	logger.Log(context.Background(), level, msg, args...)
}
