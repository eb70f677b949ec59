package store

import (
	"context"
	"fmt"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
)

// ChangePassword checks the current password under the login throttle (a
// stolen access token must not become a way to guess the password), sets the
// new one and ends every other session of the user. A wrong current password
// is recorded as a login failure and answered with a 422; while the
// e-mail or IP is locked every attempt gets 429, checked again under the
// same locks as a login, so that parallel guesses cannot pass the limit.
// The new password must differ from the current one (422).
func (s *Store) ChangePassword(ctx context.Context, caller auth.Identity, current, newPassword, ip string, th Throttle) error {
	u, err := s.UserGet(ctx, caller.UserID)
	if err != nil {
		return err
	}
	key := throttleKey(ip)
	// In turn, under the throttle, as a login.
	release, err := s.hashingFor(ctx, u.Email, func() error { return s.checkThrottle(ctx, s.q, u.Email, key, th) })
	if err != nil {
		return err
	}
	defer release()
	// Whatever current is: a verdict on new_password given only with the
	// right one would tell a guesser when they had it.
	if err := auth.CheckPasswordRules(newPassword); err != nil {
		return apperr.Invalid("new_password", auth.PasswordLengthRule)
	}
	// Judged on the text alone, before current is checked: said only to
	// the right current password, it would confirm a guess, unaudited.
	if current == newPassword {
		return apperr.Invalid("new_password", "must differ from the current password")
	}
	// bcrypt runs outside any transaction, as for a login.
	ok := s.passwordMatches(u.PasswordHash, current)
	// Hashed whatever current is: done only for a right guess, its 250 ms
	// would tell the guesser so, 429 or not.
	newHash, err := auth.HashPassword(newPassword)
	if err != nil {
		return fmt.Errorf("hash new password: %w", err) // its length was checked above
	}
	if ok {
		release() // as for a login: only a failure needs the turn until it is recorded
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := s.lockThrottle(ctx, tx, u.Email, key, th); err != nil {
			return err
		}
		if !ok {
			return s.recordFailure(ctx, tx, u.Email, true, key, th, audit.Event{Actor: audit.Actor{ID: &u.ID, Name: u.Name},
				Action: "auth.password_change_failed", EntityType: "user", EntityID: u.ID.String(),
				Summary: u.Name + " gave a wrong current password when changing it"})
		}
		old, err := tx.Q.UserGetForUpdate(ctx, caller.UserID)
		if err != nil {
			return err
		}
		if old.PasswordHash != u.PasswordHash {
			// Reset by an admin since it was checked: "current" is no more.
			return apperr.Invalid("current_password", "is wrong")
		}
		if _, err := tx.Q.UserUpdate(ctx, db.UserUpdateParams{ID: old.ID, Name: old.Name, Email: old.Email,
			Role: old.Role, Active: old.Active, PasswordHash: newHash}); err != nil {
			return err
		}
		n, err := tx.Q.SessionRevokeAllForUser(ctx, db.SessionRevokeAllForUserParams{
			UserID: old.ID, KeepID: caller.SessionID, Reason: ptr("password changed")})
		if err != nil {
			return err
		}
		// As a successful login does: the user has just proved the password.
		if err := s.clearLoginFailures(ctx, tx.Q, old.Email); err != nil {
			return err
		}
		return tx.Audit(ctx, audit.Event{Actor: audit.Actor{ID: &old.ID, Name: old.Name}, Action: "user.password_change",
			EntityType: "user", EntityID: old.ID.String(),
			Summary: fmt.Sprintf("%s changed their password; %d other session(s) ended", old.Name, n),
			Changes: map[string]audit.Change{"password": {From: "(hidden)", To: "(changed)"}}})
	})
	if err == nil && !ok {
		return apperr.Invalid("current_password", "is wrong")
	}
	return err
}
