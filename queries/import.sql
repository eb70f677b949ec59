-- The CSV import (server/store/import.go): rows are COPYed into
-- lead_import_stage, checked, and moved into leads by one upsert, all in one
-- transaction. See schema/00006_lead_import_stage.sql.

-- name: ImportSerialize :exec
-- Imports run one at a time: each waits here for the one before it.
SELECT pg_advisory_xact_lock(hashtextextended('jmk:import', 0));

-- name: ImportIdleLimit :exec
-- The pool's sessions end a transaction left idle for a minute
-- (dbconf.Configure). While an import stages its file, its waits between
-- batches are the client's upload, which has a limit of its own
-- (ImportOptions.IdleLimit; in milliseconds here, 0 for none, at most
-- PostgreSQL's 2^31-1).
SELECT set_config('idle_in_transaction_session_timeout', format('%s', @milliseconds::bigint), true);

-- name: ImportStatementLimit :exec
-- The same limit on each statement while the file is staged, once the
-- import has its turn (the wait for it is a statement): a COPY is not idle
-- time, and an instance frozen in the middle of one would hold the turn
-- just as long.
SELECT set_config('statement_timeout', format('%s', @milliseconds::bigint), true);

-- name: ImportLimitsBack :exec
-- Once the file is staged, the session's own limits again (as it started,
-- from DATABASE_URL and dbconf.Configure): the import then holds off other
-- writers and writes to the audit trail.
SELECT set_config(name, reset_val, true) FROM pg_catalog.pg_settings
WHERE name IN ('idle_in_transaction_session_timeout', 'statement_timeout');

-- name: ImportWriteLock :exec
-- Taken once the file is staged, before the import reads any lead: a lead
-- created with an external_id (LeadExternalIDLock) commits before it, so
-- the import's locks and checks see that lead, or waits until the import
-- has committed, and its insert then finds the imported one. Without it, a
-- lead created between the import's checks and its upsert was updated as
-- if the import had never seen it (named by the file's fallback name).
-- A key apart from ImportSerialize's: creates must not wait for an upload.
SELECT pg_advisory_xact_lock(hashtextextended('jmk:import-write', 0));

-- name: ImportStageLockWait :exec
-- Bounds the wait for the staging tables' lock (ImportStageReset), for this
-- transaction only.
SELECT set_config('lock_timeout', @timeout::text, true);

-- name: ImportStageLockWaitEnd :exec
-- Back to the session's own lock_timeout for the rest of the import.
SET LOCAL lock_timeout TO DEFAULT;

-- name: ImportStageReset :exec
-- Empties the staging tables. The first call of a transaction also takes
-- their ACCESS EXCLUSIVE locks until it ends.
TRUNCATE lead_import_stage, lead_import_before, lead_import_stale;

-- name: ImportStageCopy :copyfrom
INSERT INTO lead_import_stage (
    line, id, external_id, name, fallback_name, phone, email, status, notes, assigned_to, closed_at, created_at,
    age, job, marital, education, credit_default, housing_loan, personal_loan, contact_channel,
    last_contact_month, last_contact_weekday, last_call_duration_sec, campaign_contacts,
    days_since_previous_contact, previous_contacts, previous_outcome, emp_var_rate, cons_price_idx,
    cons_conf_idx, euribor_3m, nr_employed, probability, category, model_version, status_default, bare,
    lead_version, status_from_y
) VALUES (
    @line, @id, @external_id, @name, @fallback_name, @phone, @email, @status, @notes, @assigned_to, @closed_at, @created_at,
    @age, @job, @marital, @education, @credit_default, @housing_loan, @personal_loan, @contact_channel,
    @last_contact_month, @last_contact_weekday, @last_call_duration_sec, @campaign_contacts,
    @days_since_previous_contact, @previous_contacts, @previous_outcome, @emp_var_rate, @cons_price_idx,
    @cons_conf_idx, @euribor_3m, @nr_employed, @probability, @category, @model_version, @status_default,
    @bare, @lead_version, @status_from_y
);

-- name: ImportStageDropSuperseded :many
-- Takes out the staged rows whose external_id comes again further down the
-- file (only the last of them is imported) and returns the first @lim of
-- them for the report. Done once here, on the narrow (line, external_id),
-- so that the upsert reads the staging table as it is: sorting the whole
-- wide rows there cost a million-row import 3.5 s.
WITH d AS (
    SELECT line, max(line) OVER (PARTITION BY external_id) AS last_line
    FROM lead_import_stage
    WHERE external_id IS NOT NULL
),
superseded AS (
    DELETE FROM lead_import_stage s
    USING d
    WHERE s.line = d.line AND d.line < d.last_line
    RETURNING s.line, s.external_id
)
SELECT sp.line, sp.external_id::text AS external_id, d.last_line::integer AS last_line
FROM superseded sp
JOIN d ON d.line = sp.line
ORDER BY sp.line
LIMIT @lim;

-- name: ImportStageDropBeforeRejected :many
-- Takes out the staged rows whose external_id comes again further down the
-- file on a row that was rejected (@lines: the last such line of each of
-- @external_ids). Only the last row of an id counts: a rejected one must
-- not let an earlier row be imported in its place. Returns the first @lim
-- for the report.
WITH gone AS (
    DELETE FROM lead_import_stage s
    USING (SELECT unnest(@external_ids::text[]) AS external_id, unnest(@lines::integer[]) AS line) r
    WHERE s.external_id = r.external_id AND s.line < r.line
    RETURNING s.line, s.external_id
)
SELECT line, external_id::text AS external_id
FROM gone
ORDER BY line
LIMIT @lim;

-- name: ImportStageDropBare :many
-- Takes out the staged rows that would create a lead out of nothing: bare
-- (no name, phone, e-mail or scoring input) and no lead, live or deleted,
-- with their external_id, once leads named by their id have been adopted.
-- Such a row is usually a mistyped id in a file that only updates leads
-- (external_id,status): it would add a nameless closed lead that counts in
-- the conversion rate and the next model's training. Returns the first
-- @lim for the report.
WITH gone AS (
    DELETE FROM lead_import_stage s
    WHERE s.bare AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.external_id = s.external_id)
    RETURNING s.line, s.external_id
)
SELECT line, external_id FROM gone ORDER BY line LIMIT @lim;

