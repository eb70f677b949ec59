// Package store is the only door to PostgreSQL. It runs the sqlc queries of
// gen/db inside transactions, writes every change's audit event in the same
// transaction as the change, and translates driver errors into the sentinels
// of package apperr, so pgx never leaks past it.
package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/textrules"
)

// Store wraps the connection pool.
type Store struct {
	pool    *pgxpool.Pool
	q       *db.Queries
	models  modelCache // the active scoring model, compiled
	analyze analyzer   // the statistics refresh after bulk changes
	// background is the store's own work (see goBackground).
	background      sync.WaitGroup
	backgroundMu    sync.Mutex
	backgroundEnded bool // no more background work starts
	backgroundCtx   context.Context
	stopBackground  context.CancelFunc
	verify          verifyPaging
	accounts        auth.AccountGate // a login or password change per account at a time
	failureKey      []byte           // keys failed logins' e-mails (SetLoginFailureSecret)
	// sealStalledSince is when this instance's sealer began waiting for a
	// transaction writing to the audit trail, in Unix nanoseconds; 0 when
	// it is not waiting (see SealerStalled).
	sealStalledSince atomic.Int64
	sealerFailures   atomic.Int64 // see SealerFailures
	unsealed         atomic.Int64 // see Unsealed
	// sealerLastSuccess and sealerLastRound are in Unix nanoseconds, 0
	// before the first (see SealerLastSuccess, SealerLastRound).
	sealerLastSuccess atomic.Int64
	sealerLastRound   atomic.Int64
	// sealLimit, when set (by a test), replaces sealStepLimit.
	sealLimit time.Duration
	// janitorFailures counts each step's failures, in janitorSteps order
	// (made by New: an array sized by len(janitorSteps) would be a
	// declaration cycle, its steps taking a *Store); janitorLastSuccess is
	// in Unix nanoseconds (see JanitorLastSuccess).
	janitorFailures    []atomic.Int64
	janitorLastSuccess atomic.Int64
	activeVersion      atomic.Int32 // see ActiveModelVersion
	// log receives what the store's own background work has to say (see
	// SetLogger).
	log *slog.Logger
	// onPasswordCheck, when set (by a test), runs before every bcrypt
	// comparison of a login or password change.
	onPasswordCheck func()
}

// New returns a Store over the pool.
func New(pool *pgxpool.Pool) *Store {
	ctx, stop := context.WithCancel(context.Background())
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms.
	return &Store{pool: pool, q: db.New(pool), backgroundCtx: ctx, stopBackground: stop, failureKey: key,
		janitorFailures: make([]atomic.Int64, len(janitorSteps)), log: slog.New(slog.DiscardHandler)}
}

// SetLogger sets where the store's own background work (the statistics
// refresh after a bulk change) logs its failures; nowhere until it is set.
// Call it before the store is used.
func (s *Store) SetLogger(log *slog.Logger) { s.log = log }

// Close cancels the store's background work and waits for it to end; none
// starts after. The pool is the caller's to close, after.
func (s *Store) Close() { s.endBackground(true) }

// Wait lets the store's background work finish, for a command about to
// exit; none starts after. The pool is the caller's to close, after.
func (s *Store) Wait() { s.endBackground(false) }

func (s *Store) endBackground(cancel bool) {
	s.backgroundMu.Lock()
	s.backgroundEnded = true
	s.backgroundMu.Unlock()
	if cancel {
		s.stopBackground()
	}
	s.background.Wait()
}

// goBackground runs f as the store's own work, which Close cancels and
// waits for; it reports false, running nothing, once Close or Wait has
// begun (a request cut off at shutdown may still finish a bulk change).
func (s *Store) goBackground(f func(ctx context.Context)) bool {
	s.backgroundMu.Lock()
	defer s.backgroundMu.Unlock()
	if s.backgroundEnded {
		return false
	}
	s.background.Go(func() { f(s.backgroundCtx) })
	return true
}

// Pool returns the pool, for health checks and metrics.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Tx is one open transaction: its queries and the audit writer.
type Tx struct {
	Q  *db.Queries
	tx pgx.Tx
}

// Audit writes an event in this transaction, taking request metadata from ctx.
func (t *Tx) Audit(ctx context.Context, e audit.Event) error {
	changes, err := e.ChangesJSON()
	if err != nil {
		return fmt.Errorf("encode audit changes: %w", err)
	}
	m := storedMeta(ctx)
	_, err = t.Q.AuditEventInsert(ctx, db.AuditEventInsertParams{
		ActorID:    e.Actor.ID,
		ActorName:  e.Actor.Name,
		Action:     e.Action,
		EntityType: e.EntityType,
		EntityID:   nonEmpty(e.EntityID),
		RequestID:  m.requestID,
		Ip:         m.ip,
		UserAgent:  m.userAgent,
		Summary:    oneLine(e.Summary),
		Changes:    changes,
	})
	if err != nil {
		return fmt.Errorf("write audit event %s: %w", e.Action, err)
	}
	return nil
}

