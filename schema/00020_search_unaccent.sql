-- A search ignores accents as it ignores case: q=goncalves finds
-- "Gonçalves" and q=joão finds "Joao", as a sales person typing a
-- Portuguese name on any keyboard expects. search_fold is how both sides of
-- a search are folded: lower case without accents (the unaccent extension's
-- rules, so also æ -> ae, ß -> ss). The search text holds the folded name,
-- phone digits and e-mail, and the queries fold q with the same function.
--
-- unaccent() is only STABLE (its rules are a dictionary that could be
-- changed), so it cannot compute a stored column; search_fold names its
-- dictionary and is declared IMMUTABLE, the usual wrapper. The planner then
-- folds search_fold(q) to a constant, and the trigram index serves it.
--
-- As in 00018, the generated column is dropped and added again, which
-- rewrites leads and rebuilds lead_rank's copy.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;

-- +goose StatementBegin
CREATE FUNCTION search_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN lower(public.unaccent('public.unaccent'::regdictionary, t));
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
DROP FUNCTION search_fold(text);
DROP EXTENSION unaccent;
