// Package session keeps a user's tokens for the generated Go client
// (gen/client). A Session is the client's HTTP doer: it sends the access
// token with every request and, when the API answers that the token has
// expired or was revoked, renews it and sends the request again, once.
//
// Requests that fail at the same time share one renewal. That is the point
// of the package: the API rotates a refresh token on every use, and a
// refresh token sent again after its rotation ends the whole session, so
// two goroutines renewing on their own log the program out.
//
//	anon, _ := client.NewClientWithResponses(server)
//	login, err := anon.LoginWithResponse(ctx, client.LoginRequest{Email: e, Password: p})
//	// check err and login.JSON200
//	s, _ := session.New(server, *login.JSON200, nil)
//	c, _ := client.NewClientWithResponses(server, client.WithHTTPClient(s))
package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/jmksales/jmk/gen/client"
)

// ErrLoggedOut is returned (wrapped) when the API refuses to renew the
// tokens: the session has ended (logged out, revoked, expired or its user
// deactivated), and the user must log in again.
var ErrLoggedOut = errors.New("session ended: log in again")

// Session is a client.HttpRequestDoer that carries and renews a user's
// tokens. It is safe for concurrent use.
type Session struct {
	doer    client.HttpRequestDoer
	renewer *client.ClientWithResponses

	mu     sync.RWMutex // guards tokens
	tokens client.TokenResponse
	// renewing is held while a renewal runs, so that requests that failed
	// with the same token wait for it instead of renewing again.
	renewing sync.Mutex
}

// New returns a session for the tokens of a login (or of an earlier
// session: see Tokens). server is the API's root URL, as given to
// client.NewClientWithResponses; doer sends the requests (nil:
// http.DefaultClient).
func New(server string, tokens client.TokenResponse, doer client.HttpRequestDoer) (*Session, error) {
	if doer == nil {
		doer = http.DefaultClient
	}
	// A plain client for the renewals: the refresh call takes no access
	// token, and its own 401 must not start another renewal.
	renewer, err := client.NewClientWithResponses(server, client.WithHTTPClient(doer))
	if err != nil {
		return nil, err
	}
	return &Session{doer: doer, renewer: renewer, tokens: tokens}, nil
}

// Tokens returns the current tokens, with the user they were issued to;
// keep them to resume the session later.
func (s *Session) Tokens() client.TokenResponse {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tokens
}

// Do sends req with the access token. On a 401 that says the token is
// invalid (RFC 6750's error="invalid_token") it renews the tokens and sends
// req again, once. It returns an error wrapping ErrLoggedOut when the API
// refuses the renewal, and the 401 as it came when req's body cannot be
// sent twice (no GetBody; the generated client always sets it).
func (s *Session) Do(req *http.Request) (*http.Response, error) {
	token := s.Tokens().AccessToken
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := s.doer.Do(req)
	if err != nil || !invalidToken(res) || (req.Body != nil && req.GetBody == nil) {
		return res, err
	}
	renewed, err := s.renew(req.Context(), token)
	if err != nil {
		res.Body.Close()
		return nil, err
	}
	// The 401's body is not needed; draining it lets the connection be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	again := req.Clone(req.Context())
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	again.Header.Set("Authorization", "Bearer "+renewed)
	return s.doer.Do(again)
}

// renew returns a valid access token after failed was refused: the one a
// concurrent renewal got, or a new one.
func (s *Session) renew(ctx context.Context, failed string) (string, error) {
	s.renewing.Lock()
	defer s.renewing.Unlock()
	current := s.Tokens()
	if current.AccessToken != failed {
		return current.AccessToken, nil // renewed while this request waited
	}
	r, err := s.renewer.RefreshTokenWithResponse(ctx, client.RefreshRequest{RefreshToken: current.RefreshToken})
	if err != nil {
		return "", fmt.Errorf("renew the access token: %w", err)
	}
	if r.JSON200 == nil {
		if r.StatusCode() == http.StatusUnauthorized {
			return "", fmt.Errorf("renew the access token: %w", ErrLoggedOut)
		}
		return "", fmt.Errorf("renew the access token: %s: %s", r.Status(), strings.TrimSpace(string(r.Body)))
	}
	s.mu.Lock()
	s.tokens = *r.JSON200
	s.mu.Unlock()
	return r.JSON200.AccessToken, nil
}

// invalidToken reports whether res refuses the bearer token itself (RFC
// 6750), which a renewal mends; other 401s (a wrong password) it does not.
func invalidToken(res *http.Response) bool {
	return res.StatusCode == http.StatusUnauthorized &&
		strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
}
