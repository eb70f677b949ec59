package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
)

// StatsSummary is the dashboard's KPIs over live leads. The pointers are nil
// when there is nothing to compute them from.
type StatsSummary struct {
	db.StatsSummaryRow
	// ConversionRate is success / (success + failed).
	ConversionRate *float64
	// AverageProbability is over scored leads.
	AverageProbability *float64
}

// StatsSummary sums the running totals of the live leads: every lead's,
// or those assigned to assignedTo, or the unassigned ones.
func (s *Store) StatsSummary(ctx context.Context, assignedTo *uuid.UUID, unassigned bool) (StatsSummary, error) {
	r, err := s.q.StatsSummary(ctx, db.StatsSummaryParams{OneSeller: assignedTo != nil || unassigned, AssignedTo: assignedTo})
	if err != nil {
		return StatsSummary{}, translate(err)
	}
	out := StatsSummary{StatsSummaryRow: r, ConversionRate: ratio(r.StatusSuccess, r.StatusSuccess+r.StatusFailed)}
	if r.Scored > 0 {
		out.AverageProbability = &r.AverageProbability
	}
	return out, nil
}

// JobStats is one job's leads by category.
type JobStats struct {
	db.StatsJobsRow
	// AverageProbability is over the job's scored leads; nil when none is.
	AverageProbability *float64
}

// StatsJobs returns up to limit jobs ranked by hot leads, then by lead
// count, then by name.
func (s *Store) StatsJobs(ctx context.Context, limit int32) ([]JobStats, error) {
	rows, err := s.q.StatsJobs(ctx, limit)
	if err != nil {
		return nil, translate(err)
	}
	out := make([]JobStats, len(rows))
	for i, r := range rows {
		out[i] = JobStats{StatsJobsRow: r}
		if r.Scored > 0 {
			out[i].AverageProbability = &rows[i].AverageProbability
		}
	}
	return out, nil
}

// LeaderboardEntry is one sales user's results since a moment.
type LeaderboardEntry struct {
	db.StatsLeaderboardRow
	// ConversionRate is won / (won + lost); nil when nothing was closed.
	ConversionRate *float64
}

// StatsLeaderboard ranks up to limit active sales users by the leads
// assigned to them that were won from since until until (exclusive), then
// by contacts logged in that window.
func (s *Store) StatsLeaderboard(ctx context.Context, since, until time.Time, limit int32) ([]LeaderboardEntry, error) {
	rows, err := s.q.StatsLeaderboard(ctx, db.StatsLeaderboardParams{Since: since, Until: until, Lim: limit})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]LeaderboardEntry, len(rows))
	for i, r := range rows {
		out[i] = LeaderboardEntry{StatsLeaderboardRow: r, ConversionRate: ratio(r.LeadsWon, r.LeadsWon+r.LeadsLost)}
	}
	return out, nil
}

// ratio is n/d, or nil when d is zero.
func ratio(n, d int64) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

// Now reads the database's clock, which stamps closed_at and the audit
// trail: a window that ends now ends by it, not by this instance's.
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	t, err := s.q.ClockNow(ctx)
	return t, translate(err)
}
