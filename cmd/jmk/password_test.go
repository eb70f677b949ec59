//go:build linux

package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// TestPromptPassword types at a real terminal (a pty): the password typed
// twice is returned, and Ctrl-C (the command's context ending) ends the
// prompt at once with the terminal's echo back on.
func TestPromptPassword(t *testing.T) {
	t.Parallel()
	open := func(t *testing.T) (keyboard io.Writer, fd int) {
		t.Helper()
		ptm, tty, err := pty.Open()
		if err != nil {
			t.Fatalf("open a pseudo-terminal: %v", err)
		}
		t.Cleanup(func() { ptm.Close(); tty.Close() })
		go func() { _, _ = io.Copy(io.Discard, ptm) }() // the prompts, echoed nowhere
		return ptm, int(tty.Fd())
	}
	t.Run("Typed", func(t *testing.T) {
		t.Parallel()
		keyboard, fd := open(t)
		go func() { _, _ = io.WriteString(keyboard, "correct horse\ncorrect horse\n") }()
		pw, err := promptPassword(context.Background(), fd, io.Discard)
		if err != nil || pw != "correct horse" {
			t.Fatalf("%q, %v", pw, err)
		}
	})
	// Ctrl-C before the prompt: no read starts, so none turns the echo off.
	t.Run("InterruptedBefore", func(t *testing.T) {
		t.Parallel()
		_, fd := open(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := promptPassword(ctx, fd, io.Discard); !errors.Is(err, context.Canceled) {
			t.Fatalf("%v, want context.Canceled", err)
		}
		time.Sleep(100 * time.Millisecond)
		tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			t.Fatal("the terminal's echo is off")
		}
	})
	t.Run("Interrupted", func(t *testing.T) {
		t.Parallel()
		_, fd := open(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := promptPassword(ctx, fd, io.Discard)
			done <- err
		}()
		echo := func() bool {
			tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
			if err != nil {
				t.Fatal(err)
			}
			return tio.Lflag&unix.ECHO != 0
		}
		for deadline := time.Now().Add(5 * time.Second); echo(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the prompt never turned the echo off")
			}
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the prompt did not end when its context did")
		}
		if !echo() {
			t.Fatal("the terminal's echo is still off")
		}
	})
}
