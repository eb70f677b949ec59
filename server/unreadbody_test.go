package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/servertest"
)

// TestBodyUnread: a body sent to an operation that takes none, and that
// never arrives whole, does not hold the answer back (net/http waited for
// the rest of it for up to two minutes): the answer comes at once, with or
// without a token, and the connection then closes. A body read to its end
// keeps the connection. (An operation that takes a body reads it first,
// within REQUEST_TIMEOUT: TestSlowBody.)
func TestBodyUnread(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	token := env.Login(env.AdminUser.Email).AccessToken
	for _, tc := range []struct {
		name, head string
		status     int
	}{
		{"NoBodyOperation", "GET /healthz HTTP/1.1\r\nContent-Length: 100\r\n", 200},
		{"NoBodyOperationChunked", "DELETE /api/v1/leads/0193a4c2-7a1e-7cc3-9a51-2f0d6c1e8b7a HTTP/1.1\r\nAuthorization: Bearer " + token +
			"\r\nTransfer-Encoding: chunked\r\n", 404},
		{"NoToken", "GET /api/v1/leads HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// A first piece of the body, and the rest never comes.
			body := `{"name"`
			if strings.Contains(tc.head, "chunked") {
				body = fmt.Sprintf("%x\r\n%s\r\n", len(body), body)
			}
			fmt.Fprintf(conn, "%sHost: x\r\n\r\n%s", tc.head, body)
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer while the body is unfinished: %v", err)
			}
			res.Body.Close()
			if res.StatusCode != tc.status || !res.Close {
				t.Fatalf("status %d, Connection %q; want %d and close", res.StatusCode, res.Header.Get("Connection"), tc.status)
			}
		})
	}
	t.Run("ReadBodyKeepsConnection", func(t *testing.T) {
		t.Parallel()
		conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		for i := range 2 {
			body := fmt.Sprintf(`{"name": "Kept Alive %d"}`, i)
			fmt.Fprintf(conn, "POST /api/v1/leads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
				"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", token, len(body), body)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusCreated || res.Close {
				t.Fatalf("request %d: status %d, Connection %q", i, res.StatusCode, res.Header.Get("Connection"))
			}
		}
	})
}
