-- The audit trail's append-only triggers fire in every session, replication
-- ones included. As created (00002) they are enabled only for the default
-- session_replication_role, so a session that could set it to replica (a
-- superuser, which needs no DDL for that, and no trace in a DDL log) could
-- UPDATE or DELETE events and seals. Now only ALTER TABLE ... DISABLE
-- TRIGGER by a superuser or the tables' owner gets past them.

-- +goose Up
ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_append_only;
ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_no_truncate;
ALTER TABLE audit_seals ENABLE ALWAYS TRIGGER audit_seals_append_only;
ALTER TABLE audit_seals ENABLE ALWAYS TRIGGER audit_seals_no_truncate;

-- +goose Down
ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_truncate;
ALTER TABLE audit_seals ENABLE TRIGGER audit_seals_append_only;
ALTER TABLE audit_seals ENABLE TRIGGER audit_seals_no_truncate;
