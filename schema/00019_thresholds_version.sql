-- The cut-offs carry a version, as leads and users do, behind the ETag of
-- GET /scoring/thresholds: a PUT that sends it back in If-Match does not
-- overwrite another admin's change made since.

-- +goose Up
ALTER TABLE scoring_thresholds ADD COLUMN version integer NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE scoring_thresholds DROP COLUMN version;
