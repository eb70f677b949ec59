-- name: AuditEventInsert :one
INSERT INTO audit_events (actor_id, actor_name, action, entity_type, entity_id, request_id, ip, user_agent, summary, changes)
VALUES (sqlc.narg(actor_id), sqlc.arg(actor_name), sqlc.arg(action), sqlc.arg(entity_type), sqlc.narg(entity_id),
        sqlc.narg(request_id), sqlc.narg(ip), sqlc.narg(user_agent), sqlc.arg(summary), sqlc.arg(changes))
RETURNING id;

-- name: AuditEventList :many
-- Newest first. sales_only restricts to the team feed: lead, activity and
-- import events, less those of deleted leads and of their contacts, which
-- sales can no longer read (schema/00021). A page tests its events one by
-- one, at a cost that does not grow with the deleted leads.
SELECT e.*, (s.event_id IS NOT NULL)::boolean AS sealed
FROM audit_events e
LEFT JOIN audit_seals s ON s.event_id = e.id
WHERE (sqlc.narg(actor_id)::uuid IS NULL OR e.actor_id = sqlc.narg(actor_id))
  AND (sqlc.narg(action)::text IS NULL OR e.action = sqlc.narg(action))
  AND (sqlc.narg(entity_type)::text IS NULL OR e.entity_type = sqlc.narg(entity_type))
  AND (sqlc.narg(entity_id)::text IS NULL OR e.entity_id = sqlc.narg(entity_id))
  AND (sqlc.narg(since)::timestamptz IS NULL OR e.occurred_at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR e.occurred_at < sqlc.narg(until))
  AND (NOT @sales_only::boolean OR e.entity_type IN ('lead', 'activity', 'import') AND NOT deleted_lead_event(e.entity_type, e.entity_id))
  AND (sqlc.narg(before_id)::bigint IS NULL OR e.id < sqlc.narg(before_id))
ORDER BY e.id DESC
LIMIT @lim;

-- name: AuditEventsAfter :many
-- AuditEventList's filters, oldest first from after @after_id, sealed
-- events only: the sealer links events in id order once no transaction
-- that could still commit a smaller id is running, so a reader that goes on
-- from the last id it saw never misses one that commits late.
SELECT e.*, true AS sealed
FROM audit_events e
JOIN audit_seals s ON s.event_id = e.id
WHERE (sqlc.narg(actor_id)::uuid IS NULL OR e.actor_id = sqlc.narg(actor_id))
  AND (sqlc.narg(action)::text IS NULL OR e.action = sqlc.narg(action))
  AND (sqlc.narg(entity_type)::text IS NULL OR e.entity_type = sqlc.narg(entity_type))
  AND (sqlc.narg(entity_id)::text IS NULL OR e.entity_id = sqlc.narg(entity_id))
  AND (sqlc.narg(since)::timestamptz IS NULL OR e.occurred_at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR e.occurred_at < sqlc.narg(until))
  AND (NOT @sales_only::boolean OR e.entity_type IN ('lead', 'activity', 'import') AND NOT deleted_lead_event(e.entity_type, e.entity_id))
  AND e.id > @after_id::bigint
ORDER BY e.id
LIMIT @lim;

-- name: AuditEventCount :one
-- AuditEventList's filters, counted. Testing every event one by one took a
-- team feed's count 10-17 s at 1.6M events; the events of deleted leads
-- are one set here, left out by an anti-join (which spills to disk rather
-- than failing over when there are many), at the top level so the planner
-- can make it one. Events name leads and contacts by their id in lower
-- case, as uuid's text is.
SELECT count(*) FROM audit_events e
WHERE (sqlc.narg(actor_id)::uuid IS NULL OR e.actor_id = sqlc.narg(actor_id))
  AND (sqlc.narg(action)::text IS NULL OR e.action = sqlc.narg(action))
  AND (sqlc.narg(entity_type)::text IS NULL OR e.entity_type = sqlc.narg(entity_type))
  AND (sqlc.narg(entity_id)::text IS NULL OR e.entity_id = sqlc.narg(entity_id))
  AND (sqlc.narg(since)::timestamptz IS NULL OR e.occurred_at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR e.occurred_at < sqlc.narg(until))
  AND (NOT @sales_only::boolean OR e.entity_type IN ('lead', 'activity', 'import'))
  AND NOT EXISTS (
      SELECT 1 FROM (
          SELECT 'lead'::text AS entity_type, l.id::text AS entity_id FROM leads l WHERE l.deleted_at IS NOT NULL
          UNION ALL
          SELECT 'activity', a.id::text FROM leads l JOIN activities a ON a.lead_id = l.id
          WHERE l.deleted_at IS NOT NULL
      ) d
      WHERE @sales_only::boolean AND d.entity_type = e.entity_type AND d.entity_id = e.entity_id);

-- name: AuditSealerLock :one
-- Only one sealer at a time, across every instance; released at commit.
SELECT pg_try_advisory_xact_lock(hashtextextended('jmk:audit-sealer', 0));

-- name: AuditSealerIdleLimit :exec
-- A sealer frozen inside its transaction (a stopped process, a lost
-- network) would keep the lock, and every instance from sealing, until TCP
-- noticed, hours later: PostgreSQL ends such a session after 10 s instead.
SELECT set_config('idle_in_transaction_session_timeout', '10s', true);

