package leadcsv_test

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/jmksales/jmk/server/leadcsv"
)

func ptr[T any](v T) *T { return &v }

// readAll reads a whole file: its valid rows, its rejections and the first
// fatal error (nil at a clean end). A header error comes back as err.
func readAll(t *testing.T, in io.Reader, opts leadcsv.Options) ([]leadcsv.Row, []leadcsv.Rejection, error) {
	t.Helper()
	r, err := leadcsv.NewReader(in, opts)
	if err != nil {
		return nil, nil, err
	}
	var rows []leadcsv.Row
	var rejs []leadcsv.Rejection
	for {
		row, rr, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, rejs, nil
		}
		if err != nil {
			return rows, rejs, err
		}
		if len(rr) > 0 {
			if row.Line != rr[0].Line {
				t.Errorf("rejected row line %d, rejection line %d", row.Line, rr[0].Line)
			}
			rejs = append(rejs, rr...)
			continue
		}
		rows = append(rows, row)
	}
}

func readString(t *testing.T, in string) ([]leadcsv.Row, []leadcsv.Rejection, error) {
	t.Helper()
	return readAll(t, strings.NewReader(in), leadcsv.Options{})
}

// dump renders a Row with its pointers followed, one field per line, for
// failure messages that show what differs.
func dump(r leadcsv.Row) string {
	var b strings.Builder
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			switch {
			case f.Kind() == reflect.Struct:
				walk(name+".", f)
			case f.Kind() == reflect.Pointer && f.IsNil():
				fmt.Fprintf(&b, "%s%s=<nil>\n", prefix, name)
			case f.Kind() == reflect.Pointer:
				fmt.Fprintf(&b, "%s%s=%#v\n", prefix, name, f.Elem().Interface())
			default:
				fmt.Fprintf(&b, "%s%s=%#v\n", prefix, name, f.Interface())
			}
		}
	}
	walk("", reflect.ValueOf(r))
	return b.String()
}

func equalRows(t *testing.T, got, want []leadcsv.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range got {
		if g, w := dump(got[i]), dump(want[i]); g != w {
			t.Errorf("row %d:\ngot:\n%s\nwant:\n%s", i, g, w)
		}
	}
}

func equalRejections(t *testing.T, got, want []leadcsv.Rejection) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rejections %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Line != w.Line || g.Field != w.Field || !strings.Contains(g.Message, w.Message) {
			t.Errorf("rejection %d = %+v, want line %d field %q message containing %q",
				i, g, w.Line, w.Field, w.Message)
		}
	}
}
