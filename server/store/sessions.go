package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
)

// newSession starts a session of the user with its first refresh token.
func newSession(ctx context.Context, tx *Tx, userID uuid.UUID, ip, userAgent string) (uuid.UUID, string, error) {
	id := newID()
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
// the rotation the token comes back (README, Auth): a client that
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
