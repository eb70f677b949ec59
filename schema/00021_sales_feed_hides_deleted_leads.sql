-- Sales read the team's feed of audit events (GET /audit-events), but not a
-- deleted lead (404): its events, whose changes hold its phone, e-mail and
-- notes, leave their feed with it. Admins keep seeing every event.

-- +goose Up
-- +goose StatementBegin
-- Whether an event is about a deleted lead, or about a contact with one.
-- Lead and activity events name their entity by its UUID.
CREATE FUNCTION deleted_lead_event(entity_type text, entity_id text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM leads l
        WHERE l.deleted_at IS NOT NULL
          AND l.id = CASE entity_type
                         WHEN 'lead' THEN entity_id::uuid
                         WHEN 'activity' THEN (SELECT a.lead_id FROM activities a WHERE a.id = entity_id::uuid)
                     END)
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION deleted_lead_event(text, text);
