package clerkauth

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddress returns the address that identifies the client of r for
// rate limiting: the peer's IP, or, when the peer is one of the trusted
// reverse proxies, the right-most X-Forwarded-For entry that is not itself
// a trusted proxy. An address a client can choose freely (the left-most
// X-Forwarded-For entry, or any entry when no proxy is trusted) is never
// used. IPv6 clients are grouped by /64, the block one host usually has.
func ClientAddress(r *http.Request, trusted []netip.Prefix) string {
	addr, ok := peerAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if isTrusted(addr, trusted) {
		hops := r.Header.Values("X-Forwarded-For")
		var entries []string
		for _, h := range hops {
			entries = append(entries, strings.Split(h, ",")...)
		}
		for i := len(entries) - 1; i >= 0; i-- {
			hop, ok := forwardedAddr(strings.TrimSpace(entries[i]))
			if !ok {
				break // a garbled entry: stop at the last address we could trust
			}
			hop = hop.Unmap()
			addr = hop
			if !isTrusted(hop, trusted) {
				break
			}
		}
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// forwardedAddr reads an X-Forwarded-For entry: an address, or an address
// and port as some proxies write them ("203.0.113.5:1234", "[2001:db8::1]:443").
func forwardedAddr(entry string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(entry); err == nil {
		return a.WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(entry); err == nil {
		return ap.Addr().WithZone(""), true
	}
	return netip.Addr{}, false
}

func peerAddr(remote string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

type clientAddrKey struct{}

// WithClientAddress returns ctx carrying the client's address (see
// ClientAddress), which the Verifier uses to give each client its own
// budget of verifications.
func WithClientAddress(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

func clientAddressFrom(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddrKey{}).(string)
	return addr
}
