package data_test

import (
	"bufio"
	"io"
	"strings"
	"testing"

	"github.com/jmksales/jmk/data"
)

func TestUCIBankMarketing(t *testing.T) {
	t.Parallel()

	rc, err := data.UCIBankMarketing()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()

	sc := bufio.NewScanner(rc)
	lines := 0
	for sc.Scan() {
		if lines == 0 {
			if got := sc.Text(); !strings.HasPrefix(got, `"age";"job";"marital";`) || !strings.HasSuffix(got, `;"y"`) {
				t.Errorf("header = %q, want the UCI header", got)
			}
		}
		lines++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if want := data.UCIBankMarketingRows + 1; lines != want {
		t.Errorf("lines = %d, want %d (header + %d rows)", lines, want, data.UCIBankMarketingRows)
	}
}

// Each call must return an independent stream: the seed and a test may read
// the file concurrently.
func TestUCIBankMarketingIndependentStreams(t *testing.T) {
	t.Parallel()

	a, err := data.UCIBankMarketing()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := data.UCIBankMarketing()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	if _, err := io.CopyN(io.Discard, a, 1000); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 6)
	if _, err := io.ReadFull(b, head); err != nil {
		t.Fatal(err)
	}
	if string(head) != `"age";` {
		t.Errorf("second stream starts with %q, want %q", head, `"age";`)
	}
}
