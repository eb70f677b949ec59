package store

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// The classifiers below let the HTTP layer answer a database outage with a
// 503 without knowing the driver's error types.

// Unavailable reports errors of a database that refuses or drops
// connections: connection failures, the server shutting down or starting,
// and too many connections or too few resources.
func Unavailable(err error) bool {
	// First: a failed connection wraps the server's refusal, whatever its
	// code (55000 for a database not accepting connections, say).
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") ||
			pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ne net.Error
	// A connection the server closed reads as an (unexpected) end of file.
	return errors.As(err, &ne) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, pgconn.ErrConnClosed)
}

// Collided reports a transaction PostgreSQL aborted to resolve a conflict
// with another (deadlock_detected or serialization_failure): it rolled back
// whole and may simply be tried again.
func Collided(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// TimedOut reports a database operation ended by its context's deadline,
// a network timeout, or one of PostgreSQL's own time limits (a
// statement_timeout or lock_timeout set in DATABASE_URL or by the import,
// idle_in_transaction_session_timeout). pgconn counts a cancelled context
// as a timeout too; that is a client gone away, not a slow database.
func TimedOut(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "57014" || pe.Code == "55P03" || pe.Code == "25P03"
	}
	return pgconn.Timeout(err) && !errors.Is(err, context.Canceled)
}
