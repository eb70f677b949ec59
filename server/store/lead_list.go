package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/leadrules"
)

// LeadFilter selects live leads; zero fields do not filter. Q is matched
// as a case-insensitive substring of name, phone and e-mail (LIKE wildcards
// in it are taken literally).
type LeadFilter struct {
	Statuses       []string
	Categories     []string
	Jobs           []string
	MinProbability *float64
	MaxProbability *float64
	AssignedTo     *uuid.UUID
	Unassigned     bool
	Q              *string
}

// LeadSort is an order of the lead list; every order ends with the id, so
// it is total and a keyset page boundary is exact.
type LeadSort string

// The orders of the lead list.
const (
	SortProbabilityDesc LeadSort = "probability_desc"
	SortProbabilityAsc  LeadSort = "probability_asc"
	SortUpdatedDesc     LeadSort = "updated_at_desc"
	SortCreatedDesc     LeadSort = "created_at_desc"
	SortNameAsc         LeadSort = "name_asc"
)

// LeadKey is a lead's position in a sort order: the keyset a page resumes
// after. Only the field of the order's key is used, with the id.
type LeadKey struct {
	Score float64    `json:"s,omitempty"`
	Time  *time.Time `json:"t,omitempty"`
	Name  string     `json:"n,omitempty"`
	ID    uuid.UUID  `json:"i"`
}

// KeyOf returns l's position in the order.
func (o LeadSort) KeyOf(l db.Lead) LeadKey {
	k := LeadKey{ID: l.ID}
	switch o {
	case SortUpdatedDesc:
		k.Time = &l.UpdatedAt
	case SortCreatedDesc:
		k.Time = &l.CreatedAt
	case SortNameAsc:
		k.Name = l.Name
	default:
		k.Score = -1 // lead_rank's score_key: coalesce(probability, -1)
		if l.Probability != nil {
			k.Score = *l.Probability
		}
	}
	return k
}

// LeadList returns up to limit live leads matching f in order o, starting
// after the key (nil: from the start). Each order is one keyset query served
// by its own index.
func (s *Store) LeadList(ctx context.Context, f LeadFilter, o LeadSort, after *LeadKey, limit int32) ([]db.Lead, error) {
	a := f.args()
	var (
		rows []db.Lead
		err  error
	)
	switch o {
	case SortUpdatedDesc, SortCreatedDesc:
		p := db.LeadListByUpdatedParams{Status: a.Status, Statuses: a.Statuses, Category: a.Category,
			Categories: a.Categories, Job: a.Job, Jobs: a.Jobs, MinProbability: a.MinProbability,
			MaxProbability: a.MaxProbability, AssignedTo: a.AssignedTo, Unassigned: a.Unassigned, Q: a.Q, Lim: limit}
		if after != nil && after.Time != nil {
			p.AfterTime, p.AfterID = after.Time, &after.ID
		}
		if o == SortUpdatedDesc {
			rows, err = s.q.LeadListByUpdated(ctx, p)
		} else {
			rows, err = s.q.LeadListByCreated(ctx, db.LeadListByCreatedParams(p))
		}
	case SortNameAsc:
		p := db.LeadListByNameParams{Status: a.Status, Statuses: a.Statuses, Category: a.Category,
			Categories: a.Categories, Job: a.Job, Jobs: a.Jobs, MinProbability: a.MinProbability,
			MaxProbability: a.MaxProbability, AssignedTo: a.AssignedTo, Unassigned: a.Unassigned, Q: a.Q, Lim: limit}
		if after != nil {
			p.AfterName, p.AfterID = &after.Name, &after.ID
		}
		rows, err = s.q.LeadListByName(ctx, p)
	default:
		p := db.LeadListByScoreDescParams{Status: a.Status, Statuses: a.Statuses, Category: a.Category,
			Categories: a.Categories, Job: a.Job, Jobs: a.Jobs, MinProbability: a.MinProbability,
			MaxProbability: a.MaxProbability, AssignedTo: a.AssignedTo, Unassigned: a.Unassigned, Q: a.Q, Lim: limit}
		if after != nil {
			p.AfterScore, p.AfterID = &after.Score, &after.ID
		}
		if o == SortProbabilityAsc {
			rows, err = s.q.LeadListByScoreAsc(ctx, db.LeadListByScoreAscParams(p))
		} else {
			rows, err = s.q.LeadListByScoreDesc(ctx, p)
		}
	}
	return rows, translate(err)
}

// LeadCount counts the live leads matching f.
func (s *Store) LeadCount(ctx context.Context, f LeadFilter) (int64, error) {
	n, err := s.q.LeadListCount(ctx, f.args())
	return n, translate(err)
}

// args maps the filter onto the queries' parameters: a list of one value
// goes as that value (an equality the planner can walk an index with in
// sort order), and q has LIKE's wildcards escaped.
func (f LeadFilter) args() db.LeadListCountParams {
	a := db.LeadListCountParams{MinProbability: f.MinProbability, MaxProbability: f.MaxProbability,
		AssignedTo: f.AssignedTo, Unassigned: f.Unassigned, Q: leadSearch(f.Q)}
	a.Status, a.Statuses = oneOrMany(f.Statuses)
	a.Category, a.Categories = oneOrMany(f.Categories)
	a.Job, a.Jobs = oneOrMany(f.Jobs)
	return a
}

func oneOrMany(vs []string) (*string, []string) {
	switch len(vs) {
	case 0:
		return nil, nil
	case 1:
		return &vs[0], nil
	}
	return nil, vs
}

// leadSearch is what a lead search looks for (see leadrules.SearchDigits).
// The queries fold it and escape LIKE's wildcards (search_pattern, in
// schema/00020_folded_search_and_order.sql).
func leadSearch(q *string) *string {
	if q == nil {
		return nil
	}
	if d, ok := leadrules.SearchDigits(*q); ok {
		return &d
	}
	return q
}
