package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// RefreshTTL is how long a session lives from its login: rotating its
// refresh token does not extend it, so a stolen token is good for 30 days at
// most, however often it is used.
const RefreshTTL = 30 * 24 * time.Hour

// NewRefreshToken returns a random refresh token (256 bits, URL-safe) and the
// SHA-256 hash under which it is stored; the token itself is never stored.
func NewRefreshToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token)
}

// HashRefreshToken returns the stored form of a refresh token.
func HashRefreshToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
