-- lead_rank_apply() keeps lead_rank in step with statement-level writes to
-- leads. Its join of the UPDATE's two transition tables was a static
-- statement, so PL/pgSQL planned it once per session and reused the plan:
-- planned on a one-row update (the common case), it was a nested loop over
-- both tables, and a later update of n leads (an import of a few thousand
-- rows into a larger table) took time in n². It is now EXECUTEd, planned
-- for each statement's row counts.

-- +goose Up
-- +goose StatementBegin
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
        -- EXECUTE plans the join for this statement's row counts. A static
        -- statement's plan is cached for the session, and the first plans
        -- see one-row transition tables: a nested loop that made an update
        -- of n leads cost n² (8,000 leads: 6 s instead of 0.2 s).
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

-- +goose Down
-- +goose StatementBegin
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
