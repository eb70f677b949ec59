package session_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmksales/jmk/clients/go/session"
	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/servertest"
)

// doerFunc adapts a function to client.HttpRequestDoer.
type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(req *http.Request) (*http.Response, error) { return f(req) }

func isRefresh(req *http.Request) bool { return strings.HasSuffix(req.URL.Path, "/auth/refresh") }

// counting sends requests with http.DefaultClient, counting the refresh
// calls and the others; after, when set, sees the responses to the others.
type counting struct {
	refreshes atomic.Int32
	others    atomic.Int32
	after     func(*http.Response)
}

func (d *counting) Do(req *http.Request) (*http.Response, error) {
	if isRefresh(req) {
		d.refreshes.Add(1)
	} else {
		d.others.Add(1)
	}
	res, err := http.DefaultClient.Do(req)
	if err == nil && d.after != nil && !isRefresh(req) {
		d.after(res)
	}
	return res, err
}

// start logs the admin in to a real server and returns a client whose
// session starts with an access token the API refuses (as an expired one
// is) and the login's refresh token.
func start(t *testing.T, d *counting, opts session.Options) (*servertest.Env, *session.Session, *client.ClientWithResponses) {
	t.Helper()
	env := servertest.New(t)
	tokens := env.Login(env.AdminUser.Email)
	tokens.AccessToken = "expired." + tokens.AccessToken
	opts.Doer = d
	s, err := session.New(env.URL, tokens, opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClientWithResponses(env.URL, client.WithHTTPClient(s))
	if err != nil {
		t.Fatal(err)
	}
	return env, s, c
}

// Requests refused at the same time share one renewal: a second refresh
// with the rotated token would end the session. Every request here gets
// its 401 before any renewal starts.
func TestConcurrentRequestsRenewOnce(t *testing.T) {
	t.Parallel()
	const n = 8
	var refused sync.WaitGroup
	refused.Add(n)
	d := &counting{after: func(res *http.Response) {
		if res.StatusCode == http.StatusUnauthorized {
			refused.Done()
			refused.Wait()
		}
	}}
	var renewed []client.TokenResponse
	env, s, c := start(t, d, session.Options{OnRenew: func(tr client.TokenResponse) { renewed = append(renewed, tr) }})
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			r, err := c.GetMeWithResponse(context.Background())
			if err == nil && r.JSON200 == nil {
				err = errors.New(r.Status())
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if got := d.refreshes.Load(); got != 1 || len(renewed) != 1 {
		t.Fatalf("%d refreshes, %d pairs given to OnRenew; want 1 and 1", got, len(renewed))
	}
	if tok := s.Tokens(); tok != renewed[0] || tok.User.Id != env.AdminUser.Id {
		t.Errorf("tokens %+v, OnRenew got %+v", tok, renewed[0])
	}
	// The pair resumes the session in a new Session, as after a restart.
	again, err := session.New(env.URL, s.Tokens(), session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := client.NewClientWithResponses(env.URL, client.WithHTTPClient(again))
	if r, err := c2.GetMeWithResponse(context.Background()); err != nil || r.JSON200 == nil {
		t.Fatalf("resumed session: %v %+v", err, r)
	}
}

// A request with a body is sent again whole.
func TestRetryKeepsTheBody(t *testing.T) {
	t.Parallel()
	d := &counting{}
	_, _, c := start(t, d, session.Options{})
	r, err := c.CreateLeadWithResponse(context.Background(), client.LeadCreate{Name: "Rita Sousa"})
	if err != nil || r.JSON201 == nil {
		t.Fatalf("create: %v %+v", err, r)
	}
	if r.JSON201.Name != "Rita Sousa" || d.refreshes.Load() != 1 {
		t.Errorf("created %q after %d refreshes", r.JSON201.Name, d.refreshes.Load())
	}
}

// A streamed body (an import's file) cannot be sent twice: its 401 comes
// back, but the tokens are renewed, so sending it again succeeds.
func TestStreamedBodyRenews(t *testing.T) {
	t.Parallel()
	d := &counting{}
	_, _, c := start(t, d, session.Options{})
	csv := func() io.Reader { return io.MultiReader(strings.NewReader("name\nRita Sousa\n")) } // no GetBody
	r, err := c.ImportLeadsWithBodyWithResponse(context.Background(), nil, "text/csv", csv())
	if err != nil || r.StatusCode() != http.StatusUnauthorized || d.refreshes.Load() != 1 {
		t.Fatalf("first import: %v %d after %d refreshes", err, r.StatusCode(), d.refreshes.Load())
	}
	r, err = c.ImportLeadsWithBodyWithResponse(context.Background(), nil, "text/csv", csv())
	if err != nil || r.JSON200 == nil || r.JSON200.Inserted != 1 || d.refreshes.Load() != 1 {
		t.Fatalf("import sent again: %v %s after %d refreshes", err, r.Body, d.refreshes.Load())
	}
}

// The request that starts a renewal may give up waiting; the renewal
// finishes anyway, so the session does not keep a refresh token the
// server has already spent.
func TestCancelledRequestKeepsTheSession(t *testing.T) {
	t.Parallel()
	slow := &counting{}
	// The refresh's answer is slow to come back, after the server has
	// rotated the token: a refresh cut off by the caller's context then
	// loses the new pair.
	d := doerFunc(func(req *http.Request) (*http.Response, error) {
		res, err := slow.Do(req)
		if err != nil || !isRefresh(req) {
			return res, err
		}
		select {
		case <-time.After(300 * time.Millisecond):
			return res, nil
		case <-req.Context().Done():
			res.Body.Close()
			return nil, req.Context().Err()
		}
	})
	env := servertest.New(t)
	tokens := env.Login(env.AdminUser.Email)
	tokens.AccessToken = "expired." + tokens.AccessToken
	s, err := session.New(env.URL, tokens, session.Options{Doer: d})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := client.NewClientWithResponses(env.URL, client.WithHTTPClient(s))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.GetMeWithResponse(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first request: %v, want its deadline", err)
	}
	if r, err := c.GetMeWithResponse(context.Background()); err != nil || r.JSON200 == nil {
		t.Fatalf("next request: %v %+v", err, r)
	}
	if n := slow.refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}

// A 401 that is not about the token (a wrong password) comes back as it
// is, with no renewal. A refused renewal is ErrLoggedOut, and stays so
// without sending anything more to the API.
func TestRefusals(t *testing.T) {
	t.Parallel()
	d := &counting{}
	env := servertest.New(t)
	s, err := session.New(env.URL, client.TokenResponse{AccessToken: "expired", RefreshToken: "not-a-refresh-token"}, session.Options{Doer: d})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := client.NewClientWithResponses(env.URL, client.WithHTTPClient(s))
	r, err := c.LoginWithResponse(context.Background(), client.LoginRequest{Email: env.AdminUser.Email, Password: "wrong password"})
	if err != nil || r.StatusCode() != http.StatusUnauthorized || r.ApplicationproblemJSON401 == nil {
		t.Errorf("wrong password: %v %+v", err, r)
	}
	if n := d.refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes after a wrong password, want none", n)
	}
	for range 2 {
		if _, err := c.GetMeWithResponse(context.Background()); !errors.Is(err, session.ErrLoggedOut) {
			t.Errorf("renewal refused: %v, want ErrLoggedOut", err)
		}
	}
	if n, m := d.refreshes.Load(), d.others.Load(); n != 1 || m != 2 {
		t.Errorf("%d refreshes and %d other requests, want the one refused and the login and first GET", n, m)
	}
}

// fake answers every API request with a 401 for an invalid token, and the
// refresh call with status and retryAfter, recording what it was sent.
type fake struct {
	status     int
	retryAfter string
	refreshes  atomic.Int32
	mu         sync.Mutex
	auth       []string // the Authorization header of each other request
}

func (f *fake) Do(req *http.Request) (*http.Response, error) {
	res := &http.Response{Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"detail":"slow down"}`)), Request: req}
	if isRefresh(req) {
		f.refreshes.Add(1)
		res.StatusCode = f.status
		res.Header.Set("Retry-After", f.retryAfter)
		res.Header.Set("Content-Type", "application/problem+json")
		return res, nil
	}
	f.mu.Lock()
	f.auth = append(f.auth, req.Header.Get("Authorization"))
	f.mu.Unlock()
	res.StatusCode = http.StatusUnauthorized
	res.Header.Set("WWW-Authenticate", `Bearer realm="jmk", error="invalid_token"`)
	return res, nil
}

func TestRenewErrorsAndRequestsLeftAlone(t *testing.T) {
	t.Parallel()
	f := &fake{status: http.StatusTooManyRequests, retryAfter: "7"}
	tokens := client.TokenResponse{AccessToken: "a1", RefreshToken: "r1"}
	s, err := session.New("http://api.test", tokens, session.Options{Doer: f})
	if err != nil {
		t.Fatal(err)
	}
	get := func(url string, body io.Reader) (*http.Request, *http.Response, error) {
		req, _ := http.NewRequest(http.MethodPost, url, body)
		res, err := s.Do(req)
		return req, res, err
	}

	// A throttled renewal is a *RenewError and the tokens stay. Until its
	// Retry-After has passed, the next refused request gets it back, with
	// the time left, without asking the API again.
	for i := range 2 {
		req, _, err := get("http://api.test/api/v1/auth/me", nil)
		var re *session.RenewError
		if !errors.As(err, &re) || re.StatusCode != http.StatusTooManyRequests || !strings.Contains(err.Error(), "slow down") {
			t.Fatalf("throttled renewal: %v", err)
		}
		if re.RetryAfter > 7*time.Second || re.RetryAfter < 6*time.Second || i == 0 && re.RetryAfter != 7*time.Second {
			t.Errorf("request %d: RetryAfter %v, want 7 s and then what is left of it", i, re.RetryAfter)
		}
		if req.Header.Get("Authorization") != "" {
			t.Error("Do changed the caller's request")
		}
	}
	if n := f.refreshes.Load(); n != 1 || s.Tokens() != tokens {
		t.Errorf("%d refreshes, tokens %+v; want 1 and the first pair", n, s.Tokens())
	}

	// The token goes to the API's host only.
	if _, _, err := get("http://elsewhere.test/x", nil); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if want := []string{"Bearer a1", "Bearer a1", ""}; strings.Join(f.auth, "|") != strings.Join(want, "|") {
		t.Errorf("Authorization sent: %q, want %q", f.auth, want)
	}
}

// Once a renewal's Retry-After has passed, the next refused request asks
// again; a body that cannot be sent twice renews too, and a failed renewal
// is its error.
func TestRenewAfterRetryAfter(t *testing.T) {
	t.Parallel()
	f := &fake{status: http.StatusServiceUnavailable, retryAfter: "1"}
	s, err := session.New("http://api.test", client.TokenResponse{AccessToken: "a1", RefreshToken: "r1"}, session.Options{Doer: f})
	if err != nil {
		t.Fatal(err)
	}
	send := func(body io.Reader) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodPost, "http://api.test/api/v1/leads/import", body)
		return s.Do(req)
	}
	var re *session.RenewError
	if _, err := send(nil); !errors.As(err, &re) || re.StatusCode != http.StatusServiceUnavailable || re.RetryAfter != time.Second {
		t.Fatalf("first renewal: %v", err)
	}
	time.Sleep(time.Second + 50*time.Millisecond)
	if res, err := send(io.MultiReader(strings.NewReader("a;b"))); !errors.As(err, &re) || res != nil {
		t.Errorf("body without GetBody: %v %v", res, err)
	}
	if n := f.refreshes.Load(); n != 2 {
		t.Errorf("%d refreshes, want 2: the Retry-After had passed", n)
	}
}

// A proxy's Retry-After may be an HTTP date (RFC 9110): the session waits
// until then as it does for seconds, rather than renewing on every request.
func TestRenewRetryAfterDate(t *testing.T) {
	t.Parallel()
	at := time.Now().Add(time.Minute).UTC()
	f := &fake{status: http.StatusServiceUnavailable, retryAfter: at.Format(http.TimeFormat)}
	s, err := session.New("http://api.test", client.TokenResponse{AccessToken: "a1", RefreshToken: "r1"}, session.Options{Doer: f})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, "http://api.test/api/v1/auth/me", nil)
		var re *session.RenewError
		if _, err := s.Do(req); !errors.As(err, &re) || re.RetryAfter < 55*time.Second || re.RetryAfter > time.Minute {
			t.Fatalf("RetryAfter of %v: %v", at, err)
		}
	}
	if n := f.refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1 until the date", n)
	}
}

// closeRecorder is a request body that records its Close.
type closeRecorder struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeRecorder) Close() error { c.closed.Store(true); return nil }

// Once the session has ended, a request is not sent, and its body is
// closed as a transport would close it (a caller may stream into it).
func TestEndedSessionClosesTheBody(t *testing.T) {
	t.Parallel()
	f := &fake{status: http.StatusUnauthorized}
	s, err := session.New("http://api.test", client.TokenResponse{AccessToken: "a1", RefreshToken: "r1"}, session.Options{Doer: f})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		body := &closeRecorder{Reader: strings.NewReader("a;b")}
		req, _ := http.NewRequest(http.MethodPost, "http://api.test/api/v1/leads/import", body)
		if _, err := s.Do(req); !errors.Is(err, session.ErrLoggedOut) {
			t.Fatalf("request %d: %v, want ErrLoggedOut", i, err)
		}
		if i == 1 && !body.closed.Load() {
			t.Error("the body of a request the ended session did not send was left open")
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.auth) != 1 {
		t.Errorf("%d requests sent, want the first only", len(f.auth))
	}
}
