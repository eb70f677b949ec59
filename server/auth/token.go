package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// AccessTTL is the lifetime of an access token.
const AccessTTL = 15 * time.Minute

// MinSecretBytes is the shortest accepted HMAC secret (256 bits).
const MinSecretBytes = 32

// Claims are the access token's claims: the registered ones plus the
// session id, which lets logout and revocation end an access token at once.
type Claims struct {
	jwt.RegisteredClaims
	SessionID uuid.UUID `json:"sid"`
}

// Issuer signs and verifies access tokens with one HS256 secret.
type Issuer struct {
	secret   []byte
	issuer   string
	audience string
	now      func() time.Time
}

// NewIssuer returns an Issuer; the secret must be at least MinSecretBytes.
func NewIssuer(secret []byte, issuer, audience string, now func() time.Time) (*Issuer, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("JWT secret must be at least %d bytes", MinSecretBytes)
	}
	if now == nil {
		now = time.Now
	}
	return &Issuer{secret: secret, issuer: issuer, audience: audience, now: now}, nil
}

// Issue returns a signed access token for the user in the session.
func (i *Issuer) Issue(userID, sessionID uuid.UUID) (string, error) {
	now := i.now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuer,
			Subject:   userID.String(),
			Audience:  jwt.ClaimStrings{i.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(AccessTTL)),
			ID:        uuid.New().String(),
		},
		SessionID: sessionID,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(i.secret)
}

// key returns the secret for a token whose header is as Issue writes it,
// alg and typ JWT alone: a header naming a key (kid, jku) or extensions
// the token requires to be understood (crit) was not written here.
func (i *Issuer) key(t *jwt.Token) (any, error) {
	for k, v := range t.Header {
		if k != "alg" && (k != "typ" || v != "JWT") {
			return nil, fmt.Errorf("unexpected header %s", k)
		}
	}
	return i.secret, nil
}

// ErrInvalidToken is returned for any token that must not be trusted.
var ErrInvalidToken = errors.New("invalid access token")

// Verify checks the signature (HS256 only: "none" and every other algorithm
// are refused), expiry, issuer, audience, the presence of every claim Issue
// sets and a lifetime of at most AccessTTL, and returns the user and
// session ids. Every failure is ErrInvalidToken.
func (i *Issuer) Verify(token string) (userID, sessionID uuid.UUID, err error) {
	var c Claims
	_, err = jwt.ParseWithClaims(token, &c, i.key,
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithStrictDecoding(), // one spelling per token: no spare bits set in its base64
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(i.issuer),
		jwt.WithAudience(i.audience),
		jwt.WithTimeFunc(i.now),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil {
		return uuid.Nil, uuid.Nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	// Every claim Issue sets is required, and a lifetime no longer than it
	// gives: a token made any other way was not made here.
	userID, err = uuid.Parse(c.Subject)
	if err != nil || c.SessionID == uuid.Nil || c.ID == "" || c.IssuedAt == nil ||
		c.ExpiresAt.Sub(c.IssuedAt.Time) > AccessTTL {
		return uuid.Nil, uuid.Nil, ErrInvalidToken
	}
	return userID, c.SessionID, nil
}
