-- A failed login's e-mail is counted under an HMAC whose key the server
-- derives from JWT_SECRET (store.SetLoginFailureSecret), no longer under
-- a plain SHA-256: a password typed into the e-mail field can have the
-- shape of an address, and a wordlist reverses a plain hash. The failures
-- keyed the old way are forgotten (one throttle window, 15 minutes by
-- default), and with them the hashes.

-- +goose Up
DELETE FROM login_failures;
DROP FUNCTION login_failure_key(text);

-- +goose Down
-- +goose StatementBegin
CREATE FUNCTION login_failure_key(email text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN encode(sha256(convert_to(lower(email), 'UTF8')), 'hex');
-- +goose StatementEnd
DELETE FROM login_failures;
