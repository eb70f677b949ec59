-- The CSV export (server/store/export.go). The store streams this query's
-- rows to the client one by one instead of collecting them (see
-- store.streamRows), so an export of any size runs in constant memory from
-- one snapshot. The filters mean what they mean in the list
-- (queries/leads.sql); the sort is a parameter here because the whole result
-- is read anyway.

-- name: LeadExport :many
SELECT * FROM leads
WHERE deleted_at IS NULL
  AND (sqlc.narg(statuses)::text[] IS NULL OR status = ANY(sqlc.narg(statuses)::text[]))
  AND (sqlc.narg(categories)::text[] IS NULL OR category = ANY(sqlc.narg(categories)::text[]))
  AND (sqlc.narg(jobs)::text[] IS NULL OR job = ANY(sqlc.narg(jobs)::text[]))
  AND (sqlc.narg(min_probability)::float8 IS NULL OR probability >= sqlc.narg(min_probability)::float8)
  AND (sqlc.narg(max_probability)::float8 IS NULL OR probability <= sqlc.narg(max_probability)::float8)
  AND (sqlc.narg(assigned_to)::uuid IS NULL OR assigned_to = sqlc.narg(assigned_to)::uuid)
  AND (NOT @unassigned::boolean OR assigned_to IS NULL)
  AND (sqlc.narg(q)::text IS NULL OR search_text LIKE search_pattern(sqlc.narg(q)::text))
ORDER BY
    CASE WHEN @sort::text = 'probability_desc' THEN coalesce(probability, -1) END DESC,
    CASE WHEN @sort::text = 'probability_asc' THEN coalesce(probability, -1) END ASC,
    CASE WHEN @sort::text = 'updated_at_desc' THEN updated_at END DESC,
    CASE WHEN @sort::text = 'created_at_desc' THEN created_at END DESC,
    CASE WHEN @sort::text = 'name_asc' THEN name_key END ASC,
    CASE WHEN @sort::text IN ('probability_asc', 'name_asc') THEN id END ASC,
    id DESC;
