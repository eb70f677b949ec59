package handlers

import (
	"net/http"
	"sync"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/server/apperr"
)

// exportSlots bound the exports running at once: each holds a database
// connection for as long as its client takes to read it. One user runs one
// at a time, so that nobody can take every slot (each lasts until its
// client has taken nothing for the stall limit) and the feature with it.
type exportSlots struct {
	free  chan struct{}
	mu    sync.Mutex
	users map[uuid.UUID]bool
}

func newExportSlots(n int) *exportSlots {
	return &exportSlots{free: make(chan struct{}, max(n, 1)), users: map[uuid.UUID]bool{}}
}

// take returns the function that gives user's slot back, or a 429 when the
// user has an export running, or a 503 when every slot is taken.
func (s *exportSlots) take(user uuid.UUID) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[user] {
		return nil, &apperr.Error{Status: http.StatusTooManyRequests, RetryAfter: 10,
			Detail: "you have an export running already: one at a time per user; try again once it has finished"}
	}
	select {
	case s.free <- struct{}{}:
	default:
		return nil, &apperr.Error{Status: http.StatusServiceUnavailable, RetryAfter: 10,
			Detail: "as many exports as the server allows (EXPORT_MAX_CONCURRENT) are running; try again shortly"}
	}
	s.users[user] = true
	return func() {
		s.mu.Lock()
		delete(s.users, user)
		s.mu.Unlock()
		<-s.free
	}, nil
}
