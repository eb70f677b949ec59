-- Leads. Every read excludes soft-deleted leads (deleted_at IS NULL), which
-- also lets the planner use the partial indexes of schema/00003_leads.sql.

-- name: LeadInsert :one
INSERT INTO leads (
    id, external_id, name, phone, email, notes, assigned_to,
    age, job, marital, education, credit_default, housing_loan, personal_loan, contact_channel,
    last_contact_month, last_contact_weekday, last_call_duration_sec, campaign_contacts,
    days_since_previous_contact, previous_contacts, previous_outcome, emp_var_rate, cons_price_idx,
    cons_conf_idx, euribor_3m, nr_employed
) VALUES (
    @id, sqlc.narg(external_id), @name, sqlc.narg(phone), sqlc.narg(email), sqlc.narg(notes), sqlc.narg(assigned_to),
    sqlc.narg(age), sqlc.narg(job), sqlc.narg(marital), sqlc.narg(education), sqlc.narg(credit_default),
    sqlc.narg(housing_loan), sqlc.narg(personal_loan), sqlc.narg(contact_channel),
    sqlc.narg(last_contact_month), sqlc.narg(last_contact_weekday), sqlc.narg(last_call_duration_sec),
    sqlc.narg(campaign_contacts), sqlc.narg(days_since_previous_contact), sqlc.narg(previous_contacts),
    sqlc.narg(previous_outcome), sqlc.narg(emp_var_rate), sqlc.narg(cons_price_idx),
    sqlc.narg(cons_conf_idx), sqlc.narg(euribor_3m), sqlc.narg(nr_employed)
)
RETURNING *;

-- name: LeadExternalIDLock :exec
-- A create with an external_id holds an import's upsert off until it has
-- committed (see ImportWriteLock); creates do not wait for one another.
SELECT pg_advisory_xact_lock_shared(hashtextextended('jmk:import-write', 0));

-- name: LeadGet :one
SELECT * FROM leads WHERE id = @id AND deleted_at IS NULL;

-- name: LeadsWriteIntent :exec
-- The table lock an UPDATE of leads takes, taken before LeadGetForUpdate's
-- row lock. A whole-table re-score locks leads in SHARE ROW EXCLUSIVE mode:
-- with this first, it waits for the editor or the editor waits for it, and
-- never both (the editor holding a row the re-score must write while
-- waiting for the table lock the re-score holds).
LOCK TABLE leads IN ROW EXCLUSIVE MODE;

-- name: LeadGetForUpdate :one
-- Locks the live lead until the transaction ends: concurrent editors queue
-- here and then see the winner's version.
SELECT * FROM leads WHERE id = @id AND deleted_at IS NULL FOR UPDATE;

-- name: LeadUpdate :one
-- Writes every editable field; the caller has merged the patch into the row
-- it read under FOR UPDATE. The version check is a second guard. closed_at
-- follows the status: set when it becomes success or failed, cleared on
-- reopening.
UPDATE leads
SET name = @name, phone = sqlc.narg(phone), email = sqlc.narg(email), notes = sqlc.narg(notes),
    status = @status, assigned_to = sqlc.narg(assigned_to),
    closed_at = CASE WHEN @status IN ('success', 'failed') THEN coalesce(closed_at, now()) END,
    age = sqlc.narg(age), job = sqlc.narg(job), marital = sqlc.narg(marital), education = sqlc.narg(education),
    credit_default = sqlc.narg(credit_default), housing_loan = sqlc.narg(housing_loan),
    personal_loan = sqlc.narg(personal_loan), contact_channel = sqlc.narg(contact_channel),
    last_contact_month = sqlc.narg(last_contact_month), last_contact_weekday = sqlc.narg(last_contact_weekday),
    last_call_duration_sec = sqlc.narg(last_call_duration_sec), campaign_contacts = sqlc.narg(campaign_contacts),
    days_since_previous_contact = sqlc.narg(days_since_previous_contact),
    previous_contacts = sqlc.narg(previous_contacts), previous_outcome = sqlc.narg(previous_outcome),
    emp_var_rate = sqlc.narg(emp_var_rate), cons_price_idx = sqlc.narg(cons_price_idx),
    cons_conf_idx = sqlc.narg(cons_conf_idx), euribor_3m = sqlc.narg(euribor_3m),
    nr_employed = sqlc.narg(nr_employed),
    version = version + 1, updated_at = now()
WHERE id = @id AND version = @version AND deleted_at IS NULL
RETURNING *;

-- name: LeadRecordContact :one
-- A contact was logged: last_contacted_at only moves forward, the count
-- grows, and the status is the one the caller worked out (new -> contacted),
-- with a new version only when it changed.
UPDATE leads
SET last_contacted_at = greatest(last_contacted_at, @occurred_at::timestamptz),
    contact_count = contact_count + 1,
    status = @status,
    version = version + CASE WHEN status = @status THEN 0 ELSE 1 END,
    updated_at = now()
