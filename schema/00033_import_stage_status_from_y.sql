-- A staged row says whether its status is the one UCI's y gave it (the
-- row's status cell empty or the file without one), so that the workflow
-- check names the column the status came from (y, or status) when it
-- refuses the row: a file with both columns may take each row's status from
-- either.

-- +goose Up
ALTER TABLE lead_import_stage ADD COLUMN status_from_y boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE lead_import_stage DROP COLUMN status_from_y;
