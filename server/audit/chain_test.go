package audit_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/server/audit"
)

func sp(s string) *string { return &s }

func event(id int64) audit.Stored {
	actor := uuid.MustParse("0193a1c2-7e2f-7b3a-9c1d-2f4e5a6b7c8d")
	return audit.Stored{
		ID: id, OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC), ActorID: &actor,
		ActorName: "Ana", Action: "lead.update", EntityType: "lead", EntityID: sp("e1"),
		RequestID: sp("r1"), IP: sp("10.0.0.1"), UserAgent: sp("ua"), Summary: "Ana changed a lead",
		Changes: []byte(`{"status": {"to": "contacted", "from": "new"}}`),
	}
}

func TestCanonicalInjective(t *testing.T) {
	t.Parallel()
	base := event(1)
	for _, tc := range []struct {
		name string
		a, b func(*audit.Stored)
	}{
		{"ActorNameActionShift",
			func(e *audit.Stored) { e.ActorName, e.Action = "ab", "c" },
			func(e *audit.Stored) { e.ActorName, e.Action = "a", "bc" }},
		{"EntityTypeEntityIDShift",
			func(e *audit.Stored) { e.EntityType, e.EntityID = "lead1", sp("") },
			func(e *audit.Stored) { e.EntityType, e.EntityID = "lead", sp("1") }},
		{"NilVsEmptyEntityID",
			func(e *audit.Stored) { e.EntityID = nil },
			func(e *audit.Stored) { e.EntityID = sp("") }},
		{"NilVsEmptyIP",
			func(e *audit.Stored) { e.IP = nil },
			func(e *audit.Stored) { e.IP = sp("") }},
		{"NilVsEmptyUserAgentRequestIDShift",
			func(e *audit.Stored) { e.RequestID, e.IP = nil, sp("") },
			func(e *audit.Stored) { e.RequestID, e.IP = sp(""), nil }},
		{"NilActorVsSet",
			func(e *audit.Stored) { e.ActorID = nil },
			func(e *audit.Stored) {}},
		{"ID", func(e *audit.Stored) { e.ID = 12 }, func(e *audit.Stored) { e.ID = 1 }},
		{"TimeMicrosecond",
			func(e *audit.Stored) { e.OccurredAt = e.OccurredAt.Add(time.Microsecond) },
			func(e *audit.Stored) {}},
		{"SummaryChangesShift",
			func(e *audit.Stored) { e.Summary, e.Changes = "x{", []byte(`}`) },
			func(e *audit.Stored) { e.Summary, e.Changes = "x", []byte(`{}`) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := base, base
			tc.a(&a)
			tc.b(&b)
			if bytes.Equal(audit.Canonical(a), audit.Canonical(b)) {
				t.Fatal("two different events encode the same")
			}
			if bytes.Equal(audit.Link(audit.Genesis(), a), audit.Link(audit.Genesis(), b)) {
				t.Fatal("two different events hash the same")
			}
		})
	}
	t.Run("TimeZoneAndNanosecondsIgnored", func(t *testing.T) {
		t.Parallel()
		a, b := base, base
		b.OccurredAt = a.OccurredAt.In(time.FixedZone("X", 3600)).Add(400 * time.Nanosecond)
		if !bytes.Equal(audit.Canonical(a), audit.Canonical(b)) {
			t.Fatal("the same instant at PostgreSQL's precision encodes differently")
		}
	})
}

func TestLink(t *testing.T) {
	t.Parallel()
	e := event(1)
	h1 := audit.Link(audit.Genesis(), e)
	if len(h1) != 32 || !bytes.Equal(h1, audit.Link(audit.Genesis(), e)) {
		t.Fatal("Link is not a deterministic SHA-256")
	}
	if bytes.Equal(h1, audit.Link(h1, e)) {
		t.Fatal("Link ignores the previous hash")
	}
}

// chain seals n events as the sealer would.
func chain(n int) []audit.Sealed {
	out := make([]audit.Sealed, n)
	prev := audit.Genesis()
	for i := range out {
		e := event(int64(i + 1))
		h := audit.Link(prev, e)
		out[i] = audit.Sealed{Event: e, PrevHash: prev, Hash: h}
		prev = h
	}
	return out
}

func verify(events []audit.Sealed, anchor *audit.Anchor) *audit.Verifier {
	v := audit.NewVerifier(anchor)
	for _, s := range events {
		if !v.Add(s) {
			break
		}
	}
	v.Finish()
	return v
}

