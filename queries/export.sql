-- The CSV export (server/store/export.go). The store streams this query's
-- rows to the client one by one instead of collecting them (see
-- store.streamRows), so an export of any size runs in constant memory from
-- one snapshot. The filters mean what they mean in the list
-- (queries/leads.sql); the sort is a parameter here because the whole result
-- is read anyway.

-- name: LeadExport :many
-- The assignee's name is written for people reading the file.
SELECT sqlc.embed(l), u.name AS assigned_to_name
FROM leads l
LEFT JOIN users u ON u.id = l.assigned_to
WHERE l.deleted_at IS NULL
  AND (sqlc.narg(statuses)::text[] IS NULL OR l.status = ANY(sqlc.narg(statuses)::text[]))
  AND (sqlc.narg(categories)::text[] IS NULL OR l.category = ANY(sqlc.narg(categories)::text[]))
  AND (sqlc.narg(jobs)::text[] IS NULL OR l.job = ANY(sqlc.narg(jobs)::text[]))
  AND (sqlc.narg(min_probability)::float8 IS NULL OR l.probability >= sqlc.narg(min_probability)::float8)
  AND (sqlc.narg(max_probability)::float8 IS NULL OR l.probability <= sqlc.narg(max_probability)::float8)
  AND (sqlc.narg(assigned_to)::uuid IS NULL OR l.assigned_to = sqlc.narg(assigned_to)::uuid)
  AND (NOT @unassigned::boolean OR l.assigned_to IS NULL)
  AND (sqlc.narg(q)::text IS NULL OR l.search_text LIKE search_pattern(sqlc.narg(q)::text))
ORDER BY
    CASE WHEN @sort::text = 'probability_desc' THEN coalesce(l.probability, -1) END DESC,
    CASE WHEN @sort::text = 'probability_asc' THEN coalesce(l.probability, -1) END ASC,
    CASE WHEN @sort::text = 'updated_at_desc' THEN l.updated_at END DESC,
    CASE WHEN @sort::text = 'created_at_desc' THEN l.created_at END DESC,
    CASE WHEN @sort::text = 'name_asc' THEN l.name_key END ASC,
    CASE WHEN @sort::text IN ('probability_asc', 'name_asc') THEN l.id END ASC,
    l.id DESC;