-- name: ImportStageDeleted :many
-- Staged rows whose external_id belongs to a deleted lead: they are refused
-- (a deleted lead stays deleted; the upsert skips them too).
SELECT s.line, s.external_id::text AS external_id
FROM lead_import_stage s
JOIN leads l ON l.external_id = s.external_id
WHERE l.deleted_at IS NOT NULL
ORDER BY s.line
LIMIT @lim;

-- name: ImportStageLockLeads :exec
-- Locks the live leads the staged rows name, so that what the import reads
-- of them (a status for the workflow check, a name to keep) holds until the
-- upsert writes them; in id order, as any other locker of many leads would.
SELECT l.id
FROM leads l
JOIN lead_import_stage s ON s.external_id = l.external_id
WHERE l.deleted_at IS NULL
ORDER BY l.id
FOR UPDATE OF l;

-- name: ImportStageLockSellers :exec
-- Locks, for sharing, the sellers of the closed leads the staged rows name
-- (by external_id or id), before the leads themselves: the import may
-- reopen such a lead, keeping its seller while they are active, and a
-- deactivation that releases the seller's open leads (which locks the user
-- first, then their open leads) must come wholly before it or after it.
-- Without it, a lead reopened while its seller was being deactivated was
-- left with a seller no longer there, where no one could claim it.
SELECT u.id
FROM users u
WHERE u.id IN (
    SELECT l.assigned_to FROM leads l JOIN lead_import_stage s ON s.external_id = l.external_id
    WHERE l.deleted_at IS NULL AND l.status IN ('success', 'failed')
    UNION
    SELECT l.assigned_to FROM leads l JOIN lead_import_stage s ON l.id = import_id_ref(s.external_id)
    WHERE l.deleted_at IS NULL AND l.status IN ('success', 'failed')
)
ORDER BY u.id
FOR SHARE OF u;

