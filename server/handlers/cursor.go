package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
)

// A cursor is opaque to clients: base64url JSON of the last row's sort key,
// bound to a fingerprint of the filters and sort it was issued for, so that
// reusing it with other filters is a clear 400 rather than a wrong page.
type cursor[K any] struct {
	Scope string `json:"s"`
	Key   K      `json:"k"`
}

// scope fingerprints the query a cursor belongs to. The parts are encoded
// as JSON, which follows pointers: the filters are mostly pointers, and
// printing them with fmt would hash their addresses, so that no cursor of a
// filtered list would ever match its own next request.
func scope(parts ...any) string {
	b, err := json.Marshal(parts)
	if err != nil {
		panic(fmt.Sprintf("cursor scope: %v", err)) // only called with plain filter values
	}
	h := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(h[:6])
}

// nameOrder names the order of the name-sorted lists in their cursors'
// scope: a cursor issued under the byte order they had before
// (schema/00020_folded_search_and_order.sql) is then a 400 that says to start again,
// rather than a page that skips the names the two orders place apart.
const nameOrder = "folded"

// page reads one page of a keyset-paginated list of scope sc: fetch reads
// up to lim rows after the cursor's key (nil: from the start), and key gives
// a row's key for the cursor of the next page (nil on the last page).
func page[R, K any](cur *api.Cursor, limit *api.Limit, sc string,
	fetch func(after *K, lim int32) ([]R, error), key func(R) K) ([]R, *string, error) {
	after, ok, err := decodeCursor[K](cur, sc)
	if err != nil {
		return nil, nil, err
	}
	var from *K
	if ok {
		from = &after
	}
	lim := pageLimit(limit)
	rows, err := fetch(from, lim+1) // one more tells whether a next page exists
	if err != nil {
		return nil, nil, err
	}
	rows, next := cutPage(rows, lim, sc, key)
	return rows, next, nil
}

// total is a list's count=true total, or nil when it was not asked for.
func total(count *api.Count, n func() (int64, error)) (*int64, error) {
	if count == nil || !*count {
		return nil, nil
	}
	t, err := n()
	return &t, err
}

// cutPage splits rows, fetched with one more than lim to learn whether a
// next page exists, into the page and the cursor after it (nil on the last
// page); key gives a row's position in the list's order.
func cutPage[R, K any](rows []R, lim int32, scope string, key func(R) K) ([]R, *string) {
	if len(rows) <= int(lim) {
		return rows, nil
	}
	return rows[:lim], encodeCursor(scope, key(rows[lim-1]))
}

func encodeCursor[K any](scope string, key K) *string {
	b, _ := json.Marshal(cursor[K]{Scope: scope, Key: key})
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// decodeCursor returns the key of a cursor (zero, false when there is none).
func decodeCursor[K any](s *string, scope string) (K, bool, error) {
	var c cursor[K]
	if s == nil || *s == "" {
		return c.Key, false, nil
	}
	// A key must be there, hold no NUL (PostgreSQL text cannot), and be
	// exactly what encodeCursor writes for it: only a forged cursor lacks
	// one, has one, or leaves out a member (which would read as its zero
	// value and end the list early).
	var raw cursor[json.RawMessage]
	b, err := base64.RawURLEncoding.DecodeString(*s)
	if err != nil || json.Unmarshal(b, &raw) != nil || bytes.Contains(raw.Key, []byte(`\u0000`)) ||
		json.Unmarshal(raw.Key, &c.Key) != nil || !canonical(c.Key, raw.Key) {
		return c.Key, false, apperr.BadRequest("cursor", "is not a cursor this API issued")
	}
	c.Scope = raw.Scope
	if c.Scope != scope {
		return c.Key, false, apperr.BadRequest("cursor", "belongs to a list with other filters or sort; start again without it")
	}
	return c.Key, true, nil
}

// canonical reports whether raw is key as encodeCursor encodes it.
func canonical[K any](key K, raw []byte) bool {
	b, err := json.Marshal(key)
	return err == nil && bytes.Equal(b, raw)
}
