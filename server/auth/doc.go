// Package auth holds the credential rules: bcrypt passwords (cost >= 12,
// 10..72 bytes), HS256 access tokens (algorithm pinned, 15 minutes, iss, aud,
// sub, sid, jti), opaque refresh tokens stored only as SHA-256 hashes, the
// shape of an e-mail address the audit trail may name, and the
// authenticated identity carried in a request's context.
//
// It knows nothing of HTTP or SQL; the server and the store use it.
package auth
