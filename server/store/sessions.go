package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
)

// Throttle limits failed logins per e-mail and per IP within a window.
type Throttle struct {
	PerEmail int
	PerIP    int
	Window   time.Duration
}

// Login is a successful login: the user and a new session's refresh token.
type Login struct {
	User         db.User
	SessionID    uuid.UUID
	RefreshToken string
}

var errBadCredentials = apperr.Unauthorized("e-mail or password is wrong")

// Login checks credentials under the throttle. Unknown e-mail, wrong password
// and inactive user all give the same 401 after the same bcrypt work. While
// an e-mail or IP is over its limit every attempt gets 429 with Retry-After,
// the right password included. Failures are recorded with their audit event.
func (s *Store) Login(ctx context.Context, email, password, ip, userAgent string, th Throttle) (Login, error) {
	key := throttleKey(ip)
	// The throttle judges parallel guesses one after another (see
	// auth.Hashing); a failed attempt keeps the turn until it is recorded.
	release, err := s.hashingFor(ctx, email, func() error { return s.checkThrottle(ctx, s.q, email, key, th) })
	if err != nil {
		return Login{}, err
	}
	defer release()
	u, err := s.q.UserGetByEmail(ctx, email)
	if err != nil && !errors.Is(translate(err), apperr.ErrNotFound) {
		return Login{}, translate(err)
	}
	found := err == nil
	// bcrypt runs outside any transaction: it holds no connection for its 250 ms.
	ok := s.passwordMatches(u.PasswordHash, password) && found && u.Active
	if ok {
		// A right password adds nothing for the throttle to count, and its
		// transaction may wait for the user's row (an admin's edit): that
		// wait must not hold up every other login in the process.
		release()
	}

	var out Login
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.Q.LoginLockIP(ctx, key); err != nil {
			return err
		}
		if err := tx.Q.LoginLock(ctx, email); err != nil {
			return err
		}
		// Checked again under the per-IP and per-e-mail locks: parallel
		// guesses that all passed the first check cannot learn more than
		// the limits allow.
		if err := s.checkThrottle(ctx, tx.Q, email, key, th); err != nil {
			return err
		}
		if ok {
			// The password was checked against the hash read before the
			// transaction: an admin's password reset or deactivation that
			// committed since then wins, and one still running waits for
			// this login and then ends its session.
			cur, err := tx.Q.UserGetForUpdate(ctx, u.ID)
			if err != nil {
				return err
			}
			ok = cur.Active && cur.PasswordHash == u.PasswordHash
		}
		if !ok {
			if err := tx.Q.LoginFailureInsert(ctx, db.LoginFailureInsertParams{Email: email, Ip: key}); err != nil {
				return err
			}
			ev := audit.Event{Actor: audit.Anonymous, Action: "auth.login_failed", EntityType: "session",
				Summary: "Failed login for " + typedEmail(email, found)}
			if found {
				ev.EntityType, ev.EntityID = "user", u.ID.String()
			}
			if err := tx.Audit(ctx, ev); err != nil {
				return err
			}
			return auditLock(ctx, tx, email, key, th, ev)
		}
		if err := tx.Q.LoginFailureClearEmail(ctx, email); err != nil {
			return err
		}
		sess, token, err := newSession(ctx, tx, u.ID, ip, userAgent)
		if err != nil {
			return err
		}
		if err := tx.Q.UserTouchLogin(ctx, u.ID); err != nil {
			return err
		}
		out = Login{User: u, SessionID: sess, RefreshToken: token}
		return tx.Audit(ctx, audit.Event{Actor: audit.Actor{ID: &u.ID, Name: u.Name}, Action: "auth.login",
			EntityType: "session", EntityID: sess.String(), Summary: u.Name + " logged in"})
	})
	if err != nil {
		return Login{}, err
	}
	if !ok {
		return Login{}, errBadCredentials
	}
	return out, nil
}

// passwordMatches is auth.PasswordMatches, counted when a test asks.
func (s *Store) passwordMatches(hash, password string) bool {
	if s.onPasswordCheck != nil {
		s.onPasswordCheck()
	}
	return auth.PasswordMatches(hash, password)
}

