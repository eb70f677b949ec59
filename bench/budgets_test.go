//go:build bench

package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jmksales/jmk/data"
	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/scoring"
	"github.com/jmksales/jmk/server/servertest"
	"github.com/jmksales/jmk/server/store"
)

// listQueries are the GET /leads shapes the load runs through, in turn.
// rawFilter mirrors them, index for index, for the store.
var listQueries = []string{
	"limit=50",
	"limit=50&category=hot&category=warm&job=admin&job=technician",
	"limit=50&status=new&min_probability=0.2",
	"limit=50&assigned_to=none&sort=name_asc",
	"limit=50&q=silva",
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

type report struct {
	mu   sync.Mutex
	rows [][3]string
}

func (r *report) add(what, got, budget string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, [3]string{what, got, budget})
	fmt.Printf("%-58s %-28s %s\n", what, got, budget)
}

func TestBudgets(t *testing.T) {
	ctx := context.Background()
	big := envInt("BENCH_LEADS", 1_000_000)
	conns := envInt("BENCH_CONNS", 32)
	dur := time.Duration(envInt("BENCH_SECONDS", 10)) * time.Second
	env := servertest.New(t, func(c *server.Config) { c.DBMaxConns = int32(conns) })
	rep := &report{}
	fmt.Printf("\n%-58s %-28s %s\n", "measure", "figure", "budget")

	// 1. The 41k UCI file through POST /leads/import, end to end.
	uci := readUCI(t)
	start := time.Now()
	token := env.Login(env.AdminUser.Email).AccessToken
	res := post(t, env.URL+"/api/v1/leads/import", token, "text/csv", uci)
	rep.add("import 41,188 rows (HTTP POST /leads/import)", time.Since(start).Round(time.Millisecond).String(), "< 2 s")
	if !strings.Contains(res, `"inserted":41188`) {
		t.Fatalf("import: %s", res)
	}
	nameLeads(t, env.DSN)

	// 2. Training on the 41k labelled leads, then activation.
	start = time.Now()
	tr, err := env.Store.ModelTrain(ctx, scoring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep.add("train on 41k labelled leads (load + fit)", time.Since(start).Round(time.Millisecond).String(), "< 2 s")
	if _, err := env.Store.ModelSave(ctx, audit.System, tr.Model, true); err != nil {
		t.Fatal(err)
	}
	// A second version to activate in step 5: activating the active one
	// changes nothing.
	next, err := env.Store.ModelSave(ctx, audit.System, tr.Model, false)
	if err != nil {
		t.Fatal(err)
	}

	// 3. The list at 41k leads.
	loadLists(t, env, token, rep, conns, dur, "41k")

	// 4. Grow to 1M: a generated file of UCI rows with fresh external ids.
	body := bigCSV(uci, big)
	start = time.Now()
	ir, err := env.Store.LeadImport(ctx, audit.System, bytes.NewReader(body), store.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep.add(fmt.Sprintf("import %d rows (store, as jmk import; incl. scoring)", ir.Inserted),
		time.Since(start).Round(time.Millisecond).String(), "< 30 s")

	// 5. Re-scoring every lead on activation.
	start = time.Now()
	act, err := env.Store.ModelActivate(ctx, audit.System, next.Version)
	if err != nil {
		t.Fatal(err)
	}
	rep.add(fmt.Sprintf("activate: re-score %d leads (one set-based pass)", act.Rescored),
		time.Since(start).Round(time.Millisecond).String(), "< 30 s")

	// 6. The list and the summary at 1M; the list also at 4 connections,
	// where latency is the request's own cost rather than queueing for the
	// two cores.
	loadLists(t, env, token, rep, conns, dur, fmt.Sprintf("%dk", (big+41188)/1000))
	loadLists(t, env, token, rep, 4, dur, fmt.Sprintf("%dk", (big+41188)/1000))
	var lat []time.Duration
	for i := 0; i < 30; i++ {
		s := time.Now()
		get(t, env.URL+"/api/v1/stats/summary", token)
		lat = append(lat, time.Since(s))
	}
	rep.add(fmt.Sprintf("GET /stats/summary at %dk leads, p50", (big+41188)/1000), pct(lat, 50).String(), "< 50 ms")
}

// loadLists runs conns concurrent clients over the list shapes for d, then
// the same store queries without HTTP, and reports p50/p99 and the ratio.
func loadLists(t *testing.T, env *servertest.Env, token string, rep *report, conns int, d time.Duration, scale string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	api := run(conns, d, func(i int) error {
		q := listQueries[i%len(listQueries)]
		req, _ := http.NewRequest(http.MethodGet, env.URL+"/api/v1/leads?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("%s: %d", q, res.StatusCode)
		}
		return nil
	})
	if api.err != nil {
		t.Fatal(api.err)
	}
	rep.add(fmt.Sprintf("GET /leads page of 50, filters, %d conns, %s leads", conns, scale),
		fmt.Sprintf("p50 %v p99 %v (%d req/s)", pct(api.lat, 50), pct(api.lat, 99), api.rps()), "p99 < 10 ms")
	for i, q := range listQueries {
		lat := api.shape(i)
		fmt.Printf("    %-54s p50 %v p99 %v\n", q, pct(lat, 50), pct(lat, 99))
	}

	// The same queries straight through the store (pgx), same concurrency.
	raw := run(conns, d/2, func(i int) error {
		f, o := rawFilter(i % len(listQueries))
		_, err := env.Store.LeadList(context.Background(), f, o, nil, 51)
		return err
	})
	if raw.err != nil {
		t.Fatal(raw.err)
	}
	rep.add(fmt.Sprintf("  same queries via pgx only, %s leads", scale),
		fmt.Sprintf("p50 %v p99 %v", pct(raw.lat, 50), pct(raw.lat, 99)),
		fmt.Sprintf("API/SQL p50 ratio %.2f", float64(pct(api.lat, 50))/float64(pct(raw.lat, 50))))
}

// rawFilter mirrors listQueries for the store (no caller: assigned_to=none).
func rawFilter(i int) (store.LeadFilter, store.LeadSort) {
	q := "silva"
	p := 0.2
	switch i {
	case 1:
		return store.LeadFilter{Categories: []string{"hot", "warm"}, Jobs: []string{"admin", "technician"}}, store.SortProbabilityDesc
	case 2:
		return store.LeadFilter{Statuses: []string{"new"}, MinProbability: &p}, store.SortProbabilityDesc
	case 3:
		return store.LeadFilter{Unassigned: true}, store.SortNameAsc
	case 4:
		return store.LeadFilter{Q: &q}, store.SortProbabilityDesc
	}
	return store.LeadFilter{}, store.SortProbabilityDesc
}

type result struct {
	lat  []time.Duration
	i    []int // the call's i, for each latency
	d    time.Duration
	err  error
	reqs int
}

// shape returns the latencies of the calls whose i was shape modulo the
// number of list shapes.
func (r result) shape(shape int) []time.Duration {
	var out []time.Duration
	for k, i := range r.i {
		if i%len(listQueries) == shape {
			out = append(out, r.lat[k])
		}
	}
	return out
}

func (r result) rps() int { return int(float64(r.reqs) / r.d.Seconds()) }

// run calls fn from conns goroutines until d has passed (bounded in time).
func run(conns int, d time.Duration, fn func(i int) error) result {
	var (
		mu  sync.Mutex
		out result
		wg  sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var (
				lat []time.Duration
				is  []int
			)
			for i := w; time.Now().Before(deadline); i += conns {
				s := time.Now()
				if err := fn(i); err != nil {
					mu.Lock()
					out.err = err
					mu.Unlock()
					return
				}
				lat, is = append(lat, time.Since(s)), append(is, i)
			}
			mu.Lock()
			out.lat, out.i = append(out.lat, lat...), append(out.i, is...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	out.d, out.reqs = time.Since(start), len(out.lat)
	return out
}

func pct(lat []time.Duration, p int) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[(len(s)-1)*p/100].Round(10 * time.Microsecond)
}

func readUCI(t *testing.T) []byte {
	rc, err := data.UCIBankMarketing()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// nameLeads gives the imported UCI leads (named "Imported lead (line N)")
// people's names, phones and e-mails, as real leads have, so that the list's
// q=silva finds about one lead in 33, as it would in a real list, rather than
// none. It is setup, outside every measure.
func nameLeads(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rng := rand.New(rand.NewPCG(1, 1))
	var names, phones []string
	var emails []*string
	for line := 2; line < 2+data.UCIBankMarketingRows; line++ {
		n, p, e := data.Person(rng, line)
		names, phones, emails = append(names, n), append(phones, p), append(emails, e)
	}
	if _, err := conn.Exec(ctx, `WITH p AS (SELECT substring(name from 'line ([0-9]+)')::int - 1 AS i, id FROM leads
		                                   WHERE name ~ '^Imported lead \(line [0-9]+\)$')
		UPDATE leads l SET name = ($1::text[])[p.i], phone = ($2::text[])[p.i], email = ($3::text[])[p.i]
		FROM p WHERE p.id = l.id`, names, phones, emails); err != nil {
		t.Fatalf("naming the leads: %v", err)
	}
	for _, table := range []string{"leads", "lead_rank"} {
		if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+table); err != nil {
			t.Fatal(err)
		}
	}
}

// bigCSV repeats the UCI rows (without y, so they are open leads) under
// fresh external ids and people's names until it has n rows.
func bigCSV(uci []byte, n int) []byte {
	sc := bufio.NewScanner(bytes.NewReader(uci))
	sc.Scan()
	header := sc.Text()
	var rows []string
	for sc.Scan() {
		line := sc.Text()
		rows = append(rows, line[:strings.LastIndexByte(line, ';')]) // drop y
	}
	rng := rand.New(rand.NewPCG(2, 2))
	var b bytes.Buffer
	b.WriteString(`"external_id";"name";"phone";"email";` + header[:strings.LastIndexByte(header, ';')] + "\n")
	for i := 0; i < n; i++ {
		name, phone, email := data.Person(rng, i)
		fmt.Fprintf(&b, "bench-%d;%s;%s;%s;%s\n", i, name, phone, deref(email), rows[i%len(rows)])
	}
	return b.Bytes()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func post(t *testing.T, url, token, ctype string, body []byte) string {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ctype)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func get(t *testing.T, url, token string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("%s: %d", url, res.StatusCode)
	}
}
