package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jmksales/jmk/server/dbtest"
)

// TestOutage pins how unexpected errors are told apart: the database going
// away in its several guises, or aborting a transaction that collided with
// another, is a 503; a genuine bug stays a 500.
func TestOutage(t *testing.T) {
	t.Parallel()
	live := context.Background()
	expired, cancelExpired := context.WithTimeout(live, 0)
	defer cancelExpired()
	left, cancelLeft := context.WithCancel(live)
	cancelLeft()
	stopping, stop := context.WithCancelCause(live)
	stop(errShuttingDown)
	_, refused := pgconn.Connect(live, dbtest.FreshURL(t))
	var pe *pgconn.PgError
	if !errors.As(refused, &pe) {
		t.Fatalf("connecting to a database that does not exist: %v", refused)
	}
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		err    error
		status int // 0: not an outage
	}{
		{"Terminated", live, &pgconn.PgError{Code: "57P01"}, 503},
		{"Starting", live, &pgconn.PgError{Code: "57P03"}, 503},
		{"ConnectionFailure", live, fmt.Errorf("query: %w", &pgconn.PgError{Code: "08006"}), 503},
		{"TooManyConnections", live, &pgconn.PgError{Code: "53300"}, 503},
		{"ClosedMidRead", live, fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF), 503},
		{"ConnClosed", live, pgconn.ErrConnClosed, 503},
		// A real refusal at connect: the server answers with a PgError (here
		// 3D000, a database that does not exist) inside a ConnectError.
		{"RefusedAtConnect", live, refused, 503},
		{"Network", live, &net.OpError{Op: "write", Err: errors.New("broken pipe")}, 503},
		{"Deadline", expired, context.DeadlineExceeded, 503},
		{"ClientLeft", left, context.Canceled, statusClientClosed},
		{"ShuttingDown", stopping, context.Canceled, 503},
		{"Deadlock", live, fmt.Errorf("release leads: %w", &pgconn.PgError{Code: "40P01"}), 503},
		{"SerializationFailure", live, &pgconn.PgError{Code: "40001"}, 503},
		{"UniqueViolation", live, &pgconn.PgError{Code: "23505"}, 0},
		{"Bug", live, errors.New("nil map"), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, detail, ok := outage(tc.ctx, tc.err)
			if status != tc.status || ok != (tc.status != 0) || ok == (detail == "") {
				t.Fatalf("%d %q %v, want %d", status, detail, ok, tc.status)
			}
		})
	}
}
