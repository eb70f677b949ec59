package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/logbuf"
)

// TestInterrupted: a command a signal cuts short says so in words, not as
// Go's "context canceled", and exits as a shell reports a command a signal
// ended (128 + its number), so that a script can tell an interruption from
// a failure.
func TestInterrupted(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	file := filepath.Join(t.TempDir(), "leads.csv")
	if err := os.WriteFile(file, []byte("external_id,name\nx-1,Ana Silva\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		name string
	}{
		{syscall.SIGINT, "SIGINT"},
		{syscall.SIGTERM, "SIGTERM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(signalError{tc.sig}) // as notifySignals does at the first signal
			var out, errOut logbuf.Buffer
			err := runWithDotEnv(ctx, env{args: []string{"import", file},
				getenv: func(k string) string { return map[string]string{"DATABASE_URL": dsn}[k] },
				stdin:  strings.NewReader(""), stdout: &out, stderr: &errOut})
			if err == nil {
				t.Fatal("an interrupted import succeeded")
			}
			t.Log(err)
			if got := exitCode(err); got != 128+int(tc.sig) {
				t.Errorf("exit status %d, want %d (%v)", got, 128+int(tc.sig), err)
			}
			if msg := err.Error(); !strings.Contains(msg, "interrupted by "+tc.name) || strings.Contains(msg, "context canceled") {
				t.Errorf("error %q, want it to say interrupted by %s, without context canceled", msg, tc.name)
			}
		})
	}
}
