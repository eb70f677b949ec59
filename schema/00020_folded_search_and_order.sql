-- Searches and the name order ignore accents as they ignore case: q=goncalves
-- finds "Gonçalves", q=joão finds "Joao", and "Álvaro" sorts before "Bruno"
-- whatever the database's locale (under C or C.UTF-8, the default of many
-- servers, ORDER BY name put lower-case and accented initials after Z).
--
-- search_fold is the one folding, of stored text and of q alike: lower case
-- without accents, by the unaccent extension's rules (so also æ -> ae,
-- ß -> ss). unaccent() is only STABLE (its rules are a file that could
-- change), so search_fold names its dictionary, schema included (public: the
-- migration stops with a hint when the extension is elsewhere), and is
-- declared IMMUTABLE, the usual wrapper; should the rules change, the README
-- says what to refresh. It is PL/pgSQL, whose one-expression body runs on the
-- fast path, where an SQL function that cannot be inlined starts an executor
-- per call (psql, 1M names: 0.60 s against 1.04-1.28 s).
--
-- search_pattern(q) folds q and only then escapes LIKE's wildcards, since the
-- rules turn fullwidth ＿ ％ ＼ into _ % \, which must match literally too.
-- The planner turns it into a constant, which the trigram index serves.
--
-- leads keeps search_text (folded name, phone digits, folded e-mail) and
-- name_key (folded name, the name order with the id) up to date with a
-- trigger on INSERT or UPDATE OF name, phone, email. Not as generated
-- columns: leads has a BEFORE ROW UPDATE trigger (the import's
-- skip-unchanged), and with one PostgreSQL recomputes every stored generated
-- column on every UPDATE, so a re-scoring activation, which writes only
-- scores, unaccented a million names, phones and e-mails twice over (about
-- 6 s more at 1M leads). Nor as an index on search_fold(name): that runs the
-- function for every new row version too. The trigger is named to run
-- before leads_skip_unchanged (BEFORE triggers run in name order), so that
-- the row it compares with the old version is folded already.
--
-- The columns are filled once as generated columns, in one rewrite of leads
-- that fires no trigger, with the trigger's expressions; DROP EXPRESSION
-- then keeps them as plain columns, values and all. Users are few and seldom
-- updated: an expression index orders them.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;

-- +goose StatementBegin
DO $$
DECLARE
    s name := (SELECT n.nspname FROM pg_extension e
               JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent');
BEGIN
    IF s <> 'public' THEN
        RAISE EXCEPTION 'the unaccent extension is installed in schema %, and search_fold needs it in public', s
            USING HINT = 'ALTER EXTENSION unaccent SET SCHEMA public; then migrate again';
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION search_fold(t text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, t));
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION search_pattern(q text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN '%' || replace(replace(replace(search_fold(q), '\', '\\'), '%', '\%'), '_', '\_') || '%';
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION leads_fold() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.name_key := search_fold(NEW.name);
    NEW.search_text := NEW.name_key || ' ' || coalesce(regexp_replace(NEW.phone, '[^0-9]', '', 'g'), '')
        || ' ' || coalesce(search_fold(NEW.email), '');
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

ALTER TABLE leads DROP COLUMN search_text; -- its trigram index with it
ALTER TABLE leads
    ADD COLUMN name_key text GENERATED ALWAYS AS (search_fold(name)) STORED,
    ADD COLUMN search_text text GENERATED ALWAYS AS (
        search_fold(name) || ' ' || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), '')
        || ' ' || coalesce(search_fold(email), '')) STORED;
ALTER TABLE leads ALTER COLUMN name_key DROP EXPRESSION, ALTER COLUMN search_text DROP EXPRESSION;
CREATE TRIGGER leads_fold BEFORE INSERT OR UPDATE OF name, phone, email ON leads
FOR EACH ROW EXECUTE FUNCTION leads_fold();

CREATE INDEX leads_search_idx ON leads USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL;
DROP INDEX leads_name_idx;
CREATE INDEX leads_name_idx ON leads (name_key, id) WHERE deleted_at IS NULL;
DROP INDEX users_name_id_idx;
CREATE INDEX users_name_id_idx ON users (search_fold(name), id);
SELECT lead_rank_rebuild();
-- The new columns have no statistics yet: without them the planner takes
-- every search for a rare one until autovacuum gets round to it.
ANALYZE leads;

-- +goose Down
DROP TRIGGER leads_fold ON leads;
DROP FUNCTION leads_fold();
DROP INDEX users_name_id_idx;
CREATE INDEX users_name_id_idx ON users (name, id);
ALTER TABLE leads DROP COLUMN name_key, DROP COLUMN search_text;
ALTER TABLE leads ADD COLUMN search_text text GENERATED ALWAYS AS (
    lower(name || ' ' || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), '') || ' ' || coalesce(email, ''))) STORED;
CREATE INDEX leads_search_idx ON leads USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX leads_name_idx ON leads (name, id) WHERE deleted_at IS NULL;
SELECT lead_rank_rebuild();
ANALYZE leads;
DROP FUNCTION search_pattern(text);
DROP FUNCTION search_fold(text);
-- The extension stays, as pg_trgm does: it may have been there before.
