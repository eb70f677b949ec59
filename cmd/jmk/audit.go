package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/store"
)

func cmdAudit(ctx context.Context, e env) error {
	fs := newFlags(e, "audit verify", "[--seal=false] [--anchor ID:HASH]",
		"Checks the audit trail's hash chain and reports the first broken event, if any, and the\n"+
			"chain's head: keep it outside the database and pass it back as --anchor later, to catch\n"+
			"events changed or removed together with every seal after them and sealed again.")
	seal := fs.Bool("seal", true, "seal pending events first, so that recent ones are checked too")
	anchorArg := fs.String("anchor", "", "a head printed by an earlier verify (`ID:HASH`): fail unless that event still has that seal")
	if len(e.args) == 0 || e.args[0] != "verify" {
		if len(e.args) > 0 && isHelp(e.args[0]) {
			fs.usage(e.stdout)
			return nil
		}
		if len(e.args) > 0 {
			return fs.fail(fmt.Errorf("audit: unknown subcommand %q: the only one is verify (the events are listed by GET /api/v1/audit-events)", e.args[0]))
		}
		return fs.fail(errors.New("audit: expected the subcommand verify"))
	}
	if help, err := fs.parse(e.args[1:], 0); help || err != nil {
		return err
	}
	// Given empty, as a script's unset variable gives it, it is refused
	// rather than skipped: a monitor must not pass without its check.
	if fs.isSet("anchor") && strings.TrimSpace(*anchorArg) == "" {
		return fs.fail(errors.New("audit verify: --anchor is empty; leave it out to verify without an anchor"))
	}
	var anchor *audit.Anchor
	if *anchorArg != "" {
		a, err := audit.ParseAnchor(*anchorArg)
		if err != nil {
			return fs.fail(fmt.Errorf("audit verify: --anchor: %w", err))
		}
		anchor = a
	}
	// A verifier only reads (sealing aside): a mistyped DATABASE_URL must
	// fail, not verify a new, empty database.
	st, closeDB, err := openExistingStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	if *seal {
		// A transaction still writing to the trail, or a server sealing at
		// the same moment, leaves events unsealed, which the verification
		// counts.
		// A head the id sequence never issued stops the sealing, not the
		// check: verify reports the events it strands.
		_, err := st.SealOnce(ctx, 5*time.Second)
		var ahead store.ChainAheadError
		switch {
		case errors.As(err, &ahead):
			fmt.Fprintln(e.stderr, "jmk: warning:", err)
		case err != nil && !errors.Is(err, store.ErrWritersOpen) && !errors.Is(err, store.ErrSealerBusy):
			return err
		}
	}
	v, err := st.AuditVerify(ctx, anchor)
	if err != nil {
		return err
	}
	if !v.OK {
		if v.BrokenID == 0 {
			fmt.Fprintf(e.stdout, "BROKEN: %s (the %d sealed events check out)\n", v.Reason, v.Checked)
		} else {
			fmt.Fprintf(e.stdout, "BROKEN: %s (checked %d sealed events before it)\n", v.Reason, v.Checked)
		}
		return chainBroken(v.BrokenID)
	}
	fmt.Fprintf(e.stdout, "ok: %d sealed events verified, %d not yet sealed\n", v.Checked, v.Unsealed)
	if v.HeadID != 0 {
		fmt.Fprintf(e.stdout, "head: %s\n", audit.Anchor{ID: v.HeadID, Hash: v.HeadHash})
	}
	return nil
}

// chainBroken is verify's finding of a broken chain. It exits with 2, so
// that a monitor tells tampering from a check that could not run (1: the
// database down, a bad anchor).
type chainBroken int64

func (b chainBroken) Error() string {
	if b == 0 { // the chain holds, but its append-only guards are off
		return "audit trail not protected"
	}
	return fmt.Sprintf("audit chain broken at event %d", int64(b))
}

func (chainBroken) ExitCode() int { return 2 }
