package leadcsv_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/jmksales/jmk/data"
	"github.com/jmksales/jmk/server/leadcsv"
)

func uciBytes(tb testing.TB) []byte {
	tb.Helper()
	rc, err := data.UCIBankMarketing()
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// The whole published file imports: every row valid, every outcome set.
func TestReadUCIFull(t *testing.T) {
	t.Parallel()

	rc, err := data.UCIBankMarketing()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	r, err := leadcsv.NewReader(rc, leadcsv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rows, rejected, yes, neverContacted int
	for {
		row, rejs, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(rejs) > 0 {
			if rejected < 5 {
				t.Errorf("rejected: %+v", rejs)
			}
			rejected++
			continue
		}
		rows++
		if row.Line != rows+1 {
			t.Fatalf("row %d has line %d", rows, row.Line)
		}
		if row.Outcome == nil || row.Features.Age == nil || row.Features.NrEmployed == nil {
			t.Fatalf("line %d lacks a value:\n%s", row.Line, dump(row))
		}
		if *row.Outcome {
			yes++
		}
		if row.Features.DaysSincePreviousContact == nil {
			neverContacted++
		}
	}
	if rows != data.UCIBankMarketingRows || rejected != 0 {
		t.Errorf("rows = %d, rejected = %d; want %d, 0", rows, rejected, data.UCIBankMarketingRows)
	}
	// Counts published with the dataset.
	if yes != 4640 || neverContacted != 39673 {
		t.Errorf("y=yes rows = %d, never contacted = %d; want 4640, 39673", yes, neverContacted)
	}
}

// Reading streams: heap use stays flat on an input many times its size.
// Not parallel, so the heap it measures is its own.
func TestReadConstantMemory(t *testing.T) {
	const copies = 8
	body := uciBytes(t)
	header, rowsOnly, _ := bytes.Cut(body, []byte("\n"))
	in := io.MultiReader(bytes.NewReader(append(header, '\n')), &repeatReader{data: rowsOnly, left: copies})

	r, err := leadcsv.NewReader(in, leadcsv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	var peak uint64
	n := 0
	for {
		_, rejs, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || len(rejs) > 0 {
			t.Fatal(err, rejs)
		}
		if n++; n%20000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if n != copies*data.UCIBankMarketingRows {
		t.Errorf("read %d rows, want %d", n, copies*data.UCIBankMarketingRows)
	}
	input := uint64(copies * len(rowsOnly))
	// The decompressed test input itself (5.8 MB) is live throughout.
	if peak > uint64(len(body))+32<<20 {
		t.Errorf("peak heap in use %d MB for %d MB of input", peak>>20, input>>20)
	}
}

// repeatReader yields data left times.
type repeatReader struct {
	data []byte
	off  int
	left int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.data[r.off:])
	if r.off += n; r.off == len(r.data) {
		r.off = 0
		r.left--
	}
	return n, nil
}

func BenchmarkReadUCI(b *testing.B) {
	body := uciBytes(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := leadcsv.NewReader(bytes.NewReader(body), leadcsv.Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, rejs, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || len(rejs) > 0 {
				b.Fatal(err, rejs)
			}
			n++
		}
		if n != data.UCIBankMarketingRows {
			b.Fatalf("read %d rows", n)
		}
	}
}

// BenchmarkWrite exports the UCI file's leads, to size GET /leads/export.
func BenchmarkWrite(b *testing.B) {
	body := uciBytes(b)
	r, err := leadcsv.NewReader(bytes.NewReader(body), leadcsv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var leads []leadcsv.ExportRow
	for {
		row, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		leads = append(leads, leadcsv.ExportRow{ID: "0190a1b2-0000-7000-8000-000000000001",
			Name: "Ana Sá", Phone: ptr("+351 910 000 000"), Status: "new", Features: row.Features})
	}
	b.ReportAllocs()
	for b.Loop() {
		w := leadcsv.NewWriter(io.Discard, leadcsv.FormatCSV)
		if err := w.WriteHeader(); err != nil {
			b.Fatal(err)
		}
		for _, l := range leads {
			if err := w.Write(l); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
