package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckAddr(t *testing.T) {
	for addr, refused := range map[string]bool{
		"127.0.0.1": true, "127.9.9.9": true, "::1": true,
		"10.0.0.1": true, "172.16.5.4": true, "192.168.1.1": true,
		"169.254.169.254": true, "169.254.1.1": true, "fe80::1": true,
		"fd00:ec2::254": true, "fc00::1": true,
		"0.0.0.0": true, "::": true, "224.0.0.1": true, "ff02::1": true, "255.255.255.255": true,
		"100.64.0.1": true, "198.18.0.1": true,
		"::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true, "64:ff9b::a9fe:a9fe": true, // 169.254.169.254
		"93.184.216.34": false, "8.8.8.8": false, "2606:4700:4700::1111": false, "100.128.0.1": false,
		"64:ff9b::808:808": false, // 8.8.8.8
	} {
		err := CheckAddr(netip.MustParseAddr(addr))
		if (err != nil) != refused || (err != nil && !errors.Is(err, ErrForbiddenAddress)) {
			t.Errorf("CheckAddr(%s) = %v, want refused %v", addr, err, refused)
		}
	}
}

// stubResolver answers every lookup from a table.
type stubResolver map[string][]string

func (r stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, a := range r[host] {
		out = append(out, netip.MustParseAddr(a))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func TestGuardRefusesPrivateDestinations(t *testing.T) {
	// A receiver that must never be reached.
	var reached bool
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))

	g := &Guard{Resolver: stubResolver{
		"loopback.test": {"127.0.0.1"},
		"internal.test": {"10.0.0.1"},
		"metadata.test": {"169.254.169.254"},
		"mixed.test":    {"93.184.216.34", "127.0.0.1"},
	}}
	for _, host := range []string{"127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]",
		"loopback.test", "internal.test", "metadata.test", "mixed.test"} {
		_, err := g.DialContext(t.Context(), "tcp", net.JoinHostPort(strings.Trim(host, "[]"), port))
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("dial %s: %v, want ErrForbiddenAddress", host, err)
		}
	}
	// Through an HTTP client, as the dispatcher sends, redirects included.
	client := newClient(g, 1, DefaultTimeout)
	resp, err := client.Post("http://loopback.test:"+port+"/hook", "application/json", nil)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("POST to a name of 127.0.0.1: %v, want ErrForbiddenAddress", err)
	}
	if reached {
		t.Error("the receiver on 127.0.0.1 was reached")
	}

	// Allowed, the same destinations connect.
	open := &Guard{AllowPrivate: true}
	conn, err := open.DialContext(t.Context(), "tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		t.Fatalf("dial with private destinations allowed: %v", err)
	}
	conn.Close()
}

func TestGuardCoversRedirects(t *testing.T) {
	// The receiver redirects to the metadata address: the connection the
	// redirect makes goes through the guard too, and is refused.
	outer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
	}))
	defer outer.Close()
	client := newClient(&Guard{}, 1, DefaultTimeout)
	// Only the test receiver itself (on loopback) is let through.
	client.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == strings.TrimPrefix(outer.URL, "http://") {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
		return (&Guard{}).DialContext(ctx, network, addr)
	}
	resp, err := client.Post(outer.URL, "application/json", strings.NewReader("{}"))
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("redirect to 169.254.169.254: %v, want ErrForbiddenAddress", err)
	}
}
