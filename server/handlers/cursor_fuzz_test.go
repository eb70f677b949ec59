package handlers

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/store"
)

// Any cursor a client sends: no panic, and either a 400 on cursor or a key
// whose own cursor decodes to it again (a cursor differing only in base64
// line breaks or JSON spacing names the same key, which does no harm).
func FuzzDecodeCursor(f *testing.F) {
	sc := scope("fuzz")
	f.Add(*encodeCursor(sc, store.LeadKey{Score: 0.5, Name: "Ana"}))
	f.Add(*encodeCursor(sc, int64(42)))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"s":"` + sc + `","k":{"i":"00000000-0000-0000-0000-000000000000","t":"9999-12-31T23:59:59Z"}}`)))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"s":"` + sc + `","k":{"n":"\u0000"}}`)))
	f.Add("!!")
	f.Fuzz(func(t *testing.T, in string) {
		if in == "" {
			return // no cursor: the first page
		}
		refused := func(err error) bool {
			var ae *apperr.Error
			if err != nil && (!errors.As(err, &ae) || ae.Status != 400) {
				t.Fatalf("%q: %v", in, err)
			}
			return err != nil
		}
		if lk, ok, err := decodeCursor[store.LeadKey](&in, sc); !refused(err) {
			again, ok2, err := decodeCursor[store.LeadKey](encodeCursor(sc, lk), sc)
			if !ok || !ok2 || err != nil || !sameLeadKey(again, lk) {
				t.Fatalf("%q: key %+v comes back as %+v (%v)", in, lk, again, err)
			}
		}
		if id, _, err := decodeCursor[int64](&in, sc); !refused(err) {
			if again, _, err := decodeCursor[int64](encodeCursor(sc, id), sc); err != nil || again != id {
				t.Fatalf("%q: key %d comes back as %d (%v)", in, id, again, err)
			}
		}
	})
}

func sameLeadKey(a, b store.LeadKey) bool {
	return a.Score == b.Score && a.Name == b.Name && a.ID == b.ID &&
		(a.Time == nil) == (b.Time == nil) && (a.Time == nil || a.Time.Equal(*b.Time))
}
