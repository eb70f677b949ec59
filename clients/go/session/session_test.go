package session_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmksales/jmk/clients/go/session"
	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/servertest"
)

// countingDoer sends requests and counts those to path.
type countingDoer struct {
	path string
	n    atomic.Int32
}

func (d *countingDoer) Do(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, d.path) {
		d.n.Add(1)
	}
	return http.DefaultClient.Do(req)
}

// start logs the admin in and returns a client whose session starts with
// an access token the API refuses (as an expired one is) and the login's
// refresh token.
func start(t *testing.T, refreshToken string) (*servertest.Env, *session.Session, *client.ClientWithResponses, *countingDoer) {
	t.Helper()
	env := servertest.New(t)
	tokens := env.Login(env.AdminUser.Email)
	tokens.AccessToken = "expired." + tokens.AccessToken
	if refreshToken != "" {
		tokens.RefreshToken = refreshToken
	}
	doer := &countingDoer{path: "/auth/refresh"}
	s, err := session.New(env.URL, tokens, doer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClientWithResponses(env.URL, client.WithHTTPClient(s))
	if err != nil {
		t.Fatal(err)
	}
	return env, s, c, doer
}

// Requests refused at the same time share one renewal: a second refresh
// with the rotated token would end the session.
func TestConcurrentRequestsRenewOnce(t *testing.T) {
	t.Parallel()
	env, s, c, refreshes := start(t, "")
	var wg sync.WaitGroup
	codes := make([]int, 8)
	errs := make([]error, len(codes))
	for i := range codes {
		wg.Go(func() {
			r, err := c.GetMeWithResponse(context.Background())
			if err == nil {
				codes[i] = r.StatusCode()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i := range codes {
		if errs[i] != nil || codes[i] != http.StatusOK {
			t.Errorf("request %d: %d, %v", i, codes[i], errs[i])
		}
	}
	if n := refreshes.n.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	// The session is still alive, with the renewed pair.
	if r, err := c.GetMeWithResponse(context.Background()); err != nil || r.JSON200 == nil || r.JSON200.Id != env.AdminUser.Id {
		t.Fatalf("after the renewal: %v %+v", err, r)
	}
	if tok := s.Tokens(); strings.HasPrefix(tok.AccessToken, "expired.") || tok.User.Id != env.AdminUser.Id {
		t.Errorf("tokens after the renewal: %+v", tok)
	}
}

// A request with a body is sent again whole.
func TestRetryKeepsTheBody(t *testing.T) {
	t.Parallel()
	_, _, c, refreshes := start(t, "")
	r, err := c.CreateLeadWithResponse(context.Background(), client.LeadCreate{Name: "Rita Sousa"})
	if err != nil || r.JSON201 == nil {
		t.Fatalf("create: %v %+v", err, r)
	}
	if r.JSON201.Name != "Rita Sousa" || refreshes.n.Load() != 1 {
		t.Errorf("created %q after %d refreshes", r.JSON201.Name, refreshes.n.Load())
	}
}

// A refused renewal is ErrLoggedOut; a 401 that is not about the token
// (a wrong password) comes back as it is, with no renewal.
func TestRefusals(t *testing.T) {
	t.Parallel()
	env, _, c, refreshes := start(t, "not-a-refresh-token")
	if _, err := c.GetMeWithResponse(context.Background()); !errors.Is(err, session.ErrLoggedOut) {
		t.Errorf("renewal refused: %v, want ErrLoggedOut", err)
	}
	r, err := c.LoginWithResponse(context.Background(), client.LoginRequest{Email: env.AdminUser.Email, Password: "wrong password"})
	if err != nil || r.StatusCode() != http.StatusUnauthorized || r.ApplicationproblemJSON401 == nil {
		t.Errorf("wrong password: %v %+v", err, r)
	}
	if n := refreshes.n.Load(); n != 1 {
		t.Errorf("%d refreshes, want the one refused", n)
	}
}
