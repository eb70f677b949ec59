package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/oapi-codegen/nullable"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/servertest"
)

// leadListAll walks every page of a list and returns the ids in order.
func leadListAll(t *testing.T, c *client.ClientWithResponses, p client.ListLeadsParams, limit int) []uuid.UUID {
	t.Helper()
	p.Limit = lref(client.Limit(limit))
	var ids []uuid.UUID
	for range 1000 {
		r, err := c.ListLeadsWithResponse(context.Background(), &p)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("list %+v: %v %d %s", p, err, r.StatusCode(), r.Body)
		}
		if len(r.JSON200.Items) > limit {
			t.Fatalf("page of %d, limit %d", len(r.JSON200.Items), limit)
		}
		for _, l := range r.JSON200.Items {
			ids = append(ids, l.Id)
		}
		if r.JSON200.NextCursor == nil {
			return ids
		}
		p.Cursor = r.JSON200.NextCursor
	}
	t.Fatal("list never ends")
	return nil
}

// sameIDs reports whether got and want hold the same ids, in any order.
func sameIDs(got, want []uuid.UUID) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	cmp := func(x, y uuid.UUID) int { return slices.Compare(x[:], y[:]) }
	slices.SortFunc(g, cmp)
	slices.SortFunc(w, cmp)
	return slices.Equal(g, w)
}

