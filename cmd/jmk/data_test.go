package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/data"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/scoring"
)

// runData runs the command against the database and returns its output.
func runData(t testing.TB, dsn string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		switch k {
		case "DATABASE_URL":
			return dsn
		case "LOG_LEVEL":
			return "error"
		}
		return ""
	}
	err := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

func dbCount(t testing.TB, dsn, query string, args ...any) int64 {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

const cliCSV = "external_id,name,phone,age,job,y\ncli-1,Ana Lopes,+351 912 000 001,30,admin.,no\ncli-2,Rui Pinto,,45,retired,yes\ncli-3,Bad Age,,300,admin.,no\n"

// isRejected reports an import that ended with n rows rejected, exit
// status 2.
func isRejected(err error, n int) bool {
	var r rowsRejected
	return errors.As(err, &r) && r.n == n && exitCode(err) == 2
}

func TestImportCommand(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	file := filepath.Join(t.TempDir(), "leads.csv")
	if err := os.WriteFile(file, []byte(cliCSV), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("DryRun", func(t *testing.T) {
		out, err := runData(t, dsn, "", "import", "--dry-run", file)
		if !isRejected(err, 1) || !strings.Contains(err.Error(), "would be rejected") || !strings.Contains(out, "dry run") || !strings.Contains(out, "2 new") {
			t.Fatalf("%v: %s", err, out)
		}
		if n := dbCount(t, dsn, "SELECT count(*) FROM leads"); n != 0 {
			t.Fatalf("a dry run wrote %d leads", n)
		}
	})
	t.Run("OK", func(t *testing.T) {
		out, err := runData(t, dsn, "", "import", file)
		if !isRejected(err, 1) || !strings.Contains(out, "2 new, 0 updated, 0 unchanged, 1 rejected") || !strings.Contains(out, "line 4: age:") {
			t.Fatalf("%v: %s", err, out)
		}
		if n := dbCount(t, dsn, "SELECT count(*) FROM leads WHERE status IN ('success', 'failed')"); n != 2 {
			t.Fatalf("%d closed leads", n)
		}
		if n := dbCount(t, dsn, "SELECT count(*) FROM audit_events WHERE action = 'import.leads' AND actor_name = 'jmk import' AND user_agent LIKE 'jmk import (run by % on %)'"); n != 1 {
			t.Fatalf("%d import events", n)
		}
	})
	t.Run("StdinOutcomeIgnore", func(t *testing.T) {
		out, err := runData(t, dsn, cliCSV, "import", "--outcome", "ignore", "-")
		// The same rows again: the leads already hold them and stay as they are.
		if !isRejected(err, 1) || !strings.Contains(out, "0 new, 0 updated, 2 unchanged") {
			t.Fatalf("%v: %s", err, out)
		}
		// With y ignored the file sets no status: the leads keep theirs.
		if n := dbCount(t, dsn, "SELECT count(*) FROM leads WHERE status IN ('success', 'failed') AND closed_at IS NOT NULL"); n != 2 {
			t.Fatalf("%d closed leads", n)
		}
	})
	t.Run("AllRejected", func(t *testing.T) {
		out, err := runData(t, dsn, "name,age\nOld,300\nOlder,400\n", "import", "-")
		if !isRejected(err, 2) || !strings.HasSuffix(err.Error(), "2 rows rejected (listed above); no row was imported") {
			t.Fatalf("%v: %s", err, out)
		}
	})
	t.Run("ErrHeader", func(t *testing.T) {
		out, err := runData(t, dsn, "foo,bar\n1,2\n", "import", "-")
		if err == nil || !strings.Contains(err.Error(), "unknown columns") {
			t.Fatalf("%v: %s", err, out)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		if _, err := runData(t, dsn, "", "import", "--outcome", "maybe", file); err == nil {
			t.Fatal("no error for --outcome maybe")
		}
	})
	t.Run("Gzip", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(strings.ReplaceAll(cliCSV, "cli-", "gz-")))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		gz := filepath.Join(t.TempDir(), "leads.csv.gz")
		if err := os.WriteFile(gz, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := runData(t, dsn, "", "import", "--dry-run", gz)
		if !isRejected(err, 1) || !strings.Contains(out, "2 new, 0 updated, 0 unchanged, 1 rejected") {
			t.Fatalf("%v: %s", err, out)
		}
		out, err = runData(t, dsn, buf.String()[:buf.Len()/2], "import", "-")
		if err == nil || !strings.Contains(err.Error(), "the gzip-compressed file is damaged") || !strings.Contains(err.Error(), "nothing was imported") {
			t.Fatalf("a truncated gzip stream: %v: %s", err, out)
		}
		if _, err := runData(t, dsn, "\x1f\x8b", "import", "-"); err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Fatalf("gzip's magic alone: %v", err)
		}
	})
	t.Run("ErrFile", func(t *testing.T) {
		for arg, want := range map[string]string{
			t.TempDir():                        "is a directory; name a CSV file",
			filepath.Join(t.TempDir(), "nope"): "import: open ",
		} {
			if out, err := runData(t, dsn, "", "import", arg); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("import %s: %v (want %q): %s", arg, err, want, out)
			}
		}
	})
}