-- name: ImportStageLockLeadsAndIDRefs :exec
-- ImportStageLockLeads for a file that also names leads by their id (see
-- ImportAdoptIDs): those are locked in the same statement, so that every
-- lock is taken in id order, before the adoption writes any of them. Taken
-- apart, an adopted lead's lock came before the others', and an import
-- could deadlock with a seller's release (LeadsReleaseLock).
SELECT l.id
FROM leads l
WHERE l.deleted_at IS NULL
  AND l.id IN (
      SELECT n.id FROM leads n JOIN lead_import_stage s ON s.external_id = n.external_id
      UNION
      SELECT import_id_ref(s.external_id) FROM lead_import_stage s WHERE import_id_ref(s.external_id) IS NOT NULL
  )
ORDER BY l.id
FOR UPDATE OF l;

-- name: ImportStageKeepStatus :exec
-- A row that leaves its status cell empty keeps its lead's status; only a
-- new lead starts as new (schema/00015_import_stage_status_default.sql).
UPDATE lead_import_stage s
SET status = l.status
FROM leads l
WHERE s.status_default AND l.external_id = s.external_id AND l.deleted_at IS NULL;

-- name: ImportStageStatusMoves :many
-- Staged rows that would move a live lead to another status, for the
-- workflow check (server/leadrules), with the file's version of the lead
-- and the lead's own: a stale row is reported as such. status_from_y says
-- which column a refusal names.
SELECT s.line, s.external_id::text AS external_id, l.status AS from_status, s.status AS to_status,
       s.lead_version AS file_version, l.version AS lead_version, s.status_from_y
FROM lead_import_stage s
JOIN leads l ON l.external_id = s.external_id AND l.deleted_at IS NULL
WHERE s.status <> l.status
ORDER BY s.line;

-- name: ImportStagePreviousCampaign :many
-- The staged rows whose previous-campaign inputs may contradict one
-- another, each input the row's own or, for a column the file lacks
-- (@columns, API names), its lead's stored value; only rows that change
-- one of the three, so that a lead stored with a contradiction before the
-- rule was checked can be re-imported as it is; not rows of deleted leads,
-- which ImportStageDeleted refuses. The test here is exactly
-- leadrules.PreviousCampaignProblems' (which words the rejection), so that
-- @lim bounds what a file of contradictions costs; the staged and the
-- stored values come back for it to merge as here.
SELECT s.line, (l.id IS NULL)::boolean AS new_lead, s.previous_outcome, s.previous_contacts, s.days_since_previous_contact,
       l.previous_outcome AS stored_outcome, l.previous_contacts AS stored_contacts,
       l.days_since_previous_contact AS stored_days
FROM lead_import_stage s
LEFT JOIN leads l ON l.external_id = s.external_id AND l.deleted_at IS NULL
CROSS JOIN LATERAL (
    SELECT CASE WHEN l.id IS NULL OR 'previous_outcome' = ANY(@columns::text[])
                THEN s.previous_outcome ELSE l.previous_outcome END AS outcome,
           CASE WHEN l.id IS NULL OR 'previous_contacts' = ANY(@columns::text[])
                THEN s.previous_contacts ELSE l.previous_contacts END AS contacts,
           CASE WHEN l.id IS NULL OR 'days_since_previous_contact' = ANY(@columns::text[])
                THEN s.days_since_previous_contact ELSE l.days_since_previous_contact END AS days
) m
WHERE (m.outcome = 'none' AND m.contacts > 0
       OR m.outcome <> 'none' AND m.contacts = 0
       OR m.days IS NOT NULL AND (m.outcome IS NULL OR m.outcome = 'none' OR m.contacts = 0))
  AND (l.id IS NULL OR m.outcome IS DISTINCT FROM l.previous_outcome
       OR m.contacts IS DISTINCT FROM l.previous_contacts OR m.days IS DISTINCT FROM l.days_since_previous_contact)
  AND NOT EXISTS (SELECT 1 FROM leads d WHERE d.external_id = s.external_id AND d.deleted_at IS NOT NULL)
ORDER BY s.line
LIMIT @lim;

-- name: ImportStageDrop :exec
-- Takes refused rows out of the import.
DELETE FROM lead_import_stage WHERE line = ANY(@lines::integer[]);

