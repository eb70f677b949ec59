package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/store"
)

// Login exchanges credentials for a token pair.
func (h *Handlers) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	m := audit.MetaFrom(ctx)
	email := normEmail(req.Body.Email)
	l, err := h.st.Login(ctx, email, req.Body.Password, m.IP, m.UserAgent, h.opts.Throttle)
	h.loginOutcome(err)
	if err != nil {
		return nil, err
	}
	tr, err := h.tokens(l)
	return api.Login200JSONResponse(tr), err
}

// RefreshToken rotates a refresh token.
func (h *Handlers) RefreshToken(ctx context.Context, req api.RefreshTokenRequestObject) (api.RefreshTokenResponseObject, error) {
	l, err := h.st.Refresh(ctx, req.Body.RefreshToken)
	if errors.Is(err, store.ErrRefreshReused) {
		h.tell(h.opts.RefreshReused)
		h.log.WarnContext(ctx, "a rotated refresh token was presented again: its session is revoked (a stolen token, or a client that refreshed twice; the audit event auth.refresh_reuse names the user)",
			"request_id", audit.MetaFrom(ctx).RequestID)
	}
	if err != nil {
		return nil, err
	}
	tr, err := h.tokens(l)
	return api.RefreshToken200JSONResponse(tr), err
}

// loginOutcome tells Options.LoginOutcome how a login ended.
func (h *Handlers) loginOutcome(err error) {
	if h.opts.LoginOutcome == nil {
		return
	}
	switch {
	case err == nil:
		h.opts.LoginOutcome(LoginSucceeded)
	case apperr.StatusOf(err) == http.StatusUnauthorized:
		h.opts.LoginOutcome(LoginFailed)
	case apperr.StatusOf(err) == http.StatusTooManyRequests:
		h.opts.LoginOutcome(LoginThrottled)
	}
}

func (h *Handlers) tokens(l store.Login) (api.TokenResponse, error) {
	access, err := h.iss.Issue(l.User.ID, l.SessionID)
	if err != nil {
		return api.TokenResponse{}, err
	}
	return api.TokenResponse{
		AccessToken:  access,
		TokenType:    api.TokenResponseTokenTypeBearer,
		ExpiresIn:    int(auth.AccessTTL.Seconds()),
		RefreshToken: l.RefreshToken,
		User:         userOut(l.User),
	}, nil
}

// Logout ends the session of a refresh token.
func (h *Handlers) Logout(ctx context.Context, req api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	var id *auth.Identity
	if c, ok := auth.FromContext(ctx); ok {
		id = &c
	}
	if err := h.st.Logout(ctx, id, req.Body.RefreshToken); err != nil {
		return nil, err
	}
	return api.Logout204Response{}, nil
}

// RegistrationClosed is the 403's detail while self-registration is closed.
const RegistrationClosed = "self-registration is closed; ask an admin for an account"

// Register creates a sales user when self-registration is open, at most
// RegisterThrottle.PerIP per client IP within its window. The server answers
// a closed registration's 403 before the body is validated
// (server.registrationClosed); this check stays for any other way in.
func (h *Handlers) Register(ctx context.Context, req api.RegisterRequestObject) (api.RegisterResponseObject, error) {
	if !h.opts.RegistrationOpen {
		return nil, apperr.Forbidden(RegistrationClosed)
	}
	// Bad input, then the throttle and a taken e-mail, before the bcrypt work.
	if err := passwordRule("password", req.Body.Password); err != nil {
		return nil, err
	}
	email, ip := normEmail(string(req.Body.Email)), audit.MetaFrom(ctx).IP
	// As a login: in turn with the other bcrypt work, under the throttle
	// (auth.Hashing), the turn held until the user is recorded.
	release, err := auth.Hashing(ctx, func() error { return h.st.CheckRegistration(ctx, email, ip, h.opts.RegisterThrottle) })
	if err != nil {
		return nil, err
	}
	defer release()
	hash, err := auth.HashPassword(req.Body.Password)
	if err != nil {
		return nil, err
	}
	u, err := h.st.Register(ctx, store.NewUser{
		Name: strings.TrimSpace(req.Body.Name), Email: email, PasswordHash: hash, Role: auth.RoleSales,
	}, ip, h.opts.RegisterThrottle)
	if err != nil {
		return nil, err
	}
	return api.Register201JSONResponse(userOut(u)), nil
}

// GetMe returns the caller.
func (h *Handlers) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := h.st.UserGet(ctx, id.UserID)
	if err != nil {
		return nil, err
	}
	return api.GetMe200JSONResponse(userOut(u)), nil
}

// ChangePassword changes the caller's password and ends their other sessions.
func (h *Handlers) ChangePassword(ctx context.Context, req api.ChangePasswordRequestObject) (api.ChangePasswordResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	// The length rule is checked first: it is free, the current password is not.
	if err := passwordRule("new_password", req.Body.NewPassword); err != nil {
		return nil, err
	}
	ip := audit.MetaFrom(ctx).IP
	if err := h.st.ChangePassword(ctx, id, req.Body.CurrentPassword, req.Body.NewPassword, ip, h.opts.Throttle); err != nil {
		return nil, err
	}
	return api.ChangePassword204Response{}, nil
}

// passwordRule applies the byte-length rule again, as the 400 the spec's
// password format gives: the validator checks it first, this keeps a
// handler safe without it.
func passwordRule(field, pw string) error {
	if err := auth.CheckPasswordRules(pw); err != nil {
		return apperr.BadRequest(field, auth.PasswordLengthRule)
	}
	return nil
}

// hashPassword applies the byte-length rule and hashes, in turn with the
// process's other bcrypt work (auth.Hashing).
func hashPassword(ctx context.Context, field, pw string) (string, error) {
	if err := passwordRule(field, pw); err != nil {
		return "", err
	}
	release, err := auth.Hashing(ctx, nil)
	if err != nil {
		return "", err
	}
	defer release()
	return auth.HashPassword(pw)
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }
