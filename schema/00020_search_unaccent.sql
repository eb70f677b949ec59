-- A search ignores accents as it ignores case: q=goncalves finds
-- "Gonçalves" and q=joão finds "Joao", as a sales person typing a
-- Portuguese name on any keyboard expects. search_fold is how both sides of
-- a search are folded: lower case without accents (the unaccent extension's
-- rules, so also æ -> ae, ß -> ss). The search text holds the folded name,
-- phone digits and e-mail; search_pattern folds q the same way and only then
-- escapes LIKE's wildcards, because the rules also turn fullwidth ＿ ％ ＼
-- into _ % \, which must match literally too.
--
-- unaccent() is only STABLE (its rules are a file that could change), so it
-- cannot compute a stored column; search_fold names its dictionary, schema
-- included (public: the migration stops with a hint when the extension is
-- elsewhere), and is declared IMMUTABLE, the usual wrapper. The planner
-- then turns search_pattern(q) into a constant, which the trigram index
-- serves. Should the rules change (a PostgreSQL upgrade), the README says
-- what to rebuild.
--
-- As in 00018, the generated column is dropped and added again, which
-- rewrites leads and rebuilds lead_rank's copy.

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

-- PL/pgSQL rather than SQL: it evaluates a one-expression body on its fast
-- path, where an SQL function that cannot be inlined starts an executor per
-- call (psql, 1M names: 0.60 s against 1.04-1.28 s; every imported lead
-- calls it twice).
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

ALTER TABLE leads DROP COLUMN search_text;
ALTER TABLE leads ADD COLUMN search_text text GENERATED ALWAYS AS (
    search_fold(name || ' ' || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), '') || ' ' || coalesce(email, ''))) STORED;
CREATE INDEX leads_search_idx ON leads USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL;
SELECT lead_rank_rebuild();
-- The new column has no statistics yet: without them the planner takes
-- every search for a rare one until autovacuum gets round to it.
ANALYZE leads;

-- +goose Down
ALTER TABLE leads DROP COLUMN search_text;
ALTER TABLE leads ADD COLUMN search_text text GENERATED ALWAYS AS (
    lower(name || ' ' || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), '') || ' ' || coalesce(email, ''))) STORED;
CREATE INDEX leads_search_idx ON leads USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL;
SELECT lead_rank_rebuild();
ANALYZE leads;
DROP FUNCTION search_pattern(text);
DROP FUNCTION search_fold(text);
-- The extension stays, as pg_trgm does: it may have been there before.