-- name: ImportLeadEvents :execrows
-- One lead.update event for each lead the import changed, its changes
-- {field: {from, to}} found by comparing the lead with the values the
-- skip-unchanged trigger kept (schema/00013_lead_import_before.sql), over
-- @fields (the Lead fields an import can set); in the import's request,
-- like its import.leads event.
INSERT INTO audit_events (actor_id, actor_name, action, entity_type, entity_id, request_id, ip, user_agent,
                          summary, changes)
SELECT @actor_id, @actor_name, 'lead.update', 'lead', l.id::text, @request_id, @ip, @user_agent,
       format('%s changed %s of lead %s in import %s', @actor_name::text,
              string_agg(d.key, ', ' ORDER BY d.key), l.name, @import_id::text),
       jsonb_object_agg(d.key, jsonb_build_object('from', d.old, 'to', d.new))
FROM lead_import_before b
JOIN leads l ON l.id = b.id
CROSS JOIN LATERAL (
    SELECT n.key, b.lead -> n.key AS old, n.value AS new
    FROM jsonb_each(to_jsonb(l)) n
    WHERE n.key = ANY (@fields::text[])
      AND n.value IS DISTINCT FROM b.lead -> n.key
) d
GROUP BY l.id, l.name
ORDER BY l.id;

-- name: ImportStageUnscore :exec
-- Clears the staged scores (see dropStaleStagedScores in server/store).
UPDATE lead_import_stage SET probability = NULL, category = NULL, model_version = NULL
WHERE model_version IS NOT NULL;

-- name: ImportAdoptIDs :one
-- An export writes a lead that has no external_id with its id instead (see
-- leadcsv.Writer). Before the checks and the upsert, such a live lead named
-- by a staged row takes its id as its external_id, so that they find it as
-- they find any other and re-importing the export updates it rather than
-- adding a copy; unless another lead holds that external_id already: the
-- row is that lead's. Its values before are kept for its lead.update event,
-- and jmk.import_adopted tells the skip-unchanged trigger that such a lead
-- has changed even when the upsert brings nothing else
-- (schema/00014_import_keeps_unchanged_scores.sql). ImportAdoptRevert undoes
-- it for the leads whose rows are then refused. Returns how many were taken.
WITH adopted AS (
    UPDATE leads l
    SET external_id = l.id::text
    FROM lead_import_stage s
    WHERE l.external_id IS NULL AND l.deleted_at IS NULL
      AND l.id = import_id_ref(s.external_id)
      AND NOT EXISTS (SELECT 1 FROM leads o WHERE o.external_id = s.external_id)
    RETURNING l.*
),
kept AS (
    INSERT INTO lead_import_before (id, lead)
    SELECT a.id, to_jsonb(a) || jsonb_build_object('external_id', NULL)
    FROM adopted a
    ON CONFLICT (id) DO NOTHING
    RETURNING id
)
SELECT count(*)::bigint AS adopted,
       set_config('jmk.import_adopted', CASE WHEN count(*) > 0 THEN 'on' ELSE 'off' END, true) AS flag
FROM kept;

-- name: ImportAdoptRevert :exec
-- Gives back their null external_id to the leads ImportAdoptIDs named
-- whose rows the checks refused: a refused row changes nothing.
WITH reverted AS (
    UPDATE leads l
    SET external_id = NULL
    FROM lead_import_before b
    WHERE b.id = l.id AND b.lead ->> 'external_id' IS NULL
      AND NOT EXISTS (SELECT 1 FROM lead_import_stage s WHERE s.external_id = l.external_id)
    RETURNING l.id
)
DELETE FROM lead_import_before b USING reverted r WHERE b.id = r.id;

-- name: ImportStageDropForeignIDs :many
-- Staged rows naming by its id a lead the import cannot take that way: a
-- deleted one (refused, like the rows of ImportStageDeleted), or one whose
-- external_id is another (its rows name it by that). They are taken out,
-- since no external_id conflict keeps the upsert from adding them as new
-- leads, each with another lead's id as its external_id. Unless some lead
-- holds that external_id: the row is that lead's. Returns the first @lim
-- for the report.
WITH gone AS (
    DELETE FROM lead_import_stage s
    USING leads l
    WHERE l.id = import_id_ref(s.external_id)
      AND (l.deleted_at IS NOT NULL OR l.external_id IS NOT NULL)
      AND l.external_id IS DISTINCT FROM s.external_id
      AND NOT EXISTS (SELECT 1 FROM leads o WHERE o.external_id = s.external_id)
    RETURNING s.line, s.external_id
)
SELECT g.line, g.external_id::text AS external_id, (l.deleted_at IS NOT NULL)::boolean AS deleted,
       l.external_id AS lead_external_id
