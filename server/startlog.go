package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/server/store"
)

// logStarting logs the one line that says what this instance runs: its
// build, its settings (never a secret), its database and schema (with the
// migrations this start applied), and the scoring in force. A failure to
// read the scoring is noted in the line rather than stopping the start.
func logStarting(ctx context.Context, log *slog.Logger, cfg Config, st *store.Store, applied int) {
	bi, _ := debug.ReadBuildInfo()
	attrs := buildAttrs(bi)
	attrs = append(attrs,
		slog.String("env", cfg.Env),
		// As LOG_LEVEL spells it: "log_level=ERROR" would read as a line
		// at ERROR to a search for "level=ERROR".
		slog.String("log_level", strings.ToLower(cfg.LogLevel.String())),
		slog.String("log_format", cfg.LogFormat),
		slog.Int("db_max_conns", int(cfg.DBMaxConns)),
		slog.Bool("registration_open", cfg.RegistrationOpen),
		slog.String("database", databaseName(cfg.DatabaseURL)),
	)
	if v, err := store.SchemaVersion(); err == nil {
		attrs = append(attrs, slog.Int64("schema_version", v))
	}
	attrs = append(attrs, slog.Int("migrations_applied", applied))
	if sc, err := st.ScoringStatus(ctx); err != nil {
		attrs = append(attrs, slog.String("scoring_err", err.Error()))
	} else {
		model := "none"
		if sc.Version > 0 {
			model = "v" + strconv.Itoa(int(sc.Version))
		}
		attrs = append(attrs, slog.String("active_model", model),
			slog.Float64("hot_threshold", sc.Thresholds.Hot), slog.Float64("warm_threshold", sc.Thresholds.Warm))
	}
	log.LogAttrs(ctx, slog.LevelInfo, "starting", attrs...)
}

// buildAttrs names the build: the Go version, the module's version (a
// tagged build's; "(devel)" from a checkout) and, when the binary was
// built in a version-controlled checkout, its revision and whether it had
// uncommitted changes. bi may be nil (a binary without build information).
func buildAttrs(bi *debug.BuildInfo) []slog.Attr {
	if bi == nil {
		return nil
	}
	attrs := []slog.Attr{slog.String("go_version", bi.GoVersion), slog.String("version", bi.Main.Version)}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			attrs = append(attrs, slog.String("vcs_revision", s.Value))
		case "vcs.modified":
			attrs = append(attrs, slog.Bool("vcs_modified", s.Value == "true"))
		}
	}
	return attrs
}

// databaseName is the database a DSN names, as user@host:port/name: never
// its password or other parameters.
func databaseName(dsn string) string {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return "(DATABASE_URL does not parse)"
	}
	c := pc.ConnConfig
	return fmt.Sprintf("%s@%s/%s", c.User, net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))), c.Database)
}
