-- The running totals of lead_counts (00007) also keyed by the lead's seller,
-- so /stats/summary?assigned_to=... gives one seller's (or the pool's)
-- figures from the same few rows per bucket. The lock keeps writers out
-- while the totals are recounted: a delta written meanwhile would be lost
-- or counted twice.

-- +goose Up
LOCK TABLE leads IN SHARE ROW EXCLUSIVE MODE;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION lead_counts_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO lead_counts (status, category, contacted, job, assigned_to, by_seller, leads, probability_sum)
        SELECT status, category, contact_count > 0, job, assigned_to, true, count(*), coalesce(sum(probability), 0)
        FROM new_rows WHERE deleted_at IS NULL
        GROUP BY 1, 2, 3, 4, 5;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO lead_counts (status, category, contacted, job, assigned_to, by_seller, leads, probability_sum)
        SELECT status, category, contact_count > 0, job, assigned_to, true, -count(*), -coalesce(sum(probability), 0)
        FROM old_rows WHERE deleted_at IS NULL
        GROUP BY 1, 2, 3, 4, 5;
    ELSE
        -- An update that moves no lead between buckets (a note, a phone
        -- number) nets to nothing and writes nothing.
        INSERT INTO lead_counts (status, category, contacted, job, assigned_to, by_seller, leads, probability_sum)
        SELECT status, category, contacted, job, assigned_to, true, sum(n), sum(p)
        FROM (
            SELECT status, category, contact_count > 0 AS contacted, job, assigned_to, 1 AS n,
                   coalesce(probability, 0) AS p
            FROM new_rows WHERE deleted_at IS NULL
            UNION ALL
            SELECT status, category, contact_count > 0, job, assigned_to, -1, -coalesce(probability, 0)
            FROM old_rows WHERE deleted_at IS NULL
        ) d
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(n) <> 0 OR abs(sum(p)) > 1e-9;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

ALTER TABLE lead_counts ADD COLUMN assigned_to uuid;
TRUNCATE lead_counts;
-- True in every row. An instance older than this migration, left running,
-- compacts the totals without the seller: its INSERT, which does not name
-- this column, then fails, rather than merging every seller's totals into
-- the pool's for good.
ALTER TABLE lead_counts ADD COLUMN by_seller boolean NOT NULL CHECK (by_seller);
INSERT INTO lead_counts (status, category, contacted, job, assigned_to, by_seller, leads, probability_sum)
SELECT status, category, contact_count > 0, job, assigned_to, true, count(*), coalesce(sum(probability), 0)
FROM leads WHERE deleted_at IS NULL
GROUP BY 1, 2, 3, 4, 5;

-- +goose Down
LOCK TABLE leads IN SHARE ROW EXCLUSIVE MODE;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION lead_counts_apply() RETURNS trigger
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

TRUNCATE lead_counts;
ALTER TABLE lead_counts DROP COLUMN assigned_to, DROP COLUMN by_seller;
INSERT INTO lead_counts (status, category, contacted, job, leads, probability_sum)
SELECT status, category, contact_count > 0, job, count(*), coalesce(sum(probability), 0)
FROM leads WHERE deleted_at IS NULL
GROUP BY 1, 2, 3, 4;
