package clerkauth

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientAddress(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, c := range []struct {
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"192.0.2.7:5000", nil, nil, "192.0.2.7"},
		{"192.0.2.7:5000", []string{"198.51.100.1"}, nil, "192.0.2.7"},     // no proxy trusted: XFF ignored
		{"192.0.2.7:5000", []string{"198.51.100.1"}, proxies, "192.0.2.7"}, // peer not a trusted proxy
		{"10.1.2.3:5000", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"10.1.2.3:5000", []string{"203.0.113.9, 198.51.100.1"}, proxies, "198.51.100.1"}, // the left-most is the client's own claim
		{"10.1.2.3:5000", []string{"198.51.100.1, 10.9.9.9"}, proxies, "198.51.100.1"},    // a chain of trusted proxies
		{"10.1.2.3:5000", []string{"203.0.113.9", "198.51.100.1"}, proxies, "198.51.100.1"},
		{"10.1.2.3:5000", []string{"198.51.100.1:4711"}, proxies, "198.51.100.1"},     // a proxy that writes ports
		{"10.1.2.3:5000", []string{"[2001:db8::1]:443"}, proxies, "2001:db8::/64"},    // IPv6 with a port, grouped by /64
		{"10.1.2.3:5000", []string{"garbage, 198.51.100.1"}, proxies, "198.51.100.1"}, // garbage left of a good entry
		{"10.1.2.3:5000", []string{"198.51.100.1, garbage"}, proxies, "10.1.2.3"},     // garbage where the proxy wrote: the proxy
		{"10.1.2.3:5000", []string{"10.2.2.2"}, proxies, "10.2.2.2"},                  // only trusted hops: the last one
		{"[2001:db8:1:2:3:4:5:6]:443", nil, nil, "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.7]:443", nil, nil, "192.0.2.7"},
		{"[::1]:443", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
	} {
		r := &http.Request{RemoteAddr: c.remote, Header: http.Header{}}
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := ClientAddress(r, c.trusted); got != c.want {
			t.Errorf("ClientAddress(%s, XFF %q, trusted %v) = %q, want %q", c.remote, c.xff, c.trusted, got, c.want)
		}
	}
}
