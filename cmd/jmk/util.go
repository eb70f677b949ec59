package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/store"
)

// flagSet is a subcommand's flags. Its usage goes to stdout when asked for
// (--help) and to stderr with an error; errors are returned, not printed,
// so main prints each exactly once.
type flagSet struct {
	*flag.FlagSet
	name, args, summary string
	stdout, stderr      io.Writer
}

// newFlags returns the flags of "jmk name": args shows its arguments in the
// usage line, summary says what it does.
func newFlags(e env, name, args, summary string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // parse prints it, to the right stream
	return &flagSet{FlagSet: fs, name: name, args: args, summary: summary, stdout: e.stdout, stderr: e.stderr}
}

// isSet reports whether the command line gave the flag.
func (f *flagSet) isSet(name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// usage prints the usage line, the summary and the flags to w.
func (f *flagSet) usage(w io.Writer) {
	fmt.Fprintln(w, strings.TrimSpace("Usage: jmk "+f.name+" "+f.args))
	fmt.Fprintf(w, "\n%s\n", f.summary)
	hasFlags := false
	f.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		f.VisitAll(func(fl *flag.Flag) { printFlag(w, fl) })
	}
}

// flagName spells a flag as the usage lines and the README write flags:
// two dashes, one for a single letter (either works).
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// printFlag prints a flag as flag.PrintDefaults does, but spelt as
// flagName spells it.
func printFlag(w io.Writer, fl *flag.Flag) {
	typ, usage := flag.UnquoteUsage(fl)
	fmt.Fprintf(w, "  %s", flagName(fl.Name))
	if typ != "" {
		fmt.Fprintf(w, " %s", typ)
	}
	fmt.Fprintf(w, "\n    \t%s", strings.ReplaceAll(usage, "\n", "\n    \t"))
	switch {
	case fl.DefValue == "" || (typ == "" && fl.DefValue == "false"):
	case typ == "string":
		fmt.Fprintf(w, " (default %q)", fl.DefValue)
	default:
		fmt.Fprintf(w, " (default %s)", fl.DefValue)
	}
	fmt.Fprintln(w)
}

// parse parses args, which may leave at most maxArgs arguments after the
// flags (the flag package stops at the first one, so a stray word would
// otherwise silently swallow the flags after it). help is true, with the
// usage printed, for -h or --help.
func (f *flagSet) parse(args []string, maxArgs int) (help bool, err error) {
	err = f.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		f.usage(f.stdout)
		return true, nil
	case err != nil:
		f.usage(f.stderr)
		return false, fmt.Errorf("%s: %w", f.name, f.flagError(err))
	case f.NArg() > maxArgs:
		f.usage(f.stderr)
		extra := f.Arg(maxArgs)
		if strings.HasPrefix(extra, "-") {
			return false, fmt.Errorf("%s: unexpected argument %q (flags go before arguments)", f.name, extra)
		}
		return false, fmt.Errorf("%s: unexpected argument %q", f.name, extra)
	}
	return false, nil
}

// The flag package's errors, which spell a flag with one dash and say
// "parse error" for a value of the wrong type.
var (
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -(.*)$`)
	flagNeedsArg  = regexp.MustCompile(`^flag needs an argument: -(.*)$`)
	badFlagValue  = regexp.MustCompile(`^invalid (?:boolean )?value (".*") for (?:flag )?-([^:]+): (.*)$`)
)

// flagError rewords an error of the flag package in the usage's terms: the
// flag spelt as flagName spells it, and what its value should have been
// rather than "parse error". An error it does not know is returned as is.
func (f *flagSet) flagError(err error) error {
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("unknown flag %s", flagName(m[1]))
	}
	if m := flagNeedsArg.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s needs a value", flagName(m[1]))
	}
	m := badFlagValue.FindStringSubmatch(msg)
	if m == nil {
		return err
	}
	value, name, why := m[1], m[2], m[3]
	if why == "parse error" || why == "value out of range" {
		typ := ""
		if fl := f.Lookup(name); fl != nil {
			typ, _ = flag.UnquoteUsage(fl)
		}
		switch {
		case why == "value out of range":
			why = "out of range"
		case typ == "":
			why = "expected true or false"
		case typ == "int" || typ == "uint":
			why = "expected a whole number"
		case typ == "float":
			why = "expected a number"
		}
	}
	return fmt.Errorf("%s %s: %s", flagName(name), value, why)
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

// fail prints the usage to stderr and returns err, for arguments the flag
// package cannot check.
func (f *flagSet) fail(err error) error {
	f.usage(f.stderr)
	return err
}

// openStore loads the configuration and opens the database, creating and
// migrating it as needed.
func openStore(ctx context.Context, e env) (*store.Store, func(), error) {
	return openDB(ctx, e, true)
}

// openExistingStore is openStore for commands that work on data already
// there (verify, export, list, activate, users create): the database must
// exist and be migrated, so that a mistyped DATABASE_URL fails rather than
// creating an empty database to report on.
func openExistingStore(ctx context.Context, e env) (*store.Store, func(), error) {
	return openDB(ctx, e, false)
}

func openDB(ctx context.Context, e env, migrate bool) (*store.Store, func(), error) {
	cfg, err := e.config(server.LoadToolConfig)
	if err != nil {
		return nil, nil, err
	}
	log := server.NewLogger(cfg, e.stderr)
	pool, err := server.OpenPool(ctx, cfg, log, migrate)
	if err != nil {
		return nil, nil, err
	}
	st := store.New(pool)
	st.SetLogger(log)
	// A bulk change may leave an ANALYZE running: it finishes first.
	return st, func() { st.Wait(); pool.Close() }, nil
}

// outputFile is a file that is written in full or not at all: it is written
// to a temporary file in the target's directory, which commit renames over
// the target. Until then an existing file at the target is left as it was.
// A target that exists and is not a regular file (/dev/null, a FIFO) cannot
// be replaced: it is written in place, and never removed.
type outputFile struct {
	*os.File
	path string // the target (a symbolic link's target)
	temp bool   // File is a temporary file to rename over path
	done bool
}

// createOutput opens an outputFile for path. A new file gets perm; a file
// that is replaced keeps its permissions. A directory is refused.
func createOutput(path string, perm fs.FileMode) (*outputFile, error) {
	if path == "" || strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(os.PathSeparator)) {
		return nil, fmt.Errorf("%q is not a file name", path)
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real // replace the file a link points to, not the link
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return nil, fmt.Errorf("%s is a directory; name a file (e.g. %s)", path, filepath.Join(path, "FILE"))
	case err == nil && !fi.Mode().IsRegular():
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		return &outputFile{File: f, path: path}, nil
	case err == nil:
		perm = fi.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	var pe *fs.PathError
	if errors.As(err, &pe) { // named after the temporary file, which the user never chose
		return nil, fmt.Errorf("cannot write %s: %w", path, pe.Err)
	}
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &outputFile{File: f, path: path, temp: true}, nil
}

// commit closes the file and puts it in place of the target.
func (o *outputFile) commit() error {
	o.done = true
	err := o.Close()
	if o.temp {
		if err == nil {
			err = os.Rename(o.Name(), o.path)
		}
		if err != nil {
			os.Remove(o.Name())
		}
	}
	return err
}

// abort closes the file and removes the temporary one, leaving the target
// as it was; after commit it does nothing.
func (o *outputFile) abort() {
	if o.done {
		return
	}
	o.done = true
	o.Close()
	if o.temp {
		os.Remove(o.Name())
	}
}
