-- A staged row says whether it holds anything to make a lead of (a name, a
-- phone, an e-mail or a scoring input), as the importer sees the row once
-- amended; ImportStageDropBare refuses such a row when no lead has its
-- external_id, rather than adding a lead out of nothing.

-- +goose Up
ALTER TABLE lead_import_stage ADD COLUMN bare boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE lead_import_stage DROP COLUMN bare;
