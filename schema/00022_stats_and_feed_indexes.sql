-- Three reads that slowed with the data (measured on 367k leads, 1.1M
-- contacts and 1.6M audit events):
--
-- The leaderboard scanned every contact ever logged, since
-- activities_user_idx (user_id, occurred_at) cannot serve a window of time,
-- and read every live lead to leave deleted ones out: 0.3 s for 30 days,
-- 0.7 s for a year. Its contacts now come from an index on occurred_at
-- holding what it counts, and its wins from one on closed_at: 15-160 ms.
-- The two indexes they replace served nothing else.
--
-- A sales user's feed counted (count=true) by testing each event against
-- deleted leads one by one (deleted_lead_event): 10-17 s. The count now
-- leaves out the set of deleted leads' events, built from a small index of
-- deleted leads: 0.4 s.
--
-- activities.user_id keeps no index of its own: users are never deleted
-- (only deactivated), so its foreign key never looks activities up.

-- +goose Up
CREATE INDEX activities_contacts_idx ON activities (occurred_at) INCLUDE (user_id, lead_id)
    WHERE kind <> 'note' AND user_id IS NOT NULL;
DROP INDEX activities_user_idx;
CREATE INDEX leads_closed_at_idx ON leads (closed_at) INCLUDE (assigned_to, status)
    WHERE closed_at IS NOT NULL AND deleted_at IS NULL;
DROP INDEX leads_closed_idx;
CREATE INDEX leads_deleted_idx ON leads (id) WHERE deleted_at IS NOT NULL;

-- +goose Down
DROP INDEX leads_deleted_idx;
CREATE INDEX leads_closed_idx ON leads (assigned_to, closed_at) WHERE closed_at IS NOT NULL AND deleted_at IS NULL;
DROP INDEX leads_closed_at_idx;
CREATE INDEX activities_user_idx ON activities (user_id, occurred_at);
DROP INDEX activities_contacts_idx;
