package main

import (
	"bytes"
	"context"
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/data"
	"github.com/jmksales/jmk/server/dbtest"
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

func dbCount(t testing.TB, dsn, query string) int64 {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

const cliCSV = "external_id,name,phone,age,job,y\ncli-1,Ana Lopes,+351 912 000 001,30,admin.,no\ncli-2,Rui Pinto,,45,retired,yes\ncli-3,Bad Age,,300,admin.,no\n"

func TestImportCommand(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	file := filepath.Join(t.TempDir(), "leads.csv")
	if err := os.WriteFile(file, []byte(cliCSV), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("DryRun", func(t *testing.T) {
		out, err := runData(t, dsn, "", "import", "--dry-run", file)
		if err != nil || !strings.Contains(out, "dry run") || !strings.Contains(out, "2 new") {
			t.Fatalf("%v: %s", err, out)
		}
		if n := dbCount(t, dsn, "SELECT count(*) FROM leads"); n != 0 {
			t.Fatalf("a dry run wrote %d leads", n)
		}
	})
	t.Run("OK", func(t *testing.T) {
		out, err := runData(t, dsn, "", "import", file)
		if err != nil || !strings.Contains(out, "2 new, 0 updated, 1 rejected") || !strings.Contains(out, "line 4: age:") {
			t.Fatalf("%v: %s", err, out)
		}
		if n := dbCount(t, dsn, "SELECT count(*) FROM leads WHERE status IN ('success', 'failed')"); n != 2 {
			t.Fatalf("%d closed leads", n)
		}
		if n := dbCount(t, dsn, "SELECT count(*) FROM audit_events WHERE action = 'import.leads' AND actor_name = 'jmk import'"); n != 1 {
			t.Fatalf("%d import events", n)
		}
	})
	t.Run("StdinOutcomeIgnore", func(t *testing.T) {
		out, err := runData(t, dsn, cliCSV, "import", "--outcome", "ignore", "-")
		if err != nil || !strings.Contains(out, "0 new, 2 updated") {
			t.Fatalf("%v: %s", err, out)
		}
		// With y ignored the file sets no status: the leads keep theirs.
		if n := dbCount(t, dsn, "SELECT count(*) FROM leads WHERE status IN ('success', 'failed') AND closed_at IS NOT NULL"); n != 2 {
			t.Fatalf("%d closed leads", n)
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
}

func TestExportCommand(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	if out, err := runData(t, dsn, cliCSV, "import", "-"); err != nil {
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
	// Re-importing the export updates the same leads.
	out, err := runData(t, dsn, "", "import", file)
	if err != nil || !strings.Contains(out, "0 new, 2 updated, 0 rejected") {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := runData(t, dsn, "", "export", "--sort", "shoe_size"); err == nil {
		t.Error("no error for an unknown sort")
	}
}

func TestSeedCommand(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	start := time.Now()
	out, err := runData(t, dsn, "", "seed", "--demo", "--if-empty")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
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
		"SELECT count(*) FROM audit_events WHERE action = 'activity.seed'":                                                                     1,
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
	out, err = runData(t, dsn, "", "seed", "--demo")
	if err == nil || !strings.Contains(err.Error(), "already holds leads") {
		t.Errorf("second seed: %v: %s", err, out)
	}
	out, err = runData(t, dsn, "", "seed", "--demo", "--if-empty")
	if err != nil || !strings.Contains(out, "nothing seeded") {
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
	png := filepath.Join(t.TempDir(), "report.png")
	out, err := runData(t, dsn, "", "model", "train", "--include-duration", "--report", png)
	if err != nil {
		t.Fatalf("train: %v: %s", err, out)
	}
	for _, want := range []string{"model v2 trained", "ROC AUC", "Brier", "lift, top decile", "calibration", "categories", "report: " + png} {
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

	// A report that cannot be written fails before a version is stored.
	bad := filepath.Join(t.TempDir(), "missing", "report.png")
	if out, err := runData(t, dsn, "", "model", "train", "--report", bad); err == nil || !strings.Contains(err.Error(), "report") {
		t.Errorf("train with an unwritable report: %v: %s", err, out)
	}
	out, err = runData(t, dsn, "", "model", "list")
	if err != nil || !strings.Contains(out, "VERSION") || !regexp.MustCompile(`(?m)^1\s+yes.*call duration excluded$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^2\s.*stratified holdout 20%, call duration included$`).MatchString(out) ||
		regexp.MustCompile(`(?m)^3\s`).MatchString(out) {
		t.Errorf("list (v1 active from the seed, v2 new, no v3): %v\n%s", err, out)
	}
	out, err = runData(t, dsn, "", "model", "activate", "2")
	if err != nil || !strings.Contains(out, "model v2 active; 41188 leads re-scored") {
		t.Errorf("activate: %v %s", err, out)
	}
	if n := dbCount(t, dsn, "SELECT count(*) FROM leads WHERE model_version <> 2"); n != 0 {
		t.Errorf("%d leads not re-scored by v2", n)
	}
	for _, args := range [][]string{{"model", "activate", "99"}, {"model", "activate", "x"}, {"model", "train", "--split", "nope"}, {"model"}} {
		if out, err := runData(t, dsn, "", args...); err == nil {
			t.Errorf("%v: no error: %s", args, out)
		}
	}
}
