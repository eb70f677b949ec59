-- Names sort alphabetically whatever the database's locale: by the folded
-- name (search_fold: lower case, no accents), then the id. Under a C or
-- C.UTF-8 locale, the default of many servers, "ORDER BY name" put
-- lower-case and accented initials after Z ("Álvaro" after "Zé"), which a
-- sales team reads as a broken list.
--
-- For leads the folded name is a stored column: an index on the expression
-- would run search_fold for every new row version, and a re-scoring
-- activation writes a million of them (about 2 s more at 1M leads, on
-- names that did not change). An ICU collation would sort alike but
-- compare several times slower on every index insert. Users are few and
-- seldom updated: an expression index serves them.
--
-- The import's skip-unchanged trigger compares a row with its old version
-- and must take the new generated column from the old, as it does
-- search_text: generated columns are not computed yet in a BEFORE trigger.

-- +goose Up
ALTER TABLE leads ADD COLUMN name_key text GENERATED ALWAYS AS (search_fold(name)) STORED;
DROP INDEX leads_name_idx;
CREATE INDEX leads_name_idx ON leads (name_key, id) WHERE deleted_at IS NULL;
DROP INDEX users_name_id_idx;
CREATE INDEX users_name_id_idx ON users (search_fold(name), id);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION leads_skip_unchanged() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cmp leads;
BEGIN
    -- A score the upsert cleared (a file with only some scoring inputs)
    -- stands when those inputs did not change.
    IF NEW.model_version IS NULL AND OLD.model_version IS NOT NULL
       AND (NEW.age, NEW.job, NEW.marital, NEW.education, NEW.credit_default, NEW.housing_loan,
            NEW.personal_loan, NEW.contact_channel, NEW.last_contact_month, NEW.last_contact_weekday,
            NEW.last_call_duration_sec, NEW.campaign_contacts, NEW.days_since_previous_contact,
            NEW.previous_contacts, NEW.previous_outcome, NEW.emp_var_rate, NEW.cons_price_idx,
            NEW.cons_conf_idx, NEW.euribor_3m, NEW.nr_employed)
           IS NOT DISTINCT FROM
           (OLD.age, OLD.job, OLD.marital, OLD.education, OLD.credit_default, OLD.housing_loan,
            OLD.personal_loan, OLD.contact_channel, OLD.last_contact_month, OLD.last_contact_weekday,
            OLD.last_call_duration_sec, OLD.campaign_contacts, OLD.days_since_previous_contact,
            OLD.previous_contacts, OLD.previous_outcome, OLD.emp_var_rate, OLD.cons_price_idx,
            OLD.cons_conf_idx, OLD.euribor_3m, OLD.nr_employed) THEN
        NEW.probability := OLD.probability;
        NEW.category := OLD.category;
        NEW.model_version := OLD.model_version;
        NEW.scored_at := OLD.scored_at;
    END IF;
    cmp := NEW;
    cmp.version := OLD.version;
    cmp.updated_at := OLD.updated_at;
    cmp.search_text := OLD.search_text; -- generated: not computed yet in NEW
    cmp.name_key := OLD.name_key;
    IF (NEW.probability, NEW.category, NEW.model_version)
       IS NOT DISTINCT FROM (OLD.probability, OLD.category, OLD.model_version) THEN
        cmp.scored_at := OLD.scored_at;
    END IF;
    -- A lead the import named by its id has taken it as its external_id
    -- (queries/import.sql, ImportAdoptIDs), kept as it was here: a change.
    IF cmp IS NOT DISTINCT FROM OLD
       AND NOT (current_setting('jmk.import_adopted', true) = 'on'
                AND EXISTS (SELECT 1 FROM lead_import_before b WHERE b.id = OLD.id)) THEN
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
    -- A score the upsert cleared (a file with only some scoring inputs)
    -- stands when those inputs did not change.
    IF NEW.model_version IS NULL AND OLD.model_version IS NOT NULL
       AND (NEW.age, NEW.job, NEW.marital, NEW.education, NEW.credit_default, NEW.housing_loan,
            NEW.personal_loan, NEW.contact_channel, NEW.last_contact_month, NEW.last_contact_weekday,
            NEW.last_call_duration_sec, NEW.campaign_contacts, NEW.days_since_previous_contact,
            NEW.previous_contacts, NEW.previous_outcome, NEW.emp_var_rate, NEW.cons_price_idx,
            NEW.cons_conf_idx, NEW.euribor_3m, NEW.nr_employed)
           IS NOT DISTINCT FROM
           (OLD.age, OLD.job, OLD.marital, OLD.education, OLD.credit_default, OLD.housing_loan,
            OLD.personal_loan, OLD.contact_channel, OLD.last_contact_month, OLD.last_contact_weekday,
            OLD.last_call_duration_sec, OLD.campaign_contacts, OLD.days_since_previous_contact,
            OLD.previous_contacts, OLD.previous_outcome, OLD.emp_var_rate, OLD.cons_price_idx,
            OLD.cons_conf_idx, OLD.euribor_3m, OLD.nr_employed) THEN
        NEW.probability := OLD.probability;
        NEW.category := OLD.category;
        NEW.model_version := OLD.model_version;
        NEW.scored_at := OLD.scored_at;
    END IF;
    cmp := NEW;
    cmp.version := OLD.version;
    cmp.updated_at := OLD.updated_at;
    cmp.search_text := OLD.search_text; -- generated: not computed yet in NEW
    IF (NEW.probability, NEW.category, NEW.model_version)
       IS NOT DISTINCT FROM (OLD.probability, OLD.category, OLD.model_version) THEN
        cmp.scored_at := OLD.scored_at;
    END IF;
    -- A lead the import named by its id has taken it as its external_id
    -- (queries/import.sql, ImportAdoptIDs), kept as it was here: a change.
    IF cmp IS NOT DISTINCT FROM OLD
       AND NOT (current_setting('jmk.import_adopted', true) = 'on'
                AND EXISTS (SELECT 1 FROM lead_import_before b WHERE b.id = OLD.id)) THEN
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

DROP INDEX users_name_id_idx;
CREATE INDEX users_name_id_idx ON users (name, id);
DROP INDEX leads_name_idx;
ALTER TABLE leads DROP COLUMN name_key;
CREATE INDEX leads_name_idx ON leads (name, id) WHERE deleted_at IS NULL;
