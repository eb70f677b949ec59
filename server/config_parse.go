package server

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/jmksales/jmk/server/auth"
)

// databaseURLError refuses a URL of another database: pgx reads anything
// without postgres:// as keyword/value pairs, and would say only that a
// mysql://... URL is not valid as those.
func databaseURLError(dsn string) error {
	scheme, _, ok := strings.Cut(dsn, "://")
	if ok && scheme != "postgres" && scheme != "postgresql" && !strings.ContainsAny(scheme, "= ") {
		return fmt.Errorf("DATABASE_URL must be a postgres:// URL (or keyword=value pairs), got a %s:// one", scheme)
	}
	return nil
}

// httpAddrError refuses an HTTP_ADDR that is not host:port, which net.Listen
// would only report as "missing port in address".
func httpAddrError(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return nil
	}
	if _, err := strconv.ParseUint(addr, 10, 16); err == nil {
		return fmt.Errorf("HTTP_ADDR must be host:port or :port, such as :8080; for port %s on every interface, :%s", addr, addr)
	}
	return fmt.Errorf("HTTP_ADDR must be host:port or :port, such as :8080 or 127.0.0.1:8080, got %q", addr)
}

// jwtSecret reads JWT_SECRET. Without one, development gets a random secret
// (random is true: tokens die with the process), production refuses to
// serve, and a command that signs no tokens needs none.
func (e *envReader) jwtSecret(production, signsTokens bool) (secret []byte, random bool) {
	switch s := e.getenv("JWT_SECRET"); {
	case s != "" && strings.TrimSpace(s) == "":
		e.fail("JWT_SECRET must be random bytes, not blanks (e.g. openssl rand -base64 48)")
	case len(s) >= auth.MinSecretBytes:
		return []byte(s), false
	case s != "":
		e.fail("JWT_SECRET must be at least %d bytes", auth.MinSecretBytes)
	case production && signsTokens:
		e.fail("JWT_SECRET is required when APP_ENV=production")
	case signsTokens:
		secret = make([]byte, 32)
		_, _ = rand.Read(secret) // crypto/rand.Read never fails on supported platforms.
		return secret, true
	}
	return nil, false
}

// corsOrigins reads CORS_ALLOWED_ORIGINS, a comma-separated list of origins
// or * alone.
func (e *envReader) corsOrigins() []string {
	var origins []string
	for _, o := range strings.Split(e.str("CORS_ALLOWED_ORIGINS", "http://localhost:5173"), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		// A browser sends its origin as scheme://host[:port], the host in
		// lower case; anything else (a trailing slash, a path) would never
		// match, silently. Echo's CORS would read a * inside an origin as a
		// wildcard (https://*.example.com: every subdomain, however deep),
		// which the documented setting does not offer.
		u, err := url.Parse(o)
		switch {
		case o == "*":
		case err != nil || u.Scheme == "" || u.Host == "" || u.Scheme+"://"+u.Host != o:
			e.fail("CORS_ALLOWED_ORIGINS: %q is not an origin such as https://app.example.com (scheme and host, optional port, no path or trailing slash), or *", o)
		case strings.Contains(u.Host, "*"):
			e.fail("CORS_ALLOWED_ORIGINS: %q has a wildcard; list each origin, or give * alone for any origin", o)
		default:
			o = u.Scheme + "://" + strings.ToLower(u.Host)
		}
		origins = append(origins, o)
	}
	return origins
}

// trustedProxies reads TRUSTED_PROXIES: addresses or CIDR ranges.
func (e *envReader) trustedProxies() []netip.Prefix {
	var proxies []netip.Prefix
	for _, p := range strings.Split(e.str("TRUSTED_PROXIES", ""), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				e.fail("TRUSTED_PROXIES: %q is not an IP address or a CIDR range such as 10.1.2.0/28", p)
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		if a := prefix.Addr(); a.Is4In6() && prefix.Bits() >= 96 {
			// ::ffff:10.0.0.0/104 is 10.0.0.0/8: as written it would match
			// no peer, which Go reports in IPv4 form.
			prefix = netip.PrefixFrom(a.Unmap(), prefix.Bits()-96)
		}
		proxies = append(proxies, prefix.Masked())
	}
	return proxies
}
