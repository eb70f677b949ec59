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
		if err := s.lockThrottle(ctx, tx, email, key, th); err != nil {
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
			ev := audit.Event{Actor: audit.Anonymous, Action: "auth.login_failed", EntityType: "session",
				Summary: "Failed login for " + typedEmail(email, found)}
			if found {
				ev.EntityType, ev.EntityID = "user", u.ID.String()
			}
			return s.recordFailure(ctx, tx, email, found, key, th, ev)
		}
		if err := s.clearLoginFailures(ctx, tx.Q, email); err != nil {
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

// lockThrottle takes the per-IP and per-e-mail locks of an attempt's
// transaction and checks the throttle again under them: parallel guesses
// that all passed the first check cannot learn more than the limits allow.
func (s *Store) lockThrottle(ctx context.Context, tx *Tx, email, ip string, th Throttle) error {
	if err := tx.Q.LoginLockIP(ctx, ip); err != nil {
		return err
	}
	if err := tx.Q.LoginLock(ctx, email); err != nil {
		return err
	}
	return s.checkThrottle(ctx, tx.Q, email, ip, th)
}

// recordFailure counts a wrong password for the throttle, with its audit
// event, and the event of the lock it may have started.
func (s *Store) recordFailure(ctx context.Context, tx *Tx, email string, known bool, ip string, th Throttle, failed audit.Event) error {
	var key *string // counted by IP alone
	if typed := failureEmail(email, known); typed != "" {
		k := s.LoginFailureKey(typed)
		key = &k
	}
	if err := tx.Q.LoginFailureInsert(ctx, db.LoginFailureInsertParams{EmailKey: key, Ip: ip}); err != nil {
		return err
	}
	if err := tx.Audit(ctx, failed); err != nil {
		return err
	}
	return s.auditLock(ctx, tx, email, ip, th, failed)
}

// auditLock writes an auth.login_locked event when the failure just
// recorded reached a limit: the attempts refused from then on leave no
// trace of their own (each would be a write an attacker could repeat at
// will), so the trail shows when the lock began, once per lock. A lock on
// an e-mail is filed like its failures (failed), under the user when there
// is one; a lock on an IP concerns no one user.
func (s *Store) auditLock(ctx context.Context, tx *Tx, email, ip string, th Throttle, failed audit.Event) error {
	st, err := tx.Q.LoginFailureStats(ctx, db.LoginFailureStatsParams{EmailKey: s.LoginFailureKey(email), Ip: ip,
		WindowSecs: th.Window.Seconds()})
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
	st, err := q.LoginFailureStats(ctx, db.LoginFailureStatsParams{EmailKey: s.LoginFailureKey(email), Ip: ip,
		WindowSecs: th.Window.Seconds()})
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
	// The database's clock, as occurred_at's: every instance agrees.
	return tooMany("failed logins", oldest.Add(th.Window), st.DbNow)
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

// failureEmail is what a failed login is counted under besides its IP:
// the e-mail typed when it is an account's (known) or an address, else
// nothing: such text may be a password typed into the wrong field, which
// must not be kept even hashed. An account's own counts whatever its shape
// (lower-casing can take a valid address past IsAddress's length).
func failureEmail(email string, known bool) string {
	if known || auth.IsAddress(email) {
		return email
	}
	return ""
}

// typedEmail is how a failed login's event names the e-mail typed: quoted
// when it is a user's address, else not at all, since events are kept for
// good and cannot be erased: a password can have the shape of an address
// (Winter@Company.de), and a stranger's own address typed by mistake is
// personal data the team has no use for.
func typedEmail(email string, known bool) string {
	switch {
	case known:
		return strconv.Quote(truncate(email, 254))
	case auth.AddressShaped(email):
		return "an unknown e-mail address"
	}
	return "a value that is not an e-mail address"
}
