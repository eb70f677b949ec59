package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/handlers"
)

// authState looks up who a session's user is now.
type authState interface {
	AuthState(ctx context.Context, userID, sessionID uuid.UUID) (auth.Identity, error)
}

// authenticate reads an optional bearer token. A valid token whose session
// is live and whose user is active puts an Identity (with the role as the
// database has it now) into the context; anything else leaves the request
// anonymous, and the validator answers 401 where the spec wants a token.
// Only the API's requests are looked at: the probes, metrics and docs need
// no identity, and a token sent to them (a browser's, say) must not make
// /healthz depend on the database.
func authenticate(iss *auth.Issuer, st authState) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if !isAPI(r.URL.Path) {
				return next(c)
			}
			token, ok := bearerToken(r)
			if !ok {
				return next(c)
			}
			userID, sessionID, err := iss.Verify(token)
			if err != nil {
				return next(c)
			}
			id, err := st.AuthState(r.Context(), userID, sessionID)
			if err != nil {
				if !isUnauthorized(err) {
					// The database failed or was too busy to answer in time:
					// a 503 (or 500), never a 401 that would send a valid
					// token's client to refresh, or to log its user out.
					return err
				}
				return next(c)
			}
			c.SetRequest(r.WithContext(auth.WithIdentity(r.Context(), id)))
			return next(c)
		}
	}
}

// bearerToken returns the token of an Authorization: Bearer header; the
// scheme is case-insensitive (RFC 9110 section 11.1). Two Authorization
// headers give none: a proxy in front may have judged the other one.
func bearerToken(r *http.Request) (string, bool) {
	if len(r.Header.Values(echo.HeaderAuthorization)) > 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// registrationClosed answers 403 to a self-registration while it is closed,
// before the body is read or validated: whatever the request carries, the
// answer is that there is nothing to register with.
func registrationClosed(open bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !open && c.Request().Method == http.MethodPost && c.Path() == "/api/v1/auth/register" {
				return apperr.Forbidden(handlers.RegistrationClosed)
			}
			return next(c)
		}
	}
}
