package handlers

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
)

// ListAuditEvents lists the trail newest first, or with after_id the
// sealed events after an id oldest first; sales see the team feed (lead,
// activity and import events) only.
func (h *Handlers) ListAuditEvents(ctx context.Context, req api.ListAuditEventsRequestObject) (api.ListAuditEventsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	since, until := ceilMicroPtr(p.Since), ceilMicroPtr(p.Until)
	if since != nil && until != nil && until.Before(*since) {
		return nil, apperr.BadRequest("until", "must not be before since")
	}
	f := db.AuditEventListParams{
		ActorID: p.ActorId, Action: enumIn(p.Action), EntityType: enumIn(p.EntityType), Since: since, Until: until,
		SalesOnly: !id.IsAdmin(),
	}
	if p.EntityId != nil {
		// Ids are stored in uuid's canonical form; a model's is its version.
		s := *p.EntityId
		if u, err := uuid.Parse(s); err == nil {
			s = u.String()
		}
		f.EntityID = &s
	}
	var (
		rows []db.AuditEventListRow
		next *string
	)
	if p.AfterId != nil {
		rows, err = h.auditAfter(ctx, f, *p.AfterId, p)
	} else {
		rows, next, err = page(p.Cursor, p.Limit, scope("audit", f), func(before *int64, lim int32) ([]db.AuditEventListRow, error) {
			q := f
			q.BeforeID, q.Lim = before, lim
			return h.st.AuditEventList(ctx, q)
		}, func(r db.AuditEventListRow) int64 { return r.ID })
	}
	if err != nil {
		return nil, err
	}
	out := api.AuditEventList{Items: make([]api.AuditEvent, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		ev, err := auditOut(r)
		if err != nil {
			return nil, err
		}
		if !id.IsAdmin() && (r.ActorID == nil || *r.ActorID != id.UserID) {
			// Where a colleague works from, and on what, is for admins.
			ev.Ip, ev.UserAgent = nil, nil
		}
		out.Items = append(out.Items, ev)
	}
	out.Total, err = total(p.Count, func() (int64, error) {
		return h.st.AuditEventCount(ctx, db.AuditEventCountParams{ActorID: f.ActorID, Action: f.Action,
			EntityType: f.EntityType, EntityID: f.EntityID, Since: f.Since, Until: f.Until, SalesOnly: f.SalesOnly})
	})
	if err != nil {
		return nil, err
	}
	return api.ListAuditEvents200JSONResponse(out), nil
}

// auditAfter reads the sealed events after an id, oldest first: a page
// that a reader following the trail continues with the last id it read,
// rather than with a cursor.
func (h *Handlers) auditAfter(ctx context.Context, f db.AuditEventListParams, after int64, p api.ListAuditEventsParams) ([]db.AuditEventListRow, error) {
	switch {
	case p.Cursor != nil:
		return nil, apperr.BadRequest("cursor", "is not taken with after_id: pass the last item's id as after_id")
	case p.Count != nil && *p.Count:
		return nil, apperr.BadRequest("count", "is not taken with after_id")
	}
	rows, err := h.st.AuditEventsAfter(ctx, db.AuditEventsAfterParams{ActorID: f.ActorID, Action: f.Action,
		EntityType: f.EntityType, EntityID: f.EntityID, Since: f.Since, Until: f.Until, SalesOnly: f.SalesOnly,
		AfterID: after, Lim: pageLimit(p.Limit)})
	out := make([]db.AuditEventListRow, len(rows))
	for i, r := range rows {
		out[i] = db.AuditEventListRow(r)
	}
	return out, err
}

func auditOut(r db.AuditEventListRow) (api.AuditEvent, error) {
	changes := map[string]api.FieldChange{}
	if err := json.Unmarshal(r.Changes, &changes); err != nil {
		return api.AuditEvent{}, fmt.Errorf("audit event %d's changes: %w", r.ID, err)
	}
	return api.AuditEvent{
		Id: r.ID, OccurredAt: r.OccurredAt, Actor: api.AuditActor{Id: r.ActorID, Name: r.ActorName},
		Action: api.AuditAction(r.Action), EntityType: api.AuditEntityType(r.EntityType), EntityId: r.EntityID, RequestId: r.RequestID, Ip: r.Ip,
		UserAgent: r.UserAgent, Summary: r.Summary, Changes: changes, Sealed: r.Sealed,
	}, nil
}

// VerifyAuditChain checks the hash chain (admin), against an anchor when
// one is given.
func (h *Handlers) VerifyAuditChain(ctx context.Context, req api.VerifyAuditChainRequestObject) (api.VerifyAuditChainResponseObject, error) {
	if _, err := Admin(ctx); err != nil {
		return nil, err
	}
	anchor, err := auditAnchor(req.Params.AnchorId, req.Params.AnchorHash)
	if err != nil {
		return nil, err
	}
	v, err := h.st.AuditVerify(ctx, anchor)
	if err != nil {
		return nil, err
	}
	out := api.AuditVerification{Ok: v.OK, Checked: v.Checked, Unsealed: v.Unsealed}
	if !v.OK {
		out.Reason = &v.Reason
		if v.BrokenID != 0 { // none when only the append-only guards are off
			out.FirstBrokenId = &v.BrokenID
		}
	}
	// A broken chain has no head worth keeping: a monitor that stored it
	// would take a rewritten chain for the real one from then on.
	if v.OK && v.HeadID != 0 {
		hash := hex.EncodeToString(v.HeadHash)
		out.HeadId, out.HeadHash = &v.HeadID, &hash
	}
	return api.VerifyAuditChain200JSONResponse(out), nil
}

// auditAnchor pairs the anchor's two parameters; the spec checks each.
func auditAnchor(id *int64, hash *string) (*audit.Anchor, error) {
	switch {
	case id == nil && hash == nil:
		return nil, nil
	case id == nil:
		return nil, apperr.BadRequest("anchor_id", "is needed with anchor_hash")
	case hash == nil:
		return nil, apperr.BadRequest("anchor_hash", "is needed with anchor_id")
	}
	a, err := audit.NewAnchor(*id, *hash)
	if err != nil {
		return nil, apperr.BadRequest("anchor_hash", "must be 64 hexadecimal digits")
	}
	return a, nil
}
