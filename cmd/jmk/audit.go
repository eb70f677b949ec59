package main

import (
	"context"
	"errors"
	"fmt"
	"time"
)

func cmdAudit(ctx context.Context, e env) error {
	if len(e.args) == 0 || e.args[0] != "verify" {
		fmt.Fprintln(e.stderr, "Usage: jmk audit verify [--seal]")
		if len(e.args) > 0 && (e.args[0] == "--help" || e.args[0] == "-h") {
			return nil
		}
		return errors.New("audit: expected the subcommand verify")
	}
	fs := newFlags("audit verify", "[--seal]", e.stderr)
	seal := fs.Bool("seal", true, "seal pending events first, so that recent ones are checked too")
	if help, err := parse(fs, e.args[1:]); help || err != nil {
		return err
	}
	_, st, closeDB, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	if *seal {
		if _, err := st.SealOnce(ctx, 5*time.Second); err != nil {
			return err
		}
	}
	v, err := st.AuditVerify(ctx)
	if err != nil {
		return err
	}
	if !v.OK {
		fmt.Fprintf(e.stdout, "BROKEN: %s (checked %d sealed events before it)\n", v.Reason, v.Checked)
		return fmt.Errorf("audit chain broken at event %d", v.BrokenID)
	}
	fmt.Fprintf(e.stdout, "ok: %d sealed events verified, %d not yet sealed\n", v.Checked, v.Unsealed)
	return nil
}