func TestExportCommand(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	if out, err := runData(t, dsn, cliCSV, "import", "-"); !isRejected(err, 1) {
		t.Fatalf("%v: %s", err, out)
	}
	file := filepath.Join(t.TempDir(), "out.csv")
	if out, err := runData(t, dsn, "", "export", "--status", "success,failed", "--sort", "name_asc", "-o", file); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "cli-1,Ana Lopes,'+351 912 000 001,,failed") || !strings.HasPrefix(lines[2], "cli-2,Rui Pinto") {
		t.Fatalf("export:\n%s", b)
	}
	// Re-importing the export matches the same leads, which already hold
	// its values.
	out, err := runData(t, dsn, "", "import", file)
	if err != nil || !strings.Contains(out, "0 new, 0 updated, 2 unchanged, 0 rejected") {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := runData(t, dsn, "", "export", "--sort", "shoe_size"); err == nil {
		t.Error("no error for an unknown sort")
	}
	if names := dirNames(t, filepath.Dir(file)); strings.Join(names, " ") != "out.csv" {
		t.Errorf("the export left %v", names)
	}
	// Valid filters, as the API takes them.
	out, err = runData(t, dsn, "", "export", "--job", "retired", "--status", "success, failed", "--q", " Rui ")
	if err != nil || !strings.Contains(out, "cli-2,Rui Pinto") || strings.Contains(out, "cli-1") {
		t.Errorf("filtered export: %v\n%s", err, out)
	}
	// The spreadsheet format, re-imported as it is.
	out, err = runData(t, dsn, "", "export", "--format", "excel", "--q", "Rui", "-o", file)
	if b, _ := os.ReadFile(file); err != nil || !strings.HasPrefix(string(b), "\uFEFFexternal_id;name;") || !strings.Contains(string(b), "\ncli-2;Rui Pinto;") {
		t.Fatalf("excel export: %v %s\n%s", err, out, b)
	}
	if out, err := runData(t, dsn, "", "import", file); err != nil || !strings.Contains(out, "0 new, 0 updated, 1 unchanged, 0 rejected") {
		t.Fatalf("excel re-import: %v: %s", err, out)
	}

	// Filters GET /leads/export answers with a 400 fail here too, before
	// any output.
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"Status", []string{"--status", "success,bogus"}, `--status: "bogus" is not one of new, contacted`},
		{"StatusCase", []string{"--status", "New"}, `--status: "New" is not one of`},
		{"TooManyStatuses", []string{"--status", "new,new,new,new,new,new"}, "--status takes at most 5 values"},
		{"Category", []string{"--category", "x"}, `--category: "x" is not one of hot, warm, cold`},
		{"Job", []string{"--job", "admin."}, `--job: "admin." is not one of admin, blue_collar`},
		{"MinProbability", []string{"--min-probability", "2"}, "--min-probability must be from 0 to 1, not 2"},
		{"NegativeProbability", []string{"--min-probability", "-1"}, "--min-probability must be from 0 to 1, not -1"},
		{"NaNProbability", []string{"--max-probability", "NaN"}, "--max-probability must be from 0 to 1, not NaN"},
		{"MinAboveMax", []string{"--min-probability", "0.8", "--max-probability", "0.2"}, "--min-probability must not be above --max-probability"},
		{"ShortQ", []string{"-q", "ab"}, "-q must have at least 3 characters, leading and trailing spaces aside"},
		{"SpacedQ", []string{"-q", " ab  "}, "-q must have at least 3 characters, leading and trailing spaces aside"},
		{"PunctuationQ", []string{"-q", "@@@"}, "-q must hold letters or digits the search index can look up"},
		{"LongQ", []string{"--q", strings.Repeat("q", 101)}, "-q must have at most 100 characters"},
		{"NulQ", []string{"--q", "abc\x00"}, "-q must be UTF-8 text without NUL characters"},
		// An unset variable in a script must not export every lead.
		{"EmptyStatus", []string{"--status", ""}, "--status is empty; leave it out not to filter"},
		{"BlankCategory", []string{"--category", " "}, "--category is empty"},
		{"EmptyJob", []string{"--job="}, "--job is empty"},
		{"EmptyAssignedTo", []string{"--assigned-to", ""}, "--assigned-to is empty"},
		{"BlankQ", []string{"-q", "  "}, "-q is empty"},
		{"EmptyItem", []string{"--status", "new,,failed"}, "--status: an empty value in the list"},
		{"TrailingComma", []string{"--category", "hot,"}, "--category: an empty value in the list"},
		{"AssignedTo", []string{"--assigned-to", "me"}, "--assigned-to must be a user id or none"},
		{"Sort", []string{"--sort", "shoe_size"}, "--sort must be one of probability_desc"},
		{"Format", []string{"--format", "xlsx"}, `--format must be csv or excel, not "xlsx"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := filepath.Join(t.TempDir(), "leads.csv")
			out, err := runData(t, dsn, "", append(append([]string{"export"}, tc.args...), "-o", target)...)
			if err == nil || !strings.Contains(err.Error(), "export: "+tc.want) || out != "" {
				t.Fatalf("want an error with %q, got %v: %q", tc.want, err, out)
			}
			if names := dirNames(t, filepath.Dir(target)); len(names) != 0 {
				t.Errorf("files written: %v", names)
			}
			out, err = runData(t, dsn, "", append([]string{"export"}, tc.args...)...)
			if err == nil || out != "" {
				t.Fatalf("to stdout: %v: %q", err, out)
			}
		})
	}

	t.Run("EmptyOutput", func(t *testing.T) {
		t.Parallel()
		out, err := runData(t, dsn, "", "export", "-o", "")
		if err == nil || !strings.Contains(err.Error(), "export: -o is empty") || out != "" {
			t.Fatalf("-o '': %v: %d bytes out", err, len(out))
		}
	})

	// A directory is not a file to write to: it is refused with a message
	// that says so, and nothing is written in it.
	t.Run("Directory", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		for _, target := range []string{dir, dir + "/", filepath.Join(dir, "missing") + "/"} {
			out, err := runData(t, dsn, "", "export", "-o", target)
			if err == nil || !strings.Contains(err.Error(), "export: -o: ") || !strings.Contains(err.Error(), "directory") && !strings.Contains(err.Error(), "not a file name") {
				t.Errorf("-o %s: %v: %q", target, err, out)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("-o %s: files written: %v", target, names)
			}
		}
	})
}

// dirNames lists the names in dir.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestSeedCommand(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	start := time.Now()
	// Two at once, as two instances started together would run them: one
	// seeds, the other waits for it and then finds the leads.
	type result struct {
		out string
		err error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			out, err := runData(t, dsn, "", "seed", "--demo", "--if-empty")
			results <- result{out, err}
		}()
	}
	var out string
	for range 2 {
		r := <-results
		switch {
		case r.err != nil:
			t.Fatalf("%v: %s", r.err, r.out)
		case strings.Contains(r.out, "nothing seeded"):
		case out != "":
			t.Fatalf("both seeds ran:\n%s\n%s", out, r.out)
		default:
			out = r.out
		}
	}
	if out == "" {
		t.Fatal("neither seed ran")
	}
	t.Logf("seed took %v:\n%s", time.Since(start), out)
	for _, want := range []string{"First admin created: admin@example.com", "sales1@example.com", "demo-password-4", "41188 leads"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	checks := map[string]int64{
		"SELECT count(*) FROM leads":                                       data.UCIBankMarketingRows,
		"SELECT count(*) FROM leads WHERE status IN ('success', 'failed')": 35010,
		"SELECT count(*) FROM leads WHERE status IN ('success', 'failed') AND (assigned_to IS NULL OR closed_at < now() - interval '91 days')": 0,
		"SELECT count(*) FROM leads WHERE probability IS NULL OR category IS NULL":                                                             0,
		"SELECT count(*) FROM models WHERE active":                                                                                             1,
		"SELECT count(*) FROM audit_events WHERE action = 'model.activate'":                                                                    1,
		"SELECT count(*) FROM users WHERE role = 'sales'":                                                                                      4,
		"SELECT count(*) FROM leads WHERE name LIKE 'Lead %' OR name LIKE 'Imported lead%' OR phone NOT LIKE '+351 9%'":                        0,
		"SELECT count(*) FROM audit_events WHERE action = 'import.leads'":                                                                      1,
		`SELECT count(*) FROM leads l WHERE l.contact_count <>
			(SELECT count(*) FROM activities a WHERE a.lead_id = l.id AND a.kind <> 'note')`: 0,
		// Each contact and each status it moved has its event, as through the API.
		`SELECT count(*) FROM activities a WHERE NOT EXISTS (SELECT 1 FROM audit_events e
			WHERE e.action = 'activity.create' AND e.entity_id = a.id::text AND e.changes->'lead_id'->>'to' = a.lead_id::text
			AND (e.changes->'occurred_at'->>'to')::timestamptz = a.occurred_at AND e.changes->'kind'->>'to' = a.kind
			AND (e.changes->'user_id'->>'to')::uuid = a.user_id AND e.changes->'outcome'->>'to' = a.outcome
			AND (e.changes->'duration_sec'->>'to')::int IS NOT DISTINCT FROM a.duration_sec)`: 0,
		`SELECT count(*) FROM leads l WHERE l.contact_count > 0 AND NOT EXISTS (SELECT 1 FROM audit_events e
			WHERE e.action = 'lead.update' AND e.entity_id = l.id::text AND e.changes->'status'->>'from' = 'new'
			AND e.changes->'status'->>'to' = l.status AND (e.changes->'contact_count'->>'to')::int = l.contact_count
			AND (e.changes->'last_contacted_at'->>'to')::timestamptz = l.last_contacted_at)`: 0,
		// A lead's last contact is the latest its contacts' events moved it to.
		`SELECT count(*) FROM leads l WHERE l.contact_count > 0 AND l.last_contacted_at IS DISTINCT FROM
			(SELECT max((e.changes->'lead.last_contacted_at'->>'to')::timestamptz) FROM audit_events e
			 WHERE e.action = 'activity.create' AND e.changes->'lead_id'->>'to' = l.id::text)`: 0,
	}
	countsAre(t, dsn, "after the seed", checks)
	if n := dbCount(t, dsn, "SELECT count(*) FROM activities"); n < 200 || n > 600 {
		t.Errorf("%d activities", n)
	}
	if n := dbCount(t, dsn, "SELECT count(*) FROM leads WHERE status = 'new' AND assigned_to IS NULL"); n < 1000 {
		t.Errorf("%d unassigned open leads", n)
	}
	if n := dbCount(t, dsn, "SELECT count(*) FROM leads WHERE status IN ('contacted', 'follow_up') AND contact_count > 0"); n != 200 {
		t.Errorf("%d contacted leads", n)
	}
	// A second run would overwrite work on the demo leads and add the
	// contacts again: it is refused, and with --if-empty it does nothing.
	// Either way nothing changes.
	before := dbCount(t, dsn, "SELECT count(*) FROM activities")
	out, err := runData(t, dsn, "", "seed", "--demo")
	if err == nil || !strings.Contains(err.Error(), "already holds leads") {
		t.Errorf("second seed: %v: %s", err, out)
	}
	out, err = runData(t, dsn, "", "seed", "--demo", "--if-empty")
	if err != nil || !strings.Contains(out, "nothing seeded") || !strings.Contains(out, "sales1@example.com") {
		t.Fatalf("%v: %s", err, out)
	}
	after := map[string]int64{
		"SELECT count(*) FROM leads":                                         data.UCIBankMarketingRows,
		"SELECT count(*) FROM activities":                                    before,
		"SELECT count(*) FROM models":                                        1,
		"SELECT count(*) FROM leads WHERE version > 1 AND contact_count = 0": 0,
		"SELECT count(*) FROM audit_events WHERE action = 'import.leads'":    1,
	}
	countsAre(t, dsn, "after the second runs", after)
}

// A demo seed stopped before its model (here: its leads imported, as the
// seed would) cannot be finished; even --if-empty says so and fails, since
// the dashboard would show unscored leads and no contacts.
func TestSeedUnfinished(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	if out, err := runData(t, dsn, "external_id,name\nuci-1,Ana\nuci-2,Rui\n", "import", "-"); err != nil {
		t.Fatalf("import: %v: %s", err, out)
	}
	for _, args := range [][]string{{"seed", "--demo"}, {"seed", "--demo", "--if-empty"}} {
		out, err := runData(t, dsn, "", args...)
		if err == nil || !strings.Contains(err.Error(), "stopped before it finished") {
			t.Errorf("%v: %v: %s", args, err, out)
		}
	}
	countsAre(t, dsn, "after the refused seeds", map[string]int64{"SELECT count(*) FROM leads": 2, "SELECT count(*) FROM users": 0})
}

// TestSeedDemoAddressTaken: a demo seller's address held by an admin or by
// a deactivated user is refused before the seed writes anything, as the
// demo would give that account a seller's open leads and contacts.
func TestSeedDemoAddressTaken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, role, sql, want string }{
		{"Admin", "admin", ``, "sales2@example.com is an admin's address"},
		{"Deactivated", "sales", `UPDATE users SET active = false WHERE email = 'sales2@example.com'`,
			"sales2@example.com is a deactivated user's address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn := dbtest.URL(t)
			env := map[string]string{"DATABASE_URL": dsn, "JMK_PASSWORD": "a long enough password"}
			for _, args := range [][]string{{"--email", "boss@example.com", "--role", "admin"}, {"--email", "sales2@example.com", "--role", tc.role}} {
				if r := runJMK(t, env, "", append([]string{"users", "create", "--name", "Existing"}, args...)...); r.err != nil {
					t.Fatalf("users create: %v %s", r.err, r.stderr)
				}
			}
			if tc.sql != "" {
				execSQL(t, dsn, tc.sql)
			}
			out, err := runData(t, dsn, "", "seed", "--demo")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v: %s", err, out)
			}
			countsAre(t, dsn, "after the refused seed", map[string]int64{"SELECT count(*) FROM users": 2,
				"SELECT count(*) FROM leads": 0})
		})
	}
	// Nor is the first admin made with one: refused before it is created.
	t.Run("AdminEmail", func(t *testing.T) {
		t.Parallel()
		dsn := dbtest.URL(t)
		r := runJMK(t, map[string]string{"DATABASE_URL": dsn, "ADMIN_EMAIL": "Sales1@example.com",
			"ADMIN_PASSWORD": "a long enough password"}, "", "seed", "--demo")
		if r.err == nil || !strings.Contains(r.err.Error(), "ADMIN_EMAIL is sales1@example.com, a demo seller's address") {
			t.Fatalf("%v %q", r.err, r.stdout)
		}
		countsAre(t, dsn, "after the refused seed", map[string]int64{"SELECT count(*) FROM users": 0})
	})
}

// TestSeedRefusedInProduction: the demo's logins have published passwords,
// so a production database is never seeded, even when empty.
func TestSeedRefusedInProduction(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	r := runJMK(t, map[string]string{"APP_ENV": "production", "DATABASE_URL": dsn}, "", "seed", "--demo", "--if-empty")
	if r.err == nil || !strings.Contains(r.err.Error(), "refused with APP_ENV=production") {
		t.Fatalf("%v: %s", r.err, r.stdout)
	}
	countsAre(t, dsn, "after the refused seed", map[string]int64{"SELECT count(*) FROM users": 0})
}

// countsAre checks that each count query gives its number.
func countsAre(t *testing.T, dsn, when string, want map[string]int64) {
	t.Helper()
	for q, n := range want {
		if got := dbCount(t, dsn, q); got != n {
			t.Errorf("%s, %s: %d, want %d", when, q, got, n)
		}
	}
}

func TestModelCommand(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	if out, err := runData(t, dsn, "", "seed", "--demo"); err != nil {
		t.Fatalf("seed: %v: %s", err, out)
	}
	// The report replaces an existing file, keeping its permissions, and
	// leaves no temporary file behind.
	png := filepath.Join(t.TempDir(), "report.png")
	if err := os.WriteFile(png, []byte("an old report"), 0o640); err != nil {
		t.Fatal(err)
	}
	// The new report is in place before the first line is printed: a
	// reader that stops early (jmk model train | head) ends the process at
	// a write, which must not leave the stored model without its report.
	var stdout bytes.Buffer
	first := &firstWrite{w: &stdout, check: func() error {
		b, err := os.ReadFile(png)
		if err == nil && !bytes.HasPrefix(b, []byte("\x89PNG")) {
			err = errors.New("the old report is still there")
		}
		return err
	}}
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": dsn, "LOG_LEVEL": "error"}[k] }
	err := run(context.Background(), []string{"model", "train", "--include-duration", "--seed", "7", "--report", png},
		getenv, strings.NewReader(""), first, io.Discard)
	out := stdout.String()
	if err != nil {
		t.Fatalf("train: %v: %s", err, out)
	}
	if !first.wrote || first.err != nil {
		t.Errorf("the report when the first line was printed: %v (printed: %v)", first.err, first.wrote)
	}
	if names := dirNames(t, filepath.Dir(png)); strings.Join(names, " ") != "report.png" {
		t.Errorf("files next to the report: %v", names)
	}
	if fi, err := os.Stat(png); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("report: %v %v", fi.Mode(), err)
	}
	for _, want := range []string{"model v2 trained (not active: jmk model activate 2)", "ROC AUC", "Brier", "lift, top decile", "largest calibration gap", "categories", "report: " + png} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}
	f, err := os.Open(png)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if cfg, format, err := image.DecodeConfig(f); err != nil || format != "png" || cfg.Width < 600 {
		t.Errorf("report: %v %s %dx%d", err, format, cfg.Width, cfg.Height)
	}

	// A report that cannot be written fails before a version is stored,
	// and so do options POST /models/train refuses.
	bad := filepath.Join(t.TempDir(), "missing", "report.png")
	if out, err := runData(t, dsn, "", "model", "train", "--report", bad); err == nil || !strings.Contains(err.Error(), "report") {
		t.Errorf("train with an unwritable report: %v: %s", err, out)
	}
	dir := t.TempDir()
	for _, args := range [][]string{{"--report", dir}, {"--report", dir + "/"}, {"--holdout", "0"}, {"--holdout", "0.01"}, {"--holdout", "0.5"}, {"--seed", "0"}, {"--seed", "9007199254740992"}, {"--seed", "3", "--split", "time"}} {
		out, err := runData(t, dsn, "", append([]string{"model", "train", "--report", filepath.Join(dir, "r.png")}, args...)...)
		if err == nil || !strings.Contains(err.Error(), args[0]) && !strings.Contains(err.Error(), "report") {
			t.Errorf("train %v: %v: %s", args, err, out)
		}
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("train with a directory as report wrote %v", names)
	}
	out, err = runData(t, dsn, "", "model", "list")
	if err != nil || !strings.Contains(out, "VERSION") || !regexp.MustCompile(`(?m)^1\s+yes.*call duration excluded$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^2\s+no\s.*stratified \(seed 7\) holdout 20%, call duration included$`).MatchString(out) ||
		regexp.MustCompile(`(?m)^3\s`).MatchString(out) {
		t.Errorf("list (v1 active from the seed, v2 new, no v3): %v\n%s", err, out)
	}
	out, err = runData(t, dsn, "", "model", "activate", "2")
	// v2 uses the call's duration: activating it says that it cannot rank open leads.
	if err != nil || !strings.Contains(out, "model v2 active; 41188 leads re-scored") || !strings.Contains(out, "note: this model uses last_call_duration_sec") {
		t.Errorf("activate: %v %s", err, out)
	}
	if out, err := runData(t, dsn, "", "model", "activate", "2"); err != nil || !strings.Contains(out, "model v2 was already active; nothing re-scored") {
		t.Errorf("activate again: %v %s", err, out)
	}
	if n := dbCount(t, dsn, "SELECT count(*) FROM leads WHERE model_version <> 2"); n != 0 {
		t.Errorf("%d leads not re-scored by v2", n)
	}
	// Three activations of v1 at once: one re-scores, and the other two,
	// which waited for it, say that it was already active.
	const events = "SELECT count(*) FROM audit_events WHERE action = 'model.activate'"
	before := dbCount(t, dsn, events)
	outs := make(chan string, 3)
	for range 3 {
		go func() {
			out, err := runData(t, dsn, "", "model", "activate", "1")
			outs <- fmt.Sprint(out, err)
		}()
	}
	var did, already int
	for range 3 {
		switch out := <-outs; {
		case strings.Contains(out, "model v1 active; 41188 leads re-scored"):
			did++
		case strings.Contains(out, "model v1 was already active; nothing re-scored"):
			already++
		default:
			t.Errorf("concurrent activate: %s", out)
		}
	}
	if n := dbCount(t, dsn, events) - before; did != 1 || already != 2 || n != 1 {
		t.Errorf("concurrent activations: %d re-scored, %d already active, %d events", did, already, n)
	}
	for _, args := range [][]string{{"model", "activate", "99"}, {"model", "activate", "x"}, {"model", "train", "--split", "nope"}, {"model"}} {
		if out, err := runData(t, dsn, "", args...); err == nil || args[0] == "model" && len(args) > 1 && !strings.HasPrefix(err.Error(), "model "+args[1]+": ") {
			t.Errorf("%v: %v: %s", args, err, out)
		}
	}
	if _, err := runData(t, dsn, "", "model", "activate", "99"); err == nil || !strings.Contains(err.Error(), "(jmk model list shows the versions)") {
		t.Errorf("activate 99: %v", err)
	}
}

// firstWrite writes to w, and runs check at its first Write, keeping its
// error.
type firstWrite struct {
	w     io.Writer
	check func() error
	wrote bool
	err   error
}

func (f *firstWrite) Write(p []byte) (int, error) {
	if !f.wrote {
		f.wrote, f.err = true, f.check()
	}
	return f.w.Write(p)
}

// Options POST /models/train refuses, and a report file that cannot be
// written, fail before the database is opened; a failed training leaves an
// existing report file as it was.
func TestModelTrainFails(t *testing.T) {
	t.Parallel()
	unreachable := map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"HoldoutZero", []string{"--holdout", "0"}, "model train: --holdout must be at least 0.05 and under 0.5, not 0"},
		{"HoldoutSmall", []string{"--holdout", "0.01"}, "--holdout must be at least 0.05 and under 0.5, not 0.01"},
		{"HoldoutHalf", []string{"--holdout", "0.5"}, "--holdout must be at least 0.05 and under 0.5, not 0.5"},
		{"HoldoutNegative", []string{"--holdout", "-0.2"}, "--holdout must be at least 0.05 and under 0.5, not -0.2"},
		{"HoldoutNaN", []string{"--holdout", "NaN"}, "--holdout must be at least 0.05 and under 0.5, not NaN"},
		{"Split", []string{"--split", "random"}, `model train: --split must be stratified or time, not "random"`},
		// A seed would be stored with the model, having drawn nothing.
		{"SeedWithTimeSplit", []string{"--split", "time", "--seed", "5"}, "model train: --seed is used only with --split stratified: leave it out with --split time"},
		{"ReportDirectory", []string{"--report", "DIR"}, "model train: report: DIR is a directory"},
		{"ReportStdout", []string{"--report", "-"}, "model train: --report must name a file"},
		{"ReportMissingDirectory", []string{"--report", "DIR/missing/r.png"}, "model train: report: "},
		// Past the checks: the database cannot be reached.
		{"HoldoutLowest", []string{"--holdout", "0.05"}, "DATABASE_URL"},
		{"HoldoutHighest", []string{"--holdout", "0.4999"}, "DATABASE_URL"},
		{"NoReport", []string{"--report", ""}, "DATABASE_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			report := filepath.Join(dir, "report.png")
			if err := os.WriteFile(report, []byte("the last good report"), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"model", "train", "--report", report}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "DIR", dir))
			}
			r := runJMK(t, unreachable, "", args...)
			if want := strings.ReplaceAll(tc.want, "DIR", dir); r.err == nil || !strings.Contains(r.err.Error(), want) {
				t.Fatalf("want an error with %q, got %v", want, r.err)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
			if b, err := os.ReadFile(report); err != nil || string(b) != "the last good report" {
				t.Errorf("the report file: %q %v", b, err)
			}
			if names := dirNames(t, dir); strings.Join(names, " ") != "report.png" {
				t.Errorf("files in the report's directory: %v", names)
			}
		})
	}
}

func TestModelCommandsOnEmptyDatabase(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	if out, err := runData(t, dsn, "", "model", "list"); err != nil || !strings.Contains(out, "no models yet") {
		t.Errorf("list: %v: %s", err, out)
	}
	out, err := runData(t, dsn, "", "model", "train", "--report", "")
	if err == nil || !strings.HasPrefix(err.Error(), "model train: ") || !strings.Contains(err.Error(), "too few") || !strings.HasSuffix(err.Error(), "(nothing was stored)") {
		t.Errorf("train without labelled leads: %v: %s", err, out)
	}
}

// A category or cut-off with no holdout leads has no rate, and a holdout
// too small for deciles of 200 leads no calibration gap: a 0 would read as
// "never converts" or "perfect".
func TestPrintMetricsEmptyRows(t *testing.T) {
	t.Parallel()
	m := &scoring.Model{Thresholds: scoring.DefaultThresholds}
	m.Metrics.Categories = []scoring.CategoryStat{{Category: "hot", Count: 0}, {Category: "cold", Count: 4, MeanPredicted: 0.1, ObservedRate: 0.25}}
	m.Metrics.Cutoffs = []scoring.CutoffStat{{Cutoff: 0.95, Count: 0}, {Cutoff: 0.05, Count: 4, ShareOfLeads: 1, ObservedRate: 0.25, ShareOfConversions: 1}}
	m.Metrics.Calibration = []scoring.CalibrationBin{{Count: 20, MeanPredicted: 0.05, ObservedRate: 0.3}}
	var b strings.Builder
	printMetrics(&b, m)
	for _, want := range []string{"hot  0  -  -", "cold  4  0.100  0.250", "0.95  0  0.000  -  0.000", "0.05  4  1.000  0.250  1.000", "gap  -  (no  decile"} {
		if !strings.Contains(strings.Join(strings.Fields(b.String()), "  "), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}
