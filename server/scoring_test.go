package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/oapi-codegen/nullable"

	"github.com/jmksales/jmk/data"
	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/servertest"
)

// loadUCI copies n closed leads (status from y) and open ones, sampled
// evenly across the embedded UCI file (its rows are in time order), straight
// into leads, so the scoring tests do not depend on the import endpoint.
func loadUCI(t *testing.T, env *servertest.Env, n int, open int) (converted int) {
	t.Helper()
	ctx := context.Background()
	rc, err := data.UCIBankMarketing()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	r, err := leadcsv.NewReader(rc, leadcsv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]any
	step := data.UCIBankMarketingRows / (n + open)
	for i := 0; len(rows) < n+open; i++ {
		row, rej, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || len(rej) > 0 {
			t.Fatalf("row %d: %v %v", i, err, rej)
		}
		if i%step != 0 {
			continue
		}
		status := "new"
		if len(rows) >= open {
			status = "failed"
			if *row.Outcome {
				status = "success"
				converted++
			}
		}
		f := row.Features
		id, _ := uuid.NewV7()
		rows = append(rows, []any{id, "UCI lead", status, f.Age, f.Job, f.Marital, f.Education, f.CreditDefault,
			f.HousingLoan, f.PersonalLoan, f.ContactChannel, f.LastContactMonth, f.LastContactWeekday,
			f.LastCallDurationSec, f.CampaignContacts, f.DaysSincePreviousContact, f.PreviousContacts,
			f.PreviousOutcome, f.EmpVarRate, f.ConsPriceIdx, f.ConsConfIdx, f.Euribor3m, f.NrEmployed})
	}
	conn, err := pgx.Connect(ctx, env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	cols := []string{"id", "name", "status", "age", "job", "marital", "education", "credit_default", "housing_loan",
		"personal_loan", "contact_channel", "last_contact_month", "last_contact_weekday", "last_call_duration_sec",
		"campaign_contacts", "days_since_previous_contact", "previous_contacts", "previous_outcome", "emp_var_rate",
		"cons_price_idx", "cons_conf_idx", "euribor_3m", "nr_employed"}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"leads"}, cols, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	return converted
}

func TestScoringWithoutModel(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	_, sales := env.NewUser("sales")

	if r, _ := env.Admin.GetActiveModelWithResponse(ctx); r.StatusCode() != http.StatusNotFound ||
		!strings.Contains(string(r.Body), "no scoring model is active yet") {
		t.Errorf("active model: %d %s, want 404 saying none is active", r.StatusCode(), r.Body)
	}
	if r, _ := sales.PredictScoreWithResponse(ctx, client.ScoringInputs{Age: lref(int32(40))}); r.StatusCode() != http.StatusConflict {
		t.Errorf("predict without model: %d, want 409", r.StatusCode())
	}
	if r, _ := env.Admin.TrainModelWithResponse(ctx, client.TrainRequest{}); r.StatusCode() != http.StatusConflict ||
		r.ApplicationproblemJSON409 == nil {
		t.Errorf("train without labelled leads: %d %s, want 409", r.StatusCode(), r.Body)
	}
	th, _ := sales.GetThresholdsWithResponse(ctx)
	if th.JSON200 == nil || th.JSON200.Hot != 0.7 || th.JSON200.Warm != 0.4 {
		t.Errorf("default thresholds: %d %s", th.StatusCode(), th.Body)
	}
	if r, _ := env.Anon.ListModelsWithResponse(ctx, nil); r.StatusCode() != http.StatusUnauthorized {
		t.Errorf("models without token: %d", r.StatusCode())
	}
	// A lead's score view on a fresh install says why there is none.
	l := leadMustCreate(t, sales, client.LeadCreate{Name: "Not yet scored", Age: lref(int32(40))})
	if l.Probability != nil || l.Category != nil {
		t.Errorf("scored without a model: %+v", l)
	}
	r, _ := sales.GetLeadScoreWithResponse(ctx, l.Id)
	if p := wantProblem(t, r.HTTPResponse, r.Body, http.StatusConflict); !strings.Contains(p.Detail, "no scoring model is active yet") {
		t.Errorf("score without a model: %v", p.Detail)
	}
}

