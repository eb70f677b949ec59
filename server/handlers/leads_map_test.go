package handlers

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/scoring"
)

// inputNames are the scoring inputs' Go field names, the same in the API's,
// the database's and the store's types.
var inputNames = func() []string {
	var names []string
	for f := range reflect.TypeFor[scoring.Features]().Fields() {
		names = append(names, f.Name)
	}
	return names
}()

// setInputs gives each scoring input of the struct *v a value of its own:
// its name for text, its position for numbers. A field is a pointer or a
// nullable.Nullable.
func setInputs(t *testing.T, v any) {
	t.Helper()
	s := reflect.ValueOf(v).Elem()
	for i, name := range inputNames {
		f := s.FieldByName(name)
		if !f.IsValid() {
			t.Fatalf("%T has no field %s", v, name)
		}
		if k := f.Kind(); k != reflect.Pointer && k != reflect.Map {
			t.Fatalf("%T.%s: unhandled kind %s", v, name, k)
		}
		e := reflect.New(f.Type().Elem()).Elem() // a map's: nullable.Nullable holds true -> the value
		switch e.Kind() {
		case reflect.String:
			e.SetString(name)
		case reflect.Int32:
			e.SetInt(int64(i + 1))
		case reflect.Float64:
			e.SetFloat(float64(i) + 0.5)
		}
		if f.Kind() == reflect.Pointer {
			f.Set(e.Addr())
		} else {
			f.Set(reflect.MakeMap(f.Type()))
			f.SetMapIndex(reflect.ValueOf(true), e)
		}
	}
}

// inputsOf returns the scoring inputs of the struct v as text, "" for none:
// pointers, nullable.Nullable and store.Opt fields followed.
func inputsOf(v any) map[string]string {
	s := reflect.ValueOf(v)
	out := make(map[string]string, len(inputNames))
	for _, name := range inputNames {
		f := s.FieldByName(name)
		if f.Kind() == reflect.Struct { // store.Opt
			f = f.FieldByName("Value")
		}
		switch {
		case !f.IsValid():
			out[name] = "(no such field)"
		case f.Kind() == reflect.Map:
			if e := f.MapIndex(reflect.ValueOf(true)); e.IsValid() {
				out[name] = fmt.Sprint(e)
			}
		case !f.IsNil():
			out[name] = fmt.Sprint(f.Elem())
		}
	}
	return out
}

// The handlers' hand-written mappings of the twenty scoring inputs must
// carry every one of them: an input added to the spec and to
// scoring.Features but left out of one would be dropped without a word.
// (The store's mappings have TestScoringColumnsMapped.)
func TestScoringInputsMapped(t *testing.T) {
	t.Parallel()
	var (
		in     api.ScoringInputs
		create api.LeadCreate
		patch  api.LeadPatch
		lead   db.Lead
	)
	for _, v := range []any{&in, &create, &patch, &lead} {
		setInputs(t, v)
	}
	want := inputsOf(in)
	for name, v := range want {
		if v == "" {
			t.Fatalf("inputsOf lost %s", name)
		}
	}
	change, err := leadChange(patch, uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	for what, got := range map[string]any{
		"inputsFeatures": inputsFeatures(in),
		"leadInsert":     leadInsert(create),
		"leadChange":     change.Inputs,
		"leadOut":        leadOut(lead),
	} {
		g := inputsOf(got)
		for _, name := range inputNames {
			if g[name] != want[name] {
				t.Errorf("%s: %s is %q, want %q", what, name, g[name], want[name])
			}
		}
	}
}