// oneLine keeps a summary one readable sentence: the free text it may
// quote (a contact's outcome) can hold line breaks and tabs, each run of
// which becomes one space, and (stored before outcomes refused them)
// invisible direction controls, which would make the rest of the summary
// read as other text and are dropped.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) && !textrules.HasDirectionControl(s) && !textrules.HasLineSeparator(s) {
		return s
	}
	return directionControls.ReplaceAllString(controlRuns.ReplaceAllString(s, " "), "")
}

var (
	controlRuns       = regexp.MustCompile(`[\p{Cc}\x{2028}\x{2029}]+`)
	directionControls = regexp.MustCompile(`[\x{202A}-\x{202E}\x{2066}-\x{2069}]`)
)

// eventMeta is the request metadata of an event as its columns hold it.
type eventMeta struct{ requestID, ip, userAgent *string }

func storedMeta(ctx context.Context) eventMeta {
	m := audit.MetaFrom(ctx)
	return eventMeta{nonEmpty(m.RequestID), nonEmpty(m.IP), nonEmpty(truncate(m.UserAgent, audit.MaxUserAgent))}
}

// InTx runs fn in a transaction: committed when fn returns nil, rolled back
// otherwise, and on a panic too, so that a recovered panic leaves no
// connection idle in a transaction holding its locks. Errors come back
// translated.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	ptx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer rollback(ctx, ptx)
	if err = fn(&Tx{Q: s.q.WithTx(ptx), tx: ptx}); err != nil {
		return translate(err)
	}
	if err = ptx.Commit(ctx); err != nil {
		return translate(err)
	}
	return nil
}

// rollback ends tx unless it was committed (then it is a no-op), even once
// ctx is done. Bounded: a database gone silent must not hold the goroutine
// (a failed rollback closes the connection).
func rollback(ctx context.Context, tx pgx.Tx) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = tx.Rollback(rctx)
}

// translate maps driver errors onto apperr sentinels; others pass through.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", apperr.ErrNotFound, err)
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505": // unique_violation
			if pg.ConstraintName == "audit_events_pkey" {
				// The id sequence issued an id an event already has: one
				// was inserted ahead of it, or it was set back. The trail's
				// fault, not a conflict the client could resolve.
				return err
			}
			return uniqueConflict(pg.ConstraintName)
		case "23503": // foreign_key_violation
			return &apperr.Error{Status: http.StatusUnprocessableEntity, Err: apperr.ErrInvalid, Detail: "a referenced record does not exist"}
		case "22021", "22P05": // character_not_in_repertoire, untranslatable_character
			return &apperr.Error{Status: 400, Detail: "text must be UTF-8 without NUL characters"}
		case "23514": // check_violation
			return checkViolation(pg)
		}
	}
	return err
}

// checkViolation names the column of a column's CHECK constraint, which
// PostgreSQL names table_column_check: most values are checked before they
// get here, and what is left (a name of Unicode spaces only, trimmed to
// nothing) still deserves its field.
func checkViolation(pg *pgconn.PgError) error {
	col, ok := strings.CutPrefix(pg.ConstraintName, pg.TableName+"_")
	col, ok2 := strings.CutSuffix(col, "_check")
	if !ok || !ok2 || col == "" {
		return &apperr.Error{Status: http.StatusUnprocessableEntity, Err: apperr.ErrInvalid, Detail: "a value is outside its allowed range (" + pg.ConstraintName + ")"}
	}
	msg := "is outside its allowed range"
	if col == "name" {
		msg = "must not be blank, and at most 200 characters"
	}
	return apperr.Invalid(col, msg)
}

// uniqueConflict is the 409 of a unique constraint, naming the field a
// client can change.
func uniqueConflict(constraint string) *apperr.Error {
	field, detail := "", "conflicts with an existing record"
	switch constraint {
	case "users_email_key":
		field, detail = "email", "a user with this e-mail already exists"
	case "leads_external_id_key":
		field, detail = "external_id", "a lead with this external_id already exists (a deleted lead keeps its external_id)"
	}
	e := apperr.Conflict(detail)
	if field != "" {
		e.Fields = []apperr.FieldError{{Field: field, Message: "is taken"}}
	}
	return e
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// truncate cuts s to at most n bytes, at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// newID is a new UUIDv7 for a row or an event. uuid.NewV7 fails only when
// the system's random source does, which crypto/rand no longer reports: it
// ends the process instead.
func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
