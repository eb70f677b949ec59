-- Names sort alphabetically whatever the database's locale: by the folded
-- name (search_fold: lower case, no accents), then the name as written,
-- then the id. Under a C or C.UTF-8 locale, the default of many servers,
-- "ORDER BY name" put lower-case and accented initials after Z ("Álvaro"
-- after "Zé"), which a sales team reads as a broken list. An ICU collation
-- would sort the same way, but compares several times slower on every
-- insert into the index; the folded key compares bytes.

-- +goose Up
DROP INDEX leads_name_idx;
CREATE INDEX leads_name_idx ON leads (search_fold(name), name, id) WHERE deleted_at IS NULL;
DROP INDEX users_name_id_idx;
CREATE INDEX users_name_id_idx ON users (search_fold(name), name, id);

-- +goose Down
DROP INDEX leads_name_idx;
CREATE INDEX leads_name_idx ON leads (name, id) WHERE deleted_at IS NULL;
DROP INDEX users_name_id_idx;
CREATE INDEX users_name_id_idx ON users (name, id);
