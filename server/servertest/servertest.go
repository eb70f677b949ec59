// Package servertest boots the real server on a fresh database, on a real
// TCP port, and drives it through the generated Go client, for end-to-end
// tests.
package servertest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/store"
)

// Password is the password of every user the fixtures create.
const Password = "correct horse battery"

// Env is one running server with its own database.
type Env struct {
	URL   string
	DSN   string
	App   *server.App
	Store *store.Store
	// Anon is a client without a token.
	Anon *client.ClientWithResponses
	// Admin is a logged-in admin's client.
	Admin     *client.ClientWithResponses
	AdminUser client.User
	t         testing.TB
	seq       atomic.Int64
}

// Option changes the configuration before the server starts.
type Option func(*server.Config)

// New starts a server on a fresh database; it stops with the test.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	return NewWithLog(t, io.Discard, opts...)
}

// NewWithLog is New with the server's log, as text, written to w: from
// INFO, or from DEBUG when an option sets Config.LogLevel so.
func NewWithLog(t testing.TB, w io.Writer, opts ...Option) *Env {
	t.Helper()
	dsn := dbtest.URL(t)
	cfg, err := server.LoadConfig(func(k string) string {
		switch k {
		case "DATABASE_URL":
			return dsn
		case "LOG_LEVEL":
			return "error"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.SealInterval = 50 * time.Millisecond
	cfg.DBMaxConns = 8
	// Many servers live at once, most of them idle while their parallel
	// subtests wait their turn: their connections go back to PostgreSQL.
	cfg.DBIdleTimeout = time.Second
	// The race detector makes bcrypt several times slower: ten parallel
	// registrations on two cores then take longer than the production
	// default. Tests of the deadline itself set their own.
	cfg.RequestTimeout = 5 * time.Minute
	for _, o := range opts {
		o(&cfg)
	}
	// INFO and up, unless an option asks for DEBUG.
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: min(cfg.LogLevel, slog.LevelInfo)}))
	ctx, cancel := context.WithCancel(context.Background())
	// The fixture admin exists before the server starts, so that the server
	// does not bootstrap an admin of its own: that hashes a random password
	// at cost 12, about 3 s per test under the race detector.
	pre, err := pgxpool.New(ctx, dsn)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	admin, err := createUser(ctx, store.New(pre), 1, auth.RoleAdmin)
	pre.Close()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	app, err := server.Open(ctx, cfg, log, io.Discard)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		app.Close()
	})
	e := &Env{URL: "http://" + ln.Addr().String(), DSN: dsn, App: app, Store: app.Store, t: t}
	e.Anon = e.client("")
	e.seq.Store(1)
	e.AdminUser = userAPI(admin)
	e.Admin = e.As(admin.Email)
	return e
}

// client returns an API client that sends token as bearer (none if empty).
func (e *Env) client(token string) *client.ClientWithResponses {
	e.t.Helper()
	c, err := client.NewClientWithResponses(e.URL, client.WithHTTPClient(&http.Client{Transport: Contract(e.t, nil)}), client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		return nil
	}))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// WithToken returns a client using the given access token.
func (e *Env) WithToken(token string) *client.ClientWithResponses { return e.client(token) }

// Login logs in and returns the token response; it fails the test otherwise.
func (e *Env) Login(email string) client.TokenResponse {
	e.t.Helper()
	r, err := e.Anon.LoginWithResponse(context.Background(), client.LoginRequest{Email: email, Password: Password})
	if err != nil || r.JSON200 == nil {
		e.t.Fatalf("login %s: %v %d %s", email, err, r.StatusCode(), r.Body)
	}
	return *r.JSON200
}

// As returns a client logged in as the user with that e-mail.
func (e *Env) As(email string) *client.ClientWithResponses {
	return e.client(e.Login(email).AccessToken)
}

// passwordHash is the fixture users' hash, computed once per test binary at
// bcrypt's minimum cost: the production cost of 12 takes about 3 s per
// comparison under the race detector, and fixture logins are not what the
// tests measure. Passwords set through the API (register, create user,
// password change) still get auth.BcryptCost, and the login timing test
// uses such a user.
var passwordHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(Password), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// NewUser creates a user directly in the store (with its audit event) and
// returns it with a client logged in as it.
func (e *Env) NewUser(role string) (client.User, *client.ClientWithResponses) {
	e.t.Helper()
	u, err := createUser(context.Background(), e.Store, e.seq.Add(1), role)
	if err != nil {
		e.t.Fatal(err)
	}
	return userAPI(u), e.As(u.Email)
}

// createUser creates fixture user number n ("sales user 3", sales3@example.com).
func createUser(ctx context.Context, st *store.Store, n int64, role string) (db.User, error) {
	return st.UserCreate(ctx, audit.System, store.NewUser{
		Name: fmt.Sprintf("%s user %d", role, n), Email: fmt.Sprintf("%s%d@example.com", role, n),
		PasswordHash: passwordHash(), Role: role,
	})
}

func userAPI(u db.User) client.User {
	return client.User{Id: u.ID, Name: u.Name, Email: u.Email, Role: client.Role(u.Role), Active: u.Active,
		Version: u.Version, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, LastLoginAt: u.LastLoginAt}
}
