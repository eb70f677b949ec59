-- name: UserInsert :one
INSERT INTO users (id, name, email, password_hash, role)
VALUES (@id, @name, lower(@email), @password_hash, @role)
RETURNING *;

-- name: UserGet :one
SELECT * FROM users WHERE id = @id;

-- name: UserGetShared :one
-- Reads a user and keeps them as they are until the transaction ends: a
-- deactivation committing meanwhile waits, and one committed first is seen.
SELECT * FROM users WHERE id = @id FOR SHARE;

-- name: UserGetByEmail :one
SELECT * FROM users WHERE lower(email) = lower(@email);

-- name: UserCount :one
SELECT count(*) FROM users;

-- name: UserList :many
-- Keyset over (folded name, id), alphabetical whatever the locale
-- (schema/00020_folded_search_and_order.sql); filters are optional.
SELECT * FROM users
WHERE (sqlc.narg(role)::text IS NULL OR role = sqlc.narg(role))
  AND (sqlc.narg(active)::boolean IS NULL OR active = sqlc.narg(active))
  AND (sqlc.narg(q)::text IS NULL OR search_fold(name) LIKE search_pattern(sqlc.narg(q)::text)
       OR search_fold(email) LIKE search_pattern(sqlc.narg(q)::text))
  AND (sqlc.narg(after_name)::text IS NULL
       OR (search_fold(name), id) > (search_fold(sqlc.narg(after_name)::text), sqlc.narg(after_id)::uuid))
ORDER BY search_fold(name), id
LIMIT @lim;

-- name: UserListCount :one
SELECT count(*) FROM users
WHERE (sqlc.narg(role)::text IS NULL OR role = sqlc.narg(role))
  AND (sqlc.narg(active)::boolean IS NULL OR active = sqlc.narg(active))
  AND (sqlc.narg(q)::text IS NULL OR search_fold(name) LIKE search_pattern(sqlc.narg(q)::text)
       OR search_fold(email) LIKE search_pattern(sqlc.narg(q)::text));

-- name: UserGetForUpdate :one
-- NO KEY: ids never change, and a FOR UPDATE would also block the foreign
-- key checks (FOR KEY SHARE) of a user's own writes, such as logging a
-- contact, which hold a lead a deactivation releasing that user's leads
-- waits for: a deadlock. Assignments (UserGetShared) are still waited for.
SELECT * FROM users WHERE id = @id FOR NO KEY UPDATE;

-- name: UserUpdate :one
-- The caller has checked the version under FOR UPDATE; every field is written.
UPDATE users
SET name = @name, email = lower(@email), role = @role, active = @active,
    password_hash = @password_hash, version = version + 1, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: UserTouchLogin :exec
UPDATE users SET last_login_at = now() WHERE id = @id;

-- name: UserAuthState :one
-- Read on every authenticated request so that deactivation, role change,
-- logout and password change take effect at once.
SELECT u.id, u.name, u.role, u.active, s.revoked_at, s.expires_at
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = @session_id;

-- name: UserAdminsLock :exec
-- Serialises the changes that can take away an active admin, so that two of
-- them at once (two admins demoting each other) cannot both see another
-- admin left and leave none.
SELECT pg_advisory_xact_lock(hashtextextended('jmk:active-admins', 0));

-- name: RegisterLock :exec
-- Serialises the self-registrations from one client IP, so that parallel
-- ones cannot all slip under the limit before any is recorded.
SELECT pg_advisory_xact_lock(hashtextextended('register-ip:' || @ip::text, 0));

-- name: SelfRegistrations :one
-- Self-registrations from one client IP within a window (@window_secs back
-- from the database's now, the clock every instance shares), done or refused for
-- a taken e-mail, read from the audit trail (a self-registered user is the
-- actor of their own user.create), so every instance counts the same; with
-- the time of the lim-th newest, whose leaving the window lets the next
-- one in (Retry-After). An IPv6 client counts by its /64 (@net): the
-- events keep the full address.
SELECT count(*)::bigint AS registrations,
       coalesce((array_agg(occurred_at ORDER BY occurred_at DESC))[@lim::integer], now())::timestamptz AS lim_newest,
       now()::timestamptz AS db_now
FROM audit_events
WHERE ((action = 'user.create' AND entity_type = 'user' AND actor_id::text = entity_id)
       OR action = 'auth.register_refused')
  AND occurred_at > now() - make_interval(secs => @window_secs::float8)
  AND (ip = @ip::text
       OR (sqlc.narg(net)::cidr IS NOT NULL AND ip ~ '^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$'
           AND ip::inet <<= sqlc.narg(net)::cidr));
