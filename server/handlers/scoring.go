package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/leadrules"
	"github.com/jmksales/jmk/server/scoring"
	"github.com/jmksales/jmk/server/store"
)

// factorsEachWay is how many reasons up and how many down a score shows.
const factorsEachWay = 4

// minFactor is the smallest contribution (on the log-odds) shown as a
// reason: about a 5 % change in the odds. Smaller ones ("Married: -0.001")
// would read as reasons to a seller while changing nothing; they go into
// other_contribution.
const minFactor = 0.05

// GetLeadScore explains a lead's score under the active model.
func (h *Handlers) GetLeadScore(ctx context.Context, req api.GetLeadScoreRequestObject) (api.GetLeadScoreResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	in, err := h.st.LeadScore(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	scoredAt := time.Now() // a fallback: with a model active, every lead has been scored
	if in.ScoredAt != nil {
		scoredAt = *in.ScoredAt
	}
	return api.GetLeadScore200JSONResponse(scoreOut(in.Model, &in.Features, scoredAt)), nil
}

// PredictScore scores a what-if set of inputs; nothing is stored.
func (h *Handlers) PredictScore(ctx context.Context, req api.PredictScoreRequestObject) (api.PredictScoreResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	f := inputsFeatures(*req.Body)
	if err := leadrules.CheckPreviousCampaign(f.PreviousOutcome, f.PreviousContacts, f.DaysSincePreviousContact, nil); err != nil {
		return nil, err
	}
	a, err := h.st.ModelActiveScorer(ctx)
	if err != nil {
		return nil, err
	}
	return api.PredictScore200JSONResponse(scoreOut(a, &f, time.Now())), nil
}

// scoreOut explains f with its strongest reasons each way (scoring.Top).
func scoreOut(a store.Active, f *scoring.Features, scoredAt time.Time) api.Score {
	ex := a.Scorer.Explain(f, a.Thresholds)
	kept, other := ex.Top(factorsEachWay, minFactor)
	out := api.Score{
		Probability: ex.Probability, Category: api.Category(ex.Category), ModelVersion: a.Version,
		ScoredAt: apiTime(scoredAt), Logit: ex.Logit, Baseline: ex.Intercept, Factors: make([]api.Factor, 0, len(kept)),
		OtherContribution: other, NotGiven: ex.NotGiven, NotLearnt: ex.NotLearnt,
	}
	for _, fa := range kept {
		out.Factors = append(out.Factors, api.Factor{Feature: fa.Feature, Value: fa.Value,
			Contribution: fa.Contribution, Description: fa.Description})
	}
	return out
}

// inputsFeatures converts the API's scoring inputs.
func inputsFeatures(in api.ScoringInputs) scoring.Features {
	return scoring.Features{
		Age: in.Age, Job: enumIn(in.Job), Marital: enumIn(in.Marital), Education: enumIn(in.Education),
		CreditDefault: enumIn(in.CreditDefault), HousingLoan: enumIn(in.HousingLoan), PersonalLoan: enumIn(in.PersonalLoan),
		ContactChannel: enumIn(in.ContactChannel), LastContactMonth: enumIn(in.LastContactMonth),
		LastContactWeekday: enumIn(in.LastContactWeekday), LastCallDurationSec: in.LastCallDurationSec,
		CampaignContacts: in.CampaignContacts, DaysSincePreviousContact: in.DaysSincePreviousContact,
		PreviousContacts: in.PreviousContacts, PreviousOutcome: enumIn(in.PreviousOutcome), EmpVarRate: in.EmpVarRate,
		ConsPriceIdx: in.ConsPriceIdx, ConsConfIdx: in.ConsConfIdx, Euribor3m: in.Euribor3m, NrEmployed: in.NrEmployed,
	}
}

// GetActiveModel returns the active model; 404 when none is active.
func (h *Handlers) GetActiveModel(ctx context.Context, _ api.GetActiveModelRequestObject) (api.GetActiveModelResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	m, err := h.st.ModelActiveInfo(ctx)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, &apperr.Error{Status: http.StatusNotFound, Err: apperr.ErrNotFound, Detail: store.NoActiveModel}
	}
	if err != nil {
		return nil, err
	}
	out, err := modelOut(m)
	return api.GetActiveModel200JSONResponse(out), err
}

// ListModels lists the model versions, newest first, a page at a time.
func (h *Handlers) ListModels(ctx context.Context, req api.ListModelsRequestObject) (api.ListModelsResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	p := req.Params
	rows, next, err := page(p.Cursor, p.Limit, scope("models"), func(before *int32, lim int32) ([]store.ModelInfo, error) {
		return h.st.ModelPage(ctx, before, lim)
	}, func(m store.ModelInfo) int32 { return m.Version })
	if err != nil {
		return nil, err
	}
	out := api.ModelList{Items: make([]api.Model, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		m, err := modelOut(r)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, m)
	}
	if out.Total, err = total(p.Count, func() (int64, error) { return h.st.ModelCount(ctx) }); err != nil {
		return nil, err
	}
	return api.ListModels200JSONResponse(out), nil
}

