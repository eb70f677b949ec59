// Package session keeps a user's tokens for the generated Go client
// (gen/client). A Session is the client's HTTP doer: it sends the access
// token with every request to the API and, when the API answers that the
// token has expired or was revoked, renews it and sends the request again,
// once.
//
// Requests that fail at the same time share one renewal. That is the point
// of the package: the API rotates a refresh token on every use, and a
// refresh token sent again after its rotation ends the whole session, so
// two goroutines renewing on their own log the program out. For the same
// reason a renewal runs to its end even when the request that started it
// is cancelled: the rotation may already have happened on the server.
//
//	anon, _ := client.NewClientWithResponses(server)
//	login, err := anon.LoginWithResponse(ctx, client.LoginRequest{Email: e, Password: p})
//	// check err and login.JSON200
//	s, err := session.New(server, *login.JSON200, session.Options{})
//	c, _ := client.NewClientWithResponses(server, client.WithHTTPClient(s))
package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jmksales/jmk/gen/client"
)

// ErrLoggedOut is returned (wrapped) when the session can no longer be
// renewed: the API refused its refresh token (the user logged out, was
// deactivated, or the session expired or was revoked), or it has none. The
// user must log in again.
var ErrLoggedOut = errors.New("session ended: log in again")

// errRefused is what a request gets once the session has ended.
var errRefused = fmt.Errorf("renew the access token: %w", ErrLoggedOut)

// RenewError is a renewal the API did not answer with new tokens for a
// reason other than the session's end: a 503 or a proxy's 429 (RetryAfter says when
// to try again), a timeout. The tokens are kept, and the next request
// refused for its token tries again; until the Retry-After has passed, it
// gets this error back, with RetryAfter the time still to wait, without
// asking the API for a renewal. When no answer came, the API may have
// rotated the pair all the same; the next renewal then presents a spent
// refresh token, which ends the session (ErrLoggedOut): log in again.
type RenewError struct {
	StatusCode int           // 0 when no answer came
	RetryAfter time.Duration // from a 429's or 503's Retry-After, when given
	Err        error         // the problem's detail, or the transport's error
}

func (e *RenewError) Error() string {
	if e.StatusCode == 0 {
		return "renew the access token: " + e.Err.Error()
	}
	return fmt.Sprintf("renew the access token: %d %s: %v", e.StatusCode, http.StatusText(e.StatusCode), e.Err)
}

func (e *RenewError) Unwrap() error { return e.Err }

// Options are a Session's optional settings.
type Options struct {
	// Doer sends the requests (nil: http.DefaultClient).
	Doer client.HttpRequestDoer
	// OnRenew, when set, is called with every new token pair before the
	// session uses it (Tokens still gives the old one meanwhile): keep the
	// pair there to resume the session after a restart, since the refresh
	// token held before is now spent. It runs on the renewal's goroutine,
	// with every refused request waiting for it: it should return soon,
	// and not panic.
	OnRenew func(client.TokenResponse)
	// RenewTimeout bounds a renewal (0: 30 s). It runs apart from the
	// requests waiting for it, which can give up sooner with their
	// contexts.
	RenewTimeout time.Duration
}

// Session is a client.HttpRequestDoer that carries and renews a user's
// tokens. It is safe for concurrent use. It must be the only one renewing
// its pair: a refresh made around it (RefreshToken called by hand) spends
// the refresh token it holds, and its next renewal would end the session.
type Session struct {
	api     *url.URL // the token goes only to this scheme and host
	renewer *client.ClientWithResponses
	opts    Options

	mu       sync.Mutex // guards the fields below
	tokens   client.TokenResponse
	renewing *renewal // the renewal in flight, if any
	ended    bool     // the API refused the refresh token
	// The last renewal's *RenewError and when its Retry-After ends: until
	// then, refused requests get it back rather than ask again.
	backoff      *RenewError
	backoffUntil time.Time
}

// renewal is one refresh call that every request refused with the same
// token waits for.
type renewal struct {
	done  chan struct{}
	token string // the new access token, when err is nil
	err   error
}

// New returns a session for the tokens of a login (or of an earlier
// session: see Tokens and Options.OnRenew). server is the API's root URL,
// as given to client.NewClientWithResponses.
func New(server string, tokens client.TokenResponse, opts Options) (*Session, error) {
	api, err := url.Parse(server)
	if err != nil || api.Scheme == "" || api.Host == "" {
		return nil, fmt.Errorf("session: server %q is not a URL such as http://localhost:8080", server)
	}
	if opts.Doer == nil {
		opts.Doer = http.DefaultClient
	}
	if opts.RenewTimeout <= 0 {
		opts.RenewTimeout = 30 * time.Second
	}
	// A plain client for the renewals: the refresh call takes no access
	// token, and its own 401 must not start another renewal.
	renewer, err := client.NewClientWithResponses(server, client.WithHTTPClient(opts.Doer))
	if err != nil {
		return nil, err
	}
	return &Session{api: api, renewer: renewer, opts: opts, tokens: tokens}, nil
}

// Tokens returns the current tokens, with the user they were issued to.
func (s *Session) Tokens() client.TokenResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens
}

