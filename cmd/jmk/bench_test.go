package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmksales/jmk/data"
	"github.com/jmksales/jmk/server/dbtest"
)

// uciFile writes the embedded UCI file to a temporary file, optionally
// repeated until it has rows data rows, each copy a distinct lead (its own
// external_id) with a person's name, phone and e-mail as real leads have:
// they make up most of what the trigram index holds.
func uciFile(b *testing.B, rows int) string {
	b.Helper()
	r, err := data.UCIBankMarketing()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	raw, err := io.ReadAll(r)
	if err != nil {
		b.Fatal(err)
	}
	name := filepath.Join(b.TempDir(), "uci.csv")
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if rows <= data.UCIBankMarketingRows {
		if _, err := f.Write(raw); err != nil {
			b.Fatal(err)
		}
		return name
	}
	header, body, _ := strings.Cut(string(raw), "\n")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "\"external_id\";\"name\";\"phone\";\"email\";%s\n", header)
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range rows {
		name, phone, email := data.Person(rng, i)
		e := ""
		if email != nil {
			e = *email
		}
		fmt.Fprintf(w, "r-%d;%s;%s;%s;%s\n", i, name, phone, e, lines[i%len(lines)])
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return name
}

func benchImport(b *testing.B, rows int) {
	file := uciFile(b, rows)
	for b.Loop() {
		b.StopTimer()
		dsn := dbtest.URL(b)
		b.StartTimer()
		start := time.Now()
		out, err := runData(b, dsn, "", "import", file)
		if err != nil || !strings.Contains(out, fmt.Sprintf("%d new", rows)) {
			b.Fatalf("%v: %s", err, out)
		}
		b.Logf("jmk import of %d rows into a fresh database: %v", rows, time.Since(start))
	}
	b.ReportMetric(float64(rows), "rows/op")
}

// BenchmarkImportUCI imports the whole UCI file into a fresh database with
// jmk import (the budget: under 2 s).
func BenchmarkImportUCI(b *testing.B) { benchImport(b, data.UCIBankMarketingRows) }

// BenchmarkImport1M imports a million rows (the UCI rows repeated with
// distinct external ids) with jmk import (budget: under 30 s). It runs only
// with JMK_BENCH_1M=1: it needs a few GB of disk and minutes.
func BenchmarkImport1M(b *testing.B) {
	if os.Getenv("JMK_BENCH_1M") == "" {
		b.Skip("set JMK_BENCH_1M=1 to run")
	}
	benchImport(b, 1_000_000)
}
