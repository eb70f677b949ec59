-- The contact log of a lead.

-- name: ActivityInsert :one
INSERT INTO activities (id, lead_id, user_id, kind, outcome, duration_sec, notes, occurred_at)
VALUES (@id, @lead_id, sqlc.narg(user_id), @kind, sqlc.narg(outcome), sqlc.narg(duration_sec),
        sqlc.narg(notes), @occurred_at)
RETURNING *;

-- name: ActivityList :many
-- Newest first; keyset over (occurred_at, id), served by activities_lead_idx.
SELECT * FROM activities
WHERE lead_id = @lead_id
  AND (sqlc.narg(before_at)::timestamptz IS NULL
       OR (occurred_at, id) < (sqlc.narg(before_at)::timestamptz, sqlc.narg(before_id)::uuid))
ORDER BY occurred_at DESC, id DESC
LIMIT @lim;

-- name: ActivityCount :one
SELECT count(*) FROM activities WHERE lead_id = @lead_id;
