package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"
)

// Genesis is the hash before the first event: all zeros. A function, not a
// variable, so that no caller can change the chain's root.
func Genesis() []byte { return make([]byte, sha256.Size) }

const encodingVersion = "jmk-audit-v1"

// Canonical returns the unambiguous byte encoding of every field of the
// event: each field is length-prefixed (a NULL has its own marker), so no two
// different events can encode the same. Times are UTC with microseconds, the
// precision PostgreSQL keeps.
func Canonical(e Stored) []byte {
	var b bytes.Buffer
	put := func(s *string) {
		if s == nil {
			_ = binary.Write(&b, binary.BigEndian, int64(-1))
			return
		}
		_ = binary.Write(&b, binary.BigEndian, int64(len(*s)))
		b.WriteString(*s)
	}
	str := func(s string) *string { return &s }
	put(str(encodingVersion))
	put(str(strconv.FormatInt(e.ID, 10)))
	put(str(e.OccurredAt.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")))
	if e.ActorID != nil {
		put(str(e.ActorID.String()))
	} else {
		put(nil)
	}
	put(str(e.ActorName))
	put(str(e.Action))
	put(str(e.EntityType))
	put(e.EntityID)
	put(e.RequestID)
	put(e.IP)
	put(e.UserAgent)
	put(str(e.Summary))
	put(str(string(e.Changes)))
	return b.Bytes()
}

// Link returns the hash of an event given the hash before it.
func Link(prev []byte, e Stored) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(Canonical(e))
	return h.Sum(nil)
}
