-- A search finds a phone number whatever its spacing: the search text holds
-- the phone's digits alone, and a q made only of phone characters (digits,
-- spaces, + ( ) - .) is searched by its digits (store.leadSearch), so
-- 928385952, "928 385 952" and +351928385952 all find "+351 928 385 952",
-- which a sales person may have typed any of those ways. The digits also
-- give the trigram index fewer entries to keep than the formatted number.
--
-- PostgreSQL 15 cannot change a generated column's expression in place: the
-- column is dropped (its trigram index with it) and added again, which
-- rewrites leads; lead_rank's copy is rebuilt.

-- +goose Up
ALTER TABLE leads DROP COLUMN search_text;
ALTER TABLE leads ADD COLUMN search_text text GENERATED ALWAYS AS (
    lower(name || ' ' || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), '') || ' ' || coalesce(email, ''))) STORED;
CREATE INDEX leads_search_idx ON leads USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL;
SELECT lead_rank_rebuild();

-- +goose Down
ALTER TABLE leads DROP COLUMN search_text;
ALTER TABLE leads ADD COLUMN search_text text GENERATED ALWAYS AS (
    lower(name || ' ' || coalesce(phone, '') || ' ' || coalesce(email, ''))) STORED;
CREATE INDEX leads_search_idx ON leads USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL;
SELECT lead_rank_rebuild();
