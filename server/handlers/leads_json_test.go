package handlers

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/api"
)

// fill sets every field of the struct v points to, following pointers, with
// values derived from seed (strings come from strs in turn), so that a field
// the encoder writes differently shows up as a difference.
func fill(t *testing.T, v reflect.Value, seed int, strs []string, n *int) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), seed, strs, n)
	case reflect.Struct:
		switch v.Type() {
		case reflect.TypeFor[time.Time]():
			loc := time.FixedZone("", (seed%5-2)*3600)
			v.Set(reflect.ValueOf(time.Date(2020+seed%7, time.Month(1+seed%12), 1+seed%28, seed%24, seed%60, seed%60, (seed*7919)%1e9, loc)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			*n++
			fill(t, v.Field(i), seed+*n, strs, n)
		}
	case reflect.Array: // uuid.UUID
		v.Set(reflect.ValueOf(uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(seed)})))
	case reflect.String:
		v.SetString(strs[seed%len(strs)])
	case reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed*1000003) * int64(1-2*(seed%2)))
	case reflect.Float64:
		fs := []float64{0, -0.0, 0.123456789, 1e-7, 1.5e-9, -2.5e22, 1e21, 999999999999999999999, 93.994, -36.4, 4.857, 5191, 1e-6}
		v.SetFloat(fs[seed%len(fs)])
	default:
		t.Fatalf("fill: unhandled kind %s (%s): teach the test this type", v.Kind(), v.Type())
	}
}

func TestLeadListJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	strs := []string{"", "plain", "Ana Silva", `quo"te\back`, "<b>&amp;</b>", "tab\tnew\nline\x01",
		"ção ñ 日本", "line\u2028sep\u2029", "bad\xffutf8", "+351 912 345 678", "a@example.com"}
	var full, empty []api.Lead
	n := 0
	for seed := 0; seed < 40; seed++ {
		var l api.Lead
		fill(t, reflect.ValueOf(&l).Elem(), seed, strs, &n)
		full = append(full, l)
		empty = append(empty, api.Lead{Id: l.Id, Name: l.Name, Status: l.Status, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt})
	}
	cur, total := "eyJzIjoiYWJjIn0", int64(41188)
	for name, l := range map[string]api.LeadList{
		"full":      {Items: full, NextCursor: &cur, Total: &total},
		"nulls":     {Items: empty},
		"empty":     {Items: []api.Lead{}},
		"nil items": {},
	} {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(l); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		if err := leadListJSON(l).VisitListLeadsResponse(rec); err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.String(); got != want.String() {
			t.Errorf("%s: go-json differs from encoding/json\n got: %s\nwant: %s", name, got, want.String())
		}
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: status %d, content type %q", name, rec.Code, rec.Header().Get("Content-Type"))
		}
	}

	// What encoding/json refuses is refused too (a 500, not broken JSON).
	nan := math.NaN()
	if err := leadListJSON(api.LeadList{Items: []api.Lead{{Probability: &nan}}}).VisitListLeadsResponse(httptest.NewRecorder()); err == nil {
		t.Error("NaN probability: want an error")
	}
	if err := leadListJSON(api.LeadList{Items: []api.Lead{{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}).VisitListLeadsResponse(httptest.NewRecorder()); err == nil {
		t.Error("year 10000: want an error")
	}
}

func BenchmarkLeadListJSON(b *testing.B) {
	var items []api.Lead
	n := 0
	t := &testing.T{}
	for seed := 0; seed < 50; seed++ {
		var l api.Lead
		fill(t, reflect.ValueOf(&l).Elem(), seed, []string{"plain", "Ana Silva", "technician"}, &n)
		items = append(items, l)
	}
	l := api.LeadList{Items: items}
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			_ = api.ListLeads200JSONResponse(l).VisitListLeadsResponse(httptest.NewRecorder())
		}
	})
	b.Run("go-json", func(b *testing.B) {
		for b.Loop() {
			_ = leadListJSON(l).VisitListLeadsResponse(httptest.NewRecorder())
		}
	})
}
