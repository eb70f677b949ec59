package handlers

import (
	"context"
	"time"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
)

// GetStatsSummary answers the dashboard's KPIs over live leads, or over
// one seller's.
func (h *Handlers) GetStatsSummary(ctx context.Context, req api.GetStatsSummaryRequestObject) (api.GetStatsSummaryResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	to, unassigned, err := seller(req.Params.AssignedTo, id.UserID)
	if err != nil {
		return nil, err
	}
	s, err := h.st.StatsSummary(ctx, to, unassigned)
	if err != nil {
		return nil, err
	}
	var out api.StatsSummary
	out.Total = s.Total
	out.ByStatus.New, out.ByStatus.Contacted, out.ByStatus.FollowUp = s.StatusNew, s.StatusContacted, s.StatusFollowUp
	out.ByStatus.Success, out.ByStatus.Failed = s.StatusSuccess, s.StatusFailed
	out.ByCategory.Hot, out.ByCategory.Warm, out.ByCategory.Cold = s.CategoryHot, s.CategoryWarm, s.CategoryCold
	out.ByCategory.Unscored = s.CategoryUnscored
	out.OpenByCategory = api.CategoryCounts{Hot: s.OpenHot, Warm: s.OpenWarm, Cold: s.OpenCold, Unscored: s.OpenUnscored}
	out.Contacted, out.NotContacted = s.Contacted, s.Total-s.Contacted
	out.ConversionRate, out.AverageProbability = s.ConversionRate, s.AverageProbability
	return api.GetStatsSummary200JSONResponse(out), nil
}

// GetStatsJobs answers the jobs with the most hot leads.
func (h *Handlers) GetStatsJobs(ctx context.Context, req api.GetStatsJobsRequestObject) (api.GetStatsJobsResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	limit := int32(5)
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	jobs, err := h.st.StatsJobs(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := api.GetStatsJobs200JSONResponse{Items: make([]api.JobStats, len(jobs))}
	for i, j := range jobs {
		out.Items[i] = api.JobStats{Job: api.Job(j.Job), Total: j.Total, Hot: j.Hot, OpenHot: j.OpenHot, Warm: j.Warm, Cold: j.Cold,
			AverageProbability: j.AverageProbability}
	}
	return out, nil
}

// GetStatsLeaderboard answers the sales users ranked by leads won in a
// window of time: from since until until, by default the 30 days before
// until, which by default is the database's now (a contact may be logged a
// few minutes ahead: it counts once its time comes; and closed_at is the
// database's clock, not ours). Both ends are answered, so that a dashboard
// can say which window it shows.
func (h *Handlers) GetStatsLeaderboard(ctx context.Context, req api.GetStatsLeaderboardRequestObject) (api.GetStatsLeaderboardResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	p := req.Params
	var until time.Time
	if p.Until != nil {
		until = ceilMicro(*p.Until)
	} else {
		now, err := h.st.Now(ctx)
		if err != nil {
			return nil, err
		}
		until = apiTime(now)
	}
	// The default, 30 days before an until in year 1, stays in the years
	// the API writes (0001-9999).
	since := until.AddDate(0, 0, -30)
	if first := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC); since.Before(first) {
		since = first
	}
	if p.Since != nil {
		since = ceilMicro(*p.Since)
	}
	// A since ahead of the default end is an empty board, not an error.
	if p.Until != nil && until.Before(since) {
		return nil, apperr.BadRequest("until", "must not be before since")
	}
	limit := int32(10)
	if p.Limit != nil {
		limit = *p.Limit
	}
	rows, err := h.st.StatsLeaderboard(ctx, since, until, limit)
	if err != nil {
		return nil, err
	}
	out := api.GetStatsLeaderboard200JSONResponse{Since: apiTime(since), Until: until, Items: make([]api.LeaderboardEntry, len(rows))}
	for i, r := range rows {
		out.Items[i] = api.LeaderboardEntry{UserId: r.UserID, Name: r.Name, LeadsWon: r.LeadsWon, LeadsLost: r.LeadsLost,
			ContactsLogged: r.ContactsLogged, ConversionRate: r.ConversionRate}
	}
	return out, nil
}
