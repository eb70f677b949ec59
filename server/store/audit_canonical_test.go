package store_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/store"
)

// TestAuditHashCoversEveryColumn: each column of audit_events (as sqlc
// reads the table) changes the event's canonical encoding, so a column a
// later migration adds cannot be left out of the hash chain unnoticed.
func TestAuditHashCoversEveryColumn(t *testing.T) {
	t.Parallel()
	base := db.AuditEvent{ID: 1, OccurredAt: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), ActorName: "a",
		Action: "lead.update", EntityType: "lead", Summary: "s", Changes: []byte(`{}`)}
	want := audit.Canonical(store.StoredEvent(base))
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		changed := base
		f := reflect.ValueOf(&changed).Elem().Field(i)
		if !setOther(f) {
			t.Fatalf("audit_events column %s has a type this test cannot change (%s): teach it", typ.Field(i).Name, f.Type())
		}
		if bytes.Equal(audit.Canonical(store.StoredEvent(changed)), want) {
			t.Errorf("audit_events column %s is not in the hash chain's encoding (store.StoredEvent, audit.Canonical)",
				typ.Field(i).Name)
		}
	}
}

// setOther gives f a value other than the one it has, if it knows how.
func setOther(f reflect.Value) bool {
	switch v := f.Addr().Interface().(type) {
	case *int64:
		*v++
	case *string:
		*v += "x"
	case **string:
		s := "x"
		*v = &s
	case **uuid.UUID:
		id := uuid.New()
		*v = &id
	case *time.Time:
		*v = v.Add(time.Second)
	case *json.RawMessage:
		*v = json.RawMessage(`{"a":1}`)
	default:
		return false
	}
	return true
}
