-- Dashboard statistics (server/store/stats.go), over live (not deleted)
-- leads. Each is one query.

-- name: StatsSummary :one
-- Summed from the running totals of lead_counts (schemas 00007, 00026): a
-- few hundred rows per seller, whatever the number of leads. Unscored = no category yet;
-- average_probability means nothing when scored = 0. With @one_seller, only
-- the leads assigned to @assigned_to (null: the unassigned ones).
SELECT coalesce(sum(leads), 0)::bigint AS total,
       coalesce(sum(leads) FILTER (WHERE status = 'new'), 0)::bigint AS status_new,
       coalesce(sum(leads) FILTER (WHERE status = 'contacted'), 0)::bigint AS status_contacted,
       coalesce(sum(leads) FILTER (WHERE status = 'follow_up'), 0)::bigint AS status_follow_up,
       coalesce(sum(leads) FILTER (WHERE status = 'success'), 0)::bigint AS status_success,
       coalesce(sum(leads) FILTER (WHERE status = 'failed'), 0)::bigint AS status_failed,
       coalesce(sum(leads) FILTER (WHERE category = 'hot'), 0)::bigint AS category_hot,
       coalesce(sum(leads) FILTER (WHERE category = 'warm'), 0)::bigint AS category_warm,
       coalesce(sum(leads) FILTER (WHERE category = 'cold'), 0)::bigint AS category_cold,
       coalesce(sum(leads) FILTER (WHERE category IS NULL), 0)::bigint AS category_unscored,
       coalesce(sum(leads) FILTER (WHERE category = 'hot' AND status NOT IN ('success', 'failed')), 0)::bigint AS open_hot,
       coalesce(sum(leads) FILTER (WHERE category = 'warm' AND status NOT IN ('success', 'failed')), 0)::bigint AS open_warm,
       coalesce(sum(leads) FILTER (WHERE category = 'cold' AND status NOT IN ('success', 'failed')), 0)::bigint AS open_cold,
       coalesce(sum(leads) FILTER (WHERE category IS NULL AND status NOT IN ('success', 'failed')), 0)::bigint AS open_unscored,
       coalesce(sum(leads) FILTER (WHERE contacted), 0)::bigint AS contacted,
       coalesce(sum(leads) FILTER (WHERE category IS NOT NULL), 0)::bigint AS scored,
       coalesce(sum(probability_sum) / nullif(sum(leads) FILTER (WHERE category IS NOT NULL), 0), 0)::float8
           AS average_probability
FROM lead_counts
WHERE NOT @one_seller::boolean OR assigned_to IS NOT DISTINCT FROM sqlc.narg(assigned_to)::uuid;

-- name: StatsJobs :many
-- Jobs ranked by hot leads, then by size, then by name, from the running
-- totals; leads without a job are left out. average_probability means
-- nothing when scored = 0.
SELECT job::text AS job,
       sum(leads)::bigint AS total,
       coalesce(sum(leads) FILTER (WHERE category = 'hot'), 0)::bigint AS hot,
       coalesce(sum(leads) FILTER (WHERE category = 'hot' AND status IN ('new', 'contacted', 'follow_up')), 0)::bigint
           AS open_hot,
       coalesce(sum(leads) FILTER (WHERE category = 'warm'), 0)::bigint AS warm,
       coalesce(sum(leads) FILTER (WHERE category = 'cold'), 0)::bigint AS cold,
       coalesce(sum(leads) FILTER (WHERE category IS NOT NULL), 0)::bigint AS scored,
       coalesce(sum(probability_sum) / nullif(sum(leads) FILTER (WHERE category IS NOT NULL), 0), 0)::float8
           AS average_probability
FROM lead_counts
WHERE job IS NOT NULL
GROUP BY job
HAVING sum(leads) > 0
ORDER BY hot DESC, total DESC, job
LIMIT @lim;

-- name: LeadCountsCompact :execrows
-- Folds the deltas into one row per bucket. Deltas committed meanwhile are
-- not in this statement's snapshot and simply stay for the next run.
WITH gone AS (
    DELETE FROM lead_counts
    RETURNING status, category, contacted, job, assigned_to, leads, probability_sum
)
INSERT INTO lead_counts (status, category, contacted, job, assigned_to, by_seller, leads, probability_sum)
SELECT status, category, contacted, job, assigned_to, true, sum(leads), sum(probability_sum)
FROM gone
GROUP BY status, category, contacted, job, assigned_to
HAVING sum(leads) <> 0;

-- name: StatsLeaderboard :many
-- Every active sales user with the leads assigned to them closed from
-- @since until @until (exclusive) (won = success, lost = failed)
-- and the contacts they logged in that window (notes are not contacts), on
-- live leads only, as everywhere in the stats (schema/00022 has the
-- indexes). Ranked by leads won, then contacts, then name.
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
      AND l.closed_at < @until::timestamptz
      AND l.status IN ('success', 'failed') AND l.assigned_to IS NOT NULL
    GROUP BY l.assigned_to
) c ON c.assigned_to = u.id
LEFT JOIN (
    SELECT ac.user_id, count(*) AS contacts
    FROM activities ac
    WHERE ac.occurred_at >= @since::timestamptz AND ac.kind <> 'note' AND ac.user_id IS NOT NULL
      AND ac.occurred_at < @until::timestamptz
      AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.id = ac.lead_id AND l.deleted_at IS NOT NULL)
    GROUP BY ac.user_id
) a ON a.user_id = u.id
WHERE u.role = 'sales' AND u.active
ORDER BY leads_won DESC, contacts_logged DESC, search_fold(u.name), u.id
LIMIT @lim;
