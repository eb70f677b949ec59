package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/leadrules"
	"github.com/jmksales/jmk/server/scoring"
	"github.com/jmksales/jmk/server/store"
)

// TestScoringWriteRace: new thresholds or a model activation racing a write
// that scores one lead (LeadCreate, or LeadUpdate changing a scoring input)
// leave every live lead scored by the active model and categorised by the
// stored thresholds, whichever of the two reaches the leads first, and both
// keep their audit event:
//   - WriteFirst: the write has scored its lead with the model and cut-offs
//     it saw but not committed when the change starts; the change waits for
//     the leads, then re-scores or re-categorises that lead too.
//   - WriteMidway (an update only): the write has locked its lead but not
//     written it when the change starts (it checks the seller it assigns the
//     lead to); the change waits for the leads, which the write took before
//     its lead, so the two never wait for each other.
//   - WriteWaits: the change has re-scored or re-categorised every lead but
//     not committed when the write starts; the write waits for the leads,
//     then scores its lead with what the change committed.
//
// Each side is held at its audit event, which a lock on audit_events keeps
// waiting (WriteMidway's write also at the seller, kept locked), and the
// test goes on only once the other side waits for a lock too, so the
// interleaving is the same on every run.
func TestScoringWriteRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	actor := audit.Actor{Name: "test"}
	admin := leadrules.Caller{Admin: true}
	// The raced lead's scoring inputs once written, and a twin created with
	// them beforehand, whose score says what the raced lead's must be.
	age, job := int32(40), "student"
	twinParams := db.LeadInsertParams{Name: "Twin", Age: &age, Job: &job}

	type race struct {
		pool   *pgxpool.Pool
		dsn    string
		st     *store.Store
		next   int32   // a model version ready to activate
		p      float64 // the twin's probability by the active model
		target db.Lead // the lead the update writes
		seller db.User // whom the update assigns it to
		mark   int64   // the last audit event before the race
	}
	setUp := func(t *testing.T) race {
		pool, dsn := dbtest.Pool(t)
		r := race{pool: pool, dsn: dsn, st: store.New(pool)}
		// A second model trained on another split scores differently.
		r.next = withModels(t, r.st, 1000, scoring.Options{}, scoring.Options{Seed: 2})[1]
		twin, err := r.st.LeadCreate(ctx, actor, twinParams)
		if err != nil {
			t.Fatal(err)
		}
		r.p = *twin.Probability
		if r.target, err = r.st.LeadCreate(ctx, actor, db.LeadInsertParams{Name: "Target", Age: new(int32(30)), Job: &job}); err != nil {
			t.Fatal(err)
		}
		if r.seller, err = r.st.UserCreate(ctx, actor, store.NewUser{Name: "Sam", Email: "sam@example.com",
			PasswordHash: "x", Role: "sales"}); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, `SELECT max(id) FROM audit_events`).Scan(&r.mark); err != nil {
			t.Fatal(err)
		}
		return r
	}
	// moved are cut-offs under which the twin's category is not the one the
	// default cut-offs give it.
	moved := func(p float64) scoring.Thresholds {
		if p < scoring.DefaultThresholds.Hot {
			return scoring.Thresholds{Hot: p * 0.9, Warm: p * 0.45}
		}
		return scoring.Thresholds{Hot: p + (1-p)/2, Warm: p + (1-p)/4}
	}

	for _, change := range []struct {
		name, action string
		run          func(r race) error
	}{
		{"Thresholds", "thresholds.update", func(r race) error {
			_, err := r.st.ThresholdsUpdate(ctx, actor, moved(r.p), store.Precondition{Any: true})
			return err
		}},
		{"Activation", "model.activate", func(r race) error {
			_, err := r.st.ModelActivate(ctx, actor, r.next)
			return err
		}},
	} {
		for _, write := range []struct {
			name, action string
			orders       []string
			run          func(r race) (db.Lead, error)
		}{
			{"Create", "lead.create", []string{"WriteFirst", "WriteWaits"}, func(r race) (db.Lead, error) {
				p := twinParams
				p.Name = "Raced"
				return r.st.LeadCreate(ctx, actor, p)
			}},
			{"Update", "lead.update", []string{"WriteFirst", "WriteMidway", "WriteWaits"}, func(r race) (db.Lead, error) {
				return r.st.LeadUpdate(ctx, actor, admin, r.target.ID, store.Precondition{Any: true},
					store.LeadChange{Assign: leadrules.Assign{Set: true, To: &r.seller.ID},
						Inputs: store.LeadInputs{Age: store.Opt[int32]{Set: true, Value: &age}}})
			}},
		} {
			for _, order := range write.orders {
				writeFirst := order != "WriteWaits"
				t.Run(change.name+"/"+write.name+"/"+order, func(t *testing.T) {
					t.Parallel()
					r := setUp(t)
					release := holdAudit(t, r.dsn)
					changed := make(chan error, 1)
					startChange := func() { go func() { changed <- change.run(r) }() }
					var out db.Lead
					written := make(chan error, 1)
					startWrite := func() {
						go func() {
							var err error
							out, err = write.run(r)
							written <- err
						}()
					}
					// The first side waits in its audit event, its work done (or
					// for the seller, its lead locked); the second for a lock too:
					// the leads, which the first holds.
					switch order {
					case "WriteFirst":
						startWrite()
						waitLocked(t, r.pool, written, 1, "AuditEventInsert")
						startChange()
						waitLocked(t, r.pool, changed, 2, "")
					case "WriteMidway":
						releaseSeller := holdRow(t, r.dsn, "users", r.seller.ID)
						startWrite()
						waitLocked(t, r.pool, written, 1, "UserGetShared")
						startChange()
						waitLocked(t, r.pool, changed, 2, "")
						releaseSeller()
						waitLocked(t, r.pool, written, 2, "") // at its event, the change still waiting
					case "WriteWaits":
						startChange()
						waitLocked(t, r.pool, changed, 1, "AuditEventInsert")
						startWrite()
						waitLocked(t, r.pool, written, 2, "")
					}
					release()
					if err := <-written; err != nil {
						t.Fatal(err)
					}
					if err := <-changed; err != nil {
						t.Fatal(err)
					}

					// Every live lead as the stored model and cut-offs say.
					var wrong, live int
					if err := r.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE l.probability IS NULL
							OR l.model_version IS DISTINCT FROM m.version
							OR l.category IS DISTINCT FROM CASE WHEN l.probability >= t.hot THEN 'hot'
							                                    WHEN l.probability >= t.warm THEN 'warm' ELSE 'cold' END),
						count(*)
						FROM leads l, models m, scoring_thresholds t WHERE m.active AND t.id AND l.deleted_at IS NULL`).Scan(
						&wrong, &live); err != nil {
						t.Fatal(err)
					}
					if wrong != 0 {
						t.Errorf("%d of %d live leads not scored and categorised as the active model and stored thresholds say",
							wrong, live)
					}
					// The raced lead scored from its final inputs: as its twin.
					var got, twin struct {
						p       float64
						cat     string
						version int32
					}
					var gotAge int32
					if err := r.pool.QueryRow(ctx, `SELECT l.probability, l.category, l.model_version, l.age,
							w.probability, w.category, w.model_version
						FROM leads l, leads w WHERE l.id = $1 AND w.name = 'Twin'`, out.ID).Scan(
						&got.p, &got.cat, &got.version, &gotAge, &twin.p, &twin.cat, &twin.version); err != nil {
						t.Fatal(err)
					}
					if got != twin || gotAge != age {
						t.Errorf("the raced lead, aged %d, stored %+v; its twin %+v", gotAge, got, twin)
					}
					// What the write returned is what it committed: before the
					// change (another model or category than now), or after it.
					if writeFirst {
						if change.name == "Thresholds" && *out.Category == got.cat {
							t.Errorf("the write returned category %s, as now: it did not score before the change", got.cat)
						}
						if change.name == "Activation" && (*out.ModelVersion == got.version || *out.Probability == got.p) {
							t.Errorf("the write returned v%d's %v, as now: it did not score before the change",
								*out.ModelVersion, *out.Probability)
						}
					} else if *out.Probability != got.p || *out.Category != got.cat || *out.ModelVersion != got.version {
						t.Errorf("the write returned %v %s by v%d, stored %+v", *out.Probability, *out.Category,
							*out.ModelVersion, got)
					}
					// Both events, the write's saying the score it returned, in
					// the order the two committed, and no other.
					var writeID, changeID int64
					var events int
					if err := r.pool.QueryRow(ctx, `SELECT
							(SELECT max(id) FROM audit_events WHERE id > $5 AND action = $1 AND entity_id = $2
								AND (changes->'probability'->>'to')::float8 = $3),
							(SELECT max(id) FROM audit_events WHERE id > $5 AND action = $4),
							(SELECT count(*) FROM audit_events WHERE id > $5)`,
						write.action, out.ID.String(), *out.Probability, change.action, r.mark).Scan(
						&writeID, &changeID, &events); err != nil {
						t.Fatalf("the events of %s and %s: %v", write.action, change.action, err)
					}
					if events != 2 || (writeID < changeID) != writeFirst {
						t.Errorf("%s event %d, %s event %d, %d events in all; the write first: %v",
							write.action, writeID, change.action, changeID, events, writeFirst)
					}
					rankMatches(t, r.pool, "after the race")
					countsMatch(t, r.pool, "after the race")
				})
			}
		}
	}
}

// holdAudit keeps every audit event from being written, and so every
// change from committing once it has done its work, until release is called.
func holdAudit(t *testing.T, dsn string) (release func()) {
	t.Helper()
	return hold(t, dsn, `LOCK TABLE audit_events IN SHARE MODE`)
}

// holdRow keeps a row of table (by id) locked until release is called.
func holdRow(t *testing.T, dsn, table string, id uuid.UUID) (release func()) {
	t.Helper()
	return hold(t, dsn, `SELECT 1 FROM `+table+` WHERE id = $1 FOR UPDATE`, id)
}

// hold runs sql in a transaction of its own connection (the store's pool
// has room only for the two sides and the test's polling) and keeps it
// open until release is called, or the test ends.
func hold(t *testing.T, dsn, sql string, args ...any) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(ctx) }) // on a failure too
	if _, err := conn.Exec(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := conn.Exec(ctx, `ROLLBACK`); err != nil {
			t.Fatal(err)
		}
	}
}
