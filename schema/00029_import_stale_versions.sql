-- The version column of an import file (an export writes each lead's
-- version): a row whose lead has changed since it was exported, and that
-- would change it again, is refused, as a PATCH with a stale If-Match is
-- (412); without it, re-importing an old export silently undid a seller's
-- edit made since. The upsert marks such rows (ImportUpsert) and the
-- skip-unchanged trigger, which alone knows whether a row changes its lead,
-- refuses them, listing their leads in lead_import_stale for the report.

-- +goose Up
ALTER TABLE lead_import_stage ADD COLUMN lead_version integer;
CREATE UNLOGGED TABLE lead_import_stale (id uuid PRIMARY KEY, refused boolean NOT NULL);

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
    -- A negative version is the upsert's mark of a row whose file gave the
    -- lead's version, and the lead has changed since (ImportUpsert): it is
    -- refused rather than written over that change. A row that changes
    -- nothing, above, is not, so that re-importing a file stays idempotent;
    -- nor is one whose only change is the id a lead named by it takes as
    -- its external_id: unchanged, and the adoption undone (refused false).
    IF NEW.version < 0 THEN
        IF cmp IS NOT DISTINCT FROM OLD THEN
            PERFORM set_config('jmk.import_unchanged',
                               (coalesce(nullif(current_setting('jmk.import_unchanged', true), ''), '0')::bigint + 1)::text, true);
        END IF;
        INSERT INTO lead_import_stale (id, refused) VALUES (OLD.id, cmp IS DISTINCT FROM OLD) ON CONFLICT (id) DO NOTHING;
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
DROP TABLE lead_import_stale;
ALTER TABLE lead_import_stage DROP COLUMN lead_version;