-- name: AuditSealerMark :one
-- The highest committed id, and the transactions that may still hold a
-- smaller one: every transaction of this database that has opened
-- audit_events for INSERT (it takes RowExclusiveLock before it draws an id,
-- and keeps it until it ends). A transaction that opens the table after
-- the statement's snapshot can only draw larger ids. Transactions that never
-- write the trail (in this database or any other) are not waited for.
-- With every committed event sealed (sealed_id = max_id), there is nothing
-- to wait for and pg_locks is not read: an idle sealer costs two index
-- probes and a read of the id sequence a tick. unsealed counts the committed events above sealed_id (ids
-- of rolled-back writes leave gaps), for /metrics.
-- issued_id is the id sequence's last value (0 when this role may not read
-- it, or it has issued none). A sealed event above it (ahead) was inserted
-- with an id of its own choosing: every event the sequence issues after
-- that is below the chain's head and can never be sealed. stranded counts
-- those, above the last seal the sequence could have issued.
WITH s AS (
    SELECT pg_catalog.pg_get_serial_sequence('audit_events', 'id')::regclass AS seq
), m AS (
    SELECT coalesce((SELECT max(id) FROM audit_events), 0)::bigint AS max_id,
           coalesce((SELECT max(event_id) FROM audit_seals), 0)::bigint AS sealed_id,
           coalesce(CASE WHEN pg_catalog.has_sequence_privilege(s.seq, 'SELECT,USAGE')
                         THEN pg_catalog.pg_sequence_last_value(s.seq) END, 0)::bigint AS issued_id
    FROM s
), n AS (
    SELECT m.*, (m.issued_id > 0 AND m.sealed_id > m.issued_id)::boolean AS ahead FROM m
)
SELECT m.max_id, m.sealed_id, m.issued_id, m.ahead,
       CASE WHEN m.max_id > m.sealed_id THEN
           (SELECT count(*) FROM audit_events e WHERE e.id > m.sealed_id AND e.id <= m.max_id)
       ELSE 0 END::bigint AS unsealed,
       CASE WHEN m.ahead THEN
           (SELECT count(*) FROM audit_events e
            WHERE e.id <= m.issued_id
              AND e.id > coalesce((SELECT max(a.event_id) FROM audit_seals a WHERE a.event_id <= m.issued_id), 0)
              AND NOT EXISTS (SELECT 1 FROM audit_seals a WHERE a.event_id = e.id))
       ELSE 0 END::bigint AS stranded,
       CASE WHEN m.max_id > m.sealed_id THEN
           coalesce((SELECT array_agg(l.virtualtransaction)
                     FROM pg_catalog.pg_locks l
                     WHERE l.locktype = 'relation'
                       AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                       AND l.relation = 'audit_events'::regclass
                       AND l.mode = 'RowExclusiveLock'
                       AND l.pid IS DISTINCT FROM pg_backend_pid()), '{}')
       ELSE '{}' END::text[] AS writers
FROM n AS m;

-- name: AuditSealerWaiting :one
-- How many of the noted writers still run.
SELECT count(*) FROM pg_catalog.pg_locks l
WHERE l.locktype = 'relation'
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND l.relation = 'audit_events'::regclass
  AND l.mode = 'RowExclusiveLock'
  AND l.virtualtransaction = ANY (sqlc.arg(writers)::text[]);

-- name: AuditSealLast :one
SELECT event_id, hash FROM audit_seals ORDER BY event_id DESC LIMIT 1;

-- name: AuditEventsToSeal :many
SELECT * FROM audit_events
WHERE id > @after_id AND id <= @up_to
ORDER BY id
LIMIT @lim;

-- name: AuditSealInsert :copyfrom
INSERT INTO audit_seals (event_id, prev_hash, hash) VALUES (@event_id, @prev_hash, @hash);

-- name: AuditChainPage :many
-- Events with their seal, in chain order, for verification. The seals are
-- bounded too, or each page would read them from the first on.
SELECT e.*, s.prev_hash, s.hash
FROM audit_events e
LEFT JOIN audit_seals s ON s.event_id = e.id AND s.event_id > @after_id
WHERE e.id > @after_id
ORDER BY e.id
LIMIT @lim;

-- name: AuditSealOrphans :one
-- Seals whose event is gone: only possible behind the trigger's back.
SELECT coalesce(min(s.event_id), 0)::bigint AS first_id, count(*) AS n
FROM audit_seals s
LEFT JOIN audit_events e ON e.id = s.event_id
WHERE e.id IS NULL;

-- name: AuditEventExists :one
-- Whether an entity already has an event of this action (on the entity index).
SELECT EXISTS (
    SELECT 1 FROM audit_events
    WHERE entity_type = @entity_type AND entity_id = @entity_id AND action = @action
)::boolean AS seen;

-- name: AuditGuards :one
-- The append-only guards as they stand: how many of the four triggers of
-- migrations 00002 and 00023 are in force (each on its table, enabled in
-- every session, on the right operations, for every row and column, with
-- no WHEN condition, running audit_append_only), and that function's
-- source (empty when it is gone), which its owner could replace with one
-- that refuses nothing while every trigger still shows as enabled.
SELECT (SELECT count(*) FROM pg_catalog.pg_trigger t
        WHERE (t.tgrelid, t.tgname, t.tgtype) IN (
                ('audit_events'::regclass, 'audit_events_append_only', 27), -- BEFORE UPDATE OR DELETE, FOR EACH ROW
                ('audit_events'::regclass, 'audit_events_no_truncate', 34), -- BEFORE TRUNCATE
                ('audit_seals'::regclass, 'audit_seals_append_only', 27),
                ('audit_seals'::regclass, 'audit_seals_no_truncate', 34))
          AND t.tgenabled = 'A' AND t.tgqual IS NULL AND t.tgattr = ''::int2vector AND t.tgnargs = 0
          AND t.tgfoid = to_regprocedure('audit_append_only()')
       )::int AS in_force,
       coalesce((SELECT md5(p.prosrc) FROM pg_catalog.pg_proc p WHERE p.oid = to_regprocedure('audit_append_only()')), '')::text AS function_md5;