// throttleKey is the address the per-IP login limit counts. An IPv6 client
// is given a whole /64 by its provider and could take a new address from it
// for every guess, so the /64 counts as one address.
func throttleKey(ip string) string {
	if net, ok := slash64(ip); ok {
		return net.String()
	}
	if a, err := netip.ParseAddr(ip); err == nil {
		return a.Unmap().String()
	}
	return ip
}

// slash64 is the /64 of an IPv6 address (not of an IPv4 one written in
// IPv6 form).
func slash64(ip string) (netip.Prefix, bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Unmap().Is6() {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, 64).Masked(), true
}

// auditLock writes an auth.login_locked event when the failure just
// recorded reached a limit: the attempts refused from then on leave no
// trace of their own (each would be a write an attacker could repeat at
// will), so the trail shows when the lock began, once per lock. A lock on
// an e-mail is filed like its failures (failed), under the user when there
// is one; a lock on an IP concerns no one user.
func auditLock(ctx context.Context, tx *Tx, email, ip string, th Throttle, failed audit.Event) error {
	st, err := tx.Q.LoginFailureStats(ctx, db.LoginFailureStatsParams{Email: email, Ip: ip, Since: time.Now().Add(-th.Window)})
	if err != nil {
		return err
	}
	// One failure may lock the e-mail and the IP at once: each lock gets
	// its event.
	if th.PerEmail > 0 && st.EmailFailures == int64(th.PerEmail) {
		if err := tx.Audit(ctx, audit.Event{Actor: audit.Anonymous, Action: "auth.login_locked",
			EntityType: failed.EntityType, EntityID: failed.EntityID,
			Summary: fmt.Sprintf("Logins for %s refused for up to %s after %d failures",
				typedEmail(email, failed.EntityType == "user"), th.Window, th.PerEmail)}); err != nil {
			return err
		}
	}
	if th.PerIP > 0 && st.IpFailures == int64(th.PerIP) {
		return tx.Audit(ctx, audit.Event{Actor: audit.Anonymous, Action: "auth.login_locked", EntityType: "session",
			Summary: fmt.Sprintf("Logins from %s refused for up to %s after %d failures", ip, th.Window, th.PerIP)})
	}
	return nil
}

func (s *Store) checkThrottle(ctx context.Context, q *db.Queries, email, ip string, th Throttle) error {
	now := time.Now()
	st, err := q.LoginFailureStats(ctx, db.LoginFailureStatsParams{Email: email, Ip: ip, Since: now.Add(-th.Window)})
	if err != nil {
		return translate(err)
	}
	// Under both locks, the later one's end is when a try can succeed.
	var oldest time.Time
	if th.PerEmail > 0 && st.EmailFailures >= int64(th.PerEmail) {
		oldest = st.EmailOldest
	}
	if th.PerIP > 0 && st.IpFailures >= int64(th.PerIP) && st.IpOldest.After(oldest) {
		oldest = st.IpOldest
	}
	if oldest.IsZero() {
		return nil
	}
	return tooMany("failed logins", oldest.Add(th.Window), now)
}

// hashingFor is the store's auth.AccountGate with its refusal as a 429:
// the account's requests ahead end within seconds.
func (s *Store) hashingFor(ctx context.Context, email string, check func() error) (func(), error) {
	release, err := s.accounts.Hashing(ctx, email, check)
	if errors.Is(err, auth.ErrAccountBusy) {
		return nil, &apperr.Error{Status: http.StatusTooManyRequests, RetryAfter: 1,
			Detail: fmt.Sprintf("%d requests for this account are checking its password already; try again in a second", auth.MaxPerAccount)}
	}
	return release, err
}

// tooMany is a throttle's 429: what there were too many of, and when the
// next attempt is let in, as Retry-After (at least a second).
func tooMany(what string, until, now time.Time) error {
	wait := max(int(math.Ceil(until.Sub(now).Seconds())), 1)
	return &apperr.Error{Status: http.StatusTooManyRequests, RetryAfter: wait,
		Detail: fmt.Sprintf("too many %s; try again in %d seconds", what, wait)}
}

