-- Dashboard statistics (server/store/stats.go), over live (not deleted)
-- leads. Each is one query.

-- name: StatsSummary :one
-- One scan, every figure a FILTER aggregate. Unscored = no category yet;
-- average_probability means nothing when scored = 0.
SELECT count(*) AS total,
       count(*) FILTER (WHERE status = 'new') AS status_new,
       count(*) FILTER (WHERE status = 'contacted') AS status_contacted,
       count(*) FILTER (WHERE status = 'follow_up') AS status_follow_up,
       count(*) FILTER (WHERE status = 'success') AS status_success,
       count(*) FILTER (WHERE status = 'failed') AS status_failed,
       count(*) FILTER (WHERE category = 'hot') AS category_hot,
       count(*) FILTER (WHERE category = 'warm') AS category_warm,
       count(*) FILTER (WHERE category = 'cold') AS category_cold,
       count(*) FILTER (WHERE category IS NULL) AS category_unscored,
       count(*) FILTER (WHERE contact_count > 0) AS contacted,
       count(probability) AS scored,
       coalesce(avg(probability), 0)::float8 AS average_probability
FROM leads
WHERE deleted_at IS NULL;

-- name: StatsJobs :many
-- Jobs ranked by hot leads, then by size, then by name; leads without a job
-- are left out. average_probability means nothing when scored = 0.
SELECT job::text AS job,
       count(*) AS total,
       count(*) FILTER (WHERE category = 'hot') AS hot,
       count(*) FILTER (WHERE category = 'warm') AS warm,
       count(*) FILTER (WHERE category = 'cold') AS cold,
       count(probability) AS scored,
       coalesce(avg(probability), 0)::float8 AS average_probability
FROM leads
WHERE deleted_at IS NULL AND job IS NOT NULL
GROUP BY job
ORDER BY hot DESC, total DESC, job
LIMIT @lim;

-- name: StatsLeaderboard :many
-- Every active sales user with the leads assigned to them closed since
-- @since (won = success, lost = failed) and the contacts they logged since
-- then (notes are not contacts). Ranked by leads won, then contacts, then
-- name.
SELECT u.id AS user_id, u.name,
       coalesce(c.won, 0)::bigint AS leads_won,
       coalesce(c.lost, 0)::bigint AS leads_lost,
       coalesce(a.contacts, 0)::bigint AS contacts_logged
FROM users u
LEFT JOIN (
    SELECT l.assigned_to,
           count(*) FILTER (WHERE l.status = 'success') AS won,
           count(*) FILTER (WHERE l.status = 'failed') AS lost
    FROM leads l
    WHERE l.closed_at >= @since::timestamptz AND l.deleted_at IS NULL
      AND l.status IN ('success', 'failed') AND l.assigned_to IS NOT NULL
    GROUP BY l.assigned_to
) c ON c.assigned_to = u.id
LEFT JOIN (
    SELECT ac.user_id, count(*) AS contacts
    FROM activities ac
    WHERE ac.occurred_at >= @since::timestamptz AND ac.kind <> 'note' AND ac.user_id IS NOT NULL
    GROUP BY ac.user_id
) a ON a.user_id = u.id
WHERE u.role = 'sales' AND u.active
ORDER BY leads_won DESC, contacts_logged DESC, u.name, u.id
LIMIT @lim;
