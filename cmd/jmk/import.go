package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/store"
)

// cmdImport imports a lead CSV file through the same store function as
// POST /leads/import, without the upload's size limit.
func cmdImport(ctx context.Context, e env) error {
	fs := newFlags(e, "import", "[--dry-run] [--outcome use|ignore] [-v] FILE",
		"Imports a lead CSV file (UCI bank-marketing columns; see README.md) in one transaction.\nFILE - reads standard input; a gzip-compressed file is decompressed.\n"+
			"Exit status: 0 every row imported, 2 some rows rejected (the others imported), 1 the file\n"+
			"refused whole or the import failed (nothing imported).")
	dryRun := fs.Bool("dry-run", false, "validate and count only; write nothing")
	outcome := fs.String("outcome", "use", "use: rows with y become closed leads; ignore: import them as open leads")
	verbose := fs.Bool("v", false, "list every rejected row (default: the first 20)")
	if help, err := fs.parse(e.args, 1); help || err != nil {
		return err
	}
	switch {
	case fs.NArg() != 1:
		return fs.fail(errors.New("import: name the FILE to import (- for standard input)"))
	case *outcome != "use" && *outcome != "ignore":
		return fs.fail(fmt.Errorf("import: --outcome %q must be use or ignore", *outcome))
	}
	name := fs.Arg(0)
	var (
		in   io.Reader = e.stdin
		size int64     = -1
	)
	source := "standard input"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		st, err := f.Stat()
		switch {
		case err != nil:
			return fmt.Errorf("import: %w", err)
		case st.IsDir():
			return fmt.Errorf("import: %s is a directory; name a CSV file", name)
		case st.Mode().IsRegular():
			size = st.Size()
		}
		in, source = f, filepath.Base(name)
	}
	if size < 0 {
		in = cancellable(ctx, in)
	}
	st, closeDB, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()

	if isTerminal(e.stderr) {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription("importing "+source),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(),
		)
		r := progressbar.NewReader(in, bar)
		in = &r
		defer bar.Exit()
	}
	in, err = gunzipped(in)
	if err != nil {
		return fmt.Errorf("import %s: %w (nothing was imported)", source, err)
	}
	start := time.Now()
	res, err := st.LeadImport(ctx, audit.Actor{Name: "jmk import"}, in, store.ImportOptions{
		DryRun: *dryRun, IgnoreOutcome: *outcome == "ignore", Source: source,
	})
	if err != nil {
		return fmt.Errorf("import %s: %w (nothing was imported)", source, err)
	}
	verb := "imported"
	if res.DryRun {
		verb = "dry run, nothing written; would import"
	}
	rows := "rows"
	if res.Rows == 1 {
		rows = "row"
	}
	fmt.Fprintf(e.stdout, "%s %s: %d %s read, %d new, %d updated, %d unchanged, %d rejected in %s\n",
		verb, source, res.Rows, rows, res.Inserted, res.Updated, res.Unchanged, res.RejectedRows(), time.Since(start).Round(time.Millisecond))
	for i, r := range res.Rejected {
		if i == 20 && !*verbose {
			fmt.Fprintf(e.stdout, "  ... and %d more problems (-v lists them all)\n", len(res.Rejected)-i)
			break
		}
		field := r.Field
		if field == "" {
			field = "row"
		}
		fmt.Fprintf(e.stdout, "  line %d: %s: %s\n", r.Line, field, r.Message)
	}
	if n := res.RejectedRows(); n > 0 {
		return rowsRejected{n: n, rest: res.Rows - n, dryRun: res.DryRun}
	}
	return nil
}

// rowsRejected ends an import that took its good rows and refused others
// with exit status 2, so that a script can tell it from a clean one (0)
// and from one that imported nothing (1).
type rowsRejected struct {
	n      int
	rest   int // the rows read and not rejected
	dryRun bool
}

func (r rowsRejected) Error() string {
	rows := fmt.Sprintf("%d rows", r.n)
	if r.n == 1 {
		rows = "1 row"
	}
	if r.dryRun {
		return rows + " would be rejected (listed above)"
	}
	if r.rest <= 0 {
		return rows + " rejected (listed above); no row was imported"
	}
	return rows + " rejected (listed above); the other rows were imported"
}

func (rowsRejected) ExitCode() int { return 2 }

// gunzipped returns r decompressed when it starts as a gzip stream does
// (the project's own copy of the UCI file is one), else r as it is.
func gunzipped(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, gzipError{err}
	}
	return gzipReader{zr}, nil
}

// gzipReader says that a read error comes from the compressed stream (a
// truncated file reads as an unexpected end of the CSV otherwise).
type gzipReader struct{ r io.Reader }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = gzipError{err}
	}
	return n, err
}

type gzipError struct{ err error }

func (e gzipError) Error() string {
	return "the gzip-compressed file is damaged: " + strings.TrimPrefix(e.err.Error(), "gzip: ")
}
func (e gzipError) Unwrap() error { return e.err }

// isTerminal reports whether w is a terminal, where a progress bar makes
// sense; a pipe or file gets plain output.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// cancellable reads r until ctx ends. A read of a pipe (standard input, a
// FIFO) waits for its writer however long it takes, and cannot be
// cancelled: a signal sent to jmk alone (kill, a supervisor's SIGTERM)
// would not stop an import from a writer that has stalled. Here that read
// waits in its own goroutine, which the process's exit ends.
func cancellable(ctx context.Context, r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, r)
		pw.CloseWithError(err)
	}()
	context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) }) // the first close wins
	return pr
}
