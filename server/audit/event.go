package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Actor is who did something: a user, or a named system actor (nil ID).
type Actor struct {
	ID   *uuid.UUID
	Name string
}

// System actors for changes no user made.
var (
	System    = Actor{Name: "system"}
	Anonymous = Actor{Name: "anonymous"}
)

// Change is one field's old and new value. Secrets are never recorded: the
// store records that a password changed as "(hidden)" to "(changed)".
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// Event is what a change writes to the trail. Request metadata (request id,
// IP, user agent) is taken from the context when the event is written.
type Event struct {
	Actor      Actor
	Action     string // "entity.verb", e.g. "lead.update"
	EntityType string
	EntityID   string
	Summary    string // one readable sentence
	Changes    map[string]Change
}

// ChangesJSON encodes the changes for storage; nil becomes {}.
func (e Event) ChangesJSON() (json.RawMessage, error) {
	if len(e.Changes) == 0 {
		return json.RawMessage(`{}`), nil
	}
	return json.Marshal(e.Changes)
}

// Meta is the request the event came from.
type Meta struct {
	RequestID string
	IP        string
	UserAgent string // at most MaxUserAgent bytes are kept
}

// MaxUserAgent bounds the user agent kept with events and sessions.
const MaxUserAgent = 512

type metaKey struct{}

// WithMeta returns a context carrying the request metadata.
func WithMeta(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// MetaFrom returns the request metadata of ctx (zero outside a request).
func MetaFrom(ctx context.Context) Meta {
	m, _ := ctx.Value(metaKey{}).(Meta)
	return m
}

// Stored is an event as the database holds it, the input of the hash chain.
type Stored struct {
	ID         int64
	OccurredAt time.Time
	ActorID    *uuid.UUID
	ActorName  string
	Action     string
	EntityType string
	EntityID   *string
	RequestID  *string
	IP         *string
	UserAgent  *string
	Summary    string
	Changes    []byte // the jsonb text as PostgreSQL returns it (normalised)
}