FROM gone g
JOIN leads l ON l.id = import_id_ref(g.external_id)
ORDER BY g.line
LIMIT @lim;

-- name: ImportSkipUnchanged :exec
-- For the rest of the transaction, an update that changes none of a lead's
-- values is skipped and counted (schema/00012_import_skip_unchanged.sql).
SELECT set_config('jmk.import', 'on', true), set_config('jmk.import_unchanged', '0', true);

-- name: ImportStaleRows :many
-- The rows the upsert refused because their lead had changed since the file
-- gave its version (lead_import_stale), for the report.
SELECT s.line, s.external_id::text AS external_id, s.lead_version::int AS file_version, l.version AS lead_version
FROM lead_import_stale x
JOIN leads l ON l.id = x.id
JOIN lead_import_stage s ON s.external_id = l.external_id
WHERE x.refused
ORDER BY s.line;

-- name: ImportStaleRevert :exec
-- A stale row changes nothing, refused or unchanged: a lead it named by its
-- id gives back the null external_id ImportAdoptIDs gave it, and none keeps
-- the values kept for its event.
WITH reverted AS (
    UPDATE leads l
    SET external_id = NULL
    FROM lead_import_before b, lead_import_stale x
    WHERE b.id = l.id AND x.id = l.id AND b.lead ->> 'external_id' IS NULL
    RETURNING l.id
)
DELETE FROM lead_import_before b USING lead_import_stale x WHERE b.id = x.id;

-- name: ImportUnchanged :one
-- How many updates ImportSkipUnchanged skipped.
SELECT coalesce(nullif(current_setting('jmk.import_unchanged', true), ''), '0')::bigint AS unchanged;