// reseal links c again from index i on, as the sealer does after someone
// deleted those seals.
func reseal(c []audit.Sealed, i int) []audit.Sealed {
	prev := audit.Genesis()
	if i > 0 {
		prev = c[i-1].Hash
	}
	for k := i; k < len(c); k++ {
		c[k].PrevHash, c[k].Hash = prev, audit.Link(prev, c[k].Event)
		prev = c[k].Hash
	}
	return c
}

func TestVerifier(t *testing.T) {
	t.Parallel()
	unseal := func(s audit.Sealed) audit.Sealed { s.PrevHash, s.Hash = nil, nil; return s }
	for _, tc := range []struct {
		name     string
		mutate   func([]audit.Sealed) []audit.Sealed
		brokenID int64
		checked  int64
		unsealed int64
	}{
		{"Intact", func(c []audit.Sealed) []audit.Sealed { return c }, 0, 5, 0},
		{"Empty", func([]audit.Sealed) []audit.Sealed { return nil }, 0, 0, 0},
		{"EditedSummary", func(c []audit.Sealed) []audit.Sealed { c[2].Event.Summary = "x"; return c }, 3, 2, 0},
		{"EditedChanges", func(c []audit.Sealed) []audit.Sealed { c[0].Event.Changes = []byte(`{}`); return c }, 1, 0, 0},
		{"EditedActorToNil", func(c []audit.Sealed) []audit.Sealed { c[4].Event.ActorID = nil; return c }, 5, 4, 0},
		{"Deleted", func(c []audit.Sealed) []audit.Sealed { return append(c[:2:2], c[3:]...) }, 4, 2, 0},
		{"Reordered", func(c []audit.Sealed) []audit.Sealed { c[1], c[2] = c[2], c[1]; return c }, 3, 1, 0},
		{"SealRemoved", func(c []audit.Sealed) []audit.Sealed { c[1] = unseal(c[1]); return c }, 2, 1, 1},
		{"ResealedAfterEdit", func(c []audit.Sealed) []audit.Sealed {
			// Re-hashing an edited event does not help: the next event's
			// previous hash still names the original.
			c[1].Event.Summary = "x"
			c[1].Hash = audit.Link(c[1].PrevHash, c[1].Event)
			return c
		}, 3, 2, 0},
		{"UnsealedTail", func(c []audit.Sealed) []audit.Sealed {
			c[3], c[4] = unseal(c[3]), unseal(c[4])
			return c
		}, 0, 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := verify(tc.mutate(chain(5)), nil)
			if v.BrokenID != tc.brokenID || v.OK() != (tc.brokenID == 0) {
				t.Fatalf("broken id %d (%s), want %d", v.BrokenID, v.Reason, tc.brokenID)
			}
			if v.Checked != tc.checked || v.Unsealed != tc.unsealed {
				t.Fatalf("checked %d unsealed %d, want %d %d", v.Checked, v.Unsealed, tc.checked, tc.unsealed)
			}
			if !v.OK() && v.Reason == "" {
				t.Fatal("no reason given")
			}
		})
	}
	t.Run("StopsAfterBreak", func(t *testing.T) {
		t.Parallel()
		c := chain(3)
		c[0].Event.Summary = "x"
		v := audit.NewVerifier(nil)
		if v.Add(c[0]) || v.Add(c[1]) || v.BrokenID != 1 {
			t.Fatalf("verifier went on after a break: %d", v.BrokenID)
		}
	})
}

