package handlers

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
)

// maxClockSkew is how far in the future an activity's occurred_at may lie,
// to forgive clients whose clocks run a little fast.
const maxClockSkew = 5 * time.Minute

// earliestActivity is the earliest occurred_at accepted: a contact logged
// before it is a mistyped year (0026 for 2026), which would otherwise become
// the lead's last_contacted_at and count in any leaderboard window.
var earliestActivity = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

type activityKey struct {
	At time.Time `json:"t"`
	ID uuid.UUID `json:"i"`
}

// ListLeadActivities lists a live lead's contact log, newest first.
func (h *Handlers) ListLeadActivities(ctx context.Context, req api.ListLeadActivitiesRequestObject) (api.ListLeadActivitiesResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	p := req.Params
	rows, next, err := page(p.Cursor, p.Limit, scope("activities", req.Id.String()), func(before *activityKey, lim int32) ([]db.Activity, error) {
		if before == nil {
			return h.st.ActivityList(ctx, req.Id, nil, nil, lim)
		}
		return h.st.ActivityList(ctx, req.Id, &before.At, &before.ID, lim)
	}, func(a db.Activity) activityKey { return activityKey{At: a.OccurredAt, ID: a.ID} })
	if err != nil {
		return nil, err
	}
	out := api.ActivityList{Items: make([]api.Activity, 0, len(rows)), NextCursor: next}
	for _, a := range rows {
		out.Items = append(out.Items, activityOut(a))
	}
	if out.Total, err = total(p.Count, func() (int64, error) { return h.st.ActivityCount(ctx, req.Id) }); err != nil {
		return nil, err
	}
	return api.ListLeadActivities200JSONResponse(out), nil
}

// CreateLeadActivity logs an activity on a lead the caller may change (see
// store.ActivityCreate for the side effects on the lead).
func (h *Handlers) CreateLeadActivity(ctx context.Context, req api.CreateLeadActivityRequestObject) (api.CreateLeadActivityResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	now := time.Now()
	at := now
	if b.OccurredAt != nil {
		switch {
		case b.OccurredAt.After(now.Add(maxClockSkew)):
			return nil, apperr.Invalid("occurred_at", "must not be more than 5 minutes ahead of the server's clock")
		case b.OccurredAt.Before(earliestActivity):
			return nil, apperr.Invalid("occurred_at", "must not be before 2000-01-01T00:00:00Z (check the year)")
		}
		at = *b.OccurredAt
	}
	a, lead, err := h.st.ActivityCreate(ctx, actor(id), who(id), db.ActivityInsertParams{
		LeadID: req.Id, Kind: string(b.Kind), Outcome: trimmed(b.Outcome), DurationSec: b.DurationSec,
		Notes: notes(b.Notes), OccurredAt: at, // stored as a lead's notes are
	})
	if err != nil {
		return nil, err
	}
	return api.CreateLeadActivity201JSONResponse(activityLoggedOut(a, lead)), nil
}
