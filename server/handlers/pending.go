package handlers

import (
	"context"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
)

// pending answers 501 for the endpoints of later issues (leads, scoring,
// stats) until they are built; each method moves to its resource file then.
func pending() error { return apperr.New(501, "this endpoint is not implemented yet") }

// ListLeads is not implemented yet.
func (h *Handlers) ListLeads(ctx context.Context, req api.ListLeadsRequestObject) (api.ListLeadsResponseObject, error) {
	return nil, pending()
}

// CreateLead is not implemented yet.
func (h *Handlers) CreateLead(ctx context.Context, req api.CreateLeadRequestObject) (api.CreateLeadResponseObject, error) {
	return nil, pending()
}

// ExportLeads is not implemented yet.
func (h *Handlers) ExportLeads(ctx context.Context, req api.ExportLeadsRequestObject) (api.ExportLeadsResponseObject, error) {
	return nil, pending()
}

// ImportLeads is not implemented yet.
func (h *Handlers) ImportLeads(ctx context.Context, req api.ImportLeadsRequestObject) (api.ImportLeadsResponseObject, error) {
	return nil, pending()
}

// DeleteLead is not implemented yet.
func (h *Handlers) DeleteLead(ctx context.Context, req api.DeleteLeadRequestObject) (api.DeleteLeadResponseObject, error) {
	return nil, pending()
}

// GetLead is not implemented yet.
func (h *Handlers) GetLead(ctx context.Context, req api.GetLeadRequestObject) (api.GetLeadResponseObject, error) {
	return nil, pending()
}

// UpdateLead is not implemented yet.
func (h *Handlers) UpdateLead(ctx context.Context, req api.UpdateLeadRequestObject) (api.UpdateLeadResponseObject, error) {
	return nil, pending()
}

// ListLeadActivities is not implemented yet.
func (h *Handlers) ListLeadActivities(ctx context.Context, req api.ListLeadActivitiesRequestObject) (api.ListLeadActivitiesResponseObject, error) {
	return nil, pending()
}

// CreateLeadActivity is not implemented yet.
func (h *Handlers) CreateLeadActivity(ctx context.Context, req api.CreateLeadActivityRequestObject) (api.CreateLeadActivityResponseObject, error) {
	return nil, pending()
}

// GetStatsJobs is not implemented yet.
func (h *Handlers) GetStatsJobs(ctx context.Context, req api.GetStatsJobsRequestObject) (api.GetStatsJobsResponseObject, error) {
	return nil, pending()
}

// GetStatsLeaderboard is not implemented yet.
func (h *Handlers) GetStatsLeaderboard(ctx context.Context, req api.GetStatsLeaderboardRequestObject) (api.GetStatsLeaderboardResponseObject, error) {
	return nil, pending()
}

// GetStatsSummary is not implemented yet.
func (h *Handlers) GetStatsSummary(ctx context.Context, req api.GetStatsSummaryRequestObject) (api.GetStatsSummaryResponseObject, error) {
	return nil, pending()
}