// TestVerifierAnchor covers what the chain alone cannot show: events
// changed or removed together with every seal from them on, and sealed
// again. A seal recorded elsewhere (the anchor) shows it.
func TestVerifierAnchor(t *testing.T) {
	t.Parallel()
	unseal := func(s audit.Sealed) audit.Sealed { s.PrevHash, s.Hash = nil, nil; return s }
	original := chain(5)
	anchorAt := func(id int64) *audit.Anchor { return &audit.Anchor{ID: id, Hash: original[id-1].Hash} }
	for _, tc := range []struct {
		name     string
		mutate   func([]audit.Sealed) []audit.Sealed
		anchor   *audit.Anchor
		brokenID int64
	}{
		{"Intact", func(c []audit.Sealed) []audit.Sealed { return c }, anchorAt(4), 0},
		{"IntactAtHead", func(c []audit.Sealed) []audit.Sealed { return c }, anchorAt(5), 0},
		{"RewrittenAfterAnchor", func(c []audit.Sealed) []audit.Sealed {
			c[4].Event.Summary = "x"
			return reseal(c, 4)
		}, anchorAt(4), 0},
		{"RewrittenAtAnchor", func(c []audit.Sealed) []audit.Sealed {
			c[3].Event.Summary = "x"
			return reseal(c, 3)
		}, anchorAt(4), 4},
		{"RewrittenBeforeAnchor", func(c []audit.Sealed) []audit.Sealed {
			c[1].Event.Summary = "x"
			return reseal(c, 1)
		}, anchorAt(4), 4},
		{"DeletedAndResealed", func(c []audit.Sealed) []audit.Sealed {
			return reseal(append(c[:1:1], c[2:]...), 1)
		}, anchorAt(4), 4},
		{"SealsRemovedFromAnchor", func(c []audit.Sealed) []audit.Sealed {
			c[3], c[4] = unseal(c[3]), unseal(c[4])
			return c
		}, anchorAt(4), 4},
		{"AnchoredEventDeletedAndResealed", func(c []audit.Sealed) []audit.Sealed {
			return reseal(append(c[:3:3], c[4]), 3)
		}, anchorAt(4), 4},
		{"TailDeleted", func(c []audit.Sealed) []audit.Sealed { return c[:3] }, anchorAt(4), 4},
		{"UnknownAnchorHash", func(c []audit.Sealed) []audit.Sealed { return c }, &audit.Anchor{ID: 2, Hash: make([]byte, 32)}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := tc.mutate(chain(5))
			// Every case passes without its anchor: the chain alone cannot tell.
			if v := verify(c, nil); !v.OK() {
				t.Fatalf("without the anchor: %s", v.Reason)
			}
			v := verify(c, tc.anchor)
			if v.BrokenID != tc.brokenID || v.OK() != (tc.brokenID == 0) {
				t.Fatalf("broken id %d (%s), want %d", v.BrokenID, v.Reason, tc.brokenID)
			}
		})
	}
	t.Run("ParseAnchor", func(t *testing.T) {
		t.Parallel()
		a := audit.Anchor{ID: 4, Hash: original[3].Hash}
		got, err := audit.ParseAnchor(a.String())
		if err != nil || got.ID != 4 || !bytes.Equal(got.Hash, a.Hash) {
			t.Fatalf("round trip of %s: %+v %v", a, got, err)
		}
		for _, bad := range []string{"", "4", "4:", ":" + hex.EncodeToString(a.Hash), "-1:" + hex.EncodeToString(a.Hash), "4:" + hex.EncodeToString(a.Hash[:31]), "4:zz"} {
			if _, err := audit.ParseAnchor(bad); err == nil {
				t.Errorf("%q accepted", bad)
			}
		}
	})
	t.Run("Head", func(t *testing.T) {
		t.Parallel()
		c := chain(5)
		c[4] = unseal(c[4])
		v := verify(c, nil)
		if v.HeadID != 4 || !bytes.Equal(v.HeadHash, c[3].Hash) {
			t.Fatalf("head %d %x, want 4 %x", v.HeadID, v.HeadHash, c[3].Hash)
		}
		if v := verify(nil, nil); v.HeadID != 0 || v.HeadHash != nil {
			t.Fatalf("empty chain head %d %x", v.HeadID, v.HeadHash)
		}
	})
}

func TestEventHelpers(t *testing.T) {
	t.Parallel()
	t.Run("ChangesJSONEmpty", func(t *testing.T) {
		b, err := audit.Event{}.ChangesJSON()
		if err != nil || string(b) != "{}" {
			t.Fatalf("%s %v", b, err)
		}
	})
	t.Run("ChangesJSON", func(t *testing.T) {
		b, err := audit.Event{Changes: map[string]audit.Change{"name": {From: "a", To: "b"}}}.ChangesJSON()
		var got map[string]map[string]string
		if err != nil || json.Unmarshal(b, &got) != nil || got["name"]["from"] != "a" || got["name"]["to"] != "b" {
			t.Fatalf("%s %v", b, err)
		}
	})
	t.Run("Meta", func(t *testing.T) {
		if (audit.MetaFrom(context.Background()) != audit.Meta{}) {
			t.Fatal("meta in an empty context")
		}
		m := audit.Meta{RequestID: "r", IP: "i", UserAgent: "u"}
		if audit.MetaFrom(audit.WithMeta(context.Background(), m)) != m {
			t.Fatal("meta lost")
		}
	})
}
