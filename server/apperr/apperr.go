// Package apperr defines the errors the application expects to happen and
// the HTTP status each one becomes. Handlers and the store return these; the
// server's one error handler turns them into RFC 9457 problem+json. Any other
// error is a surprise: it is logged and the client sees a generic 500.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinels the store and handlers return; wrap them with context as needed.
var (
	ErrNotFound             = errors.New("not found")
	ErrConflict             = errors.New("conflict")
	ErrStale                = errors.New("the record changed since you read it; reload it and try again")
	ErrPreconditionRequired = errors.New("If-Match is required: send the ETag from your last GET")
	ErrForbidden            = errors.New("forbidden")
	ErrUnauthorized         = errors.New("unauthorized")
	ErrInvalid              = errors.New("invalid") // well-formed input that breaks a rule (422)
)

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an expected failure with its HTTP status and a message that is
// safe to show to the client.
type Error struct {
	Status int
	// Detail is the human-readable explanation sent to the client.
	Detail string
	Fields []FieldError
	// AllowedNextStates lists the legal lead statuses after a refused transition.
	AllowedNextStates []string
	// RetryAfter, in seconds, is sent as the Retry-After header when > 0.
	RetryAfter int
	// ETag, when set, is sent as the ETag header: on a 412, the record's
	// current version, so a client can tell what it missed.
	ETag string
	// Err is the underlying sentinel, for errors.Is.
	Err error
}

func (e *Error) Error() string { return e.Detail }

// Unwrap lets errors.Is see the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with the status and a formatted detail.
func New(status int, format string, args ...any) *Error {
	return &Error{Status: status, Detail: fmt.Sprintf(format, args...)}
}

// NotFound says what was not found.
func NotFound(what string) *Error {
	return &Error{Status: http.StatusNotFound, Detail: what + " not found", Err: ErrNotFound}
}

// Forbidden explains why the caller may not do this.
func Forbidden(why string) *Error {
	return &Error{Status: http.StatusForbidden, Detail: why, Err: ErrForbidden}
}

// Conflict explains the conflicting state.
func Conflict(why string) *Error {
	return &Error{Status: http.StatusConflict, Detail: why, Err: ErrConflict}
}

// Unauthorized is the one 401 the API gives, whatever the cause, so that it
// reveals nothing about which part of the credentials was wrong.
func Unauthorized(detail string) *Error {
	return &Error{Status: http.StatusUnauthorized, Detail: detail, Err: ErrUnauthorized}
}

// Invalid is a 422 for input that is well-formed but breaks a rule.
func Invalid(field, message string) *Error {
	return &Error{
		Status: http.StatusUnprocessableEntity,
		Detail: field + ": " + message,
		Fields: []FieldError{{Field: field, Message: message}},
		Err:    ErrInvalid,
	}
}

// BadRequest is a 400 for input the spec could not catch.
func BadRequest(field, message string) *Error {
	e := &Error{Status: http.StatusBadRequest, Detail: message}
	if field != "" {
		e.Detail = field + ": " + message
		e.Fields = []FieldError{{Field: field, Message: message}}
	}
	return e
}

// TooLarge is the 413 of a body over limit bytes: what names the body
// ("the request body", "the file") and hint, which may be empty, follows
// the limit, given in binary units (1 MiB, 64 MiB) as the README states it.
func TooLarge(what string, limit int64, hint string) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge,
		Detail: what + " is over the size limit of " + Size(limit) + hint}
}

// Size writes a number of bytes in the largest binary unit (KiB, MiB, GiB)
// it reaches: as a whole number of that unit when it is one (1 MiB), else
// with the bytes counted out beside one decimal rounded down, so that a
// limit never reads as more than it is: 1.5 MiB (1572864 bytes),
// 1023.9 KiB (1048575 bytes), 1.0 MiB (1048577 bytes). Under 1 KiB it is
// bytes: 1000 bytes.
func Size(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		switch {
		case n < u.size:
			continue
		case n%u.size == 0:
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
		return fmt.Sprintf("%d.%d %s (%d bytes)", n/u.size, n%u.size*10/u.size, u.name, n)
	}
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// StatusOf maps any error to the status the client should see: the status of
// an *Error, a sentinel's conventional status, or 500.
func StatusOf(err error) int {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Status
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrStale):
		return http.StatusPreconditionFailed
	case errors.Is(err, ErrPreconditionRequired):
		return http.StatusPreconditionRequired
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrInvalid):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}
