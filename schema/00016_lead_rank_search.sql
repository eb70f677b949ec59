-- A search (q) in probability order walks lead_rank's score index and keeps
-- the leads whose search_text matches. Each candidate used to be looked up
-- in leads, a wide table with half-empty pages, for its search_text alone:
-- q=silva, one lead in 33, looked up about 1,650 leads for a page of 50 at
-- 1M leads (3.8 ms). lead_rank now carries search_text too, so the walk
-- skips non-matching candidates on lead_rank's own narrow rows, and a
-- rebuild writes those rows in score order, so that the walk reads a few
-- consecutive pages (0.6 ms). The rebuild takes about 0.8 s longer at 1M
-- leads. The queries keep their condition on leads.search_text as well, so
-- that a rare term (a phone number, an e-mail) is still found through the
-- trigram index on leads.
--
-- The test on lead_rank uses ~~#, which is LIKE (the same function,
-- textlike) with a selectivity estimate of about 1 (neqsel's). With LIKE on
-- both copies the planner multiplied the two estimates, took a term in 33
-- for one in 1,000, and sorted whole scans instead of walking the score
-- order: q=silva took 20-30 ms at 41k leads. ~~# lets the condition on
-- leads carry the estimate alone, as before, while the walk filters on
-- lead_rank's rows.

-- +goose Up
ALTER TABLE lead_rank ADD COLUMN search_text text;

CREATE OPERATOR ~~# (LEFTARG = text, RIGHTARG = text, FUNCTION = textlike, RESTRICT = neqsel);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION lead_rank_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    CREATE TABLE lead_rank_next (LIKE lead_rank);
    INSERT INTO lead_rank_next (lead_id, score_key, status, category, job, assigned_to, search_text)
    SELECT id, coalesce(probability, -1), status, category, job, assigned_to, search_text
    FROM leads WHERE deleted_at IS NULL
    ORDER BY 2 DESC, 1 DESC;
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
        INSERT INTO lead_rank (lead_id, score_key, status, category, job, assigned_to, search_text)
        SELECT id, coalesce(probability, -1), status, category, job, assigned_to, search_text
        FROM new_rows WHERE deleted_at IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM lead_rank r USING old_rows o WHERE r.lead_id = o.id;
    ELSE
        DELETE FROM lead_rank r USING new_rows n WHERE r.lead_id = n.id AND n.deleted_at IS NOT NULL;
        -- Most updates (a note, a logged call) move nothing the list sorts,
        -- filters or searches on, and write nothing here. EXECUTE plans the
        -- join for this statement's row counts (00011).
        EXECUTE $q$
        INSERT INTO lead_rank (lead_id, score_key, status, category, job, assigned_to, search_text)
        SELECT n.id, coalesce(n.probability, -1), n.status, n.category, n.job, n.assigned_to, n.search_text
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.deleted_at IS NULL
          AND (o.deleted_at IS NOT NULL
               OR (n.probability, n.status, n.category, n.job, n.assigned_to, n.search_text)
                  IS DISTINCT FROM (o.probability, o.status, o.category, o.job, o.assigned_to, o.search_text))
        ON CONFLICT (lead_id) DO UPDATE
        SET score_key = excluded.score_key, status = excluded.status, category = excluded.category,
            job = excluded.job, assigned_to = excluded.assigned_to, search_text = excluded.search_text
        $q$;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

SELECT lead_rank_rebuild();

-- +goose Down
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
        EXECUTE $q$
        INSERT INTO lead_rank (lead_id, score_key, status, category, job, assigned_to)
        SELECT n.id, coalesce(n.probability, -1), n.status, n.category, n.job, n.assigned_to
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.deleted_at IS NULL
          AND (o.deleted_at IS NOT NULL
               OR (n.probability, n.status, n.category, n.job, n.assigned_to)
                  IS DISTINCT FROM (o.probability, o.status, o.category, o.job, o.assigned_to))
        ON CONFLICT (lead_id) DO UPDATE
        SET score_key = excluded.score_key, status = excluded.status, category = excluded.category,
            job = excluded.job, assigned_to = excluded.assigned_to
        $q$;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

DROP OPERATOR ~~# (text, text);
ALTER TABLE lead_rank DROP COLUMN search_text;
