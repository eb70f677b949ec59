package leadrules

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/server/apperr"
)

func status(err error) int {
	if err == nil {
		return 0
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return -1
	}
	return ae.Status
}

// TestCheckTransition covers every pair of statuses for both roles.
func TestCheckTransition(t *testing.T) {
	t.Parallel()
	// allowed[from] lists the legal targets for a sales user; admin adds reopen.
	allowed := map[string][]string{
		New:       {New, Contacted, FollowUp, Success, Failed},
		Contacted: {Contacted, FollowUp, Success, Failed},
		FollowUp:  {FollowUp, Contacted, Success, Failed},
		Success:   {Success},
		Failed:    {Failed},
	}
	for _, admin := range []bool{false, true} {
		for _, from := range Statuses {
			for _, to := range Statuses {
				ok := slices.Contains(allowed[from], to) || (admin && Closed(from) && to == FollowUp)
				name := from + "->" + to
				if admin {
					name = "Admin/" + name
				} else {
					name = "Sales/" + name
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					err := CheckTransition(from, to, admin)
					if ok && err != nil {
						t.Fatalf("refused: %v", err)
					}
					if ok {
						return
					}
					var ae *apperr.Error
					if !errors.As(err, &ae) || ae.Status != 422 {
						t.Fatalf("want a 422, got %v", err)
					}
					want := AllowedNext(from, admin)
					if !slices.Equal(ae.AllowedNextStates, want) {
						t.Errorf("allowed next states %v, want %v", ae.AllowedNextStates, want)
					}
					if ae.AllowedNextStates == nil {
						t.Error("allowed next states is nil, want a list")
					}
				})
			}
		}
	}
}

func TestAllowedNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from  string
		admin bool
		want  []string
	}{
		{New, false, []string{Contacted, FollowUp, Success, Failed}},
		{Contacted, false, []string{FollowUp, Success, Failed}},
		{FollowUp, false, []string{Contacted, Success, Failed}},
		{Success, false, []string{}},
		{Failed, false, []string{}},
		{Success, true, []string{FollowUp}},
		{Failed, true, []string{FollowUp}},
		{New, true, []string{Contacted, FollowUp, Success, Failed}},
	}
	for _, tt := range tests {
		got := AllowedNext(tt.from, tt.admin)
		if !slices.Equal(got, tt.want) || got == nil {
			t.Errorf("AllowedNext(%s, admin=%v) = %v, want %v", tt.from, tt.admin, got, tt.want)
		}
	}
	// The table must not be shared with callers.
	AllowedNext(New, false)[0] = "x"
	if AllowedNext(New, false)[0] != Contacted {
		t.Error("AllowedNext returns the internal table")
	}
}

