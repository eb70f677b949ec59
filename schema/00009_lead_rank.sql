-- The score orders of the lead list move out of the leads table, so that a
-- new model re-scores a million leads in seconds rather than minutes.
--
-- An UPDATE that changes an indexed column writes a new entry into every
-- index of the table, and leads has a dozen, the trigram index among them:
-- re-scoring 1M leads that way wrote 9 GB of WAL and took 2 minutes here.
-- Now no index of leads covers a score column, and leads leaves half of each
-- page free (fillfactor 50), so a score change is a heap-only (HOT) update
-- that touches no index at all. The (filter, score) indexes the list walks
-- live on lead_rank instead: one narrow row per live lead holding its sort
-- key and the columns the list filters on. Single writes keep it current
-- through the statement-level triggers below; a whole-table change (model
-- activation, new thresholds) defers them and rebuilds lead_rank in bulk
-- with lead_rank_rebuild(), which sorts each index once instead of
-- inserting a million entries into it. (On a database that already holds
-- leads, the fillfactor applies to pages written from now on; VACUUM FULL
-- leads applies it to the old ones.)

-- +goose Up
ALTER TABLE leads SET (fillfactor = 50);
DROP INDEX leads_score_idx;
DROP INDEX leads_assigned_score_idx;
DROP INDEX leads_status_score_idx;
DROP INDEX leads_category_score_idx;
DROP INDEX leads_job_score_idx;

-- Derived from leads, never written directly: no foreign key, so that a
-- rebuild need not re-validate a million references.
CREATE TABLE lead_rank (
    lead_id     uuid NOT NULL,
    score_key   double precision NOT NULL, -- leads.score_key: -1 when unscored
    status      text NOT NULL,
    category    text,
    job         text,
    assigned_to uuid
);

-- +goose StatementBegin
-- Rebuilds lead_rank from leads: a new table, filled, then indexed and
-- analysed, swapped in for the old one. Readers keep the old table until
-- the swap; the caller holds a lock that keeps leads from changing meanwhile.
CREATE FUNCTION lead_rank_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    CREATE TABLE lead_rank_next (LIKE lead_rank);
    INSERT INTO lead_rank_next (lead_id, score_key, status, category, job, assigned_to)
    SELECT id, score_key, status, category, job, assigned_to FROM leads WHERE deleted_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    ALTER TABLE lead_rank_next ADD CONSTRAINT lead_rank_next_pkey PRIMARY KEY (lead_id);
    CREATE INDEX lead_rank_next_score_idx ON lead_rank_next (score_key DESC, lead_id DESC);
    CREATE INDEX lead_rank_next_status_idx ON lead_rank_next (status, score_key DESC, lead_id DESC);
    CREATE INDEX lead_rank_next_category_idx ON lead_rank_next (category, score_key DESC, lead_id DESC);
    CREATE INDEX lead_rank_next_job_idx ON lead_rank_next (job, score_key DESC, lead_id DESC);
    CREATE INDEX lead_rank_next_assigned_idx ON lead_rank_next (assigned_to, score_key DESC, lead_id DESC);
    ANALYZE lead_rank_next;

    DROP TABLE lead_rank;
    ALTER TABLE lead_rank_next RENAME TO lead_rank;
    ALTER INDEX lead_rank_next_pkey RENAME TO lead_rank_pkey;
    ALTER INDEX lead_rank_next_score_idx RENAME TO lead_rank_score_idx;
    ALTER INDEX lead_rank_next_status_idx RENAME TO lead_rank_status_idx;
    ALTER INDEX lead_rank_next_category_idx RENAME TO lead_rank_category_idx;
    ALTER INDEX lead_rank_next_job_idx RENAME TO lead_rank_job_idx;
    ALTER INDEX lead_rank_next_assigned_idx RENAME TO lead_rank_assigned_idx;
    RETURN n;
END;
$$;

-- Keeps lead_rank in step with the statement's changes to leads, unless the
-- transaction has deferred it (jmk.lead_rank_deferred) to rebuild instead.
CREATE FUNCTION lead_rank_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('jmk.lead_rank_deferred', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO lead_rank (lead_id, score_key, status, category, job, assigned_to)
        SELECT id, score_key, status, category, job, assigned_to FROM new_rows WHERE deleted_at IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM lead_rank r USING old_rows o WHERE r.lead_id = o.id;
    ELSE
        DELETE FROM lead_rank r USING new_rows n WHERE r.lead_id = n.id AND n.deleted_at IS NOT NULL;
        -- Most updates (a note, a logged call) move nothing the list sorts or
        -- filters on, and write nothing here.
        INSERT INTO lead_rank (lead_id, score_key, status, category, job, assigned_to)
        SELECT n.id, n.score_key, n.status, n.category, n.job, n.assigned_to
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.deleted_at IS NULL
          AND (o.deleted_at IS NOT NULL
               OR (n.score_key, n.status, n.category, n.job, n.assigned_to)
                  IS DISTINCT FROM (o.score_key, o.status, o.category, o.job, o.assigned_to))
        ON CONFLICT (lead_id) DO UPDATE
        SET score_key = excluded.score_key, status = excluded.status, category = excluded.category,
            job = excluded.job, assigned_to = excluded.assigned_to;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

SELECT lead_rank_rebuild();

-- A trigger with transition tables may have only one event, hence three.
CREATE TRIGGER lead_rank_insert AFTER INSERT ON leads
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_rank_apply();
CREATE TRIGGER lead_rank_update AFTER UPDATE ON leads
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_rank_apply();
CREATE TRIGGER lead_rank_delete AFTER DELETE ON leads
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_rank_apply();

-- +goose Down
DROP TRIGGER lead_rank_delete ON leads;
DROP TRIGGER lead_rank_update ON leads;
DROP TRIGGER lead_rank_insert ON leads;
DROP FUNCTION lead_rank_apply();
DROP FUNCTION lead_rank_rebuild();
DROP TABLE lead_rank;
CREATE INDEX leads_score_idx ON leads (score_key DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX leads_assigned_score_idx ON leads (assigned_to, score_key DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX leads_status_score_idx ON leads (status, score_key DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX leads_category_score_idx ON leads (category, score_key DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX leads_job_score_idx ON leads (job, score_key DESC, id DESC) WHERE deleted_at IS NULL;
ALTER TABLE leads RESET (fillfactor);
