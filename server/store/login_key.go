package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/jmksales/jmk/gen/db"
)

// SetLoginFailureSecret keys the failed logins' e-mails by secret (the
// server's JWT_SECRET), which every instance shares, so that they count
// one throttle together. Until it is called, a store keys them by a random
// secret of its own. It must be called before the store serves logins.
func (s *Store) SetLoginFailureSecret(secret []byte) {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("jmk login failures")) // a key of its own, not the token signer's
	s.failureKey = mac.Sum(nil)
}

// LoginFailureKey is what a failed login typed as its e-mail is counted
// under: an HMAC of its lower-cased text. Not a plain hash: the text may be
// a password typed into the wrong field, which a wordlist would recover
// from one.
func (s *Store) LoginFailureKey(email string) string {
	mac := hmac.New(sha256.New, s.failureKey)
	mac.Write([]byte(strings.ToLower(email)))
	return hex.EncodeToString(mac.Sum(nil))
}

// clearLoginFailures forgets an account's failed logins: its password has
// just been proved or set.
func (s *Store) clearLoginFailures(ctx context.Context, q *db.Queries, email string) error {
	key := s.LoginFailureKey(email)
	return q.LoginFailureClearEmail(ctx, &key)
}