// TrainModel trains a new version from every closed lead (admin).
func (h *Handlers) TrainModel(ctx context.Context, req api.TrainModelRequestObject) (api.TrainModelResponseObject, error) {
	id, err := Admin(ctx)
	if err != nil {
		return nil, err
	}
	var body api.TrainRequest // no body: every option's default
	if req.Body != nil {
		body = *req.Body
	}
	if body.Seed != nil && body.Split != nil && *body.Split == api.TrainSplitTime {
		// As jmk model train refuses it: the model would show a seed that did nothing.
		return nil, apperr.Invalid("seed", "is used only with split stratified: leave it out with split time")
	}
	release, err := h.bulk.take()
	if err != nil {
		return nil, err
	}
	defer release()
	m, err := h.st.ModelTrain(ctx, trainOptions(body))
	if err != nil {
		return nil, err
	}
	activate := body.Activate != nil && *body.Activate
	info, err := h.st.ModelSave(ctx, actor(id), m.Model, activate)
	if err != nil {
		return nil, err
	}
	h.tell(h.opts.Trained)
	if activate {
		h.tell(h.opts.Activated)
	}
	out, err := modelOut(info)
	return api.TrainModel201JSONResponse{Body: out, Headers: api.TrainModel201ResponseHeaders{Location: location("scoring/models", info.Version)}}, err
}

// GetModel returns one model version.
func (h *Handlers) GetModel(ctx context.Context, req api.GetModelRequestObject) (api.GetModelResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	m, err := h.st.ModelGet(ctx, req.Version)
	if err != nil {
		return nil, err
	}
	out, err := modelOut(m)
	return api.GetModel200JSONResponse(out), err
}

// trainOptions converts a train request to scoring options (zero = default).
func trainOptions(r api.TrainRequest) scoring.Options {
	var o scoring.Options
	if r.IncludeCallDuration != nil {
		o.IncludeCallDuration = *r.IncludeCallDuration
	}
	if r.HoldoutFraction != nil {
		o.HoldoutFraction = *r.HoldoutFraction
	}
	if r.Split != nil {
		o.Split = string(*r.Split)
	}
	if r.Seed != nil {
		o.Seed = *r.Seed
	}
	return o
}

// ActivateModel activates a version and re-scores every lead (admin).
func (h *Handlers) ActivateModel(ctx context.Context, req api.ActivateModelRequestObject) (api.ActivateModelResponseObject, error) {
	id, err := Admin(ctx)
	if err != nil {
		return nil, err
	}
	release, err := h.bulk.take()
	if err != nil {
		return nil, err
	}
	defer release()
	a, err := h.st.ModelActivate(ctx, actor(id), req.Version)
	if err != nil {
		return nil, err
	}
	if !a.AlreadyActive {
		h.tell(h.opts.Activated)
	}
	out, err := modelOut(a.Model)
	return api.ActivateModel200JSONResponse(out), err
}

func modelOut(m store.ModelInfo) (api.Model, error) {
	out := api.Model{Version: m.Version, Algorithm: m.Algorithm, TrainedAt: m.TrainedAt, TrainedBy: m.TrainedBy,
		Active: m.Active, ActivatedAt: m.ActivatedAt}
	for _, part := range []struct {
		name string
		raw  json.RawMessage
		dst  any
	}{{"options", m.Options, &out.Options}, {"metrics", m.Metrics, &out.Metrics}, {"thresholds", m.Thresholds, &out.Thresholds}} {
		if err := json.Unmarshal(part.raw, part.dst); err != nil {
			return api.Model{}, fmt.Errorf("model %d's stored %s: %w", m.Version, part.name, err)
		}
	}
	if out.Metrics.Cutoffs == nil { // a model stored before cut-offs were measured
		out.Metrics.Cutoffs = []api.CutoffMetric{}
	}
	return out, nil
}

// GetThresholds returns the category cut-offs with their ETag.
func (h *Handlers) GetThresholds(ctx context.Context, _ api.GetThresholdsRequestObject) (api.GetThresholdsResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	th, v, err := h.st.Thresholds(ctx)
	if err != nil {
		return nil, err
	}
	return api.GetThresholds200JSONResponse{Body: api.Thresholds{Hot: th.Hot, Warm: th.Warm},
		Headers: api.GetThresholds200ResponseHeaders{ETag: etag(v)}}, nil
}

// PutThresholds changes the cut-offs and re-categorises every lead (admin).
// If-Match is optional: the body replaces both cut-offs, so a client that
// does not send it still writes a consistent pair.
func (h *Handlers) PutThresholds(ctx context.Context, req api.PutThresholdsRequestObject) (api.PutThresholdsResponseObject, error) {
	id, err := Admin(ctx)
	if err != nil {
		return nil, err
	}
	p, err := optionalIfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	release, err := h.bulk.take()
	if err != nil {
		return nil, err
	}
	defer release()
	th := scoring.Thresholds{Hot: req.Body.Hot, Warm: req.Body.Warm}
	v, err := h.st.ThresholdsUpdate(ctx, actor(id), th, p)
	if err != nil {
		return nil, err
	}
	return api.PutThresholds200JSONResponse{Body: api.Thresholds{Hot: th.Hot, Warm: th.Warm},
		Headers: api.PutThresholds200ResponseHeaders{ETag: etag(v)}}, nil
}
