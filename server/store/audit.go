package store

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
)

// AuditEventList returns one page of events, newest first.
func (s *Store) AuditEventList(ctx context.Context, p db.AuditEventListParams) ([]db.AuditEventListRow, error) {
	rows, err := s.q.AuditEventList(ctx, p)
	return rows, translate(err)
}

// AuditEventsAfter returns the sealed events after an id that match the
// list filters, oldest first (queries/audit_events.sql says why sealed).
func (s *Store) AuditEventsAfter(ctx context.Context, p db.AuditEventsAfterParams) ([]db.AuditEventsAfterRow, error) {
	rows, err := s.q.AuditEventsAfter(ctx, p)
	return rows, translate(err)
}

// AuditEventCount counts the events matching the list filters.
func (s *Store) AuditEventCount(ctx context.Context, p db.AuditEventCountParams) (int64, error) {
	n, err := s.q.AuditEventCount(ctx, p)
	return n, translate(err)
}

// Verification is the verdict on the whole chain.
type Verification struct {
	OK       bool
	Checked  int64
	Unsealed int64
	BrokenID int64 // 0 when intact
	Reason   string
	// HeadID is the last sealed event (0 when none) and HeadHash its seal:
	// the anchor to record outside the database (see audit.Anchor).
	HeadID   int64
	HeadHash []byte
}

// AuditVerify recomputes the hash chain over every event in id order, in
// pages, and reports the first event where it breaks; with an anchor, also
// when the anchored event's seal is gone or different. The pages are read in
// one snapshot: the sealer running between two pages made sealed events
// follow unsealed ones, which looked like a removed seal.
func (s *Store) AuditVerify(ctx context.Context, anchor *audit.Anchor) (Verification, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return Verification{}, translate(err)
	}
	defer rollback(ctx, tx)
	q := db.New(tx)
	v := audit.NewVerifier(anchor)
	page := cmp.Or(s.verify.page, 5000)
	var after int64
	for first := true; ; first = false {
		if !first && s.verify.betweenPages != nil {
			s.verify.betweenPages()
		}
		rows, err := q.AuditChainPage(ctx, db.AuditChainPageParams{AfterID: after, Lim: page})
		if err != nil {
			return Verification{}, translate(err)
		}
		for _, r := range rows {
			e := db.AuditEvent{ID: r.ID, OccurredAt: r.OccurredAt, ActorID: r.ActorID, ActorName: r.ActorName,
				Action: r.Action, EntityType: r.EntityType, EntityID: r.EntityID, RequestID: r.RequestID, Ip: r.Ip,
				UserAgent: r.UserAgent, Summary: r.Summary, Changes: r.Changes}
			if !v.Add(audit.Sealed{Event: StoredEvent(e), PrevHash: r.PrevHash, Hash: r.Hash}) {
				break
			}
			after = r.ID
		}
		if !v.OK() || int32(len(rows)) < page {
			break
		}
	}
	v.Finish()
	out := Verification{OK: v.OK(), Checked: v.Checked, Unsealed: v.Unsealed, BrokenID: v.BrokenID, Reason: v.Reason,
		HeadID: v.HeadID, HeadHash: v.HeadHash}
	// A deleted event whose seal is left names itself: the chain alone
	// breaks only at the next event, or nowhere when everything after it
	// went too.
	orphans, err := q.AuditSealOrphans(ctx)
	if err != nil {
		return Verification{}, translate(err)
	}
	if orphans.N > 0 && (out.OK || orphans.FirstID < out.BrokenID) {
		out.OK, out.BrokenID = false, orphans.FirstID
		out.Reason = fmt.Sprintf("event %d: sealed but deleted", orphans.FirstID)
	}
	if why, err := auditUnguarded(ctx, q); err != nil {
		return Verification{}, err
	} else if why != "" {
		out.OK = false
		out.Reason = strings.TrimPrefix(out.Reason+"; "+why, "; ")
	}
	return out, nil
}

// auditGuardSource is the md5 of audit_append_only's source as migration
// 00002 wrote it.
const auditGuardSource = "01d82639189fabf594640537f02ee286"

// auditUnguarded says what is off in the audit trail's append-only guards
// (queries/audit_events.sql, AuditGuards), or "" when they are all in
// force. A guard switched off goes unseen by the chain until something is
// changed behind it, and a deletion at the chain's tail only with an anchor.
func auditUnguarded(ctx context.Context, q *db.Queries) (string, error) {
	g, err := q.AuditGuards(ctx)
	if err != nil {
		return "", translate(err)
	}
	var off []string
	if g.InForce != 4 {
		off = append(off, fmt.Sprintf("triggers disabled or changed: %d of 4", 4-g.InForce))
	}
	switch g.FunctionMd5 {
	case auditGuardSource:
	case "":
		off = append(off, "the function the triggers run (audit_append_only) is gone")
	default:
		off = append(off, "the function the triggers run (audit_append_only) was replaced")
	}
	if len(off) == 0 {
		return "", nil
	}
	return "the audit trail is not append-only: " + strings.Join(off, ", and "), nil
}

// verifyPaging lets a test read the chain in small pages and act between
// them (see export_test.go).
type verifyPaging struct {
	page         int32
	betweenPages func()
}
