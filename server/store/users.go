package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
)

// NewUser is a user to create; the password is already hashed.
type NewUser struct {
	Name, Email, PasswordHash, Role string
}

// UserCreate inserts a user and its audit event. Returns an apperr conflict
// when the e-mail is taken.
func (s *Store) UserCreate(ctx context.Context, actor audit.Actor, u NewUser) (db.User, error) {
	var out db.User
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		out, err = userCreateTx(ctx, tx, actor, u)
		return err
	})
	return out, err
}

// userCreateTx inserts a user and writes its event; an Anonymous actor is
// a self-registration, whose actor is the new user.
func userCreateTx(ctx context.Context, tx *Tx, actor audit.Actor, u NewUser) (db.User, error) {
	id := newID()
	out, err := tx.Q.UserInsert(ctx, db.UserInsertParams{
		ID: id, Name: u.Name, Email: u.Email, PasswordHash: u.PasswordHash, Role: u.Role,
	})
	if err != nil {
		return out, err
	}
	if actor.ID == nil && actor.Name == audit.Anonymous.Name {
		actor = audit.Actor{ID: &out.ID, Name: out.Name}
	}
	return out, tx.Audit(ctx, audit.Event{
		Actor: actor, Action: "user.create", EntityType: "user", EntityID: out.ID.String(),
		Summary: fmt.Sprintf("%s created %s user %s <%s>", actor.Name, out.Role, out.Name, out.Email),
		Changes: map[string]audit.Change{
			"name":   {To: out.Name},
			"email":  {To: out.Email},
			"role":   {To: out.Role},
			"active": {To: out.Active},
		},
	})
}

// UserGet returns a user; apperr.ErrNotFound when there is none.
func (s *Store) UserGet(ctx context.Context, id uuid.UUID) (db.User, error) {
	u, err := s.q.UserGet(ctx, id)
	return u, userErr(err)
}

// userErr turns a missing row into the user's 404, which says what was not
// found as a lead's does.
func userErr(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.NotFound("user")
	}
	return translate(err)
}

// UserCount returns how many users exist.
func (s *Store) UserCount(ctx context.Context) (int64, error) {
	n, err := s.q.UserCount(ctx)
	return n, translate(err)
}

// UserList returns one page of users, alphabetical by name.
func (s *Store) UserList(ctx context.Context, p db.UserListParams) ([]db.User, error) {
	us, err := s.q.UserList(ctx, p)
	return us, translate(err)
}

// UserListCount counts the users matching the list filters.
func (s *Store) UserListCount(ctx context.Context, p db.UserListCountParams) (int64, error) {
	n, err := s.q.UserListCount(ctx, p)
	return n, translate(err)
}

// UserChange is a partial update; nil fields stay. Password is the new hash.
type UserChange struct {
	Name, Email, Role, PasswordHash *string
	Active                          *bool
}

// UserUpdate applies a change when the user's version still meets cond.
// Returns apperr.ErrNotFound, apperr.ErrStale (412), a 409 for a taken
// e-mail, or a 422 when the change would leave no active admin.
// Deactivation and a new password end every session of the user.
func (s *Store) UserUpdate(ctx context.Context, actor audit.Actor, id uuid.UUID, cond Precondition, c UserChange) (db.User, error) {
	var out db.User
	err := s.InTx(ctx, func(tx *Tx) error {
		var (
			ev  *audit.Event
			err error
		)
		out, ev, err = s.userUpdate(ctx, tx, actor, id, cond, c)
		if err != nil || ev == nil {
			return err
		}
		return tx.Audit(ctx, *ev)
	})
	return out, err
}