// leadIDsWhere returns the ids of live leads matching a condition, in an
// order, straight from the database: the independent answer the API must
// give.
func leadIDsWhere(t *testing.T, env *servertest.Env, where, order string, args ...any) []uuid.UUID {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT id FROM leads WHERE deleted_at IS NULL AND ("+where+") ORDER BY "+order, args...)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestLeadList(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	a, salesA := env.NewUser("sales")
	b, salesB := env.NewUser("sales")

	type row struct {
		name, phone, email string
		job                client.Job
		owner              *client.User
		status             string
		prob               *float64
	}
	rows := []row{
		{"Ana Silva", "+351 911 000 001", "ana@alpha.pt", client.JobTechnician, &a, "new", lref(0.91)},
		{"Bruno Costa", "+351 911 000 002", "bruno@beta.pt", client.JobAdmin, &a, "contacted", lref(0.55)},
		{"Carla Gonçalves", "+351 922 000 003", "carla@alpha.pt", client.JobRetired, &b, "follow_up", lref(0.12)},
		{"Duarte Reis", "+351 922 000 004", "duarte@gamma.pt", client.JobTechnician, nil, "new", nil},
		{"Eva Lopes", "+351 933 000 005", "Eva@Delta.pt", client.JobStudent, &b, "success", lref(0.75)},
		{"Filipe Neves", "+351 933 000 006", "filipe@gamma.pt", client.JobRetired, nil, "failed", lref(0.40)},
		{"Gil 150%_off", "+351 944 000 007", "gil@epsilon.pt", client.JobAdmin, &a, "new", lref(0.55)},
		{"ana maria", "+351 944 000 008", "maria@zeta.pt", client.JobUnknown, nil, "new", nil},
		{"Hugo Gone", "+351 955 000 009", "hugo@alpha.pt", client.JobTechnician, &a, "new", lref(0.99)},
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		body := client.LeadCreate{Name: r.name, Phone: lref(r.phone), Email: lref(client.Email(r.email)), Job: lref(r.job),
			AssignedTo: nullable.NewNullNullable[string]()}
		if r.owner != nil {
			body.AssignedTo = nullable.NewNullableWithValue(r.owner.Id.String())
		}
		ids[i] = leadMustCreate(t, env.Admin, body).Id
		// Scores and statuses as a model and the workflow would have left them.
		leadExec(t, env, `UPDATE leads SET status = $2, probability = $3::float8,
			category = CASE WHEN $3::float8 >= 0.7 THEN 'hot' WHEN $3 >= 0.4 THEN 'warm' WHEN $3 IS NOT NULL THEN 'cold' END
			WHERE id = $1`, ids[i], r.status, r.prob)
	}
	if r, _ := env.Admin.DeleteLeadWithResponse(ctx, ids[8], nil); r.StatusCode() != 204 {
		t.Fatalf("delete: %d", r.StatusCode())
	}
	set := func(is ...int) []uuid.UUID {
		out := make([]uuid.UUID, len(is))
		for i, x := range is {
			out[i] = ids[x]
		}
		return out
	}
	sameSet := func(t *testing.T, got, want []uuid.UUID) {
		t.Helper()
		if !sameIDs(got, want) {
			t.Errorf("got %d leads %v, want %d %v", len(got), got, len(want), want)
		}
	}
	st := func(s ...client.LeadStatus) *client.StatusFilter { return &s }
	cat := func(s ...client.Category) *client.CategoryFilter { return &s }
	job := func(s ...client.Job) *client.JobFilter { return &s }

	t.Run("Filters", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			c    *client.ClientWithResponses
			p    client.ListLeadsParams
			want []uuid.UUID
		}{
			{"None", salesB, client.ListLeadsParams{}, set(0, 1, 2, 3, 4, 5, 6, 7)},
			{"Status", salesB, client.ListLeadsParams{Status: st(client.LeadStatusNew)}, set(0, 3, 6, 7)},
			{"Status×2", salesB, client.ListLeadsParams{Status: st(client.LeadStatusContacted, client.LeadStatusFollowUp)}, set(1, 2)},
			{"Category", salesB, client.ListLeadsParams{Category: cat(client.CategoryHot)}, set(0, 4)},
			{"Category×2", salesB, client.ListLeadsParams{Category: cat(client.CategoryWarm, client.CategoryCold)}, set(1, 2, 5, 6)},
			{"Job", salesB, client.ListLeadsParams{Job: job(client.JobTechnician)}, set(0, 3)},
			{"Job×2", salesB, client.ListLeadsParams{Job: job(client.JobRetired, client.JobStudent)}, set(2, 4, 5)},
			{"MinProbability", salesB, client.ListLeadsParams{MinProbability: lref(0.55)}, set(0, 1, 4, 6)},
			{"MaxProbability", salesB, client.ListLeadsParams{MaxProbability: lref(0.4)}, set(2, 5)},
			{"MinMaxProbability", salesB, client.ListLeadsParams{MinProbability: lref(0.4), MaxProbability: lref(0.6)}, set(1, 5, 6)},
			{"AssignedToMe", salesA, client.ListLeadsParams{AssignedTo: lref("me")}, set(0, 1, 6)},
			{"AssignedToID", salesA, client.ListLeadsParams{AssignedTo: lref(b.Id.String())}, set(2, 4)},
			{"Unassigned", salesA, client.ListLeadsParams{AssignedTo: lref("none")}, set(3, 5, 7)},
			{"QEmail", salesA, client.ListLeadsParams{Q: lref("alpha")}, set(0, 2)},
			{"QPhone", salesA, client.ListLeadsParams{Q: lref("922 000")}, set(2, 3)},
			{"QNameAnyCase", salesA, client.ListLeadsParams{Q: lref("ANA")}, set(0, 7)},
			{"QMixedCaseEmail", salesA, client.ListLeadsParams{Q: lref("eva@delta")}, set(4)},
			{"QWildcardsLiteral", salesA, client.ListLeadsParams{Q: lref("150%_")}, set(6)},
			{"QNoMatch", salesA, client.ListLeadsParams{Q: lref("gil%%off")}, set()},
			{"QWithoutAccents", salesA, client.ListLeadsParams{Q: lref("goncalves")}, set(2)},
			{"QAccentsAnyCase", salesA, client.ListLeadsParams{Q: lref("GONÇALVES")}, set(2)},
			{"QAccentOnPlainName", salesA, client.ListLeadsParams{Q: lref("Ána")}, set(0, 7)},
			// Folding turns fullwidth ％ ＿ into % _: they too match literally.
			{"QFullwidthWildcardsLiteral", salesA, client.ListLeadsParams{Q: lref("gil％f")}, set()},
			{"QFullwidthPercentIsPercent", salesA, client.ListLeadsParams{Q: lref("150％＿")}, set(6)},
			{"Combined", salesA, client.ListLeadsParams{Status: st(client.LeadStatusNew), AssignedTo: lref("me"), Job: job(client.JobTechnician, client.JobAdmin)}, set(0, 6)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := tc.p
				p.Count = lref(true)
				r, err := tc.c.ListLeadsWithResponse(ctx, &p)
				if err != nil || r.JSON200 == nil {
					t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
				}
				var got []uuid.UUID
				for _, l := range r.JSON200.Items {
					got = append(got, l.Id)
				}
				sameSet(t, got, tc.want)
				if r.JSON200.Total == nil || *r.JSON200.Total != int64(len(tc.want)) {
					t.Errorf("total %v, want %d", r.JSON200.Total, len(tc.want))
				}
				// Paged one by one, the same leads in the same order.
				if paged := leadListAll(t, tc.c, tc.p, 1); !slices.Equal(paged, got) {
					t.Errorf("paged %v, want %v", paged, got)
				}
				// Every order has its own query, with its own copy of the
				// filters: each must find the same leads, page by page too.
				for _, sort := range []client.LeadSort{client.LeadSortProbabilityAsc, client.LeadSortUpdatedAtDesc,
					client.LeadSortCreatedAtDesc, client.LeadSortNameAsc} {
					p := tc.p
					p.Sort = &sort
					if got := leadListAll(t, tc.c, p, 2); !sameIDs(got, tc.want) {
						t.Errorf("sort %s: got %v, want %v", sort, got, tc.want)
					}
				}
				// So has the export: the same leads, as external_id (the lead's
				// id for these).
				ex, err := tc.c.ExportLeadsWithResponse(ctx, &client.ExportLeadsParams{Status: tc.p.Status, Category: tc.p.Category,
					Job: tc.p.Job, MinProbability: tc.p.MinProbability, MaxProbability: tc.p.MaxProbability,
					AssignedTo: tc.p.AssignedTo, Q: tc.p.Q})
				if err != nil || ex.StatusCode() != 200 {
					t.Fatalf("export: %v %d %s", err, ex.StatusCode(), ex.Body)
				}
				recs, err := csv.NewReader(bytes.NewReader(ex.Body)).ReadAll()
				if err != nil || len(recs) == 0 {
					t.Fatalf("export: %v %s", err, ex.Body)
				}
				exported := []uuid.UUID{}
				for _, rec := range recs[1:] {
					exported = append(exported, uuid.MustParse(rec[0]))
				}
				if !sameIDs(exported, tc.want) {
					t.Errorf("export: got %v, want %v", exported, tc.want)
				}
			})
		}
	})
	t.Run("NoTotalWithoutCount", func(t *testing.T) {
		r, _ := salesA.ListLeadsWithResponse(ctx, &client.ListLeadsParams{})
		if r.JSON200 == nil || r.JSON200.Total != nil || r.JSON200.NextCursor != nil {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		// Unscored leads show null, not 0.
		for _, l := range r.JSON200.Items {
			if (l.Id == ids[3] || l.Id == ids[7]) && (l.Probability != nil || l.Category != nil) {
				t.Errorf("unscored lead shows %v %v", l.Probability, l.Category)
			}
		}
	})
	t.Run("Sorts", func(t *testing.T) {
		// Touch one lead so updated_at differs from created_at order.
		if r, _ := salesA.UpdateLeadWithResponse(ctx, ids[1], leadIfMatch(1), client.LeadPatch{Notes: nullable.NewNullableWithValue("touched")}); r.StatusCode() != 200 {
			t.Fatalf("touch: %d %s", r.StatusCode(), r.Body)
		}
		for _, tc := range []struct {
			sort  client.LeadSort
			order string
		}{
			{"", "coalesce(probability, -1) DESC, id DESC"},
			{client.LeadSortProbabilityDesc, "coalesce(probability, -1) DESC, id DESC"},
			{client.LeadSortProbabilityAsc, "coalesce(probability, -1) ASC, id ASC"},
			{client.LeadSortUpdatedAtDesc, "updated_at DESC, id DESC"},
			{client.LeadSortCreatedAtDesc, "created_at DESC, id DESC"},
			{client.LeadSortNameAsc, "name_key, id"},
		} {
			t.Run(string(tc.sort), func(t *testing.T) {
				p := client.ListLeadsParams{}
				if tc.sort != "" {
					p.Sort = &tc.sort
				}
				want := leadIDsWhere(t, env, "true", tc.order)
				for _, limit := range []int{200, 3, 1} {
					if got := leadListAll(t, salesA, p, limit); !slices.Equal(got, want) {
						t.Errorf("limit %d: %v, want %v", limit, got, want)
					}
				}
			})
		}
		// Spot checks independent of the database's answer.
		desc := leadListAll(t, salesA, client.ListLeadsParams{}, 50)
		if desc[0] != ids[0] || desc[1] != ids[4] {
			t.Errorf("probability_desc starts %v, want Ana (0.91) then Eva (0.75)", desc[:2])
		}
		if last := desc[len(desc)-2:]; !slices.Contains(last, ids[3]) || !slices.Contains(last, ids[7]) {
			t.Errorf("unscored leads are not last: %v", desc)
		}
		asc := leadListAll(t, salesA, client.ListLeadsParams{Sort: lref(client.LeadSortProbabilityAsc)}, 50)
		if !slices.Equal(asc, reversed(desc)) {
			t.Errorf("probability_asc %v is not the reverse of probability_desc", asc)
		}
		upd := leadListAll(t, salesA, client.ListLeadsParams{Sort: lref(client.LeadSortUpdatedAtDesc)}, 50)
		if upd[0] != ids[1] {
			t.Errorf("updated_at_desc starts with %v, want the touched lead", upd[0])
		}
		created := leadListAll(t, salesA, client.ListLeadsParams{Sort: lref(client.LeadSortCreatedAtDesc)}, 50)
		if created[0] != ids[7] || created[len(created)-1] != ids[0] {
			t.Errorf("created_at_desc %v", created)
		}
		names := leadListAll(t, salesA, client.ListLeadsParams{Sort: lref(client.LeadSortNameAsc)}, 50)
		if slices.Index(names, ids[1]) > slices.Index(names, ids[2]) || slices.Index(names, ids[4]) > slices.Index(names, ids[5]) {
			t.Errorf("name_asc %v", names)
		}
		// Alphabetical whatever the database's locale: "ana maria" before
		// "Ana Silva" and "Bruno Costa", not after "Z" as in byte order.
		if slices.Index(names, ids[7]) > slices.Index(names, ids[0]) || slices.Index(names, ids[7]) > slices.Index(names, ids[1]) {
			t.Errorf("name_asc puts a lower-case initial after the capitals: %v", names)
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		token := env.Login(a.Email).AccessToken
		for _, tc := range []struct{ query, field string }{
			{"limit=0", "limit"},
			{"limit=201", "limit"},
			{"status=won", "status"},
			{"category=lukewarm", "category"},
			{"job=astronaut", "job"},
			{"min_probability=1.5", "min_probability"},
			{"min_probability=0.8&max_probability=0.2", "min_probability"},
			{"min_probability=0.8&max_probability=0.2", "max_probability"},
			{"assigned_to=someone", "assigned_to"},
			{"q=ab", "q"},
			{"q=%20ab%20", "q"},
			{"q=three%1F939", "q"}, // the search text's separator
			{"q=ana%09silva", "q"},
			// Nothing for the trigram index to look up.
			{"q=!!!", "q"},
			{"q=a!!", "q"},
			{"q=%CC%81%CC%81%CC%81", "q"},
			{"q=%CA%BC%CA%BC%CA%BC", "q"},
			{"sort=random", "sort"},
			{"cursor=garbage", "cursor"},
		} {
			status, body := leadRaw(t, env, token, "GET", "/api/v1/leads?"+tc.query, "")
			leadProblem(t, tc.query, status, body, 400, tc.field)
		}
		// A list sent as one comma-separated value is told how lists go.
		status, body := leadRaw(t, env, token, "GET", "/api/v1/leads?status=new,contacted", "")
		if p := leadProblem(t, "comma list", status, body, 400, "status"); !strings.Contains(p.Detail, "repeat the parameter: ?status=a&status=b") {
			t.Errorf("comma list: %s", body)
		}
		// A cursor only works with the filters and sort it was issued for.
		r, _ := salesA.ListLeadsWithResponse(ctx, &client.ListLeadsParams{Limit: lref(client.Limit(1)), Status: st(client.LeadStatusNew)})
		if r.JSON200 == nil || r.JSON200.NextCursor == nil {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		for _, p := range []client.ListLeadsParams{
			{Cursor: r.JSON200.NextCursor},
			{Cursor: r.JSON200.NextCursor, Status: st(client.LeadStatusFailed)},
			{Cursor: r.JSON200.NextCursor, Status: st(client.LeadStatusNew), Sort: lref(client.LeadSortNameAsc)},
		} {
			r2, _ := salesA.ListLeadsWithResponse(ctx, &p)
			leadProblem(t, "foreign cursor", r2.StatusCode(), r2.Body, 400, "cursor")
		}
		// A filter is a set: the same statuses in another order, or
		// repeated, are the same list, and its cursor carries over.
		two, _ := salesA.ListLeadsWithResponse(ctx, &client.ListLeadsParams{Limit: lref(client.Limit(1)),
			Status: st(client.LeadStatusNew, client.LeadStatusSuccess)})
		if two.JSON200 == nil || two.JSON200.NextCursor == nil {
			t.Fatalf("%d %s", two.StatusCode(), two.Body)
		}
		r4, _ := salesA.ListLeadsWithResponse(ctx, &client.ListLeadsParams{Limit: lref(client.Limit(1)), Cursor: two.JSON200.NextCursor,
			Status: st(client.LeadStatusSuccess, client.LeadStatusNew, client.LeadStatusNew)})
		if r4.JSON200 == nil {
			t.Errorf("cursor with the statuses reordered: %d %s", r4.StatusCode(), r4.Body)
		}
		// assigned_to=me is bound to the caller: another seller cannot reuse it.
		mine, _ := salesA.ListLeadsWithResponse(ctx, &client.ListLeadsParams{Limit: lref(client.Limit(1)), AssignedTo: lref("me")})
		r3, _ := salesB.ListLeadsWithResponse(ctx, &client.ListLeadsParams{Cursor: mine.JSON200.NextCursor, AssignedTo: lref("me")})
		leadProblem(t, "someone else's me cursor", r3.StatusCode(), r3.Body, 400, "cursor")
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		r, _ := env.Anon.ListLeadsWithResponse(ctx, &client.ListLeadsParams{})
		leadProblem(t, "no token", r.StatusCode(), r.Body, 401, "")
	})
}

func reversed[T any](s []T) []T {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// TestLeadListPagingStable walks each order page by page while other
// requests insert leads and edit leads (without changing their sort key)
// between the fetches: every lead that existed at the start is seen exactly
// once, and no lead twice.
func TestLeadListPagingStable(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	_, sales := env.NewUser("sales")
	var all []uuid.UUID
	for i := range 40 {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: fmt.Sprintf("Lead %02d", (i*17)%40)})
		all = append(all, l.Id)
		if i%3 != 0 { // ties on purpose: many leads share a score
			leadExec(t, env, `UPDATE leads SET probability = $2 WHERE id = $1`, l.Id, float64(i%4)/4)
		}
	}
	seq := 0
	for _, sort := range []client.LeadSort{client.LeadSortProbabilityDesc, client.LeadSortProbabilityAsc,
		client.LeadSortCreatedAtDesc, client.LeadSortNameAsc, client.LeadSortUpdatedAtDesc} {
		t.Run(string(sort), func(t *testing.T) {
			existing := slices.Clone(all)
			seen := map[uuid.UUID]int{}
			p := client.ListLeadsParams{Sort: &sort, Limit: lref(client.Limit(6))}
			for page := 0; ; page++ {
				r, err := sales.ListLeadsWithResponse(ctx, &p)
				if err != nil || r.JSON200 == nil {
					t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
				}
				for _, l := range r.JSON200.Items {
					seen[l.Id]++
				}
				if r.JSON200.NextCursor == nil {
					break
				}
				p.Cursor = r.JSON200.NextCursor
				// Meanwhile: two new leads (names and ids on both sides of
				// the cursor) ...
				for range 2 {
					seq++
					l := leadMustCreate(t, sales, client.LeadCreate{Name: fmt.Sprintf("Lead %02d new %d", (seq*7)%40, seq)})
					all = append(all, l.Id)
				}
				// ... and edits of a lead already seen and one not yet seen,
				// which leave their sort key alone (updated_at_desc's key
				// is updated_at itself, so that order only gets inserts).
				if sort == client.LeadSortUpdatedAtDesc {
					continue
				}
				for _, id := range []uuid.UUID{existing[(page*7)%len(existing)], existing[(page*11+5)%len(existing)]} {
					cur := leadMustGet(t, sales, id)
					r, _ := sales.UpdateLeadWithResponse(ctx, id, leadIfMatch(cur.Version), client.LeadPatch{
						Notes: nullable.NewNullableWithValue(fmt.Sprintf("edit %d", page)),
					})
					if r.StatusCode() != 200 {
						t.Fatalf("edit: %d %s", r.StatusCode(), r.Body)
					}
				}
			}
			for id, n := range seen {
				if n > 1 {
					t.Errorf("lead %s seen %d times", id, n)
				}
			}
			for _, id := range existing {
				if seen[id] != 1 {
					t.Errorf("lead %s that existed at the start seen %d times", id, seen[id])
				}
			}
		})
	}
}

// TestLeadSearchFollowsEdits: a search finds a lead by its new name, phone
// and e-mail, and no longer by the old ones, in every order (the
// probability orders test lead_rank's copy of the search text); and never
// by text that runs from one of them into the next.
func TestLeadSearchFollowsEdits(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Olga Antiga", Phone: lref("+351 911 222 333"),
		Email: lref(client.Email("olga@velho.pt"))})
	leadExec(t, env, `UPDATE leads SET probability = 0.5, category = 'warm' WHERE id = $1`, l.Id)
	r, err := env.Admin.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(l.Version), client.LeadPatch{
		Name: lref("Nadia Nova"), Phone: nullable.NewNullableWithValue("+351 966 777 888"),
		Email: nullable.NewNullableWithValue("nadia@novo.pt")})
	if err != nil || r.StatusCode() != 200 {
		t.Fatalf("rename: %v %d %s", err, r.StatusCode(), r.Body)
	}
	for _, sort := range []client.LeadSort{client.LeadSortProbabilityDesc, client.LeadSortProbabilityAsc,
		client.LeadSortNameAsc, client.LeadSortUpdatedAtDesc} {
		for q, want := range map[string]int{"nadia": 1, "966 777": 1, "@novo": 1, "olga": 0, "911 222": 0, "velho": 0,
			"nova 351": 0, "888 nadia": 0} { // a name's end and a phone's start are a substring of neither
			res, err := env.Admin.ListLeadsWithResponse(ctx, &client.ListLeadsParams{Sort: &sort, Q: &q})
			if err != nil || res.JSON200 == nil {
				t.Fatalf("%s q=%s: %v", sort, q, err)
			}
			if got := len(res.JSON200.Items); got != want {
				t.Errorf("%s q=%s: %d leads, want %d", sort, q, got, want)
			}
		}
	}
}

