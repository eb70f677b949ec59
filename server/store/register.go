package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
)

// RegisterThrottle limits self-registrations per client IP within a window.
// Each one costs a bcrypt hash and makes an account that sees every lead, so
// open registration must not be free to script.
type RegisterThrottle struct {
	PerIP  int // 0: no limit
	Window time.Duration
}

// CheckRegistration runs before a self-registration's bcrypt work: a 429
// with Retry-After once ip is at its limit, and a 409 when the e-mail is
// taken. A refusal for a taken e-mail is recorded (auth.register_refused,
// on the existing user) and counts towards the limit, so that the 409 cannot
// be used to test e-mail addresses at will.
func (s *Store) CheckRegistration(ctx context.Context, email, ip string, th RegisterThrottle) error {
	if err := registerThrottle(ctx, s.q, ip, th); err != nil {
		return err
	}
	u, err := s.q.UserGetByEmail(ctx, email)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return translate(err)
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := lockedRegisterThrottle(ctx, tx, ip, th); err != nil {
			return err
		}
		return tx.Audit(ctx, audit.Event{Actor: audit.Anonymous, Action: "auth.register_refused",
			EntityType: "user", EntityID: u.ID.String(),
			Summary: fmt.Sprintf("Self-registration refused: %q is already a user", u.Email)})
	})
	if err != nil {
		return err
	}
	return uniqueConflict("users_email_key")
}

// Register creates a self-registered user and its user.create event, the
// IP's limit checked again under a lock that serialises its registrations,
// so parallel ones cannot all pass CheckRegistration's unlocked count.
// Returns a 409 for a taken e-mail, or a 429 when the IP is over its limit.
func (s *Store) Register(ctx context.Context, u NewUser, ip string, th RegisterThrottle) (db.User, error) {
	var out db.User
	err := s.InTx(ctx, func(tx *Tx) error {
		if err := lockedRegisterThrottle(ctx, tx, ip, th); err != nil {
			return err
		}
		var err error
		out, err = userCreateTx(ctx, tx, audit.Anonymous, u)
		return err
	})
	return out, err
}

func lockedRegisterThrottle(ctx context.Context, tx *Tx, ip string, th RegisterThrottle) error {
	if th.PerIP <= 0 {
		return nil
	}
	if err := tx.Q.RegisterLock(ctx, throttleKey(ip)); err != nil {
		return err
	}
	return registerThrottle(ctx, tx.Q, ip, th)
}

// registerThrottle answers 429 once ip has th.PerIP registrations within
// th.Window.
func registerThrottle(ctx context.Context, q *db.Queries, ip string, th RegisterThrottle) error {
	if th.PerIP <= 0 {
		return nil
	}
	p := db.SelfRegistrationsParams{Ip: ip, WindowSecs: th.Window.Seconds(), Lim: int32(th.PerIP)}
	if net, ok := slash64(ip); ok {
		p.Net = &net
	}
	st, err := q.SelfRegistrations(ctx, p)
	if err != nil {
		return translate(err)
	}
	if st.Registrations < int64(th.PerIP) {
		return nil
	}
	return tooMany("registrations from this address", st.LimNewest.Add(th.Window), st.DbNow)
}
