package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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

// TestInterruptedPipe: an import reading a pipe whose writer has stalled
// stops at a signal sent to jmk alone (kill, a supervisor's SIGTERM), not
// when the writer closes the pipe. The real binary, here.
func TestInterruptedPipe(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "import", "-")
	cmd.Env = append(os.Environ(), "JMK_TEST_RUN_MAIN=1", "DATABASE_URL="+dbtest.URL(t))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A header and a row, then nothing: the writer has stalled.
	if _, err := stdin.Write([]byte("external_id,name\nx-1,Ana Silva\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 128+int(syscall.SIGTERM) {
			t.Errorf("exit: %v, want status %d; stderr %q", err, 128+int(syscall.SIGTERM), errOut.String())
		}
		if msg := errOut.String(); !strings.Contains(msg, "interrupted by SIGTERM") || !strings.Contains(msg, "nothing was imported") {
			t.Errorf("stderr %q, want it to say the import was interrupted by SIGTERM and nothing was imported", msg)
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the import still waited for its pipe 15 s after SIGTERM; stderr %q", errOut.String())
	}
}
