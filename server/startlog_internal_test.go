package server

import (
	"log/slog"
	"runtime/debug"
	"testing"
)

// The starting line names the build from its version-control stamp, when
// there is one.
func TestBuildAttrs(t *testing.T) {
	t.Parallel()
	if got := buildAttrs(nil); got != nil {
		t.Errorf("no build information: %v", got)
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "-trimpath", Value: "true"}, {Key: "vcs.revision", Value: "894826b0"}, {Key: "vcs.modified", Value: "true"},
	}}
	want := slog.GroupValue(slog.String("go_version", "go1.26.8"), slog.String("version", "(devel)"),
		slog.String("vcs_revision", "894826b0"), slog.Bool("vcs_modified", true))
	if got := slog.GroupValue(buildAttrs(bi)...); !got.Equal(want) {
		t.Errorf("buildAttrs = %v, want %v", got, want)
	}
}

// The database is named without its password or parameters.
func TestDatabaseName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://jmk:s3cret@db.example:6432/sales?sslmode=require&connect_timeout=10", "jmk@db.example:6432/sales"},
		{"postgres://postgres@[::1]/jmk_sales", "postgres@[::1]:5432/jmk_sales"},
		{"host=/var/run/postgresql user=jmk password=s3cret dbname=sales", "jmk@/var/run/postgresql:5432/sales"},
		{"postgres://%zz", "(DATABASE_URL does not parse)"},
	} {
		if got := databaseName(tc.dsn); got != tc.want {
			t.Errorf("databaseName(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}
