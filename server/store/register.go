package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
)

// RegisterThrottle limits self-registrations per client IP within a window.
// Each one costs a bcrypt hash and makes an account that sees every lead, so
// open registration must not be free to script.
type RegisterThrottle struct {
	PerIP  int // 0: no limit
	Window time.Duration
}

// CheckRegistration runs before a self-registration's bcrypt work: 429 with
// Retry-After once ip has registered th.PerIP users within th.Window, 409
// when the e-mail is taken (which the 201 or 409 of the insert would tell
// anyway; asking first spares the hash). The insert's unique index still
// decides a race.
func (s *Store) CheckRegistration(ctx context.Context, email, ip string, th RegisterThrottle) error {
	if th.PerIP > 0 {
		now := time.Now()
		st, err := s.q.SelfRegistrations(ctx, db.SelfRegistrationsParams{Ip: &ip, Since: now.Add(-th.Window)})
		if err != nil {
			return translate(err)
		}
		if st.Registrations >= int64(th.PerIP) {
			wait := max(int(math.Ceil(st.Oldest.Add(th.Window).Sub(now).Seconds())), 1)
			return &apperr.Error{Status: http.StatusTooManyRequests, RetryAfter: wait,
				Detail: fmt.Sprintf("too many registrations from this address; try again in %d seconds", wait)}
		}
	}
	_, err := s.q.UserGetByEmail(ctx, email)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return translate(err)
	}
	return apperr.Conflict(conflictDetail("users_email_key"))
}
