package handlers

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/jmksales/jmk/server/apperr"
)

// assigned_to's own checks, behind the spec's pattern, say what the
// validator says of the same value: the filter takes none, the body null.
func TestAssignedToMessages(t *testing.T) {
	t.Parallel()
	me := uuid.New()
	_, _, filterErr := seller(new("bob"), me)
	_, bodyErr := assignment(nullable.NewNullableWithValue("bob"), me)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Filter", filterErr, "assigned_to: must be a user id (a UUID), me or none"},
		{"Body", bodyErr, "assigned_to: must be a user id (a UUID), me or null"},
	} {
		var ae *apperr.Error
		if !errors.As(tc.err, &ae) || ae.Detail != tc.want || len(ae.Fields) != 1 || ae.Fields[0].Field != "assigned_to" {
			t.Errorf("%s: %v, want %q", tc.name, tc.err, tc.want)
		}
	}
}
