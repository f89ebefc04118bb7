package clerkauth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// verifyBudget decides which opaque tokens not in the cache may be checked
// with Clerk now. Every distinct made-up token would otherwise cost a
// Backend API call, so calls are bounded; the budget is laid out so that
// whoever floods the server spends their own share, not everyone's:
//
//   - each client address has its own small bucket in front of the shared
//     one, and a token Clerk calls invalid costs its address extra, so one
//     flooding address gets a trickle of the shared budget;
//   - tokens that verified before (a user whose cache entry lapsed) draw on
//     a reserve that new tokens cannot touch.
//
// All calls together stay under shared + reserve.
type verifyBudget struct {
	shared  *rate.Limiter
	reserve *rate.Limiter

	perClient      rate.Limit
	perClientBurst int
	now            func() time.Time

	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

// Per-client and reserve budgets. A real client presents a new token a few
// times an hour; even a busy office behind one address stays far below
// these.
const (
	perClientVerifyRate  = 2
	perClientVerifyBurst = 10
	invalidTokenPenalty  = 2 // extra tokens a refused token costs its address
	reserveVerifyRate    = 10
	reserveVerifyBurst   = 20
	maxTrackedClients    = 10000
)

func newVerifyBudget(perSecond float64, burst int, now func() time.Time) *verifyBudget {
	return &verifyBudget{
		shared:         rate.NewLimiter(rate.Limit(perSecond), burst),
		reserve:        rate.NewLimiter(reserveVerifyRate, reserveVerifyBurst),
		perClient:      perClientVerifyRate,
		perClientBurst: perClientVerifyBurst,
		now:            now,
		clients:        make(map[string]*rate.Limiter),
	}
}

// allowNew reports whether a token never verified before, presented from
// addr, may be checked with Clerk now. Without an address (a Verifier used
// outside the Middleware) only the shared budget applies.
func (b *verifyBudget) allowNew(addr string) bool {
	now := b.now()
	if addr != "" && !b.client(addr).AllowN(now, 1) {
		return false
	}
	return b.shared.AllowN(now, 1)
}

// allowKnown reports whether a token that verified before may be checked
// again now.
func (b *verifyBudget) allowKnown() bool {
	now := b.now()
	return b.reserve.AllowN(now, 1) || b.shared.AllowN(now, 1)
}

// penalize charges addr for a token Clerk refused.
func (b *verifyBudget) penalize(addr string) {
	if addr == "" {
		return
	}
	_ = b.client(addr).ReserveN(b.now(), invalidTokenPenalty)
}

func (b *verifyBudget) client(addr string) *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	lim, ok := b.clients[addr]
	if ok {
		return lim
	}
	if len(b.clients) >= maxTrackedClients {
		// A full bucket is the same as a new one: forgetting it changes
		// nothing. Only if every address is busy are busy ones dropped.
		now := b.now()
		for a, l := range b.clients {
			if l.TokensAt(now) >= float64(b.perClientBurst) {
				delete(b.clients, a)
			}
		}
		for a := range b.clients {
			if len(b.clients) < maxTrackedClients*9/10 {
				break
			}
			delete(b.clients, a)
		}
	}
	lim = rate.NewLimiter(b.perClient, b.perClientBurst)
	b.clients[addr] = lim
	return lim
}
