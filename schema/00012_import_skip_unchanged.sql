-- Re-importing a file whose rows match their leads must change nothing
-- (external_id makes re-import idempotent): the upsert used to write every
-- matched lead anyway, with a new version (open edit forms then got 412s), a
-- new updated_at, a count under "updated", and churn in lead_rank. While an
-- import's transaction says so (jmk.import = on), an update of a lead that
-- leaves every column as it was, apart from the bookkeeping the upsert sets
-- (version, updated_at, and scored_at when the score is the same), is
-- skipped, and counted in jmk.import_unchanged. The trigger fires only for statements that set name, as the
-- import's upsert does and a whole-table re-score (a model activation, new
-- thresholds) does not, so those million-row updates do not even evaluate
-- its WHEN clause; the WHEN clause keeps other edits out of the function.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION leads_skip_unchanged() RETURNS trigger
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

CREATE TRIGGER leads_skip_unchanged BEFORE UPDATE OF name ON leads
FOR EACH ROW WHEN (current_setting('jmk.import', true) = 'on')
EXECUTE FUNCTION leads_skip_unchanged();

-- +goose Down
DROP TRIGGER leads_skip_unchanged ON leads;
DROP FUNCTION leads_skip_unchanged();
