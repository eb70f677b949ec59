-- A whole-table re-score writes a new version of every lead, and its WAL
-- record holds only the bytes between the first and the last column that
-- changed (the rest is shared with the old version on the same page). The
-- score columns (probability, category, model_version, scored_at) sit
-- together, but the stored generated score_key near the end of the row
-- changed with them, so each record carried almost the whole row: a
-- million-lead activation wrote about 1 GB of WAL. lead_rank keeps its own
-- score_key; leads now derives it, coalesce(probability, -1), where needed.
-- (Rows written before this migration still hold the dropped column's
-- value, so their first re-score after it gains nothing; later ones do.)

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION lead_rank_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    CREATE TABLE lead_rank_next (LIKE lead_rank);
    INSERT INTO lead_rank_next (lead_id, score_key, status, category, job, assigned_to)
    SELECT id, coalesce(probability, -1), status, category, job, assigned_to FROM leads WHERE deleted_at IS NULL;
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

CREATE OR REPLACE FUNCTION lead_rank_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('jmk.lead_rank_deferred', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO lead_rank (lead_id, score_key, status, category, job, assigned_to)
        SELECT id, coalesce(probability, -1), status, category, job, assigned_to FROM new_rows WHERE deleted_at IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM lead_rank r USING old_rows o WHERE r.lead_id = o.id;
    ELSE
        DELETE FROM lead_rank r USING new_rows n WHERE r.lead_id = n.id AND n.deleted_at IS NOT NULL;
        -- Most updates (a note, a logged call) move nothing the list sorts or
        -- filters on, and write nothing here.
        INSERT INTO lead_rank (lead_id, score_key, status, category, job, assigned_to)
        SELECT n.id, coalesce(n.probability, -1), n.status, n.category, n.job, n.assigned_to
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.deleted_at IS NULL
          AND (o.deleted_at IS NOT NULL
               OR (n.probability, n.status, n.category, n.job, n.assigned_to)
                  IS DISTINCT FROM (o.probability, o.status, o.category, o.job, o.assigned_to))
        ON CONFLICT (lead_id) DO UPDATE
        SET score_key = excluded.score_key, status = excluded.status, category = excluded.category,
            job = excluded.job, assigned_to = excluded.assigned_to;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

ALTER TABLE leads DROP COLUMN score_key;

-- +goose Down
ALTER TABLE leads ADD COLUMN score_key double precision GENERATED ALWAYS AS (coalesce(probability, -1)) STORED;