WHERE id = @id AND deleted_at IS NULL
RETURNING *;

-- name: LeadSoftDelete :one
UPDATE leads SET deleted_at = now(), updated_at = now(), version = version + 1
WHERE id = @id AND deleted_at IS NULL
RETURNING *;

-- The list: one query per sort order (an ORDER BY cannot be a parameter),
-- each a keyset page over (sort key, id) with the same optional filters. The
-- pool plans every execution with its actual values (plan_cache_mode =
-- force_custom_plan), so "$1 IS NULL OR ..." folds away and each filter can
-- use its index. A filter on one status, category or job comes as the single
-- value (status, category, job) rather than an array: an equality lets the
-- planner walk the (column, sort key) index in order, "= ANY" does not.
-- The probability orders walk lead_rank (schema/00009_lead_rank.sql), which
-- holds each live lead's sort key with the columns filtered on, and fetch
-- the page's leads by primary key. Its score_key is coalesce(probability,
-- -1): probability filters go through it so they can use the score indexes;
-- max_probability excludes unscored leads (score_key = -1) explicitly, and
-- so does a category list (only scored leads have a category), which lets
-- probability_asc skip the unscored in its index. The other orders read
-- leads alone, where a null probability fails every probability filter.
-- A search (q) in probability order is tested on lead_rank's copy of
-- search_text (00016), so candidates that do not match are never fetched
-- from leads; the same test on leads.search_text adds nothing to the result
-- but lets the planner find a rare term through the trigram index instead.
-- The first test is ~~#, LIKE without a selectivity estimate of its own,
-- so that the planner does not count the search twice (00016).

-- name: LeadListByScoreDesc :many
SELECT l.* FROM lead_rank r JOIN leads l ON l.id = r.lead_id
WHERE l.deleted_at IS NULL
  AND (sqlc.narg(status)::text IS NULL OR r.status = sqlc.narg(status)::text)
  AND (sqlc.narg(statuses)::text[] IS NULL OR r.status = ANY(sqlc.narg(statuses)::text[]))
  AND (sqlc.narg(category)::text IS NULL OR r.category = sqlc.narg(category)::text)
  AND (sqlc.narg(categories)::text[] IS NULL OR (r.category = ANY(sqlc.narg(categories)::text[]) AND r.score_key >= 0))
  AND (sqlc.narg(job)::text IS NULL OR r.job = sqlc.narg(job)::text)
  AND (sqlc.narg(jobs)::text[] IS NULL OR r.job = ANY(sqlc.narg(jobs)::text[]))
  AND (sqlc.narg(min_probability)::float8 IS NULL OR r.score_key >= sqlc.narg(min_probability)::float8)
  AND (sqlc.narg(max_probability)::float8 IS NULL OR (r.score_key >= 0 AND r.score_key <= sqlc.narg(max_probability)::float8))
  AND (sqlc.narg(assigned_to)::uuid IS NULL OR r.assigned_to = sqlc.narg(assigned_to)::uuid)
  AND (NOT @unassigned::boolean OR r.assigned_to IS NULL)
  AND (sqlc.narg(q)::text IS NULL
       OR (r.search_text ~~# search_pattern(sqlc.narg(q)::text)
           AND l.search_text LIKE search_pattern(sqlc.narg(q)::text)))
  AND (sqlc.narg(after_score)::float8 IS NULL
       OR (r.score_key, r.lead_id) < (sqlc.narg(after_score)::float8, sqlc.narg(after_id)::uuid))
ORDER BY r.score_key DESC, r.lead_id DESC
LIMIT @lim;

-- name: LeadListByScoreAsc :many
SELECT l.* FROM lead_rank r JOIN leads l ON l.id = r.lead_id
WHERE l.deleted_at IS NULL
  AND (sqlc.narg(status)::text IS NULL OR r.status = sqlc.narg(status)::text)
  AND (sqlc.narg(statuses)::text[] IS NULL OR r.status = ANY(sqlc.narg(statuses)::text[]))
  AND (sqlc.narg(category)::text IS NULL OR r.category = sqlc.narg(category)::text)
  AND (sqlc.narg(categories)::text[] IS NULL OR (r.category = ANY(sqlc.narg(categories)::text[]) AND r.score_key >= 0))
  AND (sqlc.narg(job)::text IS NULL OR r.job = sqlc.narg(job)::text)
  AND (sqlc.narg(jobs)::text[] IS NULL OR r.job = ANY(sqlc.narg(jobs)::text[]))
  AND (sqlc.narg(min_probability)::float8 IS NULL OR r.score_key >= sqlc.narg(min_probability)::float8)
  AND (sqlc.narg(max_probability)::float8 IS NULL OR (r.score_key >= 0 AND r.score_key <= sqlc.narg(max_probability)::float8))
  AND (sqlc.narg(assigned_to)::uuid IS NULL OR r.assigned_to = sqlc.narg(assigned_to)::uuid)
  AND (NOT @unassigned::boolean OR r.assigned_to IS NULL)
  AND (sqlc.narg(q)::text IS NULL
       OR (r.search_text ~~# search_pattern(sqlc.narg(q)::text)
           AND l.search_text LIKE search_pattern(sqlc.narg(q)::text)))
  AND (sqlc.narg(after_score)::float8 IS NULL
       OR (r.score_key, r.lead_id) > (sqlc.narg(after_score)::float8, sqlc.narg(after_id)::uuid))
