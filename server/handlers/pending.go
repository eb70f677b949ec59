package handlers

import (
	"github.com/jmksales/jmk/server/apperr"
)

// pending answers 501 for the endpoints of later issues (leads, scoring,
// stats) until they are built; each method moves to its resource file then.
func pending() error { return apperr.New(501, "this endpoint is not implemented yet") }
