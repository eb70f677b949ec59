-- name: ModelInsert :one
INSERT INTO models (algorithm, trained_by, options, metrics, thresholds, model)
VALUES (@algorithm, @trained_by, @options, @metrics, @thresholds, @model)
RETURNING version, algorithm, trained_at, trained_by, options, metrics, thresholds, active, activated_at;

-- name: ModelList :many
SELECT version, algorithm, trained_at, trained_by, options, metrics, thresholds, active, activated_at
FROM models
ORDER BY version DESC;

-- name: ModelPage :many
-- A keyset page of the versions, newest first, before a version (the cursor).
SELECT version, algorithm, trained_at, trained_by, options, metrics, thresholds, active, activated_at
FROM models
WHERE sqlc.narg(before)::integer IS NULL OR version < sqlc.narg(before)
ORDER BY version DESC
LIMIT @lim;

-- name: ModelGet :one
SELECT version, algorithm, trained_at, trained_by, options, metrics, thresholds, active, activated_at
FROM models
WHERE version = @version;

-- name: ModelActive :one
SELECT version, algorithm, trained_at, trained_by, options, metrics, thresholds, active, activated_at
FROM models
WHERE active;

-- name: ModelActiveVersion :one
SELECT coalesce((SELECT version FROM models WHERE active), 0)::integer AS version;

-- name: ScoringState :one
-- The active version (0: none) and the thresholds in one round trip. Read on
-- every scoring write, so each instance notices another's activation.
SELECT coalesce((SELECT version FROM models WHERE active), 0)::integer AS version, t.hot, t.warm
FROM scoring_thresholds t
WHERE t.id;

-- name: ModelBody :one
SELECT model FROM models WHERE version = @version;

-- name: ModelActivationLock :exec
-- Serialises activations (and threshold changes) across every instance.
SELECT pg_advisory_xact_lock(hashtextextended('jmk:model-activation', 0));

-- name: ModelDeactivateAll :exec
UPDATE models SET active = false WHERE active;

-- name: ModelActivate :one
UPDATE models SET active = true, activated_at = @activated_at::timestamptz
WHERE version = @version
RETURNING version, algorithm, trained_at, trained_by, options, metrics, thresholds, active, activated_at;

-- name: ThresholdsGet :one
SELECT hot, warm, version, updated_at FROM scoring_thresholds WHERE id;

-- name: ThresholdsUpdate :one
UPDATE scoring_thresholds SET hot = @hot, warm = @warm, version = version + 1, updated_at = now() WHERE id
RETURNING hot, warm, version, updated_at;

-- name: LeadTrainingRows :many
-- Every closed lead, oldest first, so a time split holds out the newest.
SELECT sqlc.embed(leads), (status = 'success')::boolean AS converted
FROM leads
WHERE deleted_at IS NULL AND status IN ('success', 'failed')
ORDER BY created_at, id;

-- name: LeadHeapBlocks :one
-- How many heap pages leads has: the bound of a re-scoring pass.
SELECT (pg_relation_size('leads') / current_setting('block_size')::bigint)::bigint AS blocks;

-- name: LeadScoringPage :many
-- The scoring inputs of the live leads on a range of heap pages, read in
-- their physical order, so that the set-based UPDATE that follows writes
-- the pages in that order too, each once, instead of hopping between them.
-- only_stale limits it to leads not scored by the given model version.
SELECT id, age, job, marital, education, credit_default, housing_loan, personal_loan, contact_channel,
       last_contact_month, last_contact_weekday, last_call_duration_sec, campaign_contacts,
       days_since_previous_contact, previous_contacts, previous_outcome, emp_var_rate, cons_price_idx,
       cons_conf_idx, euribor_3m, nr_employed
FROM leads
WHERE ctid >= @from_page::tid AND ctid < @to_page::tid AND deleted_at IS NULL
  AND (NOT @only_stale::boolean OR model_version IS DISTINCT FROM @version::integer);

-- name: ClockNow :one
-- The time now, not the transaction's start (now()): a bulk change that
-- waited for its locks is stamped with when it took effect.
SELECT clock_timestamp()::timestamptz;

-- name: LeadsLockForRescore :exec
-- Keeps every other writer off leads (readers go on) until the transaction
-- ends, so no lead changes between a whole-table re-score reading its inputs
-- and writing its scores. Self-conflicting, so two holders cannot deadlock
-- upgrading it.
LOCK TABLE leads IN SHARE ROW EXCLUSIVE MODE;

-- name: LeadRankDefer :exec
-- The rest of the transaction leaves lead_rank alone; it must end with
-- LeadRankRebuild.
SELECT set_config('jmk.lead_rank_deferred', 'on', true);

-- name: LeadRankRebuild :exec
SELECT lead_rank_rebuild();

-- name: LeadScoresWorkMem :exec
-- Room for LeadScoresApply's hash of every lead (about 64 MB per million)
-- for the rest of the transaction: a hash join that spills to disk also
-- splits its probe side, and the UPDATE would then pass over the table once
-- per batch instead of writing it once in page order.
SELECT set_config('work_mem', '128MB', true);

-- name: LeadScoresApply :execrows
-- One set-based UPDATE for a whole re-scoring pass.
UPDATE leads l
SET probability = s.probability, category = s.category, model_version = @version::integer,
    scored_at = @scored_at::timestamptz
FROM (SELECT unnest(@ids::uuid[]) AS id, unnest(@probabilities::float8[]) AS probability,
             unnest(@categories::text[]) AS category) AS s
WHERE l.id = s.id;

-- name: LeadScoreSet :one
-- Stamped with the clock, not the transaction's start: a write that waited
-- behind an activation must not date its score before that activation's.
UPDATE leads
SET probability = @probability, category = @category, model_version = @version, scored_at = clock_timestamp()
WHERE id = @id
RETURNING *;

-- name: LeadsRecategorize :execrows
-- Re-derives every scored lead's category from new thresholds.
UPDATE leads
SET category = CASE WHEN probability >= @hot::float8 THEN 'hot'
                    WHEN probability >= @warm::float8 THEN 'warm'
                    ELSE 'cold' END
WHERE probability IS NOT NULL AND deleted_at IS NULL
  AND category IS DISTINCT FROM (CASE WHEN probability >= @hot::float8 THEN 'hot'
                                      WHEN probability >= @warm::float8 THEN 'warm'
                                      ELSE 'cold' END);

-- name: LeadScoringInputs :one
SELECT * FROM leads WHERE id = @id AND deleted_at IS NULL;

-- name: ModelCount :one
SELECT count(*) FROM models;
