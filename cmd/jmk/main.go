// Command jmk is the JMK Sales API's one binary: the server and its
// operations tools (migrate, seed, import, export, users, model, audit).
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/joho/godotenv"

	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/audit"
)

func main() {
	ctx, stop := notifySignals()
	err := runWithDotEnv(ctx, env{args: os.Args[1:], getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "jmk:", err)
		os.Exit(exitCode(err))
	}
}

// runWithDotEnv is run for the process: it reads .env first, and says how
// a command cut short by a signal ended.
func runWithDotEnv(ctx context.Context, e env) error {
	// A .env that cannot be used fails the first command that loads the
	// settings (env.config); help, which needs none, is still shown.
	e.dotEnvErr = loadDotEnv(".env")
	err := dispatch(ctx, e)
	if err == nil && e.dotEnvErr != nil {
		fmt.Fprintln(e.stderr, "jmk: warning:", e.dotEnvErr)
	}
	// Ctrl-C ends a command with "context canceled" from somewhere inside:
	// say what happened, and exit as a shell reports a command a signal
	// ended (128 + its number), so that a script can tell.
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		var sig signalError
		if !errors.As(context.Cause(ctx), &sig) {
			sig = signalError{os.Interrupt.(syscall.Signal)}
		}
		return interruptedError{err: err, sig: sig}
	}
	return err
}

// signalError is the cause of a context a signal ended.
type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string {
	switch e.sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return e.sig.String()
}

// interruptedError is a command's error when a signal cut it short: its
// message says so where it said "context canceled".
type interruptedError struct {
	err error
	sig signalError
}

func (e interruptedError) Error() string {
	what := "interrupted by " + e.sig.Error()
	if msg := e.err.Error(); strings.Contains(msg, context.Canceled.Error()) {
		return strings.Replace(msg, context.Canceled.Error(), what, 1)
	}
	return what + ": " + e.err.Error()
}

func (e interruptedError) Unwrap() error { return e.err }

func (e interruptedError) ExitCode() int { return 128 + int(e.sig.sig) }

// notifySignals returns a context that the first SIGINT or SIGTERM ends,
// starting a graceful stop; a second one ends the process at once, with
// the status its default handling would give. Handled here rather than by
// restoring that default: a process a shell started in the background
// ignores SIGINT from the start.
func notifySignals() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := func() { cancel(nil) }
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		first := <-sigs
		cancel(signalError{first.(syscall.Signal)})
		s := <-sigs
		fmt.Fprintf(os.Stderr, "jmk: stopped at once by a second signal (%s)\n", s)
		// Die by the signal, as its default handling would, so that a
		// shell running a script sees it and stops the script too. A
		// signal ignored from the start has no default to return to: the
		// exit status then says it.
		signal.Reset(s)
		_ = syscall.Kill(os.Getpid(), s.(syscall.Signal))
		time.Sleep(100 * time.Millisecond)
		os.Exit(128 + int(s.(syscall.Signal)))
	}()
	return ctx, stop
}

// exitCode is 1 for a failure, or the status an error asks for (2: an
// import that rejected some rows, a verification that found the chain
// broken, a schema that does not match this binary).
func exitCode(err error) int {
	var c interface{ ExitCode() int }
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return 1
}

// loadDotEnv sets the variables of the file name (.env) that the
// environment does not set already: real environment variables win over
// it. The file is optional, but one that cannot be read or parsed is an
// error: skipping it would quietly run with the defaults (another database,
// say) instead of the settings it holds. A byte order mark, which Windows
// editors put first, is not part of the first line.
func loadDotEnv(name string) error {
	b, err := os.ReadFile(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil: // "read .env: is a directory": names the file already
		return err
	}
	vars, err := godotenv.UnmarshalBytes(bytes.TrimPrefix(b, []byte("\uFEFF")))
	if err != nil {
		return fmt.Errorf("%s: %s (expected KEY=value lines; the file's text is not shown, as it may hold secrets)", name, dotEnvProblem(err.Error()))
	}
	for k := range vars {
		// godotenv also reads "KEY: value" lines, so "DATABASE_URL
		// postgres://…" is the variable "DATABASE_URL postgres", which
		// nothing reads: the command would run on the default database.
		if !envName.MatchString(k) {
			return fmt.Errorf("%s: a line is not a variable assignment: a name holds a space or a character other than a letter, digit or _ (expected KEY=value lines; the file's text is not shown, as it may hold secrets)", name)
		}
	}
	for k, v := range vars {
		if _, set := os.LookupEnv(k); !set {
			if err := os.Setenv(k, v); err != nil {
				return fmt.Errorf("%s: %s: %w", name, k, err)
			}
		}
	}
	return nil
}

// envName is what a .env line may name: an environment variable a shell
// could set.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// dotEnvProblem says what is wrong with a .env file without godotenv's
// quote of it, which runs on to the end of the file (secrets and all).
func dotEnvProblem(msg string) string {
	switch {
	case strings.HasPrefix(msg, "unterminated quoted value"):
		return "a quoted value has no closing quote"
	case strings.HasPrefix(msg, "unexpected character"):
		return "a line is not a variable assignment"
	}
	return "it could not be parsed"
}

// env is what every subcommand gets: its arguments and the process's I/O.
type env struct {
	args   []string
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// dotEnvErr is why .env could not be used, if it could not: config
	// returns it, so skipping the file never runs on the defaults.
	dotEnvErr error
}

// config loads the settings with load (server.LoadConfig for the server,
// server.LoadToolConfig for the commands that sign no tokens), from the
// environment and .env.
func (e env) config(load func(getenv func(string) string) (server.Config, error)) (server.Config, error) {
	if e.dotEnvErr != nil {
		return server.Config{}, e.dotEnvErr
	}
	return load(e.getenv)
}

type command struct {
	summary string
	run     func(ctx context.Context, e env) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {"run the HTTP API", cmdServe},
		"migrate": {"apply pending database migrations (status: list them)", cmdMigrate},
		"users":   {"manage users (create)", cmdUsers},
		"audit":   {"audit trail tools (verify)", cmdAudit},
		"import":  {"import a lead CSV file (FILE, or - for stdin)", cmdImport},
		"export":  {"export leads as CSV", cmdExport},
		"seed":    {"load the demo data (--demo)", cmdSeed},
		"model":   {"scoring models (train, list, activate)", cmdModel},
	}
}

// run is main without the process globals (and without .env), so tests can
// call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return dispatch(ctx, env{args: args, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
}

// dispatch runs the subcommand e.args names with the rest of its arguments.
func dispatch(ctx context.Context, e env) error {
	cmds := commands()
	if len(e.args) == 0 {
		// As for a group without its subcommand (jmk model): a script that
		// lost its arguments must not pass for one that ran.
		usage(e.stderr, cmds)
		return errors.New("expected a command")
	}
	if isHelp(e.args[0]) {
		usage(e.stdout, cmds)
		return nil
	}
	c, ok := cmds[e.args[0]]
	if !ok {
		usage(e.stderr, cmds)
		return fmt.Errorf("unknown command %q", e.args[0])
	}
	ctx = audit.WithMeta(ctx, terminalMeta(e.args[0], e.getenv))
	e.args = e.args[1:]
	return c.run(ctx, e)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "Usage: jmk <command> [flags]   (jmk <command> --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, name := range slices.Sorted(maps.Keys(cmds)) {
		fmt.Fprintf(w, "  %-8s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from the environment (and .env); see README.md.")
}
