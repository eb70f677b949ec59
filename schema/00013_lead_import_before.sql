-- A re-import's per-lead history. The import keeps here, for the rest of its
-- transaction, the values of the live leads its file names, as they were
-- before its upsert; afterwards each lead it changed gets its own
-- lead.update event listing what changed, so a lead's history shows an
-- import's changes as it shows an edit's. Like lead_import_stage it never
-- holds committed rows (the import truncates it), hence UNLOGGED.

-- +goose Up
CREATE UNLOGGED TABLE lead_import_before (
    id   uuid PRIMARY KEY,
    lead jsonb NOT NULL
);

-- +goose Down
DROP TABLE lead_import_before;