// TestLeadSearchPhoneDigits: a phone number is found whatever its spacing
// or punctuation in the search, in every order and in the export.
func TestLeadSearchPhoneDigits(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Teresa 2024", Phone: lref("+351 928 385 952")})
	leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Other", Phone: lref("+351 911 000 001")})
	for q, want := range map[string]int{
		"928385952": 1, "928 385 952": 1, "+351928385952": 1, "(928) 385-952": 1, "385.952": 1,
		"+351 9": 2, // digits 3519: both
		"2024":   1, // a name's digits are searched as they are
		"952 38": 0,
	} {
		for _, sort := range []client.LeadSort{client.LeadSortProbabilityDesc, client.LeadSortNameAsc} {
			r, err := env.Admin.ListLeadsWithResponse(ctx, &client.ListLeadsParams{Q: &q, Sort: &sort})
			if err != nil || r.JSON200 == nil {
				t.Fatalf("q=%s: %v", q, err)
			}
			if got := len(r.JSON200.Items); got != want || (want == 1 && q != "2024" && r.JSON200.Items[0].Id != l.Id) {
				t.Errorf("q=%q %s: %d leads, want %d", q, sort, got, want)
			}
		}
	}
	res, body := exportCSV(t, env, env.Login(env.AdminUser.Email).AccessToken, "?q=928%20385%20952")
	if _, rows := csvLines(body); res.StatusCode != 200 || len(rows) != 1 || !strings.Contains(rows[0], "Teresa 2024") {
		t.Errorf("export q: %d %q", res.StatusCode, rows)
	}
}
