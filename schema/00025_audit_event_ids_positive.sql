-- Audit event ids start at 1, where verify and the sealer start reading: an
-- event inserted with id 0 or below (OVERRIDING SYSTEM VALUE) would be
-- listed but never sealed, verified or counted as unsealed.

-- +goose Up
ALTER TABLE audit_events ADD CONSTRAINT audit_events_id_positive CHECK (id > 0);

-- +goose Down
ALTER TABLE audit_events DROP CONSTRAINT audit_events_id_positive;