ORDER BY r.score_key ASC, r.lead_id ASC
LIMIT @lim;

-- name: LeadListByUpdated :many
SELECT * FROM leads
WHERE deleted_at IS NULL
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(statuses)::text[] IS NULL OR status = ANY(sqlc.narg(statuses)::text[]))
  AND (sqlc.narg(category)::text IS NULL OR category = sqlc.narg(category)::text)
  AND (sqlc.narg(categories)::text[] IS NULL OR (category = ANY(sqlc.narg(categories)::text[]) AND probability IS NOT NULL))
  AND (sqlc.narg(job)::text IS NULL OR job = sqlc.narg(job)::text)
  AND (sqlc.narg(jobs)::text[] IS NULL OR job = ANY(sqlc.narg(jobs)::text[]))
  AND (sqlc.narg(min_probability)::float8 IS NULL OR probability >= sqlc.narg(min_probability)::float8)
  AND (sqlc.narg(max_probability)::float8 IS NULL OR (probability <= sqlc.narg(max_probability)::float8))
  AND (sqlc.narg(assigned_to)::uuid IS NULL OR assigned_to = sqlc.narg(assigned_to)::uuid)
  AND (NOT @unassigned::boolean OR assigned_to IS NULL)
  AND (sqlc.narg(q)::text IS NULL OR search_text LIKE search_pattern(sqlc.narg(q)::text))
  AND (sqlc.narg(after_time)::timestamptz IS NULL
       OR (updated_at, id) < (sqlc.narg(after_time)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY updated_at DESC, id DESC
LIMIT @lim;

-- name: LeadListByCreated :many
SELECT * FROM leads
WHERE deleted_at IS NULL
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(statuses)::text[] IS NULL OR status = ANY(sqlc.narg(statuses)::text[]))
  AND (sqlc.narg(category)::text IS NULL OR category = sqlc.narg(category)::text)
  AND (sqlc.narg(categories)::text[] IS NULL OR (category = ANY(sqlc.narg(categories)::text[]) AND probability IS NOT NULL))
  AND (sqlc.narg(job)::text IS NULL OR job = sqlc.narg(job)::text)
  AND (sqlc.narg(jobs)::text[] IS NULL OR job = ANY(sqlc.narg(jobs)::text[]))
  AND (sqlc.narg(min_probability)::float8 IS NULL OR probability >= sqlc.narg(min_probability)::float8)
  AND (sqlc.narg(max_probability)::float8 IS NULL OR (probability <= sqlc.narg(max_probability)::float8))
  AND (sqlc.narg(assigned_to)::uuid IS NULL OR assigned_to = sqlc.narg(assigned_to)::uuid)
  AND (NOT @unassigned::boolean OR assigned_to IS NULL)
  AND (sqlc.narg(q)::text IS NULL OR search_text LIKE search_pattern(sqlc.narg(q)::text))
  AND (sqlc.narg(after_time)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(after_time)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @lim;

-- name: LeadListByName :many
SELECT * FROM leads
WHERE deleted_at IS NULL
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(statuses)::text[] IS NULL OR status = ANY(sqlc.narg(statuses)::text[]))
  AND (sqlc.narg(category)::text IS NULL OR category = sqlc.narg(category)::text)
  AND (sqlc.narg(categories)::text[] IS NULL OR (category = ANY(sqlc.narg(categories)::text[]) AND probability IS NOT NULL))
  AND (sqlc.narg(job)::text IS NULL OR job = sqlc.narg(job)::text)
  AND (sqlc.narg(jobs)::text[] IS NULL OR job = ANY(sqlc.narg(jobs)::text[]))
  AND (sqlc.narg(min_probability)::float8 IS NULL OR probability >= sqlc.narg(min_probability)::float8)
  AND (sqlc.narg(max_probability)::float8 IS NULL OR (probability <= sqlc.narg(max_probability)::float8))
  AND (sqlc.narg(assigned_to)::uuid IS NULL OR assigned_to = sqlc.narg(assigned_to)::uuid)
  AND (NOT @unassigned::boolean OR assigned_to IS NULL)
  AND (sqlc.narg(q)::text IS NULL OR search_text LIKE search_pattern(sqlc.narg(q)::text))
  AND (sqlc.narg(after_name)::text IS NULL
       OR (name_key, id) > (search_fold(sqlc.narg(after_name)::text), sqlc.narg(after_id)::uuid))
ORDER BY name_key, id
LIMIT @lim;

-- name: LeadListCount :one
-- Counted over lead_rank, whose indexes serve every filter but q. The join
-- to leads is there for q alone: without q its condition is false, so leads
-- is never read; with q, the trigram index finds the leads.
SELECT count(*) FROM lead_rank r
LEFT JOIN leads l ON l.id = r.lead_id AND sqlc.narg(q)::text IS NOT NULL
WHERE (sqlc.narg(status)::text IS NULL OR r.status = sqlc.narg(status)::text)
  AND (sqlc.narg(statuses)::text[] IS NULL OR r.status = ANY(sqlc.narg(statuses)::text[]))
  AND (sqlc.narg(category)::text IS NULL OR r.category = sqlc.narg(category)::text)
  AND (sqlc.narg(categories)::text[] IS NULL OR (r.category = ANY(sqlc.narg(categories)::text[]) AND r.score_key >= 0))
  AND (sqlc.narg(job)::text IS NULL OR r.job = sqlc.narg(job)::text)
  AND (sqlc.narg(jobs)::text[] IS NULL OR r.job = ANY(sqlc.narg(jobs)::text[]))
  AND (sqlc.narg(min_probability)::float8 IS NULL OR r.score_key >= sqlc.narg(min_probability)::float8)
  AND (sqlc.narg(max_probability)::float8 IS NULL OR (r.score_key >= 0 AND r.score_key <= sqlc.narg(max_probability)::float8))
  AND (sqlc.narg(assigned_to)::uuid IS NULL OR r.assigned_to = sqlc.narg(assigned_to)::uuid)
  AND (NOT @unassigned::boolean OR r.assigned_to IS NULL)
  AND (sqlc.narg(q)::text IS NULL
       OR (l.deleted_at IS NULL AND l.search_text LIKE search_pattern(sqlc.narg(q)::text)));

-- name: LeadsAnalyze :exec
-- Refreshes the planner's statistics after a bulk change (an import, a
-- re-score): until autovacuum gets to it, stale statistics can make the
-- planner pick a bitmap scan plus sort over the keyset index walk.
ANALYZE leads, lead_rank;