// Do sends req, with the access token when it goes to the API. On a 401
// that says the token is invalid (RFC 6750's error="invalid_token") it
// renews the tokens and sends req again, once. A renewal that fails is the
// error: wrapping ErrLoggedOut when the session has ended, a *RenewError
// otherwise. When req's body cannot be sent twice (no GetBody, as for a file
// streamed to ImportLeadsWithBody; the generated client sets it for the
// bodies it encodes), the tokens are renewed all the same and the 401 comes
// back as it is: send the request again, with its body from the start. req
// itself is not changed.
func (s *Session) Do(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != s.api.Scheme || req.URL.Host != s.api.Host {
		return s.opts.Doer.Do(req)
	}
	s.mu.Lock()
	token, ended := s.tokens.AccessToken, s.ended
	s.mu.Unlock()
	if ended {
		if req.Body != nil {
			req.Body.Close() // as a transport would: the caller may be streaming into it
		}
		return nil, errRefused
	}
	res, err := s.opts.Doer.Do(withToken(req, token))
	if err != nil || !invalidToken(res) {
		return res, err
	}
	renewed, err := s.renew(req.Context(), token)
	if err != nil {
		res.Body.Close()
		return nil, err
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return res, nil // the body is spent; the next request has a valid token
	}
	// The 401's body is not needed; draining it lets the connection be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	again := withToken(req, renewed)
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return s.opts.Doer.Do(again)
}

// withToken is a copy of req that carries token.
func withToken(req *http.Request, token string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// renew returns a valid access token after failed was refused: the one a
// renewal that ended meanwhile got, or that of the renewal in flight, which
// it starts when there is none. It stops waiting when ctx ends; the
// renewal goes on.
func (s *Session) renew(ctx context.Context, failed string) (string, error) {
	s.mu.Lock()
	switch {
	case s.ended:
		s.mu.Unlock()
		return "", errRefused
	case s.tokens.AccessToken != failed:
		token := s.tokens.AccessToken
		s.mu.Unlock()
		return token, nil // renewed after this request was sent
	case s.renewing == nil && s.backoff != nil:
		if wait := time.Until(s.backoffUntil); wait > 0 {
			e := *s.backoff
			e.RetryAfter = wait
			s.mu.Unlock()
			return "", &e
		}
		s.backoff = nil
	}
	r := s.renewing
	if r == nil {
		r = &renewal{done: make(chan struct{})}
		s.renewing = r
		go s.refresh(r, s.tokens.RefreshToken)
	}
	s.mu.Unlock()
	select {
	case <-r.done:
		return r.token, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// refresh runs renewal r with refreshToken, apart from any request's
// context: cut off after the server rotated the token, it would leave the
// session holding a spent one.
func (s *Session) refresh(r *renewal, refreshToken string) {
	defer close(r.done)
	next, err := s.call(refreshToken)
	if err == nil && s.opts.OnRenew != nil {
		s.opts.OnRenew(next) // before any request can use the pair
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renewing = nil
	var re *RenewError
	switch {
	case errors.Is(err, ErrLoggedOut):
		s.ended = true
	case err == nil:
		s.tokens = next
	case errors.As(err, &re) && re.RetryAfter > 0:
		s.backoff, s.backoffUntil = re, time.Now().Add(re.RetryAfter)
	}
	r.token, r.err = next.AccessToken, err
}

// call sends the refresh request.
func (s *Session) call(refreshToken string) (client.TokenResponse, error) {
	if refreshToken == "" { // a session made from an access token alone
		return client.TokenResponse{}, errRefused
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.RenewTimeout)
	defer cancel()
	res, err := s.renewer.RefreshTokenWithResponse(ctx, client.RefreshRequest{RefreshToken: refreshToken})
	switch {
	case err != nil:
		return client.TokenResponse{}, &RenewError{Err: err}
	case res.JSON200 != nil:
		return *res.JSON200, nil
	case res.StatusCode() == http.StatusUnauthorized:
		return client.TokenResponse{}, errRefused
	}
	e := &RenewError{StatusCode: res.StatusCode(), Err: errors.New(detail(res.Body))}
	e.RetryAfter = retryAfter(res.HTTPResponse.Header.Get("Retry-After"), time.Now())
	return client.TokenResponse{}, e
}

// retryAfter is how long a Retry-After asks to wait, from now: seconds, as
// the API sends it, or an HTTP date, as a proxy may (RFC 9110); 0 when it
// is neither or has passed.
func retryAfter(v string, now time.Time) time.Duration {
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(secs, 0)) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// detail is a problem+json body's detail, or the start of another body (a
// proxy's page).
func detail(body []byte) string {
	var p client.Problem
	if json.Unmarshal(body, &p) == nil && p.Detail != "" {
		return p.Detail
	}
	s := strings.TrimSpace(string(body))
	if n := 200; len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}

// invalidToken reports whether res refuses the bearer token itself (RFC
// 6750), which a renewal mends; other 401s (a wrong password) it does not.
func invalidToken(res *http.Response) bool {
	return res.StatusCode == http.StatusUnauthorized &&
		strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
}
