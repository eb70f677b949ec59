package server

import (
	"io"
	"net/http"
	"sync/atomic"

	"github.com/labstack/echo/v4"
)

// closeIfBodyUnread answers with Connection: close when the answer starts
// before the request's body has been read to its end: a body sent to an
// operation that takes none (bodyLimit drops it unread), or a request
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
		b := &readTracker{ReadCloser: r.Body, left: r.ContentLength}
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

// readTracker notes when its body has been read to the end: its
// Content-Length reached, or EOF. An import reads its body on another
// goroutine, hence the atomic.
type readTracker struct {
	io.ReadCloser
	left int64 // bytes still to come; negative when the length is unknown (chunked)
	done atomic.Bool
}

func (b *readTracker) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.left > 0 {
		b.left -= int64(n)
	}
	if b.left == 0 || err == io.EOF {
		b.done.Store(true)
	}
	return n, err
}
