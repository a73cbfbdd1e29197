package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress is why a delivery to a loopback, private, link-local
// or metadata address is refused. It is final: the delivery is not retried.
var ErrForbiddenAddress = errors.New("webhook: destination address is not allowed")

// forbidden lists the ranges a webhook may not reach unless private
// destinations are allowed: where a server's own services and its cloud's
// metadata live. The checks of netip.Addr (loopback, private, link-local,
// multicast, unspecified) come first; these add what they miss.
var forbidden = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),      // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved, and broadcast
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS metadata over IPv6 (also ULA)
	netip.MustParsePrefix("fc00::/7"),           // unique local (RFC 4193)
	netip.MustParsePrefix("100::/64"),           // discard-only
	netip.MustParsePrefix("2001:db8::/32"),      // documentation
	netip.MustParsePrefix("169.254.169.254/32"), // cloud metadata (also link-local)
}

// nat64 is the well-known NAT64 prefix: its addresses embed an IPv4 one,
// which is what they reach.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// CheckAddr returns ErrForbiddenAddress (wrapped, naming ip) when ip may
// not be a webhook destination, nil otherwise.
func CheckAddr(ip netip.Addr) error {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:16]))
	}
	bad := !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified()
	for _, p := range forbidden {
		bad = bad || p.Contains(ip)
	}
	if bad {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
	}
	return nil
}

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard dials webhook destinations. Unless AllowPrivate is set it resolves
// the host itself and refuses the connection when any of its addresses is
// forbidden (CheckAddr), then dials the checked addresses, not the name,
// so that a second lookup cannot answer differently (DNS rebinding); and
// the dialer's Control checks the address actually connected to once
// more. Every connection goes through it, redirects' included.
type Guard struct {
	AllowPrivate bool
	Resolver     Resolver // net.DefaultResolver when nil
	Timeout      time.Duration
}

// DialContext is an http.Transport's DialContext.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d := &net.Dialer{Timeout: g.Timeout, KeepAlive: 30 * time.Second}
	if g.AllowPrivate {
		return d.DialContext(ctx, network, address)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := g.resolve(ctx, network, host)
	if err != nil {
		return nil, err
	}
	d.Control = func(_, connected string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(connected)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, connected)
		}
		return CheckAddr(ap.Addr())
	}
	var first error
	for _, ip := range addrs {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// resolve returns host's addresses, or ErrForbiddenAddress if any of them
// is forbidden: a name that points at both a public and a private address
// is refused as a whole, rather than tried until it lands inside.
func (g *Guard) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, CheckAddr(ip)
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ipNet := "ip"
	switch network {
	case "tcp4":
		ipNet = "ip4"
	case "tcp6":
		ipNet = "ip6"
	}
	addrs, err := r.LookupNetIP(ctx, ipNet, host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("webhook: %s has no address", host)
	}
	for _, ip := range addrs {
		if err := CheckAddr(ip); err != nil {
			return nil, fmt.Errorf("%s: %w", host, err)
		}
	}
	return addrs, nil
}
