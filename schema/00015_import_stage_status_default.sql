-- A file with a status column may leave a row's cell empty. A new lead then
-- starts as new; an existing one used to be moved to new as well, which the
-- workflow refuses for any lead past it (a contacted lead "cannot move to
-- new"), so the whole row was rejected though it asked for no move. The
-- stage now says which rows' status was not given, and the import gives
-- those rows their lead's current status (queries/import.sql,
-- ImportStageKeepStatus).

-- +goose Up
ALTER TABLE lead_import_stage ADD COLUMN status_default boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE lead_import_stage DROP COLUMN status_default;
