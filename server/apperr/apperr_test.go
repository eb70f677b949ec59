package apperr_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/jmksales/jmk/server/apperr"
)

func TestStatusOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"NotFound", apperr.ErrNotFound, 404},
		{"NotFoundWrapped", fmt.Errorf("user: %w", apperr.ErrNotFound), 404},
		{"Stale", apperr.ErrStale, 412},
		{"PreconditionRequired", apperr.ErrPreconditionRequired, 428},
		{"Conflict", fmt.Errorf("x: %w", apperr.ErrConflict), 409},
		{"Forbidden", apperr.ErrForbidden, 403},
		{"Unauthorized", apperr.ErrUnauthorized, 401},
		{"InvalidSentinel", fmt.Errorf("x: %w", apperr.ErrInvalid), 422},
		{"ErrorStatusWins", &apperr.Error{Status: 422, Err: apperr.ErrConflict}, 422},
		{"ErrorWrapped", fmt.Errorf("ctx: %w", apperr.New(503, "down")), 503},
		{"Invalid", apperr.Invalid("email", "taken"), 422},
		{"BadRequest", apperr.BadRequest("cursor", "bad"), 400},
		{"NotFoundCtor", apperr.NotFound("user"), 404},
		{"ForbiddenCtor", apperr.Forbidden("no"), 403},
		{"ConflictCtor", apperr.Conflict("dup"), 409},
		{"UnauthorizedCtor", apperr.Unauthorized("who"), 401},
		{"Surprise", errors.New("boom"), 500},
		{"Nil", nil, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := apperr.StatusOf(tc.err); got != tc.want {
				t.Fatalf("StatusOf = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestErrorShape(t *testing.T) {
	t.Parallel()
	t.Run("SentinelsVisible", func(t *testing.T) {
		for _, tc := range []struct {
			err  error
			want error
		}{
			{apperr.NotFound("user"), apperr.ErrNotFound},
			{apperr.Forbidden("x"), apperr.ErrForbidden},
			{apperr.Conflict("x"), apperr.ErrConflict},
			{apperr.Unauthorized("x"), apperr.ErrUnauthorized},
		} {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("%v is not %v", tc.err, tc.want)
			}
		}
	})
	t.Run("InvalidNamesField", func(t *testing.T) {
		e := apperr.Invalid("email", "is taken")
		if len(e.Fields) != 1 || e.Fields[0].Field != "email" || e.Error() != "email: is taken" {
			t.Fatalf("%+v", e)
		}
	})
	t.Run("BadRequestWithoutField", func(t *testing.T) {
		e := apperr.BadRequest("", "nope")
		if e.Status != http.StatusBadRequest || e.Fields != nil || e.Detail != "nope" {
			t.Fatalf("%+v", e)
		}
	})
}

// A 413 gives its limit as a person reads it, and exactly: a whole number
// of the largest unit it reaches, or one decimal rounded down (a limit is
// never overstated) with the bytes beside it.
func TestTooLarge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"},
		{1, "1 byte"},
		{1000, "1000 bytes"},
		{1023, "1023 bytes"},
		{1024, "1 KiB"},
		{1025, "1.0 KiB (1025 bytes)"},
		{4 << 10, "4 KiB"},
		{1000000, "976.5 KiB (1000000 bytes)"}, // 976.5625
		{1<<20 - 1, "1023.9 KiB (1048575 bytes)"},
		{1 << 20, "1 MiB"},
		{1<<20 + 1, "1.0 MiB (1048577 bytes)"},
		{1536 << 10, "1.5 MiB (1572864 bytes)"},
		{2<<20 - 1, "1.9 MiB (2097151 bytes)"},
		{64 << 20, "64 MiB"},
		{1<<30 - 1, "1023.9 MiB (1073741823 bytes)"},
		{2 << 30, "2 GiB"},
		{3000 << 30, "3000 GiB"},
	} {
		if got := apperr.Size(tc.n); got != tc.want {
			t.Errorf("Size(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	e := apperr.TooLarge("the request body", 1<<20, "")
	if e.Status != http.StatusRequestEntityTooLarge || e.Detail != "the request body is over the size limit of 1 MiB" {
		t.Errorf("%+v", e)
	}
}
