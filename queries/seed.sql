-- The demo seed (server/store/seed.go, cmd/jmk/seed.go).

-- name: SeedLock :exec
-- Held by a demo seed from its first check to its end, on a connection of
-- its own: a second seed started meanwhile (two instances started by
-- `go tool task run`) waits, then finds the leads and stops.
SELECT pg_advisory_lock(hashtextextended('jmk:seed', 0));

-- name: SeedLeadsExist :one
-- Whether any lead exists, deleted ones included.
SELECT EXISTS (SELECT 1 FROM leads)::boolean;

-- name: SeedUnfinished :one
-- Whether a demo seed stopped before its last step, the model: its first
-- lead is there, and no model is.
SELECT (NOT EXISTS (SELECT 1 FROM models)
        AND EXISTS (SELECT 1 FROM leads WHERE external_id = @first_external_id::text))::boolean;

-- name: SeedAdmin :one
-- The oldest active admin: the seed's actor.
SELECT * FROM users WHERE role = 'admin' AND active ORDER BY created_at, id LIMIT 1;

-- name: SeedLeadIDs :many
SELECT id, external_id::text AS external_id, name, status, contact_count, last_contacted_at FROM leads
WHERE external_id = ANY(@external_ids::text[]) AND deleted_at IS NULL;

-- name: SeedActivityCopy :copyfrom
INSERT INTO activities (id, lead_id, user_id, kind, outcome, duration_sec, notes, occurred_at)
VALUES (@id, @lead_id, @user_id, @kind, @outcome, @duration_sec, @notes, @occurred_at);

-- name: SeedContactsApply :many
-- What logging the seeded activities (@activity_ids) would have done to
-- their leads: the contact count and last contact move, and a new lead
-- becomes contacted, or follow_up when its last contact's outcome is
-- @follow_up_outcome.
UPDATE leads l
SET contact_count = l.contact_count + a.n,
    last_contacted_at = greatest(l.last_contacted_at, a.last_at),
    status = CASE WHEN l.status <> 'new' THEN l.status
                  WHEN a.last_outcome = @follow_up_outcome::text THEN 'follow_up'
                  ELSE 'contacted' END,
    version = l.version + 1,
    updated_at = now()
FROM (
    SELECT ac.lead_id, count(*) AS n, max(ac.occurred_at) AS last_at,
           (array_agg(ac.outcome ORDER BY ac.occurred_at DESC))[1] AS last_outcome
    FROM activities ac
    WHERE ac.id = ANY(@activity_ids::uuid[]) AND ac.kind <> 'note'
    GROUP BY ac.lead_id
) a
WHERE l.id = a.lead_id
RETURNING l.id, l.status, l.contact_count, l.last_contacted_at;