-- name: LeadIDTaken :one
-- Whether any lead, deleted or not, has this id.
SELECT EXISTS (SELECT 1 FROM leads WHERE id = @id::uuid);

-- name: LeadsReleaseLock :exec
-- Locks the open leads LeadsRelease will release, in id order, as every
-- other locker of many leads locks them (an import, say), so that two such
-- lockers cannot each wait for the other; and in a statement of its own:
-- LeadsRelease's INSERT locks the audit trail for writing as it starts,
-- which would hold the audit sealer back while it waited for these rows.
-- The user's row lock keeps new leads from being assigned to them
-- meanwhile, and leads from being reopened by an import
-- (ImportStageLockSellers).
SELECT id FROM leads
WHERE assigned_to = @user_id AND deleted_at IS NULL AND status IN ('new', 'contacted', 'follow_up')
ORDER BY id
FOR NO KEY UPDATE;

-- name: LeadsRelease :execrows
-- Unassigns a deactivated user's open leads (new, contacted, follow_up) so
-- that sales can claim them, with a lead.update event for each, in the
-- deactivation's request; closed leads keep their seller, whose results
-- they are. Returns how many were released. LeadsReleaseLock comes first.
WITH released AS (
    UPDATE leads
    SET assigned_to = NULL, version = version + 1, updated_at = now()
    WHERE assigned_to = @user_id AND deleted_at IS NULL AND status IN ('new', 'contacted', 'follow_up')
    RETURNING id, name
)
INSERT INTO audit_events (actor_id, actor_name, action, entity_type, entity_id, request_id, ip, user_agent,
                          summary, changes)
SELECT sqlc.narg(actor_id), @actor_name, 'lead.update', 'lead', r.id::text, sqlc.narg(request_id),
       sqlc.narg(ip), sqlc.narg(user_agent),
       format('%s unassigned lead %s from deactivated seller %s', @actor_name::text, r.name, @user_name::text),
       jsonb_build_object('assigned_to', jsonb_build_object('from', @user_id::uuid, 'to', NULL))
FROM released r
ORDER BY r.id;
