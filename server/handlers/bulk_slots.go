package handlers

import (
	"fmt"
	"net/http"

	"github.com/jmksales/jmk/server/apperr"
)

// bulkMaxConcurrent bounds, per instance, the bulk writes under way at once:
// imports, model training and activation, threshold changes. Each holds a
// database connection for its whole length, waiting in the database for
// the ones before it (imports and activations run one at a time), so an
// admin client retrying in a loop could otherwise hold every connection of
// the pool and stop the rest of the API.
const bulkMaxConcurrent = 4

// bulkSlots are the bulk writes' places.
type bulkSlots chan struct{}

// take returns the function that gives the place back, or a 503 when every
// place is taken.
func (s bulkSlots) take() (release func(), err error) {
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	default:
		return nil, &apperr.Error{Status: http.StatusServiceUnavailable, RetryAfter: 10, Detail: fmt.Sprintf(
			"%d imports, trainings, activations or threshold changes are under way on this instance, as many as it runs at once; try again shortly", bulkMaxConcurrent)}
	}
}
