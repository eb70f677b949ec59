-- A failed login's e-mail is kept as the SHA-256 of its lower-cased text:
-- the throttle only counts failures per address, and what was typed into
-- the e-mail field is sometimes the password. Text that is no address at
-- all (no account has it, and it may be that password) is not kept even
-- so: its failures count against the client's IP alone (null key).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION login_failure_key(email text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN encode(sha256(convert_to(lower(email), 'UTF8')), 'hex');
-- +goose StatementEnd

ALTER TABLE login_failures RENAME COLUMN email TO email_key;
ALTER TABLE login_failures ALTER COLUMN email_key DROP NOT NULL;
ALTER INDEX login_failures_email_idx RENAME TO login_failures_email_key_idx;
-- The failures recorded before are forgotten rather than hashed: some of
-- their text may be a password, which an unsalted hash would not hide.
-- The throttle loses at most one window (15 minutes by default).
DELETE FROM login_failures;

-- +goose Down
-- The addresses cannot be recovered: the failures are forgotten instead.
DELETE FROM login_failures;
ALTER INDEX login_failures_email_key_idx RENAME TO login_failures_email_idx;
ALTER TABLE login_failures RENAME COLUMN email_key TO email;
ALTER TABLE login_failures ALTER COLUMN email SET NOT NULL;
DROP FUNCTION login_failure_key(text);
