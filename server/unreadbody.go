package server

import (
	"io"
	"net/http"
	"sync/atomic"

	"github.com/labstack/echo/v4"
)

// closeIfBodyUnread answers with Connection: close when the answer starts
// before the request's body has been read to its end: a body sent to an
// operation that takes none (bodyLimit drops it unread), or a CSV import
// refused before its body was read (a 401, a 403). net/http would otherwise
// read the rest of the body before it sends the answer, for as long as its
// read timeout allows (IMPORT_UPLOAD_TIMEOUT, kept for imports), so a
// client trickling a body to GET /healthz held the answer, a goroutine and
// a connection for two minutes. A closing connection skips that read.
func closeIfBodyUnread(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		b := &readTracker{ReadCloser: r.Body}
		r.Body = b
		res := c.Response()
		res.Before(func() {
			if !b.done.Load() {
				res.Header().Set(echo.HeaderConnection, "close")
			}
		})
		return next(c)
	}
}

// readTracker notes when its body has been read to EOF, as every reader
// of a body here reads it (the JSON checks, the CSV import). An import
// reads its body on another goroutine, hence the atomic.
type readTracker struct {
	io.ReadCloser
	done atomic.Bool
}

func (b *readTracker) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.done.Store(true)
	}
	return n, err
}
