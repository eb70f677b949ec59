// Package schema holds the goose migrations, the only DDL of the project.
// sqlc reads the same files as its schema, so queries and tables cannot drift.
package schema

import "embed"

// Migrations are the goose migration files, applied in file-name order.
//
//go:embed *.sql
var Migrations embed.FS
