package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// maxPasswordLine bounds the line read for a password: far above the 72
// bytes bcrypt takes, so a longer one is refused by the password rules
// rather than cut here.
const maxPasswordLine = 4096

// readPassword returns the password for a new user, which never goes on the
// command line (ps and shell history would keep it): JMK_PASSWORD when set;
// else, on a terminal, typed twice at a prompt without echo; else the first
// line of standard input, to its newline or end, however the pipe splits it.
func readPassword(ctx context.Context, e env) (string, error) {
	if pw := e.getenv("JMK_PASSWORD"); pw != "" {
		return pw, nil
	}
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return promptPassword(ctx, int(f.Fd()), e.stderr)
	}
	line, err := bufio.NewReader(io.LimitReader(e.stdin, maxPasswordLine)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	if len(line) >= maxPasswordLine && !strings.HasSuffix(line, "\n") {
		return "", fmt.Errorf("the password line on standard input is longer than %d bytes", maxPasswordLine)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// promptPassword asks for the password twice on the terminal fd, echo off,
// with the prompts on w (stderr, so stdout keeps only the result). Ctrl-C
// (ctx ending) stops it at once, with the terminal's echo back on: the read
// itself cannot be interrupted, and would otherwise swallow the first
// Ctrl-C and leave a second one to end the process with echo still off.
func promptPassword(ctx context.Context, fd int, w io.Writer) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	type line struct {
		b   []byte
		err error
	}
	read := func(prompt string) (string, error) {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		fmt.Fprint(w, prompt)
		got := make(chan line, 1)
		go func() {
			b, err := term.ReadPassword(fd)
			got <- line{b, err}
		}()
		defer fmt.Fprintln(w)
		select {
		case l := <-got:
			return string(l.b), l.err
		case <-ctx.Done():
			// The read goes on until the process ends. It may have been
			// about to turn the echo off: restore once more after it would
			// have.
			_ = term.Restore(fd, state)
			time.Sleep(50 * time.Millisecond)
			_ = term.Restore(fd, state)
			return "", ctx.Err()
		}
	}
	pw, err := read("Password for the new user: ")
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	again, err := read("The same password again: ")
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if pw != again {
		return "", errors.New("the two passwords differ; nothing was created")
	}
	return pw, nil
}