// TestTrainTimeSplit: the time split trains through the API with the seed
// left out or null (a seed default filled in by the validator would make it
// a 422 for a seed nobody sent), and the model and its event show no seed,
// since it drew nothing.
func TestTrainTimeSplit(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	loadUCI(t, env, 3000, 0)
	for _, body := range []string{`{"split": "time"}`, `{"split": "time", "seed": null}`} {
		r, err := env.Admin.TrainModelWithBodyWithResponse(bg, "application/json", strings.NewReader(body))
		if err != nil || r.JSON201 == nil {
			t.Fatalf("%s: %v %d %s", body, err, r.StatusCode(), r.Body)
		}
		if o := r.JSON201.Options; o.Split != client.TrainSplitTime || o.Seed != nil || bytes.Contains(r.Body, []byte(`"seed"`)) {
			t.Errorf("%s: options %+v: %s", body, o, r.Body)
		}
		if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'model.train' AND entity_id = $1
			AND changes->'split'->>'to' = 'time' AND NOT changes ? 'seed'`, strconv.Itoa(int(r.JSON201.Version))); n != 1 {
			t.Errorf("%s: model.train event of v%d", body, r.JSON201.Version)
		}
	}
	// A stratified split shows the seed it drew with, the default too.
	r, err := env.Admin.TrainModelWithResponse(bg, client.TrainModelJSONRequestBody{})
	if err != nil || r.JSON201 == nil || r.JSON201.Options.Seed == nil || *r.JSON201.Options.Seed != 1 {
		t.Fatalf("stratified: %v %+v", err, r)
	}
}

// TestScoringBadPaths: malformed ids and versions are 400s naming the
// parameter, before anything is looked up.
func TestScoringBadPaths(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	token := map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken}
	for _, tc := range []struct{ method, path, field string }{
		{http.MethodGet, "/leads/nope/score", "id"},
		{http.MethodGet, "/scoring/models/0", "version"},
		{http.MethodGet, "/scoring/models/abc", "version"},
		{http.MethodGet, "/scoring/models/99999999999", "version"},
		{http.MethodPost, "/scoring/models/-1/activate", "version"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, body := raw(t, tc.method, env.URL+"/api/v1"+tc.path, nil, token)
			wantField(t, wantProblem(t, res, body, http.StatusBadRequest), tc.field)
		})
	}
}

// scoringEnv starts a server holding the sample the scoring tests train on,
// 12,000 closed UCI leads and 500 open ones, and returns it with a sales
// user's client.
func scoringEnv(t *testing.T) (*servertest.Env, *client.ClientWithResponses) {
	t.Helper()
	env := servertest.New(t)
	_, sales := env.NewUser("sales")
	loadUCI(t, env, 12000, 500)
	return env, sales
}

// trainModel trains a version as the admin and fails the test unless it is
// created.
func trainModel(t *testing.T, env *servertest.Env, opts client.TrainRequest) client.Model {
	t.Helper()
	r, err := env.Admin.TrainModelWithResponse(bg, opts)
	if err != nil || r.JSON201 == nil {
		t.Fatalf("train: %v %d %s", err, r.StatusCode(), r.Body)
	}
	return *r.JSON201
}

// TestScoringTrainOptions: only an admin trains, a bad option is refused
// before anything is stored, and an option sent as null takes its default.
// The options do not depend on the data, so a small sample will do.
func TestScoringTrainOptions(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	_, sales := env.NewUser("sales")
	loadUCI(t, env, 1500, 0)

	t.Run("SalesCannotTrain", func(t *testing.T) {
		writesNothing(t, env, func() {
			r, _ := sales.TrainModelWithResponse(ctx, client.TrainRequest{})
			if r.StatusCode() != http.StatusForbidden {
				t.Errorf("sales train: %d", r.StatusCode())
			}
		})
	})
	t.Run("BadOptions", func(t *testing.T) {
		writesNothing(t, env, func() {
			for _, body := range []string{`{"holdout_fraction": 0.9}`, `{"holdout_fraction": 0.5}`, `{"seed": 1.5}`, `{"seed": 1.0}`,
				`{"seed": 0}`, `{"seed": -1}`, `{"seed": 9007199254740992}`} {
				r, _ := env.Admin.TrainModelWithBodyWithResponse(ctx, "application/json", strings.NewReader(body))
				if r.StatusCode() != http.StatusBadRequest || !strings.Contains(string(r.Body), `"errors":[{"field":`) {
					t.Errorf("%s: %d %s", body, r.StatusCode(), r.Body)
				}
			}
		})
	})
	// An exclusive bound is stated once, not also as "at most 0.5".
	t.Run("ExclusiveBoundStatedOnce", func(t *testing.T) {
		r, _ := env.Admin.TrainModelWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"holdout_fraction": 0.9}`))
		if p := r.ApplicationproblemJSON400; p == nil || p.Detail != "holdout_fraction: must be less than 0.5" {
			t.Errorf("holdout_fraction 0.9: %s", r.Body)
		}
	})
	// A seed draws the stratified split: with the time split it would be
	// stored and shown, having done nothing.
	t.Run("SeedWithTimeSplit", func(t *testing.T) {
		writesNothing(t, env, func() {
			r, _ := env.Admin.TrainModelWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"split": "time", "seed": 5}`))
			wantField(t, wantProblem(t, r.HTTPResponse, r.Body, http.StatusUnprocessableEntity), "seed")
		})
	})
	// Every option null takes its default, as the spec says.
	t.Run("NullOptionsTakeDefaults", func(t *testing.T) {
		r, err := env.Admin.TrainModelWithBodyWithResponse(ctx, "application/json", strings.NewReader(
			`{"include_call_duration": null, "holdout_fraction": null, "split": null, "seed": null, "activate": null}`))
		if err != nil || r.JSON201 == nil || r.JSON201.Active || r.JSON201.Options.IncludeCallDuration ||
			r.JSON201.Options.HoldoutFraction != 0.2 || r.JSON201.Options.Split != client.TrainSplitStratified || r.JSON201.Options.Seed == nil || *r.JSON201.Options.Seed != 1 {
			t.Fatalf("train with null options: %v %d %s", err, r.StatusCode(), r.Body)
		}
	})
}

// TestScoringModelVersions: two versions trained on the same leads, the
// first with no request body (every default), the second with the call
// duration and activated as it is trained. The subtests run in order on
// that shared state: what the first stores and audits, then what each
// activation re-scores and audits, then the list of both.
func TestScoringModelVersions(t *testing.T) {
	t.Parallel()
	env, sales := scoringEnv(t)
	ctx := context.Background()

	// No body at all: every option's default.
	res, body := raw(t, http.MethodPost, env.URL+"/api/v1/scoring/models", nil,
		map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken})
	var m1 client.Model
	if err := json.Unmarshal(body, &m1); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("train without a body: %d %s", res.StatusCode, body)
	}

	t.Run("Created", func(t *testing.T) {
		// The new version has its own address, as a created lead or user has.
		if loc := res.Header.Get("Location"); loc != "/api/v1/scoring/models/"+strconv.Itoa(int(m1.Version)) {
			t.Errorf("Location %q", loc)
		}
		if g, _ := sales.GetModelWithResponse(ctx, m1.Version); g.JSON200 == nil || g.JSON200.Version != m1.Version || g.JSON200.Metrics.Auc != m1.Metrics.Auc {
			t.Errorf("get model %d: %d %s", m1.Version, g.StatusCode(), g.Body)
		}
	})
	t.Run("GetRefused", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			c       *client.ClientWithResponses
			version int32
			status  int
		}{
			{"UnknownModel", sales, m1.Version + 100, http.StatusNotFound},
			{"WithoutToken", env.Anon, m1.Version, http.StatusUnauthorized},
		} {
			g, _ := tc.c.GetModelWithResponse(ctx, tc.version)
			// An unknown version is named as the activation's 404 names it.
			if p := wantProblem(t, g.HTTPResponse, g.Body, tc.status); tc.status == http.StatusNotFound && p.Detail != fmt.Sprintf("model version %d not found", tc.version) {
				t.Errorf("%s: detail %q", tc.name, p.Detail)
			}
		}
	})
	t.Run("DefaultsAndMetrics", func(t *testing.T) {
		if m1.Active || m1.Metrics.Auc < 0.7 || m1.Metrics.NTest == 0 || len(m1.Metrics.Calibration) != 10 ||
			len(m1.Metrics.Categories) == 0 || m1.Options.IncludeCallDuration || m1.Options.HoldoutFraction != 0.2 ||
			m1.Options.Split != client.TrainSplitStratified || m1.Options.Seed == nil || *m1.Options.Seed != 1 || m1.Options.L2 <= 0 {
			t.Fatalf("model 1: %+v", m1)
		}
	})
	t.Run("TrainingAloneScoresNothing", func(t *testing.T) {
		if n := scalar(t, env, "SELECT count(*) FROM leads WHERE probability IS NOT NULL"); n != 0 {
			t.Fatalf("training alone scored %d leads", n)
		}
	})
	// The cut-off table agrees with the categories at the thresholds
	// trained with (hot from 0.70, warm from 0.40) and shrinks as the
	// cut-off rises.
	t.Run("Cutoffs", func(t *testing.T) {
		cut := m1.Metrics.Cutoffs
		count := func(c client.Category) int {
			for _, x := range m1.Metrics.Categories {
				if x.Category == c {
					return x.Count
				}
			}
			return -1
		}
		if len(cut) != 19 || cut[13].Cutoff != 0.7 || cut[13].Count != count(client.CategoryHot) ||
			cut[7].Cutoff != 0.4 || cut[7].Count != count(client.CategoryHot)+count(client.CategoryWarm) {
			t.Errorf("cut-offs %+v against categories %+v", cut, m1.Metrics.Categories)
		}
		for i := 1; i < len(cut); i++ {
			if cut[i].Count > cut[i-1].Count || cut[i].ShareOfConversions > cut[i-1].ShareOfConversions {
				t.Errorf("cut-off %v holds more than %v: %+v", cut[i].Cutoff, cut[i-1].Cutoff, cut)
			}
		}
	})
	// A model stored before cut-offs were measured shows an empty table.
	// This removes the first version's stored cut-offs; no later subtest
	// reads them.
	t.Run("CutoffsMissing", func(t *testing.T) {
		if err := sql(t, env, fmt.Sprintf(`UPDATE models SET metrics = metrics - 'cutoffs' WHERE version = %d`, m1.Version)); err != nil {
			t.Fatal(err)
		}
		if g, _ := sales.GetModelWithResponse(ctx, m1.Version); g.JSON200 == nil || g.JSON200.Metrics.Cutoffs == nil ||
			len(g.JSON200.Metrics.Cutoffs) != 0 || !strings.Contains(string(g.Body), `"cutoffs":[]`) {
			t.Errorf("model without cut-offs: %s", g.Body)
		}
	})
	// Before the first version is ever activated, its only event is its
	// training.
	t.Run("TrainAudited", func(t *testing.T) {
		// A model's events name it by its version, and the filter finds them.
		model := client.AuditEntityType("model")
		if ev := events(t, env, client.ListAuditEventsParams{EntityType: &model, EntityId: lref(strconv.Itoa(int(m1.Version)))}); len(ev) != 1 || ev[0].Action != "model.train" {
			t.Errorf("events of model %d: %+v", m1.Version, ev)
		}
		// The event records how the model was trained, so two versions that
		// differ only by their split's seed are told apart.
		if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'model.train' AND entity_id = $1
			AND changes->'seed'->>'to' = '1' AND changes->'split'->>'to' = 'stratified'
			AND (changes->'holdout_fraction'->>'to')::float8 = 0.2`, strconv.Itoa(int(m1.Version))); n != 1 {
			t.Errorf("model.train event of v%d lacks its options", m1.Version)
		}
	})

	m2 := trainModel(t, env, client.TrainRequest{IncludeCallDuration: lref(true), Activate: lref(true)})

	t.Run("TrainAndActivate", func(t *testing.T) {
		if !m2.Active || m2.Version != m1.Version+1 || m2.Metrics.Auc <= m1.Metrics.Auc {
			t.Fatalf("model 2: active %v version %d auc %.3f", m2.Active, m2.Version, m2.Metrics.Auc)
		}
		if n := scalar(t, env, "SELECT count(*) FROM leads WHERE model_version IS DISTINCT FROM $1 OR category IS NULL", m2.Version); n != 0 {
			t.Fatalf("%d leads not scored by v%d after activation", n, m2.Version)
		}
	})
	t.Run("TrainAndActivateAudited", func(t *testing.T) {
		// Trained, then activated: the events in that order, written after
		// the re-score so they never hold the sealer back for its length.
		if got := scalar(t, env, `SELECT count(*) FROM audit_events t JOIN audit_events a ON a.id > t.id
			WHERE t.action = 'model.train' AND a.action = 'model.activate' AND t.entity_id = $1 AND a.entity_id = $1`,
			strconv.Itoa(int(m2.Version))); got != 1 {
			t.Errorf("model.train then model.activate for v%d: %d pairs", m2.Version, got)
		}
		// Its activation's event says what such a model cannot do.
		if got := scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'model.activate' AND entity_id = $1
			AND summary LIKE '%leads re-scored; it uses the call duration, known only after a call%'`, strconv.Itoa(int(m2.Version))); got != 1 {
			t.Errorf("model.activate of v%d does not say it uses the call duration", m2.Version)
		}
	})
	// Back from v2 to v1: every lead re-scored in one statement, audited.
	t.Run("ActivateSetBased", func(t *testing.T) {
		r, err := env.Admin.ActivateModelWithResponse(ctx, m1.Version)
		if err != nil || r.JSON200 == nil || !r.JSON200.Active {
			t.Fatalf("activate: %v %d %s", err, r.StatusCode(), r.Body)
		}
		if n := scalar(t, env, "SELECT count(*) FROM leads WHERE model_version <> $1", m1.Version); n != 0 {
			t.Errorf("%d leads still on the old model", n)
		}
		// The activation is audited as the admin's, with the version it
		// replaced; the summary counts the re-scored leads.
		leads := scalar(t, env, "SELECT count(*) FROM leads WHERE deleted_at IS NULL")
		if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'model.activate' AND entity_id = $1
			AND actor_id = $2 AND (changes->'active_version'->>'from')::int = $3 AND (changes->'active_version'->>'to')::int = $4
			AND summary LIKE '%; ' || $5 || ' leads re-scored'`,
			strconv.Itoa(int(m1.Version)), env.AdminUser.Id, m2.Version, m1.Version, strconv.Itoa(int(leads))); n != 1 {
			t.Errorf("%d model.activate events for v%d by the admin, from v%d, counting %d leads", n, m1.Version, m2.Version, leads)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE category <> CASE WHEN probability >= 0.7 THEN 'hot'
			WHEN probability >= 0.4 THEN 'warm' ELSE 'cold' END`); n != 0 {
			t.Errorf("%d leads with a category that does not match their probability", n)
		}
		listMatchesScores(t, env, client.CategoryHot)
		a, _ := env.Admin.GetActiveModelWithResponse(ctx)
		if a.JSON200 == nil || a.JSON200.Version != m1.Version {
			t.Errorf("active model: %s", a.Body)
		}
	})
	t.Run("ActivateActiveAgain", func(t *testing.T) {
		// Activating the active model again changes nothing.
		activations := scalar(t, env, "SELECT count(*) FROM audit_events WHERE action = 'model.activate'")
		scoredAt := scalar(t, env, "SELECT count(DISTINCT scored_at) FROM leads")
		if r, _ := env.Admin.ActivateModelWithResponse(ctx, m1.Version); r.JSON200 == nil || !r.JSON200.Active || r.JSON200.Version != m1.Version {
			t.Errorf("activate the active model: %d %s", r.StatusCode(), r.Body)
		}
		if n := scalar(t, env, "SELECT count(*) FROM audit_events WHERE action = 'model.activate'"); n != activations {
			t.Errorf("activating the active model wrote %d events", n-activations)
		}
		if n := scalar(t, env, "SELECT count(DISTINCT scored_at) FROM leads"); n != scoredAt {
			t.Errorf("activating the active model re-scored leads (%d scored_at values, was %d)", n, scoredAt)
		}
	})
	t.Run("ActivateRefused", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			c       *client.ClientWithResponses
			version int32
			status  int
		}{
			{"Sales", sales, m2.Version, http.StatusForbidden},
			{"UnknownModel", env.Admin, 999, http.StatusNotFound},
		} {
			r, _ := tc.c.ActivateModelWithResponse(ctx, tc.version)
			if p := wantProblem(t, r.HTTPResponse, r.Body, tc.status); tc.status == http.StatusNotFound && p.Detail != fmt.Sprintf("model version %d not found", tc.version) {
				t.Errorf("%s: detail %q", tc.name, p.Detail)
			}
		}
	})
	t.Run("ConcurrentActivations", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			v := []int32{m1.Version, m2.Version}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := env.Admin.ActivateModelWithResponse(ctx, v)
				if err != nil || r.StatusCode() != http.StatusOK {
					t.Errorf("activate v%d: %v %d %s", v, err, r.StatusCode(), r.Body)
				}
			}()
		}
		wg.Wait()
		if n := scalar(t, env, "SELECT count(*) FROM models WHERE active"); n != 1 {
			t.Fatalf("%d active models", n)
		}
		active := scalar(t, env, "SELECT version FROM models WHERE active")
		if n := scalar(t, env, "SELECT count(*) FROM leads WHERE model_version <> $1", active); n != 0 {
			t.Errorf("%d leads scored by a model that is not the active one", n)
		}
	})
	// Leads edited while a model is being activated: each ends scored by the
	// active model from its final inputs (writers wait for the re-score
	// rather than keep a score computed from inputs it did not see).
	t.Run("EditsDuringActivation", func(t *testing.T) {
		leads := make([]client.Lead, 4)
		for i := range leads {
			leads[i] = leadMustCreate(t, env.Admin, client.LeadCreate{Name: fmt.Sprintf("Edited %d", i), Age: lref(int32(30))})
		}
		var wg sync.WaitGroup
		for _, v := range []int32{m2.Version, m1.Version} {
			wg.Go(func() {
				if r, err := env.Admin.ActivateModelWithResponse(ctx, v); err != nil || r.StatusCode() != http.StatusOK {
					t.Errorf("activate v%d: %v %d", v, err, r.StatusCode())
				}
			})
		}
		for i := range leads {
			wg.Go(func() {
				l := leads[i]
				for age := int32(31); age < 41; age++ {
					r, err := env.Admin.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(l.Version),
						client.LeadPatch{Age: nullable.NewNullableWithValue(age)})
					if err != nil || r.JSON200 == nil {
						t.Errorf("patch: %v %d %s", err, r.StatusCode(), r.Body)
						return
					}
					l = *r.JSON200
				}
			})
		}
		wg.Wait()
		active := scalar(t, env, "SELECT version FROM models WHERE active")
		for _, l := range leads {
			g, _ := env.Admin.GetLeadWithResponse(ctx, l.Id)
			s, _ := env.Admin.GetLeadScoreWithResponse(ctx, l.Id)
			if g.JSON200 == nil || s.JSON200 == nil || g.JSON200.Probability == nil {
				t.Fatalf("lead %s: %s %s", l.Id, g.Body, s.Body)
			}
			if int64(*g.JSON200.ModelVersion) != active || math.Abs(*g.JSON200.Probability-s.JSON200.Probability) > 1e-12 ||
				*g.JSON200.Age != 40 {
				t.Errorf("lead aged %d stored %v by v%d; its inputs score %v under the active v%d",
					*g.JSON200.Age, *g.JSON200.Probability, *g.JSON200.ModelVersion, s.JSON200.Probability, active)
			}
		}
	})
	t.Run("ListModels", func(t *testing.T) {
		r, _ := sales.ListModelsWithResponse(ctx, nil)
		if r.JSON200 == nil || len(r.JSON200.Items) != 2 || r.JSON200.Items[0].Version != m2.Version || r.JSON200.NextCursor != nil {
			t.Fatalf("models: %d %s", r.StatusCode(), r.Body)
		}
		// A page at a time, newest first, as every list.
		p1, _ := sales.ListModelsWithResponse(ctx, &client.ListModelsParams{Limit: lref(client.Limit(1))})
		if p1.JSON200 == nil || len(p1.JSON200.Items) != 1 || p1.JSON200.Items[0].Version != m2.Version || p1.JSON200.NextCursor == nil ||
			p1.JSON200.Total != nil {
			t.Fatalf("page 1: %d %s", p1.StatusCode(), p1.Body)
		}
		if c, _ := sales.ListModelsWithResponse(ctx, &client.ListModelsParams{Limit: lref(client.Limit(1)), Count: lref(client.Count(true))}); c.JSON200 == nil ||
			c.JSON200.Total == nil || *c.JSON200.Total != 2 {
			t.Fatalf("count: %d %s", c.StatusCode(), c.Body)
		}
		p2, _ := sales.ListModelsWithResponse(ctx, &client.ListModelsParams{Limit: lref(client.Limit(1)), Cursor: p1.JSON200.NextCursor})
		if p2.JSON200 == nil || len(p2.JSON200.Items) != 1 || p2.JSON200.Items[0].Version != m1.Version || p2.JSON200.NextCursor != nil {
			t.Fatalf("page 2: %d %s", p2.StatusCode(), p2.Body)
		}
		bad, _ := sales.ListModelsWithResponse(ctx, &client.ListModelsParams{Cursor: lref("nope")})
		wantProblem(t, bad.HTTPResponse, bad.Body, http.StatusBadRequest)
	})
}

// TestScoringWithActiveModel: with a model active (every default, activated
// as it is trained), a lead's score and a what-if explain themselves, the
// cut-offs move every lead's category, and leads are scored as they are
// written or imported.
func TestScoringWithActiveModel(t *testing.T) {
	t.Parallel()
	env, sales := scoringEnv(t)
	ctx := context.Background()
	model := trainModel(t, env, client.TrainRequest{Activate: lref(true)})

	t.Run("LeadScoreAddsUp", func(t *testing.T) {
		var (
			id       uuid.UUID
			stored   float64
			storedAt time.Time
		)
		leadScan(t, env, "SELECT id, probability, scored_at FROM leads WHERE status = 'new' ORDER BY id LIMIT 1", nil, &id, &stored, &storedAt)
		r, err := sales.GetLeadScoreWithResponse(ctx, id)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("score: %v %d %s", err, r.StatusCode(), r.Body)
		}
		s := r.JSON200
		if math.Abs(s.Probability-stored) > 1e-9 || s.ModelVersion != model.Version || len(s.Factors) == 0 {
			t.Errorf("score %+v, stored probability %v", s, stored)
		}
		if !s.ScoredAt.Equal(storedAt) {
			t.Errorf("scored_at %v, stored %v", s.ScoredAt, storedAt)
		}
		// The parts a client sees add up: baseline + listed factors + the
		// rest = logit = log-odds of the probability.
		for _, part := range []string{`"logit":`, `"baseline":`, `"other_contribution":`} {
			if !strings.Contains(string(r.Body), part) {
				t.Fatalf("score lacks %s %s", part, r.Body)
			}
		}
		sum := s.Baseline + s.OtherContribution
		for _, f := range s.Factors {
			sum += f.Contribution
		}
		if math.Abs(sum-s.Logit) > 1e-9 || math.Abs(s.Logit-math.Log(s.Probability/(1-s.Probability))) > 1e-9 {
			t.Errorf("baseline %v + factors + other %v = %v, logit %v, probability %v",
				s.Baseline, s.OtherContribution, sum, s.Logit, s.Probability)
		}
		up, down := 0, 0
		for _, f := range s.Factors {
			if f.Description == "" || f.Feature == "" {
				t.Errorf("factor without words: %+v", f)
			}
			if f.Contribution > 0 {
				up++
			} else {
				down++
			}
		}
		if up == 0 || down == 0 {
			t.Errorf("factors should show reasons both ways: %+v", s.Factors)
		}
		// The economic indicators are one factor, not five, and the
		// previous campaign's fields one, not three; a reason too small to
		// change anything is not listed.
		for _, f := range s.Factors {
			if slices.Contains([]string{"emp_var_rate", "cons_price_idx", "cons_conf_idx", "euribor_3m", "nr_employed",
				"previous_outcome", "previous_contacts", "days_since_previous_contact"}, f.Feature) {
				t.Errorf("%s explained on its own: %+v", f.Feature, s.Factors)
			}
			if math.Abs(f.Contribution) < 0.05 {
				t.Errorf("negligible reason listed: %+v", f)
			}
		}
	})
	t.Run("LeadScoreUnknownLead", func(t *testing.T) {
		if r, _ := sales.GetLeadScoreWithResponse(ctx, uuid.New()); r.StatusCode() != http.StatusNotFound {
			t.Errorf("unknown lead score: %d", r.StatusCode())
		}
	})

	base := client.ScoringInputs{Age: lref(int32(35)), Job: lref(client.JobAdmin), ContactChannel: lref(client.ContactChannelCellular),
		PreviousOutcome: lref(client.PreviousOutcomeNone)}
	t.Run("PredictWhatIf", func(t *testing.T) {
		better := base
		better.PreviousOutcome = lref(client.PreviousOutcomeSuccess)
		better.DaysSincePreviousContact = lref(int32(6))
		better.PreviousContacts = lref(int32(2))
		// A what-if stores nothing.
		var a, b *client.PredictScoreResponse
		writesNothing(t, env, func() {
			a, _ = sales.PredictScoreWithResponse(ctx, base)
			b, _ = sales.PredictScoreWithResponse(ctx, better)
		})
		if a.JSON200 == nil || b.JSON200 == nil {
			t.Fatalf("predict: %s %s", a.Body, b.Body)
		}
		if b.JSON200.Probability <= a.JSON200.Probability {
			t.Errorf("a previous success should raise the probability: %.3f -> %.3f", a.JSON200.Probability, b.JSON200.Probability)
		}
		if math.IsNaN(a.JSON200.Baseline) || a.JSON200.Baseline == 0 {
			t.Error("no baseline")
		}
		// A time the server makes up is written as the stored ones are.
		if at := a.JSON200.ScoredAt; at.Location() != time.UTC || at.Nanosecond()%1000 != 0 {
			t.Errorf("scored_at %v: not UTC to the microsecond", at)
		}
	})
	t.Run("PredictNamesInputs", func(t *testing.T) {
		a, _ := sales.PredictScoreWithResponse(ctx, base)
		if a.JSON200 == nil {
			t.Fatalf("predict: %d %s", a.StatusCode(), a.Body)
		}
		// The inputs left out are named (the call duration is not used by
		// this model; a missing days_since_previous_contact means never).
		want := []string{"marital", "education", "credit_default", "housing_loan", "personal_loan", "last_contact_month",
			"last_contact_weekday", "campaign_contacts", "previous_contacts", "emp_var_rate", "cons_price_idx", "cons_conf_idx",
			"euribor_3m", "nr_employed"}
		if !slices.Equal(a.JSON200.NotGiven, want) {
			t.Errorf("not given %v\nwant %v", a.JSON200.NotGiven, want)
		}
		// The bank's data has no January and no weekend calls: such values
		// are named, and scored as the field's average.
		if len(a.JSON200.NotLearnt) != 0 {
			t.Errorf("not learnt %v for inputs the data has", a.JSON200.NotLearnt)
		}
		jan := base
		jan.LastContactMonth, jan.LastContactWeekday = lref(client.MonthJan), lref(client.WeekdaySat)
		if r, _ := sales.PredictScoreWithResponse(ctx, jan); r.JSON200 == nil ||
			!slices.Equal(r.JSON200.NotLearnt, []string{"last_contact_month", "last_contact_weekday"}) {
			t.Errorf("January on a Saturday: %s", r.Body)
		}
	})
	// Each bad input is a 400 naming the field and saying what it takes.
	t.Run("PredictBadInputs", func(t *testing.T) {
		for _, tc := range []struct{ body, field, says string }{
			{`{"age": 12}`, "age", "at least 17"},
			{`{"job": "pilot"}`, "job", "must be one of admin, blue_collar,"},
			{`{"contact_channel": "fax"}`, "contact_channel", "must be one of cellular, telephone"},
			{`{"age": 40.0}`, "age", `must be written as a whole number, without a fraction or exponent (such as 40)"`},
			{`{"campaign_contacts": 4e1}`, "campaign_contacts", "without a fraction or exponent"},
			{`{"age": "forty"}`, "age", "must be a whole number"},
			{`{"age": 1e100}`, "age", "must be at most 120\"}]"}, // its own bound alone, not also int32's
			{`{"nr_employed": 1e400}`, "nr_employed", "must be at most 100000"},
			{`{"days_since_previous_contact": 999}`, "days_since_previous_contact", "for never contacted (999 in the UCI data), send null"},
		} {
			bad, _ := sales.PredictScoreWithBodyWithResponse(ctx, "application/json", strings.NewReader(tc.body))
			want := `"errors":[{"field":"` + tc.field + `","message":"`
			// The detail names the field first, whichever layer refused it.
			if !strings.Contains(string(bad.Body), `"detail":"`+tc.field+`: `) {
				t.Errorf("%s: detail %s", tc.body, bad.Body)
			}
			if bad.StatusCode() != http.StatusBadRequest || !strings.Contains(string(bad.Body), want) || !strings.Contains(string(bad.Body), tc.says) {
				t.Errorf("%s: %d %s", tc.body, bad.StatusCode(), bad.Body)
			}
		}
	})

	// The cut-offs, in order: each subtest starts from those the one before
	// left (the defaults, then hot 0.3 and warm 0.1).
	t.Run("Thresholds", func(t *testing.T) {
		t.Run("Refused", func(t *testing.T) {
			writesNothing(t, env, func() {
				for _, tc := range []struct {
					name   string
					c      *client.ClientWithResponses
					th     client.Thresholds
					status int
					fields []string
				}{
					{"HotEqualsWarm", env.Admin, client.Thresholds{Hot: 0.5, Warm: 0.5}, http.StatusUnprocessableEntity, []string{"hot", "warm"}},
					{"WarmAboveHot", env.Admin, client.Thresholds{Hot: 0.3, Warm: 0.6}, http.StatusUnprocessableEntity, []string{"hot", "warm"}},
					{"HotAboveOne", env.Admin, client.Thresholds{Hot: 1.2, Warm: 0.1}, http.StatusBadRequest, nil},
					{"Sales", sales, client.Thresholds{Hot: 0.5, Warm: 0.2}, http.StatusForbidden, nil},
				} {
					t.Run(tc.name, func(t *testing.T) {
						r, _ := tc.c.PutThresholdsWithResponse(ctx, nil, tc.th)
						p := wantProblem(t, r.HTTPResponse, r.Body, tc.status)
						for _, f := range tc.fields {
							wantField(t, p, f)
						}
						// Which cut-off is wrong, with the values sent, not a formula.
						if tc.fields != nil {
							if want := fmt.Sprintf("hot (%g) must be above warm (%g)", tc.th.Hot, tc.th.Warm); !strings.HasPrefix(p.Detail, want) {
								t.Errorf("detail %q, want it to start %q", p.Detail, want)
							}
						}
					})
				}
			})
			if g, _ := sales.GetThresholdsWithResponse(ctx); g.JSON200 == nil || g.JSON200.Hot != 0.7 || g.JSON200.Warm != 0.4 {
				t.Errorf("refused PUTs changed the thresholds: %s", g.Body)
			}
		})
		t.Run("Recategorise", func(t *testing.T) {
			r, err := env.Admin.PutThresholdsWithResponse(ctx, nil, client.Thresholds{Hot: 0.3, Warm: 0.1})
			if err != nil || r.JSON200 == nil {
				t.Fatalf("put thresholds: %v %d %s", err, r.StatusCode(), r.Body)
			}
			if n := scalar(t, env, `SELECT count(*) FROM leads WHERE category <> CASE WHEN probability >= 0.3 THEN 'hot'
				WHEN probability >= 0.1 THEN 'warm' ELSE 'cold' END`); n != 0 {
				t.Errorf("%d leads not re-categorised", n)
			}
			if n := scalar(t, env, "SELECT count(*) FROM leads WHERE category = 'hot'"); n == 0 {
				t.Error("no hot lead at hot >= 0.3")
			}
			listMatchesScores(t, env, client.CategoryWarm)
		})
		// The same cut-offs again change nothing; an event lists only the
		// cut-offs that moved.
		t.Run("Audited", func(t *testing.T) {
			updates := scalar(t, env, "SELECT count(*) FROM audit_events WHERE action = 'thresholds.update'")
			if r, _ := env.Admin.PutThresholdsWithResponse(ctx, nil, client.Thresholds{Hot: 0.3, Warm: 0.1}); r.StatusCode() != http.StatusOK {
				t.Fatalf("same thresholds: %d %s", r.StatusCode(), r.Body)
			}
			if n := scalar(t, env, "SELECT count(*) FROM audit_events WHERE action = 'thresholds.update'"); n != updates {
				t.Errorf("the same thresholds wrote %d events", n-updates)
			}
			if r, _ := env.Admin.PutThresholdsWithResponse(ctx, nil, client.Thresholds{Hot: 0.35, Warm: 0.1}); r.StatusCode() != http.StatusOK {
				t.Fatalf("new hot: %d %s", r.StatusCode(), r.Body)
			}
			if keys := scalar(t, env, `SELECT count(*) FROM jsonb_object_keys((SELECT changes FROM audit_events
				WHERE action = 'thresholds.update' ORDER BY id DESC LIMIT 1))`); keys != 1 {
				t.Errorf("the event of a new hot cut-off lists %d changes, want 1", keys)
			}
			if ev := actions(t, env, "thresholds.update"); len(ev) == 0 || ev[0].Changes["hot"].From != 0.3 || ev[0].Changes["hot"].To != 0.35 ||
				ev[0].Actor.Id == nil || *ev[0].Actor.Id != env.AdminUser.Id || ev[0].EntityType != "thresholds" {
				t.Errorf("thresholds.update event: %s", mustJSON(ev))
			}
			if r, _ := env.Admin.PutThresholdsWithResponse(ctx, nil, client.Thresholds{Hot: 0.3, Warm: 0.1}); r.StatusCode() != http.StatusOK {
				t.Fatalf("back to hot 0.3: %d", r.StatusCode())
			}
		})
		// Two admins editing the cut-offs: the one who sends a stale ETag
		// gets a 412 and changes nothing, rather than undoing the other's
		// change.
		t.Run("IfMatch", func(t *testing.T) {
			put := func(ifMatch string, th client.Thresholds) *client.PutThresholdsResponse {
				t.Helper()
				r, err := env.Admin.PutThresholdsWithResponse(ctx, &client.PutThresholdsParams{IfMatch: &ifMatch}, th)
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			g, err := sales.GetThresholdsWithResponse(ctx)
			if err != nil || g.JSON200 == nil || g.HTTPResponse.Header.Get("ETag") == "" {
				t.Fatalf("get thresholds: %v %+v", err, g)
			}
			seen := g.HTTPResponse.Header.Get("ETag")
			mine := put(seen, client.Thresholds{Hot: 0.32, Warm: 0.1})
			next := mine.HTTPResponse.Header.Get("ETag")
			if mine.StatusCode() != http.StatusOK || next == "" || next == seen {
				t.Fatalf("put with the current ETag: %d, ETag %q after %q", mine.StatusCode(), next, seen)
			}
			updates := scalar(t, env, "SELECT count(*) FROM audit_events WHERE action = 'thresholds.update'")
			for _, tc := range []struct {
				ifMatch string
				status  int
			}{{seen, http.StatusPreconditionFailed}, {"W/" + next, http.StatusPreconditionFailed}, {"3", http.StatusBadRequest}} {
				if r := put(tc.ifMatch, client.Thresholds{Hot: 0.3, Warm: 0.1}); r.StatusCode() != tc.status ||
					!strings.Contains(r.HTTPResponse.Header.Get("Content-Type"), "problem+json") {
					t.Errorf("If-Match %s: %d %s, want %d", tc.ifMatch, r.StatusCode(), r.Body, tc.status)
				}
			}
			if n := scalar(t, env, "SELECT count(*) FROM leads WHERE category = 'hot' AND probability < 0.32"); n != 0 {
				t.Errorf("a refused PUT re-categorised %d leads", n)
			}
			if n := scalar(t, env, "SELECT count(*) FROM audit_events WHERE action = 'thresholds.update'"); n != updates {
				t.Errorf("refused PUTs wrote %d events", n-updates)
			}
			if r := put(next, client.Thresholds{Hot: 0.32, Warm: 0.1}); r.StatusCode() != http.StatusOK || r.HTTPResponse.Header.Get("ETag") != next {
				t.Errorf("the same cut-offs: %d, ETag %q, want %q", r.StatusCode(), r.HTTPResponse.Header.Get("ETag"), next)
			}
			// "*" replaces the cut-offs whatever their version.
			if r := put("*", client.Thresholds{Hot: 0.3, Warm: 0.1}); r.JSON200 == nil || r.JSON200.Hot != 0.3 || r.JSON200.Warm != 0.1 ||
				r.HTTPResponse.Header.Get("ETag") == next {
				t.Fatalf("put with If-Match *: %d %s", r.StatusCode(), r.Body)
			}
			if n := scalar(t, env, "SELECT count(*) FROM leads WHERE (category = 'hot') <> (probability >= 0.3)"); n != 0 {
				t.Errorf("%d leads on the wrong side of the new hot cut-off", n)
			}
		})
	})

	t.Run("LeadsScoredOnWrite", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Scored on create", Age: lref(int32(30)),
			Job: lref(client.JobStudent), ContactChannel: lref(client.ContactChannelCellular)})
		if l.Probability == nil || l.Category == nil || l.ModelVersion == nil || *l.ModelVersion != model.Version || l.ScoredAt == nil {
			t.Fatalf("created lead not scored: %+v", l)
		}
		want, _ := sales.PredictScoreWithResponse(ctx, client.ScoringInputs{Age: lref(int32(30)),
			Job: lref(client.JobStudent), ContactChannel: lref(client.ContactChannelCellular)})
		if want.JSON200 == nil || math.Abs(want.JSON200.Probability-*l.Probability) > 1e-12 {
			t.Errorf("stored %v, predict says %s", *l.Probability, want.Body)
		}
		// A scoring input changes: re-scored in the same write.
		r, err := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(l.Version),
			client.LeadPatch{PreviousOutcome: nullable.NewNullableWithValue(client.PreviousOutcomeSuccess)})
		if err != nil || r.JSON200 == nil {
			t.Fatalf("patch: %v %d %s", err, r.StatusCode(), r.Body)
		}
		if p := r.JSON200.Probability; p == nil || *p == *l.Probability {
			t.Errorf("not re-scored after previous_outcome changed: %v -> %v", *l.Probability, p)
		}
		// Notes are not a scoring input: the score stays.
		r2, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(r.JSON200.Version),
			client.LeadPatch{Notes: nullable.NewNullableWithValue("called back")})
		if r2.JSON200 == nil || *r2.JSON200.Probability != *r.JSON200.Probability {
			t.Errorf("notes changed the score: %s", r2.Body)
		}
	})
	t.Run("ImportScoresLeads", func(t *testing.T) {
		active := model.Version
		csv := "external_id,name,age,job,contact_channel,previous_outcome\n" +
			"imp-1,Ana,35,admin,cellular,success\nimp-2,Rui,58,retired,telephone,none\n"
		r, err := env.Admin.ImportLeadsWithBodyWithResponse(ctx, nil, "text/csv", strings.NewReader(csv))
		if err != nil || r.JSON200 == nil || r.JSON200.Inserted != 2 {
			t.Fatalf("import: %v %d %s", err, r.StatusCode(), r.Body)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id LIKE 'imp-%'
			AND model_version = $1 AND probability IS NOT NULL AND category IS NOT NULL`, active); n != 2 {
			t.Fatalf("%d of 2 imported leads scored by v%d", n, active)
		}
		// A file with only some inputs updates leads whose other inputs stay:
		// they are re-scored from the merged values.
		before := scalar(t, env, "SELECT (probability * 1e9)::bigint FROM leads WHERE external_id = 'imp-2'")
		r, err = env.Admin.ImportLeadsWithBodyWithResponse(ctx, nil, "text/csv",
			strings.NewReader("external_id,previous_outcome\nimp-2,success\n"))
		if err != nil || r.JSON200 == nil || r.JSON200.Updated != 1 {
			t.Fatalf("re-import: %v %d %s", err, r.StatusCode(), r.Body)
		}
		after := scalar(t, env, "SELECT (probability * 1e9)::bigint FROM leads WHERE external_id = 'imp-2' AND model_version = $1", active)
		if after == before {
			t.Errorf("lead not re-scored after its previous_outcome changed: %d (x1e-9)", after)
		}
		// The same inputs again change nothing: the lead keeps its score
		// and its version, and gets no event.
		version := scalar(t, env, "SELECT version FROM leads WHERE external_id = 'imp-2'")
		events := scalar(t, env, "SELECT count(*) FROM audit_events WHERE action = 'lead.update'")
		for _, file := range []string{"external_id,previous_outcome\nimp-2,success\n", "external_id,name,age\nimp-2,,58\n"} {
			r, err = env.Admin.ImportLeadsWithBodyWithResponse(ctx, nil, "text/csv", strings.NewReader(file))
			if err != nil || r.JSON200 == nil || r.JSON200.Updated != 0 || r.JSON200.Unchanged != 1 {
				t.Fatalf("re-import of %q: %v %d %s", file, err, r.StatusCode(), r.Body)
			}
		}
		if v := scalar(t, env, `SELECT version FROM leads WHERE external_id = 'imp-2'
			AND (probability * 1e9)::bigint = $1 AND model_version = $2`, after, active); v != version {
			t.Errorf("after re-importing its own inputs: version %d (was %d), or its score moved", v, version)
		}
		if n := scalar(t, env, "SELECT count(*) FROM audit_events WHERE action = 'lead.update'") - events; n != 0 {
			t.Errorf("%d lead.update events for an import that changed nothing", n)
		}
	})
}

// listMatchesScores checks that the list, whose probability orders are
// served from lead_rank, agrees with the scores stored on the leads after a
// whole-table change: every lead of the category, in probability order.
func listMatchesScores(t *testing.T, env *servertest.Env, c client.Category) {
	t.Helper()
	got := leadListAll(t, env.Admin, client.ListLeadsParams{Category: &client.CategoryFilter{c},
		Sort: lref(client.LeadSortProbabilityDesc)}, 100)
	want := leadIDsWhere(t, env, "category = $1", "probability DESC, id DESC", string(c))
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("%s leads by probability: the list gives %d, the leads table %d (or another order)", c, len(got), len(want))
	}
}
