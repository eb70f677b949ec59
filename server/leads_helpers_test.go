package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/servertest"
)

// leadMalformed is the field a 400 names for a malformed uuid path
// parameter or e-mail. The spec validator does not check string formats
// (kin-openapi leaves them off unless defined), so these are refused by the
// generated binding with a bare "malformed request" and no field; only the
// status is checked until the validator learns the formats.
const leadMalformed = ""

// lref returns a pointer to v, for the optional fields of request bodies.
func lref[T any](v T) *T { return &v }

// leadMustCreate creates a lead through the API and fails the test unless
// it gets a 201.
func leadMustCreate(t *testing.T, c *client.ClientWithResponses, body client.LeadCreate) client.Lead {
	t.Helper()
	r, err := c.CreateLeadWithResponse(context.Background(), body)
	if err != nil || r.JSON201 == nil {
		t.Fatalf("create lead: %v %d %s", err, r.StatusCode(), r.Body)
	}
	return *r.JSON201
}

// leadMustGet reads a lead through the API.
func leadMustGet(t *testing.T, c *client.ClientWithResponses, id uuid.UUID) client.Lead {
	t.Helper()
	r, err := c.GetLeadWithResponse(context.Background(), id)
	if err != nil || r.JSON200 == nil {
		t.Fatalf("get lead: %v %d %s", err, r.StatusCode(), r.Body)
	}
	return *r.JSON200
}

// leadIfMatch is the If-Match of a version.
func leadIfMatch(v int32) *client.UpdateLeadParams {
	return &client.UpdateLeadParams{IfMatch: `"` + strconv.Itoa(int(v)) + `"`}
}

// leadProblemOf decodes a problem+json body.
func leadProblemOf(t *testing.T, body []byte) client.Problem {
	t.Helper()
	var p client.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("not a problem: %v %s", err, body)
	}
	return p
}

// wantProblem checks a response's status and, when field is set, that the
// problem names that field.
func leadProblem(t *testing.T, what string, status int, body []byte, want int, field string) client.Problem {
	t.Helper()
	if status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, status, want, body)
	}
	p := leadProblemOf(t, body)
	if field == "" {
		return p
	}
	if p.Errors != nil {
		for _, e := range *p.Errors {
			if e.Field == field || strings.HasPrefix(e.Field, field+".") {
				return p
			}
		}
	}
	t.Fatalf("%s: no error for field %q: %s", what, field, body)
	return p
}

// leadRaw sends a request the generated client cannot build (malformed
// ids, hand-written JSON) and returns the status and body.
func leadRaw(t *testing.T, env *servertest.Env, token, method, path, body string, headers ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, env.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := (&http.Client{Transport: servertest.Contract(t, nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// leadExec runs SQL on the test database directly (test setup and checks of
// the stored state).
func leadExec(t *testing.T, env *servertest.Env, query string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// leadScan reads one row from the test database into dest.
func leadScan(t *testing.T, env *servertest.Env, query string, args []any, dest ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, query, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// leadEvents returns the audit events of one entity, newest first, as an
// admin sees them.
func leadEvents(t *testing.T, env *servertest.Env, id uuid.UUID) []client.AuditEvent {
	t.Helper()
	r, err := env.Admin.ListAuditEventsWithResponse(context.Background(), &client.ListAuditEventsParams{EntityId: lref(id.String())})
	if err != nil || r.JSON200 == nil {
		t.Fatalf("audit events: %v %d %s", err, r.StatusCode(), r.Body)
	}
	return r.JSON200.Items
}

// leadEvent returns the newest event of an action on an entity.
func leadEvent(t *testing.T, env *servertest.Env, id uuid.UUID, action string) client.AuditEvent {
	t.Helper()
	for _, e := range leadEvents(t, env, id) {
		if string(e.Action) == action {
			return e
		}
	}
	t.Fatalf("no %s event for %s", action, id)
	return client.AuditEvent{}
}
