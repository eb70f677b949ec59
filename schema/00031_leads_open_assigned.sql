-- A seller's open leads, found by index: deactivating a seller with
-- release_leads locks and releases them (queries/leads.sql, LeadsReleaseLock
-- and LeadsRelease), which read all of leads without it (1.65 s each at a
-- million leads, in the deactivation's transaction). Partial, so that it
-- holds only open leads, and a re-scoring, which changes none of its
-- columns, leaves it alone.

-- +goose Up
CREATE INDEX leads_open_assigned_idx ON leads (assigned_to)
    WHERE deleted_at IS NULL AND status IN ('new', 'contacted', 'follow_up');

-- +goose Down
DROP INDEX leads_open_assigned_idx;
