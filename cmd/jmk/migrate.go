package main

import (
	"context"
	"fmt"

	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/store"
)

func cmdMigrate(ctx context.Context, e env) error {
	fs := newFlags(e, "migrate", "", "Creates the database if it is missing and applies pending migrations.")
	if help, err := fs.parse(e.args, 0); help || err != nil {
		return err
	}
	cfg, err := e.config(server.LoadToolConfig)
	if err != nil {
		return err
	}
	if err := store.EnsureDatabase(ctx, cfg.DatabaseURL, server.NewLogger(cfg, e.stderr)); err != nil {
		return err
	}
	n, err := store.Migrate(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "migrations applied: %d\n", n)
	return nil
}
