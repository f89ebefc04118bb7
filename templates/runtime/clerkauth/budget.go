package clerkauth

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// verifyBudget decides which opaque tokens not in the cache may be checked
// with Clerk now. Every distinct made-up token would otherwise cost a
// Backend API call, so calls are bounded; the budget is laid out so that
// whoever floods the server spends their own share, not everyone's:
//
//   - each client address, and each network (IPv4 /24, IPv6 /48), has its
//     own small bucket in front of the shared one, and a token Clerk calls
//     invalid costs its address and network extra, so one flooding address,
//     or one network of rotating addresses, gets a trickle of the shared
//     budget;
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
	perClientVerifyRate   = 2
	perClientVerifyBurst  = 10
	perNetworkVerifyRate  = 5 // an IPv4 /24 or IPv6 /48: many users may share one
	perNetworkVerifyBurst = 30
	invalidTokenPenalty   = 2 // extra tokens a refused token costs its address
	reserveVerifyRate     = 10
	reserveVerifyBurst    = 20
	maxTrackedClients     = 10000
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
	if addr != "" {
		if !b.client(addr, false).AllowN(now, 1) {
			return false
		}
		// One network (an IPv4 /24, an IPv6 /48) has a bucket of its
		// own too: rotating addresses within it gains nothing.
		if network := networkOf(addr); network != "" && !b.client(network, true).AllowN(now, 1) {
			return false
		}
	}
	return b.shared.AllowN(now, 1)
}

// networkOf is the network an address (as ClientAddress gives it) belongs
// to: its IPv4 /24 or IPv6 /48; "" when addr is neither.
func networkOf(addr string) string {
	if p, err := netip.ParsePrefix(addr); err == nil {
		if p.Addr().Is6() && p.Bits() > 48 {
			n, _ := p.Addr().Prefix(48)
			return "net:" + n.String()
		}
		return ""
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return ""
	}
	bits := 24
	if a.Is6() {
		bits = 48
	}
	n, _ := a.Prefix(bits)
	return "net:" + n.String()
}

// allowKnown reports whether a token that verified before may be checked
// again now.
func (b *verifyBudget) allowKnown() bool {
	now := b.now()
	return b.reserve.AllowN(now, 1) || b.shared.AllowN(now, 1)
}

// allowRefresh reports whether a token in use may be checked again ahead
// of its cache entry's end: from the reserve only, so that refreshes never
// take from what new tokens need.
func (b *verifyBudget) allowRefresh() bool {
	return b.reserve.AllowN(b.now(), 1)
}

// penalize charges addr for a token Clerk refused.
func (b *verifyBudget) penalize(addr string) {
	if addr == "" {
		return
	}
	now := b.now()
	_ = b.client(addr, false).ReserveN(now, invalidTokenPenalty)
	if network := networkOf(addr); network != "" {
		_ = b.client(network, true).ReserveN(now, invalidTokenPenalty)
	}
}

// client is the bucket of an address, or with network set, of a network.
func (b *verifyBudget) client(addr string, network bool) *rate.Limiter {
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
			if l.TokensAt(now) >= float64(l.Burst()) {
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
	if network {
		lim = rate.NewLimiter(perNetworkVerifyRate, perNetworkVerifyBurst)
	} else {
		lim = rate.NewLimiter(b.perClient, b.perClientBurst)
	}
	b.clients[addr] = lim
	return lim
}