-- name: ImportUpsert :one
-- Moves the staged rows into leads: a row whose external_id is already a
-- live lead updates it, any other row is a new lead (ImportStageDropSuperseded
-- has left one row per external_id). On update, a column the file has
-- (@columns, API names) overwrites the lead's value, an empty cell clearing
-- it; a column the file lacks keeps it. A row without a name keeps the
-- lead's name (a new lead gets fallback_name). The status changes only when
-- the file sets one (@set_status); closed_at follows it. New leads take the
-- score computed while staging (null without an active model). Returns how many rows were inserted and updated (xmax = 0 only on a
-- freshly inserted row version).
WITH up AS (
    INSERT INTO leads AS l (
        id, external_id, name, phone, email, status, notes, assigned_to, closed_at, created_at, updated_at,
        age, job, marital, education, credit_default, housing_loan, personal_loan, contact_channel,
        last_contact_month, last_contact_weekday, last_call_duration_sec, campaign_contacts,
        days_since_previous_contact, previous_contacts, previous_outcome, emp_var_rate, cons_price_idx,
        cons_conf_idx, euribor_3m, nr_employed, probability, category, model_version, scored_at, version
    )
    SELECT src.id, src.external_id, coalesce(src.name, cur.name, src.fallback_name), src.phone, src.email,
           src.status, src.notes, src.assigned_to,
           CASE WHEN src.status IN ('success', 'failed') THEN coalesce(src.closed_at, now()) END,
           coalesce(src.created_at, now()), now(),
           src.age, src.job, src.marital, src.education, src.credit_default, src.housing_loan, src.personal_loan,
           src.contact_channel, src.last_contact_month, src.last_contact_weekday, src.last_call_duration_sec,
           src.campaign_contacts, src.days_since_previous_contact, src.previous_contacts, src.previous_outcome,
           src.emp_var_rate, src.cons_price_idx, src.cons_conf_idx, src.euribor_3m, src.nr_employed,
           src.probability, src.category, src.model_version, CASE WHEN src.model_version IS NOT NULL THEN now() END,
           -- For an update, the file's version of the lead (negated: see
           -- version below), 0 when it gives none; a new lead's first.
           CASE WHEN cur.id IS NULL THEN 1 ELSE -coalesce(src.lead_version, 0) END
    FROM lead_import_stage src
    LEFT JOIN leads cur ON cur.external_id = src.external_id AND cur.deleted_at IS NULL
    ON CONFLICT (external_id) DO UPDATE SET
        name = EXCLUDED.name,
        phone = CASE WHEN 'phone' = ANY(@columns::text[]) THEN EXCLUDED.phone ELSE l.phone END,
        email = CASE WHEN 'email' = ANY(@columns::text[]) THEN EXCLUDED.email ELSE l.email END,
        notes = CASE WHEN 'notes' = ANY(@columns::text[]) THEN EXCLUDED.notes ELSE l.notes END,
        status = CASE WHEN @set_status::boolean THEN EXCLUDED.status ELSE l.status END,
        closed_at = CASE
            WHEN NOT @set_status::boolean THEN l.closed_at
            WHEN EXCLUDED.status NOT IN ('success', 'failed') THEN NULL
            WHEN EXCLUDED.status = l.status THEN coalesce(l.closed_at, EXCLUDED.closed_at)
            ELSE EXCLUDED.closed_at
        END,
        -- A lead the file reopens while its seller is deactivated goes
        -- back to the pool, as through the API (store.releaseReopened).
        assigned_to = CASE
            WHEN EXCLUDED.assigned_to IS NOT NULL THEN EXCLUDED.assigned_to
            WHEN @set_status::boolean AND l.status IN ('success', 'failed')
                 AND EXCLUDED.status NOT IN ('success', 'failed')
                 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = l.assigned_to AND u.active) THEN NULL
            ELSE l.assigned_to
        END,
        age = CASE WHEN 'age' = ANY(@columns::text[]) THEN EXCLUDED.age ELSE l.age END,
        job = CASE WHEN 'job' = ANY(@columns::text[]) THEN EXCLUDED.job ELSE l.job END,
        marital = CASE WHEN 'marital' = ANY(@columns::text[]) THEN EXCLUDED.marital ELSE l.marital END,
        education = CASE WHEN 'education' = ANY(@columns::text[]) THEN EXCLUDED.education ELSE l.education END,
        credit_default = CASE WHEN 'credit_default' = ANY(@columns::text[])
            THEN EXCLUDED.credit_default ELSE l.credit_default END,
        housing_loan = CASE WHEN 'housing_loan' = ANY(@columns::text[])
            THEN EXCLUDED.housing_loan ELSE l.housing_loan END,
        personal_loan = CASE WHEN 'personal_loan' = ANY(@columns::text[])
            THEN EXCLUDED.personal_loan ELSE l.personal_loan END,
        contact_channel = CASE WHEN 'contact_channel' = ANY(@columns::text[])
            THEN EXCLUDED.contact_channel ELSE l.contact_channel END,
        last_contact_month = CASE WHEN 'last_contact_month' = ANY(@columns::text[])
            THEN EXCLUDED.last_contact_month ELSE l.last_contact_month END,
        last_contact_weekday = CASE WHEN 'last_contact_weekday' = ANY(@columns::text[])
            THEN EXCLUDED.last_contact_weekday ELSE l.last_contact_weekday END,
        last_call_duration_sec = CASE WHEN 'last_call_duration_sec' = ANY(@columns::text[])
            THEN EXCLUDED.last_call_duration_sec ELSE l.last_call_duration_sec END,
        campaign_contacts = CASE WHEN 'campaign_contacts' = ANY(@columns::text[])
            THEN EXCLUDED.campaign_contacts ELSE l.campaign_contacts END,
        days_since_previous_contact = CASE WHEN 'days_since_previous_contact' = ANY(@columns::text[])
            THEN EXCLUDED.days_since_previous_contact ELSE l.days_since_previous_contact END,
        previous_contacts = CASE WHEN 'previous_contacts' = ANY(@columns::text[])
            THEN EXCLUDED.previous_contacts ELSE l.previous_contacts END,
        previous_outcome = CASE WHEN 'previous_outcome' = ANY(@columns::text[])
            THEN EXCLUDED.previous_outcome ELSE l.previous_outcome END,
        emp_var_rate = CASE WHEN 'emp_var_rate' = ANY(@columns::text[])
            THEN EXCLUDED.emp_var_rate ELSE l.emp_var_rate END,
        cons_price_idx = CASE WHEN 'cons_price_idx' = ANY(@columns::text[])
            THEN EXCLUDED.cons_price_idx ELSE l.cons_price_idx END,
        cons_conf_idx = CASE WHEN 'cons_conf_idx' = ANY(@columns::text[])
            THEN EXCLUDED.cons_conf_idx ELSE l.cons_conf_idx END,
        euribor_3m = CASE WHEN 'euribor_3m' = ANY(@columns::text[]) THEN EXCLUDED.euribor_3m ELSE l.euribor_3m END,
        nr_employed = CASE WHEN 'nr_employed' = ANY(@columns::text[])
            THEN EXCLUDED.nr_employed ELSE l.nr_employed END,
        -- The staged score holds when the file gives every scoring input;
        -- with only some, the lead's own values fill the gaps, so its score
        -- is cleared for the import's scoring pass to redo.
        probability = CASE WHEN @all_features::boolean THEN EXCLUDED.probability
                           WHEN @has_features::boolean THEN NULL ELSE l.probability END,
        category = CASE WHEN @all_features::boolean THEN EXCLUDED.category
                        WHEN @has_features::boolean THEN NULL ELSE l.category END,
        model_version = CASE WHEN @all_features::boolean THEN EXCLUDED.model_version
                             WHEN @has_features::boolean THEN NULL ELSE l.model_version END,
        -- The same score from the same inputs keeps its time, as a PATCH
        -- that changes no scoring input does.
        scored_at = CASE WHEN @all_features::boolean THEN
                              CASE WHEN (EXCLUDED.probability, EXCLUDED.category, EXCLUDED.model_version,
                                         EXCLUDED.age, EXCLUDED.job, EXCLUDED.marital, EXCLUDED.education,
                                         EXCLUDED.credit_default, EXCLUDED.housing_loan, EXCLUDED.personal_loan,
                                         EXCLUDED.contact_channel, EXCLUDED.last_contact_month,
                                         EXCLUDED.last_contact_weekday, EXCLUDED.last_call_duration_sec,
                                         EXCLUDED.campaign_contacts, EXCLUDED.days_since_previous_contact,
                                         EXCLUDED.previous_contacts, EXCLUDED.previous_outcome, EXCLUDED.emp_var_rate,
                                         EXCLUDED.cons_price_idx, EXCLUDED.cons_conf_idx, EXCLUDED.euribor_3m,
                                         EXCLUDED.nr_employed)
                                        IS NOT DISTINCT FROM
                                        (l.probability, l.category, l.model_version,
                                         l.age, l.job, l.marital, l.education,
                                         l.credit_default, l.housing_loan, l.personal_loan,
                                         l.contact_channel, l.last_contact_month,
                                         l.last_contact_weekday, l.last_call_duration_sec,
                                         l.campaign_contacts, l.days_since_previous_contact,
                                         l.previous_contacts, l.previous_outcome, l.emp_var_rate,
                                         l.cons_price_idx, l.cons_conf_idx, l.euribor_3m,
                                         l.nr_employed)
                                   THEN l.scored_at ELSE EXCLUDED.scored_at END
                         WHEN @has_features::boolean THEN NULL ELSE l.scored_at END,
        -- Negative when the file gave the lead's version and the lead has
        -- changed since: the skip-unchanged trigger then refuses the row if
        -- it would change the lead (schema/00029_import_stale_versions.sql).
        version = CASE WHEN EXCLUDED.version < 0 AND -EXCLUDED.version <> l.version THEN -(l.version + 1)
                       ELSE l.version + 1 END,
        updated_at = now()
    WHERE l.deleted_at IS NULL
    RETURNING (l.xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE up.inserted)::bigint AS inserted,
       count(*) FILTER (WHERE NOT up.inserted)::bigint AS updated
FROM up;
