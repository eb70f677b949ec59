package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/servertest"
)

// importTurn takes the imports' turn (queries/import.sql, ImportSerialize):
// held, every import waits.
const importTurn = `SELECT pg_advisory_xact_lock(hashtextextended('jmk:import', 0))`

// TestImportUploadTimeout: an upload gets IMPORT_UPLOAD_TIMEOUT for its
// rows, counted from its turn. One still arriving after it gets a 408 (the
// client is there, waiting), not a "client closed" 499; one that waited for
// the import before it, its file sent at once, is on time.
func TestImportUploadTimeout(t *testing.T) {
	t.Parallel()
	const limit = 1500 * time.Millisecond
	env := servertest.New(t, func(c *server.Config) { c.ImportUploadTimeout = limit })
	// Large enough that the rows are read from the connection after the
	// header, not with it.
	var file strings.Builder
	file.WriteString(apiHeader + "\n")
	for i := range 20000 {
		fmt.Fprintf(&file, "up-%d,Upload Lead %d,+351 912 000 000,40,admin,\n", i, i)
	}

	t.Run("SlowUpload", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			_, _ = io.WriteString(pw, apiHeader+"\nslow-1,Slow Lead,+351 912 000 001,40,admin,\n")
			time.Sleep(2 * limit)
			_, _ = io.WriteString(pw, "slow-2,Slow Lead Two,+351 912 000 002,41,admin,\n")
			_ = pw.Close()
		}()
		res, body := importCSV(t, env, "", pr, nil)
		if p := wantProblem(t, res, body, http.StatusRequestTimeout); !strings.Contains(p.Detail, "did not arrive in time") {
			t.Errorf("detail %v", p.Detail)
		}
		if n := scalar(t, env, "SELECT count(*) FROM leads WHERE external_id LIKE 'slow-%'"); n != 0 {
			t.Errorf("%d leads of a timed-out upload imported", n)
		}
	})

	t.Run("SmallFileSlowUpsert", func(t *testing.T) {
		// A small file is read whole before the import's turn; its import
		// then waits longer than the upload may take (here on a lead's
		// row lock), which is no upload's fault.
		importOK(t, env, "", apiHeader+"\nlocked-1,Locked Lead,,40,admin,\n")
		held := holdRowLock(t, env, `SELECT id FROM leads WHERE external_id = 'locked-1' FOR UPDATE`)
		released := make(chan struct{})
		go func() {
			defer close(released)
			time.Sleep(2 * limit)
			_ = held.Rollback(context.Background())
		}()
		res, body := importCSV(t, env, "", strings.NewReader(apiHeader+"\nlocked-1,Locked Lead,,41,admin,\n"), nil)
		<-released // before holdRowLock's cleanup uses the transaction
		if res.StatusCode != http.StatusOK {
			t.Fatalf("import behind a row lock: %d %s", res.StatusCode, body)
		}
	})

	t.Run("QueuedUpload", func(t *testing.T) {
		// A server of its own with a longer limit: reading and checking the
		// 20,000 rows once the turn comes took over 1.5 s under -race with
		// the package's other tests on two cores (a 408 in one CI run of
		// four; the whole import takes about 6 s so), and the limit is what
		// this test waits past.
		const limit = 10 * time.Second
		env := servertest.New(t, func(c *server.Config) { c.ImportUploadTimeout = limit })
		// The import before it: a session holding the imports' turn for
		// longer than the upload may take.
		turn := holdRowLock(t, env, importTurn)
		released := make(chan struct{})
		go func() {
			defer close(released)
			time.Sleep(limit + time.Second)
			_ = turn.Rollback(context.Background())
		}()
		res, body := importCSV(t, env, "", strings.NewReader(file.String()), nil)
		<-released // before holdRowLock's cleanup uses the transaction
		if res.StatusCode != http.StatusOK {
			t.Fatalf("queued import: %d %s", res.StatusCode, body)
		}
		if n := scalar(t, env, "SELECT count(*) FROM leads WHERE external_id LIKE 'up-%'"); n != 20000 {
			t.Errorf("%d leads imported, want 20000", n)
		}
	})
}

