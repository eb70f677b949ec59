package server

import (
	"net"
	"net/netip"

	"github.com/labstack/echo/v4"
)

// ipExtractor finds the client's address: the TCP peer, or, when that peer
// is one of the trusted proxies, the nearest address in X-Forwarded-For
// that is not one of them. Only the configured ranges are trusted, not
// loopback or private networks by default: behind an unlisted proxy every
// client would share its address, and an unlisted peer could name any
// address it liked.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
