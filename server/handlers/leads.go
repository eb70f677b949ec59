package handlers

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/leadrules"
	"github.com/jmksales/jmk/server/store"
)

// leadSort is the order a list or export asked for, probability_desc when
// none.
func leadSort(s *api.LeadSortParam) store.LeadSort {
	if s == nil {
		return store.SortProbabilityDesc
	}
	return store.LeadSort(*s)
}

// ListLeads lists live leads with the filters, sort and keyset paging of
// the spec; every role sees every lead (the team dashboard).
func (h *Handlers) ListLeads(ctx context.Context, req api.ListLeadsRequestObject) (api.ListLeadsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f, err := leadFilter(id.UserID, p.Status, p.Category, p.Job, p.MinProbability, p.MaxProbability, p.AssignedTo, p.Q)
	if err != nil {
		return nil, err
	}
	o := leadSort(p.Sort)
	rows, next, err := page(p.Cursor, p.Limit, leadScope(f, o), func(after *store.LeadKey, lim int32) ([]db.Lead, error) {
		return h.st.LeadList(ctx, f, o, after, lim)
	}, o.KeyOf)
	if err != nil {
		return nil, err
	}
	out := api.LeadList{Items: make([]api.Lead, 0, len(rows)), NextCursor: next}
	for _, l := range rows {
		out.Items = append(out.Items, leadOut(l))
	}
	if out.Total, err = total(p.Count, func() (int64, error) { return h.st.LeadCount(ctx, f) }); err != nil {
		return nil, err
	}
	return leadListJSON(out), nil // encoded with go-json: see leads_json.go
}

// leadFilter maps the list's (and the export's) query parameters onto a
// store filter; me resolves assigned_to=me.
func leadFilter(me uuid.UUID, status *api.StatusFilter, category *api.CategoryFilter, job *api.JobFilter,
	minP, maxP *float64, assignedTo *string, q *string) (store.LeadFilter, error) {
	f := store.LeadFilter{MinProbability: minP, MaxProbability: maxP}
	if status != nil {
		f.Statuses = enumStrings(*status)
	}
	if category != nil {
		f.Categories = enumStrings(*category)
	}
	if job != nil {
		f.Jobs = enumStrings(*job)
	}
	if minP != nil && maxP != nil && *minP > *maxP {
		e := apperr.BadRequest("min_probability", "must not be above max_probability")
		e.Fields = append(e.Fields, apperr.FieldError{Field: "max_probability", Message: "must not be below min_probability"})
		return f, e
	}
	var err error
	if f.AssignedTo, f.Unassigned, err = seller(assignedTo, me); err != nil {
		return f, err
	}
	if q != nil {
		s, problem := leadrules.SearchQuery(*q)
		if problem != "" {
			return f, apperr.BadRequest("q", problem)
		}
		f.Q = &s
	}
	return f, nil
}

// seller resolves an assigned_to query parameter: a user's id (me for
// "me"), or unassigned for "none"; neither when it is absent.
func seller(assignedTo *string, me uuid.UUID) (id *uuid.UUID, unassigned bool, err error) {
	if assignedTo == nil {
		return nil, false, nil
	}
	switch *assignedTo {
	case "me":
		return &me, false, nil
	case "none":
		return nil, true, nil
	}
	u, err := uuid.Parse(*assignedTo)
	if err != nil {
		return nil, false, apperr.BadRequest("assigned_to", "must be a user id (a UUID), me or none") // as the validator says
	}
	return &u, false, nil
}

// leadScope binds a cursor to the filter and order it was issued for.
func leadScope(f store.LeadFilter, o store.LeadSort) string {
	b, _ := json.Marshal(f) // values, not pointers: stable across requests
	if o == store.SortNameAsc {
		return scope("leads", string(o), string(b), nameOrder)
	}
	return scope("leads", string(o), string(b))
}

// enumStrings turns a repeatable filter into a set: sorted, without
// repeats, so that status=new&status=success and status=success&status=new
// are one filter, and one's cursor serves the other.
func enumStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CreateLead creates a lead: a sales user's is assigned to them unless
// assigned_to says otherwise (null: unassigned; another user: 403), an
// admin's is unassigned unless set. It is scored before it is returned.
func (h *Handlers) CreateLead(ctx context.Context, req api.CreateLeadRequestObject) (api.CreateLeadResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p := leadInsert(*req.Body)
	if p.Name == "" {
		return nil, apperr.BadRequest("name", "must not be blank")
	}
	if err := checkPhone(p.Phone); err != nil {
		return nil, err
	}
	if err := leadrules.CheckPreviousCampaign(p.PreviousOutcome, p.PreviousContacts, p.DaysSincePreviousContact, nil); err != nil {
		return nil, err
	}
	a, err := assignment(req.Body.AssignedTo, id.UserID)
	if err != nil {
		return nil, err
	}
	if err := leadrules.CheckCreate(who(id), a, p.ExternalID != nil); err != nil {
		return nil, err
	}
	switch {
	case a.Set:
		p.AssignedTo = a.To
	case !id.IsAdmin():
		p.AssignedTo = &id.UserID
	}
	l, err := h.st.LeadCreate(ctx, actor(id), p)
	if err != nil {
		return nil, err
	}
	return api.CreateLead201JSONResponse{Body: leadOut(l), Headers: api.CreateLead201ResponseHeaders{ETag: etag(l.Version),
		Location: location("leads", l.ID)}}, nil
}

// GetLead returns one live lead with its ETag.
func (h *Handlers) GetLead(ctx context.Context, req api.GetLeadRequestObject) (api.GetLeadResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	l, err := h.st.LeadGet(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetLead200JSONResponse{Body: leadOut(l), Headers: api.GetLead200ResponseHeaders{ETag: etag(l.Version)}}, nil
}

// UpdateLead applies a merge patch under If-Match, following the workflow
// and ownership rules of package leadrules.
func (h *Handlers) UpdateLead(ctx context.Context, req api.UpdateLeadRequestObject) (api.UpdateLeadResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	cond, err := ifMatch(string(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	c, err := leadChange(*req.Body, id.UserID)
	if err != nil {
		return nil, err
	}
	l, err := h.st.LeadUpdate(ctx, actor(id), who(id), req.Id, cond, c)
	if err != nil {
		return nil, err
	}
	return api.UpdateLead200JSONResponse{Body: leadOut(l), Headers: api.UpdateLead200ResponseHeaders{ETag: etag(l.Version)}}, nil
}

// DeleteLead soft-deletes a lead (admin).
func (h *Handlers) DeleteLead(ctx context.Context, req api.DeleteLeadRequestObject) (api.DeleteLeadResponseObject, error) {
	id, err := Admin(ctx)
	if err != nil {
		return nil, err
	}
	cond, err := optionalIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := h.st.LeadDelete(ctx, actor(id), req.Id, cond); err != nil {
		return nil, err
	}
	return api.DeleteLead204Response{}, nil
}

// who is the caller as the lead rules see them.
func who(id auth.Identity) leadrules.Caller {
	return leadrules.Caller{UserID: id.UserID, Admin: id.IsAdmin()}
}