// userUpdate is UserUpdate inside tx, but returns the change's audit event
// (nil when nothing changed) for the caller to write once it has done the
// rest of its work: an event written early would hold the audit sealer back
// while that work waits for locks.
func (s *Store) userUpdate(ctx context.Context, tx *Tx, actor audit.Actor, id uuid.UUID, cond Precondition, c UserChange) (db.User, *audit.Event, error) {
	old, err := tx.Q.UserGetForUpdate(ctx, id)
	if err != nil {
		return old, nil, userErr(err)
	}
	if err := cond.Check(old.Version); err != nil {
		return old, nil, err
	}
	next := db.UserUpdateParams{
		ID: id, Name: old.Name, Email: old.Email, Role: old.Role, Active: old.Active, PasswordHash: old.PasswordHash,
	}
	changes := map[string]audit.Change{}
	setStr(&next.Name, c.Name, "name", changes)
	setStr(&next.Email, c.Email, "email", changes)
	setStr(&next.Role, c.Role, "role", changes)
	if c.Active != nil && *c.Active != old.Active {
		changes["active"] = audit.Change{From: old.Active, To: *c.Active}
		next.Active = *c.Active
	}
	if c.PasswordHash != nil {
		next.PasswordHash = *c.PasswordHash
		changes["password"] = audit.Change{From: "(hidden)", To: "(changed)"}
	}
	if len(changes) == 0 {
		return old, nil, nil
	}
	if old.Role == auth.RoleAdmin && old.Active && (next.Role != auth.RoleAdmin || !next.Active) {
		field := "active"
		if next.Role != auth.RoleAdmin {
			field = "role"
		}
		if err := ensureAnotherAdmin(ctx, tx, id, field); err != nil {
			return old, nil, err
		}
	}
	out, err := tx.Q.UserUpdate(ctx, next)
	if err != nil {
		return out, nil, err
	}
	if !next.Active || c.PasswordHash != nil {
		if _, err := tx.Q.SessionRevokeAllForUser(ctx, db.SessionRevokeAllForUserParams{
			UserID: id, KeepID: uuid.Nil, Reason: ptr("user changed by an admin"),
		}); err != nil {
			return out, nil, err
		}
	}
	// A reset is how an admin lets a locked-out user back in: the
	// guesses at the old password say nothing about the new one. So is a
	// reactivation: while the account was closed, the user's own logins
	// failed too, right password and all (a 401 that must not tell).
	if c.PasswordHash != nil || next.Active && !old.Active {
		if err := s.clearLoginFailures(ctx, tx.Q, old.Email); err != nil {
			return out, nil, err
		}
	}
	action := "user.update"
	var verb string
	switch {
	case old.Active && !next.Active:
		action = "user.deactivate"
		verb = "deactivated"
	case !old.Active && next.Active:
		verb = "reactivated"
	}
	summary := fmt.Sprintf("%s changed user %s (%s)", actor.Name, out.Name, changedFields(changes))
	if verb != "" {
		summary = fmt.Sprintf("%s %s user %s", actor.Name, verb, out.Name)
		if rest := maps.Clone(changes); len(rest) > 1 {
			delete(rest, "active")
			summary += " and changed " + changedFields(rest)
		}
	}
	return out, &audit.Event{
		Actor: actor, Action: action, EntityType: "user", EntityID: id.String(),
		Summary: summary, Changes: changes,
	}, nil
}

// UserDeactivate marks a user inactive and ends their sessions; their leads
// and history stay. Deactivating an inactive user changes nothing. cond is
// checked as UserUpdate checks it. With releaseLeads, the user's open leads
// are also unassigned, in the same transaction (see LeadsRelease), even when
// the user was inactive already; it returns how many. Returns
// apperr.ErrNotFound, apperr.ErrStale (412), or a 422 when the user is the
// last active admin.
func (s *Store) UserDeactivate(ctx context.Context, actor audit.Actor, id uuid.UUID, cond Precondition, releaseLeads bool) (int64, error) {
	var released int64
	err := s.InTx(ctx, func(tx *Tx) error {
		if releaseLeads {
			// The table lock first, as every writer of leads takes it
			// (see LeadsWriteIntent).
			if err := tx.Q.LeadsWriteIntent(ctx); err != nil {
				return err
			}
		}
		f := false
		u, ev, err := s.userUpdate(ctx, tx, actor, id, cond, UserChange{Active: &f})
		var ae *apperr.Error
		if errors.As(err, &ae) {
			ae.Fields = nil // a DELETE sends no field to name
		}
		if err != nil {
			return err
		}
		if releaseLeads {
			if err := tx.Q.LeadsReleaseLock(ctx, &id); err != nil {
				return err
			}
			m := storedMeta(ctx)
			released, err = tx.Q.LeadsRelease(ctx, db.LeadsReleaseParams{
				ActorID: actor.ID, ActorName: actor.Name, RequestID: m.requestID, Ip: m.ip, UserAgent: m.userAgent,
				UserName: u.Name, UserID: id,
			})
			if err != nil {
				return err
			}
		}
		if ev == nil {
			return nil
		}
		return tx.Audit(ctx, *ev)
	})
	return released, err
}

// ensureAnotherAdmin returns a 422 naming the field whose change would
// remove the last admin, unless an active admin other than the one being
// changed remains. The lock makes concurrent demotions count one
// after the other (each sees the others' committed changes), so together
// they can never remove the last admin.
func ensureAnotherAdmin(ctx context.Context, tx *Tx, except uuid.UUID, field string) error {
	if err := tx.Q.UserAdminsLock(ctx); err != nil {
		return err
	}
	role, active := auth.RoleAdmin, true
	admins, err := tx.Q.UserListCount(ctx, db.UserListCountParams{Role: &role, Active: &active})
	if err != nil {
		return err
	}
	if admins <= 1 {
		return &apperr.Error{Status: http.StatusUnprocessableEntity, Err: apperr.ErrInvalid,
			Detail: "this is the last active admin: make another user admin first",
			Fields: []apperr.FieldError{{Field: field, Message: "would leave no active admin: make another user admin first"}}}
	}
	return nil
}

func setStr(dst *string, v *string, field string, changes map[string]audit.Change) {
	if v == nil || *v == *dst {
		return
	}
	changes[field] = audit.Change{From: *dst, To: *v}
	*dst = *v
}

func ptr[T any](v T) *T { return &v }
