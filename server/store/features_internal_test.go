package store

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/leadcsv"
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
			t.Errorf("%s: %s is %s, not %s", what, name, show(v), show(src.FieldByIndex(f.Index)))
		}
	}
}

// show prints a field's value, following a pointer.
func show(v reflect.Value) string {
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return fmt.Sprint(v)
}

// The hand-written mappings of the twenty scoring columns must carry every
// one of them: a column added to the table and to scoring.Features but left
// out of one would score, store or audit that lead without it. (The
// handlers' mappings have TestScoringInputsMapped.)
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
	// An imported row is staged with all its inputs.
	row := leadcsv.Row{Features: leadFeatures(lead)}
	staged, err := stageParams(row, ImportOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantSameFields(t, "stageParams", row.Features, staged)

	// A patch setting every input writes each to its own column, and records
	// a change for each; a new lead's event records them all.
	var in LeadInputs
	f := reflect.ValueOf(row.Features)
	for i := range reflect.ValueOf(in).NumField() {
		o := reflect.ValueOf(&in).Elem().Field(i)
		o.FieldByName("Set").SetBool(true)
		o.FieldByName("Value").Set(f.FieldByName(reflect.TypeOf(in).Field(i).Name))
	}
	var next db.LeadUpdateParams
	changes := map[string]audit.Change{}
	applyInputs(changes, &next, in)
	wantSameFields(t, "applyInputs", row.Features, next)
	created := createChanges(lead)
	for field, c := range changes {
		if created[field] != c {
			t.Errorf("createChanges: %s is %+v, want %+v", field, created[field], c)
		}
	}
	if len(changes) != f.NumField() {
		t.Errorf("applyInputs recorded %d changes, want %d", len(changes), f.NumField())
	}
	if reflect.ValueOf(scoring.Features{}).NumField() != 20 {
		t.Errorf("scoring.Features has %d fields; this test and the mappings expect 20", reflect.ValueOf(scoring.Features{}).NumField())
	}
}
