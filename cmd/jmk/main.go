// Command jmk is the JMK Sales API's one binary: the server and its
// operations tools (migrate, seed, import, export, users, model, audit).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/joho/godotenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts a graceful stop; a second one gets the
	// default handling and ends the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := loadDotEnv(".env")
	if err != nil && wantsHelp(os.Args[1:]) {
		// Help needs no settings: a broken .env is reported, not in its way.
		fmt.Fprintln(os.Stderr, "jmk: warning:", err)
		err = nil
	}
	if err == nil {
		err = run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "jmk:", err)
		os.Exit(1)
	}
}

// loadDotEnv sets the variables of the file name (.env) that the
// environment does not set already: real environment variables win over
// it. The file is optional, but one that cannot be read or parsed is an
// error: skipping it would quietly run with the defaults (another database,
// say) instead of the settings it holds.
func loadDotEnv(name string) error {
	err := godotenv.Load(name)
	var pe *fs.PathError
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.As(err, &pe): // "read .env: is a directory": names the file already
		return err
	}
	return fmt.Errorf("%s: %w (expected KEY=value lines)", name, err)
}

// wantsHelp reports whether args only ask for usage: none at all, "help",
// or -h/--help anywhere.
func wantsHelp(args []string) bool {
	return len(args) == 0 || args[0] == "help" || slices.ContainsFunc(args, isHelp)
}

// env is what every subcommand gets: its arguments and the process's I/O.
type env struct {
	args   []string
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, e env) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {"run the HTTP API", cmdServe},
		"migrate": {"apply pending database migrations", cmdMigrate},
		"users":   {"manage users (create)", cmdUsers},
		"audit":   {"audit trail tools (verify)", cmdAudit},
		"import":  {"import a lead CSV file (FILE, or - for stdin)", cmdImport},
		"export":  {"export leads as CSV", cmdExport},
		"seed":    {"load the demo data (--demo)", cmdSeed},
		"model":   {"scoring models (train, list, activate)", cmdModel},
	}
}

// run dispatches to a subcommand; it is main without the process globals,
// so tests can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout, cmds)
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return c.run(ctx, env{args: args[1:], getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "Usage: jmk <command> [flags]   (jmk <command> --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, name := range sortedKeys(cmds) {
		fmt.Fprintf(w, "  %-8s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from the environment (and .env); see README.md.")
}