func TestCheckEdit(t *testing.T) {
	t.Parallel()
	me, other := uuid.New(), uuid.New()
	sales := Caller{UserID: me}
	adm := Caller{UserID: uuid.New(), Admin: true}
	absent := Assign{}
	claim := Assign{Set: true, To: &me}
	unassign := Assign{Set: true}
	toOther := Assign{Set: true, To: &other}
	tests := []struct {
		name    string
		c       Caller
		current *uuid.UUID
		a       Assign
		want    int
	}{
		{"OwnLead/Edit", sales, &me, absent, 0},
		{"OwnLead/Unassign", sales, &me, unassign, 0},
		{"OwnLead/ClaimAgain", sales, &me, claim, 0},
		{"OwnLead/AssignToOther", sales, &me, toOther, 403},
		{"Unassigned/Claim", sales, nil, claim, 0},
		{"Unassigned/EditWithoutClaim", sales, nil, absent, 403},
		{"Unassigned/Unassign", sales, nil, unassign, 403},
		{"Unassigned/AssignToOther", sales, nil, toOther, 403},
		{"OtherLead/Edit", sales, &other, absent, 403},
		{"OtherLead/Claim", sales, &other, claim, 403},
		{"OtherLead/Unassign", sales, &other, unassign, 403},
		{"OtherLead/AssignToThem", sales, &other, toOther, 403},
		{"Admin/EditUnassigned", adm, nil, absent, 0},
		{"Admin/EditOther", adm, &other, absent, 0},
		{"Admin/Reassign", adm, &me, toOther, 0},
		{"Admin/Unassign", adm, &other, unassign, 0},
		{"Admin/AssignToSelf", adm, nil, Assign{Set: true, To: &adm.UserID}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := status(CheckEdit(tt.c, tt.current, New, New, tt.a)); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
}

// TestCheckEditClosed: a closed lead counts as a win or a loss for its
// assignee, so a sales user may not move it by claiming or unassigning.
func TestCheckEditClosed(t *testing.T) {
	t.Parallel()
	me, other := uuid.New(), uuid.New()
	sales := Caller{UserID: me}
	adm := Caller{UserID: uuid.New(), Admin: true}
	absent, claim, unassign := Assign{}, Assign{Set: true, To: &me}, Assign{Set: true}
	toOther := Assign{Set: true, To: &other}
	tests := []struct {
		name     string
		c        Caller
		current  *uuid.UUID
		from, to string
		a        Assign
		want     int
	}{
		{"OwnEdit", sales, &me, Success, Success, absent, 0},
		{"OwnUnassign", sales, &me, Success, Success, unassign, 403},
		{"OwnClaimAgain", sales, &me, Failed, Failed, claim, 0},
		{"ClaimUnassigned", sales, nil, Success, Success, claim, 403},
		{"CloseAndUnassign", sales, &me, FollowUp, Failed, unassign, 403},
		{"ClaimAndClose", sales, nil, New, Success, claim, 0},
		{"OpenUnassign", sales, &me, FollowUp, FollowUp, unassign, 0},
		{"AdminUnassign", adm, &me, Success, Success, unassign, 0},
		{"AdminReassign", adm, &me, Failed, Failed, toOther, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := status(CheckEdit(tt.c, tt.current, tt.from, tt.to, tt.a)); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCheckLog(t *testing.T) {
	t.Parallel()
	me, other := uuid.New(), uuid.New()
	tests := []struct {
		name    string
		c       Caller
		current *uuid.UUID
		want    int
	}{
		{"Sales/Own", Caller{UserID: me}, &me, 0},
		{"Sales/Unassigned", Caller{UserID: me}, nil, 403},
		{"Sales/Other", Caller{UserID: me}, &other, 403},
		{"Admin/Unassigned", Caller{UserID: me, Admin: true}, nil, 0},
		{"Admin/Other", Caller{UserID: me, Admin: true}, &other, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := status(CheckLog(tt.c, tt.current)); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAfterContact(t *testing.T) {
	t.Parallel()
	for from, want := range map[string]string{New: Contacted, Contacted: Contacted, FollowUp: FollowUp, Success: Success, Failed: Failed} {
		if got := AfterContact(from); got != want {
			t.Errorf("%s: %s, want %s", from, got, want)
		}
	}
}

func TestCheckCreate(t *testing.T) {
	t.Parallel()
	me, other := uuid.New(), uuid.New()
	tests := []struct {
		name       string
		c          Caller
		a          Assign
		externalID bool
		want       int
	}{
		{"Sales/Default", Caller{UserID: me}, Assign{}, false, 0},
		{"Sales/Self", Caller{UserID: me}, Assign{Set: true, To: &me}, false, 0},
		{"Sales/Unassigned", Caller{UserID: me}, Assign{Set: true}, false, 0},
		{"Sales/Other", Caller{UserID: me}, Assign{Set: true, To: &other}, false, 403},
		{"Sales/ExternalID", Caller{UserID: me}, Assign{}, true, 403},
		{"Admin/Other", Caller{UserID: me, Admin: true}, Assign{Set: true, To: &other}, false, 0},
		{"Admin/ExternalID", Caller{UserID: me, Admin: true}, Assign{Set: true, To: &other}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := status(CheckCreate(tt.c, tt.a, tt.externalID)); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
}

func TestNotes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a\r\nb":       "a\nb",
		"a\r\r\nb":     "a\nb",
		"a\rb\n":       "a\rb\n",
		"a\r":          "a\r",
		"plain":        "plain",
		"\r\n\r\n":     "\n\n",
		"x\r\r\r\ny\r": "x\ny\r",
	} {
		if got := Notes(in); got != want {
			t.Errorf("Notes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExternalID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ABCDEF01-2345-6789-ABCD-EF0123456789":   "abcdef01-2345-6789-abcd-ef0123456789",
		"abcdef01-2345-6789-abcd-ef0123456789":   "abcdef01-2345-6789-abcd-ef0123456789",
		"CRM-ABC":                                "CRM-ABC",
		"{ABCDEF01-2345-6789-ABCD-EF0123456789}": "{ABCDEF01-2345-6789-ABCD-EF0123456789}",
		"ABCDEF01-2345-6789-ABCD-EF012345678Z":   "ABCDEF01-2345-6789-ABCD-EF012345678Z",
	} {
		if got := ExternalID(in); got != want {
			t.Errorf("ExternalID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSearchQuery(t *testing.T) {
	t.Parallel()
	const (
		short = "must have at least 3 characters, leading and trailing spaces aside"
		none  = searchProblem
	)
	for in, want := range map[string]string{
		"ana":        "",
		" ana ":      "",
		"Gonçalves":  "",
		"joa\u0303o": "", // a combining tilde is folded away
		"o'brien":    "",
		"@gmail":     "",
		"王小明":        "",
		"हिन्दी":     "", // vowel signs are marks, part of the word
		"912 345":    "",
		"91-23-45":   "", // a phone's digits: 912345
		"+351 (9)":   "",
		"li na":      "", // "li " and "  na" are trigrams
		"ab c":       "",
		"c ab":       "", // "  ab"
		"12.ab":      "",
		// One letter's trigram ("  s") is shared by every word starting
		// with it: the index would hand back most leads.
		"a.b.c":              none,
		"q s":                none,
		"x b":                none,
		"a.b":                none,
		"ab":                 short,
		" ab ":               short,
		"!!!":                none,
		"a!!":                none, // "a " is too short
		"\u0301\u0301\u0301": none,
		"\u200b\u200b\u200b": none,
		"\u02bc\u02bc\u02bc": none, // modifier letters fold to punctuation
		"%%%":                none,
	} {
		if _, got := SearchQuery(in); got != want {
			t.Errorf("SearchQuery(%q) = %q, want %q", in, got, want)
		}
	}
}