func newSession(ctx context.Context, tx *Tx, userID uuid.UUID, ip, userAgent string) (uuid.UUID, string, error) {
	id, _ := uuid.NewV7()
	expires := time.Now().Add(auth.RefreshTTL)
	if _, err := tx.Q.SessionInsert(ctx, db.SessionInsertParams{
		ID: id, UserID: userID, ExpiresAt: expires, Ip: nonEmpty(ip), UserAgent: nonEmpty(truncate(userAgent, audit.MaxUserAgent)),
	}); err != nil {
		return uuid.Nil, "", err
	}
	token, err := issueRefresh(ctx, tx, id, expires)
	return id, token, err
}

func issueRefresh(ctx context.Context, tx *Tx, sessionID uuid.UUID, expires time.Time) (string, error) {
	token, hash := auth.NewRefreshToken()
	err := tx.Q.RefreshTokenInsert(ctx, db.RefreshTokenInsertParams{TokenHash: hash, SessionID: sessionID, ExpiresAt: expires})
	return token, err
}

var errBadRefresh = apperr.Unauthorized("refresh token is invalid, expired or revoked; log in again")

// ErrRefreshReused is Refresh's 401 when a rotated refresh token came back
// while its session was live, which Refresh then revoked: a stolen token,
// or a client that refreshed twice. The caller sees the answer any dead
// token gets; the server's log should show it.
var ErrRefreshReused = apperr.Unauthorized(errBadRefresh.Detail)

// Refresh rotates a refresh token. A token that was already rotated is
// taken as stolen: its whole session (every token of the family) is revoked,
// the event is audited, and the call gets 401. That holds however soon after
// the rotation the token comes back, as DESIGN requires: a client that
// refreshes from two tabs at once must share one refresh between them.
func (s *Store) Refresh(ctx context.Context, token string) (Login, error) {
	var out Login
	reused, revoked := false, false
	err := s.InTx(ctx, func(tx *Tx) error {
		t, err := tx.Q.RefreshTokenGetForUpdate(ctx, auth.HashRefreshToken(token))
		if err != nil {
			return err
		}
		u, err := tx.Q.UserGet(ctx, t.UserID)
		if err != nil {
			return err
		}
		actor := audit.Actor{ID: &u.ID, Name: u.Name}
		now := t.DbNow
		live := t.SessionRevokedAt == nil && now.Before(t.SessionExpiresAt) && u.Active
		if t.RotatedAt != nil {
			reused = true
			n, err := tx.Q.SessionRevoke(ctx, db.SessionRevokeParams{ID: t.SessionID, Reason: ptr("refresh token reuse")})
			if err != nil {
				return err
			}
			revoked = n > 0
			outcome := "the session was revoked"
			if n == 0 {
				// Replays of a token of an ended session are reported once:
				// each would be an event anyone holding an old token could
				// add at will, and the audit table is never pruned.
				seen, err := tx.Q.AuditEventExists(ctx, db.AuditEventExistsParams{
					Action: "auth.refresh_reuse", EntityType: "session", EntityID: ptr(t.SessionID.String())})
				if err != nil || seen {
					return err
				}
				outcome = "the session had already ended"
			}
			return tx.Audit(ctx, audit.Event{Actor: actor, Action: "auth.refresh_reuse", EntityType: "session",
				EntityID: t.SessionID.String(),
				Summary:  fmt.Sprintf("A rotated refresh token of %s was presented again; %s", u.Name, outcome)})
		}
		if !live || now.After(t.ExpiresAt) {
			return errBadRefresh
		}
		if err := tx.Q.RefreshTokenRotate(ctx, t.TokenHash); err != nil {
			return err
		}
		if err := tx.Q.SessionTouch(ctx, t.SessionID); err != nil {
			return err
		}
		next, err := issueRefresh(ctx, tx, t.SessionID, t.SessionExpiresAt)
		if err != nil {
			return err
		}
		out = Login{User: u, SessionID: t.SessionID, RefreshToken: next}
		return tx.Audit(ctx, audit.Event{Actor: actor, Action: "auth.refresh", EntityType: "session",
			EntityID: t.SessionID.String(), Summary: u.Name + " refreshed a session"})
	})
	// A reuse commits its revocation and event, then refuses; a failure to
	// commit them is the server's and comes back as such.
	switch {
	case err == nil && revoked:
		return Login{}, ErrRefreshReused
	case errors.Is(err, apperr.ErrNotFound) || (err == nil && reused):
		return Login{}, errBadRefresh
	}
	return out, err
}

