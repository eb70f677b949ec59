package main

import (
	"context"
	"fmt"
	"net"

	"github.com/jmksales/jmk/server"
)

func cmdServe(ctx context.Context, e env) error {
	fs := newFlags(e, "serve", "", "Runs the HTTP API (configured from the environment; see README.md).")
	if help, err := fs.parse(e.args, 0); help || err != nil {
		return err
	}
	cfg, err := e.config(server.LoadConfig)
	if err != nil {
		return err
	}
	// Listening first reports a bad or taken HTTP_ADDR at once, not after
	// the database, migrations and bootstrap; connections made meanwhile
	// wait in the backlog.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	defer ln.Close()
	log := server.NewLogger(cfg, e.stderr)
	app, err := server.Open(ctx, cfg, log, e.stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	fmt.Fprintf(e.stdout, "JMK Sales API on http://%s (docs: /docs)\n", displayAddr(ln.Addr()))
	return app.Serve(ctx, ln)
}

func displayAddr(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok && (t.IP == nil || t.IP.IsUnspecified()) {
		return fmt.Sprintf("localhost:%d", t.Port)
	}
	return a.String()
}
