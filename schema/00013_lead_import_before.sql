-- A re-import's per-lead history. The skip-unchanged trigger of migration
-- 00012 sees each lead the import's upsert is about to change, with its old
-- values and under its row lock; it now keeps those values here, and after
-- the upsert each such lead gets its own lead.update event listing what
-- changed (queries/import.sql, ImportLeadEvents), so a lead's history shows
-- an import as it shows an edit. Only the leads that change cost anything,
-- and the old values are those the import replaced, not those of a moment
-- before some other edit. Like lead_import_stage the table never holds
-- committed rows (the import truncates it), hence UNLOGGED.

-- +goose Up
CREATE UNLOGGED TABLE lead_import_before (
    id   uuid PRIMARY KEY,
    lead jsonb NOT NULL
);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION leads_skip_unchanged() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cmp leads;
BEGIN
    cmp := NEW;
    cmp.version := OLD.version;
    cmp.updated_at := OLD.updated_at;
    cmp.search_text := OLD.search_text; -- generated: not computed yet in NEW
    IF (NEW.probability, NEW.category, NEW.model_version)
       IS NOT DISTINCT FROM (OLD.probability, OLD.category, OLD.model_version) THEN
        cmp.scored_at := OLD.scored_at;
    END IF;
    IF cmp IS NOT DISTINCT FROM OLD THEN
        -- Counted here rather than by joining the file to leads again
        -- afterwards, which cost a fresh million-row import seconds.
        PERFORM set_config('jmk.import_unchanged',
                           (coalesce(nullif(current_setting('jmk.import_unchanged', true), ''), '0')::bigint + 1)::text, true);
        RETURN NULL;
    END IF;
    -- The lead changes: keep its values as they were, for its event.
    INSERT INTO lead_import_before (id, lead) VALUES (OLD.id, to_jsonb(OLD)) ON CONFLICT (id) DO NOTHING;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION leads_skip_unchanged() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cmp leads;
BEGIN
    cmp := NEW;
    cmp.version := OLD.version;
    cmp.updated_at := OLD.updated_at;
    cmp.search_text := OLD.search_text; -- generated: not computed yet in NEW
    IF (NEW.probability, NEW.category, NEW.model_version)
       IS NOT DISTINCT FROM (OLD.probability, OLD.category, OLD.model_version) THEN
        cmp.scored_at := OLD.scored_at;
    END IF;
    IF cmp IS NOT DISTINCT FROM OLD THEN
        -- Counted here rather than by joining the file to leads again
        -- afterwards, which cost a fresh million-row import seconds.
        PERFORM set_config('jmk.import_unchanged',
                           (coalesce(nullif(current_setting('jmk.import_unchanged', true), ''), '0')::bigint + 1)::text, true);
        RETURN NULL;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

DROP TABLE lead_import_before;
