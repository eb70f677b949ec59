package main

import (
	"context"
	"errors"
	"fmt"
	"time"
)

func cmdAudit(ctx context.Context, e env) error {
	fs := newFlags(e, "audit verify", "[--seal=false]",
		"Checks the audit trail's hash chain and reports the first broken event, if any.")
	seal := fs.Bool("seal", true, "seal pending events first, so that recent ones are checked too")
	if len(e.args) == 0 || e.args[0] != "verify" {
		if len(e.args) > 0 && isHelp(e.args[0]) {
			fs.usage(e.stdout)
			return nil
		}
		return fs.fail(errors.New("audit: expected the subcommand verify"))
	}
	if help, err := fs.parse(e.args[1:], 0); help || err != nil {
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
