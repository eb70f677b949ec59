package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/store"
)

func cmdMigrate(ctx context.Context, e env) error {
	if len(e.args) > 0 && e.args[0] == "status" {
		return migrateStatus(ctx, e)
	}
	fs := newFlags(e, "migrate", "[status]", "Creates the database if it is missing and applies pending migrations.\n"+
		"jmk migrate status lists them instead, applying nothing.")
	if help, err := fs.parse(e.args, 1); help || err != nil {
		return err
	}
	switch {
	case fs.NArg() == 1 && fs.Arg(0) == "status": // after a --
		e.args = fs.Args()
		return migrateStatus(ctx, e)
	case fs.NArg() == 1:
		return fs.fail(fmt.Errorf("migrate: unknown subcommand %q: the only one is status", fs.Arg(0)))
	}
	cfg, err := e.config(server.LoadToolConfig)
	if err != nil {
		return err
	}
	log := server.NewLogger(cfg, e.stderr)
	if err := store.EnsureDatabase(ctx, cfg.DatabaseURL, log); err != nil {
		return err
	}
	n, err := store.Migrate(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "migrations applied: %d\n", n)
	return nil
}

// migrateStatus prints each migration's state and a line saying whether
// the schema matches this binary.
func migrateStatus(ctx context.Context, e env) error {
	fs := newFlags(e, "migrate status", "", "Lists this binary's migrations, each applied (when) or pending, and says whether the\n"+
		"database's schema matches this binary (exit 2 when it does not). The database must exist.\n"+
		"It applies nothing, but waits for a migration running elsewhere.")
	if help, err := fs.parse(e.args[1:], 0); help || err != nil {
		return err
	}
	cfg, err := e.config(server.LoadToolConfig)
	if err != nil {
		return err
	}
	if err := store.RequireDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	ms, dbVersion, err := store.MigrationStatus(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	pending := 0
	for _, m := range ms {
		state := "pending"
		if m.AppliedAt != nil {
			state = "applied " + m.AppliedAt.UTC().Format(time.DateTime) + " UTC"
		} else {
			pending++
		}
		fmt.Fprintf(tw, "%s\t%s\n", m.File, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch last := ms[len(ms)-1].Version; {
	case dbVersion > last:
		return schemaMismatch(fmt.Sprintf("the database has migration %d, newer than this binary (up to %d): run the version that migrated it", dbVersion, last))
	case pending > 0:
		return schemaMismatch(fmt.Sprintf("%d pending: run jmk migrate", pending))
	}
	fmt.Fprintln(e.stdout, "up to date")
	return nil
}

// schemaMismatch is status's finding of a schema that does not match this
// binary. It exits with 2, so that a script tells it from a status that
// could not be read (1).
type schemaMismatch string

func (m schemaMismatch) Error() string { return "migrate status: " + string(m) }

func (schemaMismatch) ExitCode() int { return 2 }
