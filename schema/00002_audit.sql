-- The audit trail: append-only events, linked afterwards into a SHA-256 hash
-- chain by the sealer (see server/audit). The database itself refuses any
-- UPDATE, DELETE or TRUNCATE of either table.

-- +goose Up
CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    actor_name  text NOT NULL,
    action      text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    entity_type text NOT NULL,
    entity_id   text,
    request_id  text,
    ip          text,
    user_agent  text,
    summary     text NOT NULL,
    changes     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, id);
CREATE INDEX audit_events_action_idx ON audit_events (action, id);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at, id);

-- One seal per event, written once by the sealer in id order:
-- hash = SHA-256(prev_hash || canonical(event)).
CREATE TABLE audit_seals (
    event_id  bigint PRIMARY KEY REFERENCES audit_events (id),
    prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash      bytea NOT NULL CHECK (length(hash) = 32),
    sealed_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_seals_append_only
    BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_seals_no_truncate
    BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- +goose Down
DROP TABLE audit_seals;
DROP TABLE audit_events;
DROP FUNCTION audit_append_only();