// Logout revokes the session of the refresh token, when it is the caller's
// if there is one (nil: the token alone, whose holder could use it anyway).
// An unknown, dead or foreign token changes nothing and is not an error, so
// logout reveals nothing about tokens.
func (s *Store) Logout(ctx context.Context, caller *auth.Identity, token string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		t, err := tx.Q.RefreshTokenGetForUpdate(ctx, auth.HashRefreshToken(token))
		if errors.Is(translate(err), apperr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if caller != nil && t.UserID != caller.UserID {
			return nil
		}
		n, err := tx.Q.SessionRevoke(ctx, db.SessionRevokeParams{ID: t.SessionID, Reason: ptr("logout")})
		if err != nil || n == 0 {
			return err
		}
		u, err := tx.Q.UserGet(ctx, t.UserID)
		if err != nil {
			return err
		}
		return tx.Audit(ctx, audit.Event{Actor: audit.Actor{ID: &u.ID, Name: u.Name}, Action: "auth.logout",
			EntityType: "session", EntityID: t.SessionID.String(), Summary: u.Name + " logged out"})
	})
}

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
	// bcrypt runs outside any transaction, as for a login.
	ok := s.passwordMatches(u.PasswordHash, current)
	same := ok && current == newPassword
	// Hashed whatever current is: done only for a right guess, its 250 ms
	// would tell the guesser so, 429 or not.
	newHash, err := auth.HashPassword(newPassword)
	if err != nil {
		return apperr.Invalid("new_password", auth.PasswordLengthRule)
	}
	if ok {
		release() // as for a login: only a failure needs the turn until it is recorded
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.Q.LoginLockIP(ctx, key); err != nil {
			return err
		}
		if err := tx.Q.LoginLock(ctx, u.Email); err != nil {
			return err
		}
		if err := s.checkThrottle(ctx, tx.Q, u.Email, key, th); err != nil {
			return err
		}
		if !ok {
			if err := tx.Q.LoginFailureInsert(ctx, db.LoginFailureInsertParams{Email: u.Email, Ip: key}); err != nil {
				return err
			}
			ev := audit.Event{Actor: audit.Actor{ID: &u.ID, Name: u.Name},
				Action: "auth.password_change_failed", EntityType: "user", EntityID: u.ID.String(),
				Summary: u.Name + " gave a wrong current password when changing it"}
			if err := tx.Audit(ctx, ev); err != nil {
				return err
			}
			return auditLock(ctx, tx, u.Email, key, th, ev)
		}
		if same {
			// Only after the throttle: it tells that current was right.
			return apperr.Invalid("new_password", "must differ from the current password")
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
		if err := tx.Q.LoginFailureClearEmail(ctx, old.Email); err != nil {
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

// AuthState returns who the session's user is now. apperr.ErrUnauthorized
// when the session is revoked or expired, the user inactive, or the session
// not theirs.
func (s *Store) AuthState(ctx context.Context, userID, sessionID uuid.UUID) (auth.Identity, error) {
	st, err := s.q.UserAuthState(ctx, sessionID)
	if err != nil {
		if errors.Is(translate(err), apperr.ErrNotFound) {
			return auth.Identity{}, apperr.ErrUnauthorized
		}
		return auth.Identity{}, translate(err)
	}
	if st.ID != userID || !st.Active || st.RevokedAt != nil || time.Now().After(st.ExpiresAt) {
		return auth.Identity{}, apperr.ErrUnauthorized
	}
	return auth.Identity{UserID: st.ID, SessionID: sessionID, Name: st.Name, Role: st.Role}, nil
}

// typedEmail is how a failed login's event names the e-mail typed: quoted
// when it is a user's address or has the strict shape of one, else not at
// all, since events are kept for good (see auth.AddressShaped).
func typedEmail(email string, known bool) string {
	if known || auth.AddressShaped(email) {
		return strconv.Quote(truncate(email, 254))
	}
	return "a value that is not an e-mail address"
}
