package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/servertest"
	"github.com/jmksales/jmk/server/store"
)

// TestMetricsBusiness: /metrics counts logins by result, refresh-token
// reuse, trainings and the activations that changed the active model, and
// shows the active version; another instance learns of an activation at its
// janitor's next round.
func TestMetricsBusiness(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	want := func(name string, v float64) {
		t.Helper()
		if got := metricValue(t, env, name); got != v {
			t.Errorf("%s %v, want %v", name, got, v)
		}
	}
	want("scoring_active_model_version", 0)
	want("model_trainings_total", 0)

	// Logins: the fixture's (a success), five wrong passwords, then the
	// e-mail is locked, the right password included.
	sales := newUser(t, env, "Metrics Seller", "metrics.seller@example.com", "sales")
	for range 5 {
		if r := login(t, env, sales.Email, "wrong password"); r.StatusCode() != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", r.StatusCode())
		}
	}
	for range 2 {
		if r := login(t, env, sales.Email, servertest.Password); r.StatusCode() != http.StatusTooManyRequests {
			t.Fatalf("locked e-mail: %d", r.StatusCode())
		}
	}
	// A refresh token used twice: one reuse.
	first := env.Login(env.AdminUser.Email)
	if r, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: first.RefreshToken}); r.StatusCode() != http.StatusOK {
		t.Fatalf("refresh: %d", r.StatusCode())
	}
	if r, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: first.RefreshToken}); r.StatusCode() != http.StatusUnauthorized {
		t.Fatalf("reuse: %d", r.StatusCode())
	}
	want(`auth_logins_total{result="success"}`, 2)
	want(`auth_logins_total{result="failed"}`, 5)
	want(`auth_logins_total{result="throttled"}`, 2)
	want("auth_refresh_reuses_total", 1)

	// Models: one trained, one trained and activated, the first activated,
	// then again (no change).
	loadUCI(t, env, 1500, 0)
	v1, err := env.Admin.TrainModelWithResponse(bg, client.TrainRequest{})
	if err != nil || v1.JSON201 == nil {
		t.Fatalf("train: %v %+v", err, v1)
	}
	want("model_trainings_total", 1)
	want("model_activations_total", 0)
	v2, err := env.Admin.TrainModelWithResponse(bg, client.TrainRequest{Activate: lref(true)})
	if err != nil || v2.JSON201 == nil {
		t.Fatalf("train and activate: %v %+v", err, v2)
	}
	want("model_trainings_total", 2)
	want("model_activations_total", 1)
	want("scoring_active_model_version", float64(v2.JSON201.Version))
	for range 2 {
		if r, err := env.Admin.ActivateModelWithResponse(bg, v1.JSON201.Version); err != nil || r.JSON200 == nil {
			t.Fatalf("activate: %v %+v", err, r)
		}
	}
	want("model_activations_total", 2)
	want("scoring_active_model_version", float64(v1.JSON201.Version))

	// Another instance: its janitor's round reads the version.
	pool, err := pgxpool.New(bg, env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	other := store.New(pool)
	defer other.Close()
	if v := other.ActiveModelVersion(); v != 0 {
		t.Fatalf("a store that has read nothing knows version %d", v)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		other.RunJanitor(ctx, time.Hour, time.Hour, slog.New(slog.DiscardHandler))
	}()
	eventually(t, 10*time.Second, "the other instance's janitor read the active version", func() bool {
		return other.ActiveModelVersion() == v1.JSON201.Version
	})
	cancel()
	<-done
}
