// Package dbconf prepares pgx connections the way the store's queries
// expect them, for the server and for tests alike.
package dbconf

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxuuid "github.com/vgarvardt/pgx-google-uuid/v5"
)

// Configure makes every connection of the pool encode and decode
// github.com/google/uuid values in PostgreSQL's binary format. Without it
// pgx falls back to the type's driver.Valuer: a string per id, parsed again,
// which made sending the ids of a million re-scored leads take seconds.
func Configure(pc *pgxpool.Config) {
	next := pc.AfterConnect
	pc.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		pgxuuid.Register(c.TypeMap())
		if next != nil {
			return next(ctx, c)
		}
		return nil
	}
}
