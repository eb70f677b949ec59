-- The folded search text and name are kept by a trigger that runs only when
-- the name, phone or e-mail is written, rather than as generated columns.
--
-- leads has a BEFORE ROW UPDATE trigger (the import's skip-unchanged), and
-- PostgreSQL then recomputes every stored generated column on every UPDATE,
-- since such a trigger may change any column: a re-scoring activation, which
-- writes only the score of a million leads, unaccented a million names,
-- phones and e-mails twice over (about 6 s more than with the lower-case
-- search text before 00020, whose expression was cheaper). The trigger,
-- limited to UPDATE OF name, phone, email, does not fire there at all.
--
-- DROP EXPRESSION keeps each column and its values, with no rewrite.

-- +goose Up
ALTER TABLE leads ALTER COLUMN search_text DROP EXPRESSION;
ALTER TABLE leads ALTER COLUMN name_key DROP EXPRESSION;

-- +goose StatementBegin
CREATE FUNCTION leads_fold() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- As search_fold does, written out: one function call less a row.
    NEW.name_key := lower(public.unaccent('public.unaccent'::regdictionary, NEW.name));
    NEW.search_text := NEW.name_key || ' ' || coalesce(regexp_replace(NEW.phone, '[^0-9]', '', 'g'), '')
        || ' ' || coalesce(lower(public.unaccent('public.unaccent'::regdictionary, NEW.email)), '');
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- Named to run before leads_skip_unchanged (BEFORE triggers run in name
-- order), which compares the row with its old version.
CREATE TRIGGER leads_fold BEFORE INSERT OR UPDATE OF name, phone, email ON leads
FOR EACH ROW EXECUTE FUNCTION leads_fold();

-- +goose Down
DROP TRIGGER leads_fold ON leads;
DROP FUNCTION leads_fold();
DROP INDEX leads_name_idx;
ALTER TABLE leads DROP COLUMN name_key;
ALTER TABLE leads ADD COLUMN name_key text GENERATED ALWAYS AS (search_fold(name)) STORED;
CREATE INDEX leads_name_idx ON leads (name_key, id) WHERE deleted_at IS NULL;
ALTER TABLE leads DROP COLUMN search_text;
ALTER TABLE leads ADD COLUMN search_text text GENERATED ALWAYS AS (
    search_fold(name || ' ' || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), '') || ' ' || coalesce(email, ''))) STORED;
CREATE INDEX leads_search_idx ON leads USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL;
SELECT lead_rank_rebuild();
ANALYZE leads;
