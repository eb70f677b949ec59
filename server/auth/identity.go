package auth

import (
	"context"

	"github.com/google/uuid"
)

// Roles.
const (
	RoleAdmin = "admin"
	RoleSales = "sales"
)

// TokenRequired is the 401's detail for a request without an access token.
const TokenRequired = "a valid bearer access token is required: log in with POST /api/v1/auth/login"

// Identity is the authenticated caller, as the database says it is at the
// time of the request (not as the token said when it was issued).
type Identity struct {
	UserID    uuid.UUID
	SessionID uuid.UUID
	Name      string
	Role      string
}

// IsAdmin reports whether the caller has the admin role.
func (i Identity) IsAdmin() bool { return i.Role == RoleAdmin }

type identityKey struct{}

// WithIdentity returns a context carrying the identity.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the identity of the request, if it is authenticated.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}
