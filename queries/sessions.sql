-- name: SessionInsert :one
INSERT INTO sessions (id, user_id, expires_at, ip, user_agent)
VALUES (@id, @user_id, @expires_at, @ip, @user_agent)
RETURNING *;

-- name: SessionGetForUpdate :one
SELECT * FROM sessions WHERE id = @id FOR UPDATE;

-- name: SessionTouch :exec
UPDATE sessions SET last_used_at = now() WHERE id = @id;

-- name: SessionRevoke :execrows
UPDATE sessions SET revoked_at = now(), revoked_reason = @reason
WHERE id = @id AND revoked_at IS NULL;

-- name: SessionRevokeAllForUser :execrows
-- Ends every live session of a user except the one given (uuid.Nil for none).
UPDATE sessions SET revoked_at = now(), revoked_reason = @reason
WHERE user_id = @user_id AND revoked_at IS NULL AND id <> @keep_id;

-- name: RefreshTokenInsert :exec
INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
VALUES (@token_hash, @session_id, @expires_at);

-- name: RefreshTokenGetForUpdate :one
-- db_now is the database's clock: every instance judges expiry by the same
-- one, whatever their own clocks' skew.
SELECT t.token_hash, t.session_id, t.expires_at, t.rotated_at,
       s.user_id, s.revoked_at AS session_revoked_at, s.expires_at AS session_expires_at,
       now()::timestamptz AS db_now
FROM refresh_tokens t
JOIN sessions s ON s.id = t.session_id
WHERE t.token_hash = @token_hash
FOR UPDATE OF t, s;

-- name: RefreshTokenRotate :exec
UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = @token_hash;

-- name: LoginFailureInsert :exec
-- A null @email_key (no address: store.failureEmail) counts by IP alone.
INSERT INTO login_failures (email_key, ip) VALUES (sqlc.narg(email_key), @ip);

-- name: LoginFailureStats :one
-- Failures within the window (@window_secs back from the database's now,
-- the clock every instance shares and occurred_at is set by) for the
-- e-mail and for the IP, with the oldest of each and that now, so the
-- caller can compute Retry-After.
SELECT
    (SELECT count(*) FROM login_failures f WHERE f.email_key = @email_key::text AND f.occurred_at > w.since)::bigint AS email_failures,
    coalesce((SELECT min(f.occurred_at) FROM login_failures f WHERE f.email_key = @email_key::text AND f.occurred_at > w.since), w.db_now)::timestamptz AS email_oldest,
    (SELECT count(*) FROM login_failures f WHERE f.ip = @ip AND f.occurred_at > w.since)::bigint AS ip_failures,
    coalesce((SELECT min(f.occurred_at) FROM login_failures f WHERE f.ip = @ip AND f.occurred_at > w.since), w.db_now)::timestamptz AS ip_oldest,
    w.db_now::timestamptz AS db_now
FROM (SELECT now() AS db_now, now() - make_interval(secs => @window_secs::float8) AS since) w;

-- name: LoginFailureClearEmail :exec
DELETE FROM login_failures WHERE email_key = @email_key;

-- name: LoginFailurePurge :execrows
-- Older than @keep_secs by the database's clock, as the throttle judges
-- them (LoginFailureStats).
DELETE FROM login_failures WHERE occurred_at < now() - make_interval(secs => @keep_secs::float8);

-- name: SessionPurge :execrows
-- Deletes the sessions that ended (revoked, or past their expiry) before
-- @before, with their refresh tokens: up to 10,000 a call, so that a backlog
-- is worked off in short transactions. The foreign key is checked at the
-- statement's end, when both are gone.
WITH gone AS (
    SELECT ended.id FROM sessions ended
    WHERE least(coalesce(ended.revoked_at, ended.expires_at), ended.expires_at) < @before::timestamptz
    ORDER BY ended.id
    LIMIT 10000
), tokens AS (
    DELETE FROM refresh_tokens r USING gone WHERE r.session_id = gone.id
)
DELETE FROM sessions s USING gone WHERE s.id = gone.id;

-- name: LoginLock :exec
-- Serialises the attempts on one e-mail so that parallel guesses cannot all
-- slip under the limit before any failure is recorded. Take LoginLockIP
-- first: the two are always taken in that order, so they cannot deadlock.
SELECT pg_advisory_xact_lock(hashtextextended('login:' || lower(@email), 0));

-- name: LoginLockIP :exec
-- The same for the attempts from one IP, which parallel guesses on many
-- e-mails would otherwise push past the per-IP limit.
SELECT pg_advisory_xact_lock(hashtextextended('login-ip:' || @ip::text, 0));
