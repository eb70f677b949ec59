-- The import scores new leads while it reads the file (the model is in
-- memory), so the staging table carries the score: the upsert then writes
-- each lead once instead of inserting it and updating it again.

-- +goose Up
ALTER TABLE lead_import_stage
    ADD COLUMN probability   double precision,
    ADD COLUMN category      text,
    ADD COLUMN model_version integer;

-- +goose Down
ALTER TABLE lead_import_stage
    DROP COLUMN probability,
    DROP COLUMN category,
    DROP COLUMN model_version;
