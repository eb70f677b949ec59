package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Password limits: bcrypt reads at most 72 bytes, so longer passwords would
// be silently truncated; they are refused instead.
const (
	MinPasswordBytes = 10
	MaxPasswordBytes = 72
	// BcryptCost is above bcrypt's default of 10: about 250 ms per hash on a
	// server core, which makes offline guessing of a stolen hash expensive.
	BcryptCost = 12
)

// PasswordLengthRule is the rule as a password field's error message.
var PasswordLengthRule = fmt.Sprintf("must be %d to %d bytes", MinPasswordBytes, MaxPasswordBytes)

// ErrPasswordLength is returned for a password outside 10..72 bytes.
var ErrPasswordLength = errors.New("password " + PasswordLengthRule)

// CheckPasswordRules returns ErrPasswordLength when the password is too short or too long.
func CheckPasswordRules(password string) error {
	if n := len(password); n < MinPasswordBytes || n > MaxPasswordBytes {
		return ErrPasswordLength
	}
	return nil
}

// HashPassword returns the bcrypt hash of a password that passes the rules.
func HashPassword(password string) (string, error) {
	if err := CheckPasswordRules(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the e-mail is unknown, so that a login
// for an unknown user costs the same bcrypt time as a wrong password. It is a
// cost-12 hash of a random password nobody kept: a constant, so that no
// process pays a full bcrypt hashing at start-up just to have it.
const dummyHash = "$2a$12$KYl.lFmAGQf6XooUEsoH0OMEvzwDXIaJ8BKd3mnFM9u8movEfPQs6"

// PasswordMatches reports whether password matches hash. An empty hash (no
// such user) still costs one full bcrypt comparison and never matches.
// Neither does a password over MaxPasswordBytes, although bcrypt, which
// reads only the first 72 bytes, would say it does: no stored password is
// that long. It costs the same comparison, so its length cannot be timed.
func PasswordMatches(hash, password string) bool {
	if hash == "" || len(password) > MaxPasswordBytes {
		_ = bcrypt.CompareHashAndPassword([]byte(dummyHash), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
