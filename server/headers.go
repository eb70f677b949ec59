package server

import (
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// securityHeaders are safe defaults for a JSON API; /docs loosens the
// content security policy for its own page only.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if !isDocs(c.Request().URL.Path) {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		return next(c)
	}
}

// allowHeader sends the Allow header that RFC 9110 requires with a 405: the
// router knows the path's methods, but the 405 itself comes from the
// request validator, which runs later and does not.
func allowHeader(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if allow, ok := c.Get(echo.ContextKeyHeaderAllow).(string); ok && allow != "" {
			c.Response().Header().Set(echo.HeaderAllow, allow)
		}
		return next(c)
	}
}

// joinIfMatch folds several If-Match lines into one list, which RFC 9110
// (section 5.3) makes them equivalent to; the generated binding takes one
// value and answered a second line with a 400.
func joinIfMatch(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if v := h.Values("If-Match"); len(v) > 1 {
			h.Set("If-Match", strings.Join(v, ", "))
		}
		return next(c)
	}
}

// mergePatchAsJSON takes a PATCH sent as application/merge-patch+json (RFC
// 7396), which is what our PATCH bodies are, as the JSON the spec declares.
func mergePatchAsJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodPatch {
			if mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); err == nil && mt == "application/merge-patch+json" {
				r.Header.Set(echo.HeaderContentType, mime.FormatMediaType(echo.MIMEApplicationJSON, params))
			}
		}
		return next(c)
	}
}
