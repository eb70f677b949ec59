-- Running totals of live leads for the dashboard, so /stats/summary and
-- /stats/jobs read a few hundred rows instead of scanning every lead.
--
-- Statement-level triggers append one delta row per (status, category,
-- contacted, job) bucket a statement changed, computed from its transition
-- tables: writers only ever INSERT here, so they never queue on a shared
-- counter row, and a bulk import or re-score adds at most one row per bucket.
-- The janitor periodically folds the deltas together (LeadCountsCompact).
-- The totals are exact: the triggers run in the writing transaction, so
-- deltas commit or roll back with their change.

-- +goose Up
CREATE TABLE lead_counts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    status          text NOT NULL,
    category        text, -- null: not scored
    contacted       boolean NOT NULL,
    job             text,
    leads           bigint NOT NULL,
    probability_sum double precision NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION lead_counts_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO lead_counts (status, category, contacted, job, leads, probability_sum)
        SELECT status, category, contact_count > 0, job, count(*), coalesce(sum(probability), 0)
        FROM new_rows WHERE deleted_at IS NULL
        GROUP BY 1, 2, 3, 4;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO lead_counts (status, category, contacted, job, leads, probability_sum)
        SELECT status, category, contact_count > 0, job, -count(*), -coalesce(sum(probability), 0)
        FROM old_rows WHERE deleted_at IS NULL
        GROUP BY 1, 2, 3, 4;
    ELSE
        -- An update that moves no lead between buckets (a note, a phone
        -- number) nets to nothing and writes nothing.
        INSERT INTO lead_counts (status, category, contacted, job, leads, probability_sum)
        SELECT status, category, contacted, job, sum(n), sum(p)
        FROM (
            SELECT status, category, contact_count > 0 AS contacted, job, 1 AS n, coalesce(probability, 0) AS p
            FROM new_rows WHERE deleted_at IS NULL
            UNION ALL
            SELECT status, category, contact_count > 0, job, -1, -coalesce(probability, 0)
            FROM old_rows WHERE deleted_at IS NULL
        ) d
        GROUP BY 1, 2, 3, 4
        HAVING sum(n) <> 0 OR abs(sum(p)) > 1e-9;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- A trigger with transition tables may have only one event, hence three.
CREATE TRIGGER lead_counts_insert AFTER INSERT ON leads
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_counts_apply();
CREATE TRIGGER lead_counts_update AFTER UPDATE ON leads
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_counts_apply();
CREATE TRIGGER lead_counts_delete AFTER DELETE ON leads
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_counts_apply();

INSERT INTO lead_counts (status, category, contacted, job, leads, probability_sum)
SELECT status, category, contact_count > 0, job, count(*), coalesce(sum(probability), 0)
FROM leads WHERE deleted_at IS NULL
GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TRIGGER lead_counts_delete ON leads;
DROP TRIGGER lead_counts_update ON leads;
DROP TRIGGER lead_counts_insert ON leads;
DROP FUNCTION lead_counts_apply();
DROP TABLE lead_counts;