// TestImportIdleBetweenBatches: the pool's sessions end a transaction
// left idle (dbconf.Configure; here after 1 s, set in the DSN), but an
// import's transaction waits on its upload between batches, for as long as
// the upload's own limit allows, and must not be ended for it.
func TestImportIdleBetweenBatches(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, func(c *server.Config) { c.DatabaseURL += "&idle_in_transaction_session_timeout=1s" })
	pr, pw := io.Pipe()
	go func() {
		var first strings.Builder
		first.WriteString(apiHeader + "\n")
		for i := range 10001 { // one batch COPYed, then a wait for the rest
			fmt.Fprintf(&first, "idle-%d,Idle Lead %d,,40,admin,\n", i, i)
		}
		_, _ = io.WriteString(pw, first.String())
		time.Sleep(2500 * time.Millisecond)
		_, _ = io.WriteString(pw, "idle-last,Idle Lead Last,,41,admin,\n")
		_ = pw.Close()
	}()
	res, body := importCSV(t, env, "", pr, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("import with a pause in its upload: %d %s", res.StatusCode, body)
	}
	if n := scalar(t, env, "SELECT count(*) FROM leads WHERE external_id LIKE 'idle-%'"); n != 10002 {
		t.Errorf("%d leads imported, want 10002", n)
	}
}

// TestBulkWritesBounded: imports, training, activation and threshold
// changes each hold a database connection while they wait for one another,
// so an instance runs at most four at once; one more gets a 503 with
// Retry-After at once, rather than a connection the rest of the API needs.
func TestBulkWritesBounded(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	turn := holdRowLock(t, env, importTurn)
	// One login for all: four at once would take seconds of bcrypt.
	h := map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken, "Content-Type": "text/csv"}
	codes := make(chan int, 4) // 0: no answer
	for i := range 4 {
		go func() {
			req, err := http.NewRequest(http.MethodPost, env.URL+"/api/v1/leads/import",
				strings.NewReader(fmt.Sprintf("%s\nqueued-%d,Queued Lead,,40,admin,\n", apiHeader, i)))
			if err != nil {
				codes <- 0
				return
			}
			for k, v := range h {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			res.Body.Close()
			codes <- res.StatusCode
		}()
	}
	for i := 0; ; i++ {
		n := scalar(t, env, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
		if n == 4 {
			break
		}
		if i == 1000 {
			t.Fatalf("%d imports waiting for their turn, want 4", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Bounded, so that a fifth write queuing too fails the test instead of
	// hanging it.
	req, err := http.NewRequest(http.MethodPost, env.URL+"/api/v1/leads/import", strings.NewReader(apiHeader+"\none-more,One More,,40,admin,\n"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := (&http.Client{Timeout: 10 * time.Second, Transport: servertest.Contract(t, nil)}).Do(req)
	if err != nil {
		t.Fatalf("a fifth bulk write got no answer: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if p := wantProblem(t, res, body, http.StatusServiceUnavailable); res.Header.Get("Retry-After") == "" || !strings.Contains(p.Detail, "as many as it runs at once") {
		t.Errorf("a fifth bulk write: Retry-After %q, %s", res.Header.Get("Retry-After"), body)
	}
	r, _ := env.Admin.ActivateModelWithResponse(context.Background(), 1)
	wantProblem(t, r.HTTPResponse, r.Body, http.StatusServiceUnavailable)
	// The rest of the API goes on meanwhile.
	if l, _ := env.Admin.ListLeadsWithResponse(context.Background(), nil); l.StatusCode() != http.StatusOK {
		t.Errorf("list while the bulk writes wait: %d", l.StatusCode())
	}
	if err := turn.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if code := <-codes; code != http.StatusOK {
			t.Errorf("a queued import: %d", code)
		}
	}
	if n := scalar(t, env, "SELECT count(*) FROM leads WHERE external_id LIKE 'queued-%'"); n != 4 {
		t.Errorf("%d queued imports landed, want 4", n)
	}
}
