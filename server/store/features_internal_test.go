package store

import (
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/scoring"
)

// fillPointers sets every nil pointer field of the struct *v to a value of
// its own, told apart by the field's position.
func fillPointers(v any) {
	s := reflect.ValueOf(v).Elem()
	for i := range s.NumField() {
		f := s.Field(i)
		if f.Kind() != reflect.Pointer || !f.IsNil() || !f.CanSet() {
			continue
		}
		p := reflect.New(f.Type().Elem())
		switch e := p.Elem(); e.Kind() {
		case reflect.String:
			e.SetString(s.Type().Field(i).Name)
		case reflect.Int32, reflect.Int64:
			e.SetInt(int64(i + 1))
		case reflect.Float64:
			e.SetFloat(float64(i) + 0.5)
		}
		f.Set(p)
	}
}

// wantSameFields fails unless every field of got is set and equal to the
// field of the same name in from.
func wantSameFields(t *testing.T, what string, got, from any) {
	t.Helper()
	g, src := reflect.ValueOf(got), reflect.ValueOf(from)
	for i := range g.NumField() {
		name := g.Type().Field(i).Name
		f, ok := src.Type().FieldByName(name)
		if !ok {
			t.Errorf("%s: the source has no field %s", what, name)
			continue
		}
		if v := g.Field(i); v.IsZero() || !reflect.DeepEqual(v.Interface(), src.FieldByIndex(f.Index).Interface()) {
			t.Errorf("%s: %s is %v, not the source's", what, name, v)
		}
	}
}

// The three hand-written mappings of the twenty scoring columns must carry
// every one of them: a column added to the table and to scoring.Features
// but left out of one would score or store that lead without it.
func TestScoringColumnsMapped(t *testing.T) {
	t.Parallel()
	var lead db.Lead
	fillPointers(&lead)
	lead.ID, lead.Name, lead.Status, lead.Version = uuid.New(), "Ana", "new", 3
	wantSameFields(t, "leadFeatures", leadFeatures(lead), lead)

	var page db.LeadScoringPageRow
	fillPointers(&page)
	wantSameFields(t, "pageFeatures", pageFeatures(&page), page)

	// updateParams writes back every column the update sets.
	p := updateParams(lead)
	wantSameFields(t, "updateParams", p, lead)
	if reflect.ValueOf(scoring.Features{}).NumField() != 20 {
		t.Errorf("scoring.Features has %d fields; this test and the mappings expect 20", reflect.ValueOf(scoring.Features{}).NumField())
	}
}
