-- What an INSERT alone can forge in the audit trail, narrowed. The server's
-- own role may insert events (it writes them), so no trigger can tell its
-- events from forged ones; but it never chooses an event's id or time.
--
-- An event's time is the transaction's (now()), whatever the insert says:
-- an inserted event cannot pass for one of last month in the listing's
-- since/until filters.
--
-- Ids start at 1, where verify and the sealer start reading: an event given
-- id 0 or below (OVERRIDING SYSTEM VALUE) was listed but never sealed,
-- verified or counted as unsealed.

-- +goose Up
ALTER TABLE audit_events ADD CONSTRAINT audit_events_id_positive CHECK (id > 0);

-- +goose StatementBegin
CREATE FUNCTION audit_event_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.occurred_at := now();
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_stamp
    BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_event_stamp();
ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_stamp;

-- +goose Down
DROP TRIGGER audit_events_stamp ON audit_events;
DROP FUNCTION audit_event_stamp();
ALTER TABLE audit_events DROP CONSTRAINT audit_events_id_positive;
