-- Three things a re-import got wrong.
--
-- A file with some of the scoring inputs but not all (say external_id, name,
-- age) makes the upsert clear each matched lead's score for the import's
-- scoring pass to redo, since the lead's other inputs fill the gaps. When
-- the file brought the values the lead already had, that cleared score was
-- the only difference the skip-unchanged trigger saw: the lead got a new
-- version (open edit forms a 412) and counted as updated, though nothing
-- changed and no lead.update event said what had. The trigger now keeps the
-- score it had when the scoring inputs come out the same.
--
-- A lead without external_id named by its id takes that id as its
-- external_id, as the file says; when the row brought nothing else new, the
-- trigger skipped it as unchanged, so that change had no version and no
-- event. Now it is a change like any other.
--
-- import_id_ref() is the one reading of "a staged external_id that names a
-- lead by its id" (an export writes a lead without external_id with its id):
-- the import adopts such live leads and refuses rows naming deleted ones.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION import_id_ref(external_id text) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- The length first: a regular expression on every staged row cost a
    -- million-row import 0.4 s.
    SELECT CASE WHEN octet_length(external_id) = 36 THEN
               CASE WHEN external_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                    THEN external_id::uuid END
           END
$$;

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
        PERFORM set_config('jmk.import_unchanged',
                           (coalesce(nullif(current_setting('jmk.import_unchanged', true), ''), '0')::bigint + 1)::text, true);
        RETURN NULL;
    END IF;
    INSERT INTO lead_import_before (id, lead) VALUES (OLD.id, to_jsonb(OLD)) ON CONFLICT (id) DO NOTHING;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

DROP FUNCTION import_id_ref(text);
