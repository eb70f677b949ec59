package handlers

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
)

func TestCursor(t *testing.T) {
	t.Parallel()
	role, q, active := "sales", "ann", true
	sc := scope("users", &role, &active, &q)
	key := userKey{Name: "Ann", ID: uuid.New()}

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		c := encodeCursor(sc, key)
		got, ok, err := decodeCursor[userKey](c, sc)
		if err != nil || !ok || got != key {
			t.Fatalf("%+v %v %v", got, ok, err)
		}
	})
	t.Run("Opaque", func(t *testing.T) {
		t.Parallel()
		if c := *encodeCursor(sc, key); strings.ContainsAny(c, "+/=\"{") || strings.Contains(c, "Ann") {
			t.Fatalf("cursor is not opaque URL-safe text: %s", c)
		}
	})
	t.Run("None", func(t *testing.T) {
		t.Parallel()
		empty := ""
		for _, c := range []*string{nil, &empty} {
			if _, ok, err := decodeCursor[userKey](c, sc); ok || err != nil {
				t.Fatalf("%v %v", ok, err)
			}
		}
	})
	t.Run("ScopeFollowsValuesNotPointers", func(t *testing.T) {
		t.Parallel()
		// The same filters in new variables (as on the next request) give
		// the same scope; other values give another.
		role2, q2, active2 := "sales", "ann", true
		if scope("users", &role2, &active2, &q2) != sc {
			t.Fatal("same filters, different scope")
		}
		role3 := "admin"
		if scope("users", &role3, &active2, &q2) == sc {
			t.Fatal("other filters, same scope")
		}
		if scope("users", nil, &active2, &q2) == sc {
			t.Fatal("missing filter, same scope")
		}
		since := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		a := scope("audit", db.AuditEventListParams{Since: &since})
		since2 := since
		if scope("audit", db.AuditEventListParams{Since: &since2}) != a {
			t.Fatal("audit filters in a struct: same values, different scope")
		}
		if scope("audit", db.AuditEventListParams{Since: &since, SalesOnly: true}) == a {
			t.Fatal("sales and admin share a scope")
		}
	})
	for _, tc := range []struct{ name, cursor string }{
		{"NotBase64", "%%%"},
		{"NotJSON", "bm90IGpzb24"},
		{"WrongKeyType", *encodeCursor(sc, 42)},
		{"NoKey", base64.RawURLEncoding.EncodeToString([]byte(`{"s":"` + sc + `"}`))},
		{"NullKey", *encodeCursor[*userKey](sc, nil)},
		{"NULInKey", *encodeCursor(sc, userKey{Name: "A\x00", ID: key.ID})},
		// A member left out or null would read as its zero value (and one
		// added is no key this API wrote).
		{"KeyWithoutID", base64.RawURLEncoding.EncodeToString([]byte(`{"s":"` + sc + `","k":{"n":"Ann"}}`))},
		{"KeyWithNullName", base64.RawURLEncoding.EncodeToString([]byte(`{"s":"` + sc + `","k":{"n":null,"i":"` + key.ID.String() + `"}}`))},
		{"KeyWithExtraMember", base64.RawURLEncoding.EncodeToString([]byte(`{"s":"` + sc + `","k":{"n":"Ann","i":"` + key.ID.String() + `","x":1}}`))},
	} {
		t.Run("Malformed"+tc.name, func(t *testing.T) {
			t.Parallel()
			c := tc.cursor
			_, ok, err := decodeCursor[userKey](&c, sc)
			assertBadCursor(t, ok, err)
		})
	}
	t.Run("ScopeMismatch", func(t *testing.T) {
		t.Parallel()
		other := "admin"
		c := encodeCursor(scope("users", &other, &active, &q), key)
		_, ok, err := decodeCursor[userKey](c, sc)
		assertBadCursor(t, ok, err)
		if !strings.Contains(err.Error(), "other filters") {
			t.Fatalf("detail %q", err)
		}
	})
}

func assertBadCursor(t *testing.T, ok bool, err error) {
	t.Helper()
	var ae *apperr.Error
	if ok || !errors.As(err, &ae) || ae.Status != 400 || len(ae.Fields) != 1 || ae.Fields[0].Field != "cursor" {
		t.Fatalf("want a 400 on field cursor, got ok=%v %v", ok, err)
	}
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name     string
		h        *string
		versions []int32
		status   int // of ifMatch
		optional int // of optionalIfMatch
		any      bool
	}{
		{"Missing", nil, nil, 428, 0, true},
		// Blank is no tag: required on a PATCH, and on a DELETE no licence
		// to delete whatever the version.
		{"Blank", s("  "), nil, 428, 400, false},
		{"Empty", s(""), nil, 428, 400, false},
		{"Star", s("*"), nil, 428, 0, true},
		{"Strong", s(`"3"`), []int32{3}, 0, 0, false},
		{"List", s(`"1", "2" ,"9"`), []int32{1, 2, 9}, 0, 0, false},
		{"Weak", s(`W/"3"`), nil, 0, 0, false},
		{"WeakInList", s(`W/"3", "4"`), []int32{4}, 0, 0, false},
		{"Foreign", s(`"abc"`), nil, 0, 0, false},
		{"LeadingZero", s(`"03"`), nil, 0, 0, false},
		{"Sign", s(`"+3"`), nil, 0, 0, false},
		{"Overflow", s(`"2147483648"`), nil, 0, 0, false},
		{"Zero", s(`"0"`), nil, 0, 0, false}, // versions start at 1
		{"Negative", s(`"-1"`), nil, 0, 0, false},
		{"Unterminated", s(`"3`), nil, 400, 400, false},
		{"Unquoted", s(`3`), nil, 400, 400, false},
		{"UnquotedInList", s(`"3", 4`), nil, 400, 400, false},
		{"StarInList", s(`"3", *`), nil, 400, 400, false},
		{"EmptyInList", s(`, "3",, "4" ,`), []int32{3, 4}, 0, 0, false}, // RFC 9110 5.6.1.2
		{"OnlyCommas", s(` , ,`), nil, 400, 400, false},
		{"CommaInTag", s(`"3,4"`), nil, 0, 0, false},
		{"TextAfterTag", s(`"3" x`), nil, 400, 400, false},
		{"QuoteInside", s(`"3"4"`), nil, 400, 400, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var h string // a PATCH's validator answers a missing one as ifMatch does a blank one
			if tc.h != nil {
				h = *tc.h
			}
			p, err := ifMatch(h)
			if got := statusOf(err); got != tc.status || (err == nil && !slices.Equal(p.Versions, tc.versions)) || p.Any {
				t.Fatalf("%+v status %d, want %v %d", p, got, tc.versions, tc.status)
			}
			var ae *apperr.Error
			if tc.status == 400 && (!errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != "If-Match" ||
				strings.HasSuffix(ae.Fields[0].Message, "not ")) {
				t.Fatalf("want a 400 on field If-Match naming what is wrong, got %+v", ae)
			}
			o, err := optionalIfMatch(tc.h)
			if got := statusOf(err); got != tc.optional || o.Any != tc.any || (err == nil && !slices.Equal(o.Versions, tc.versions)) {
				t.Fatalf("optional: %+v status %d, want any=%v %v %d", o, got, tc.any, tc.versions, tc.optional)
			}
		})
	}
	if *etag(7) != `"7"` {
		t.Fatalf("etag %s", *etag(7))
	}
}

func statusOf(err error) int {
	if err == nil {
		return 0
	}
	return apperr.StatusOf(err)
}
