package servertest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/jmksales/jmk/gen/api"
)

// specRouter finds a request's operation in the embedded spec, built once per
// test binary.
var specRouter = sync.OnceValues(func() (routers.Router, error) {
	spec, err := api.GetSpec()
	if err != nil {
		return nil, err
	}
	spec.Servers = nil // match on path only, as the server's validator does
	return gorillamux.NewRouter(spec)
})

// Contract returns a transport that checks every answer to an operation of
// the spec against it: a status the operation does not declare, a missing
// declared header, an undeclared media type or a JSON body off its schema
// fails t. Requests outside the spec (probes, /docs, unknown paths and
// methods) pass unchecked. Non-JSON bodies (CSV exports) are not read: they
// stay streamed, so that tests of slow readers still read them slowly.
func Contract(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	c := &contract{t: t, base: base}
	// A request still running when its test has ended (a background one
	// of a failed test) must not report: t would panic. The lock makes the
	// end wait for a report under way.
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.ended = true
	})
	return c
}

type contract struct {
	t     testing.TB
	base  http.RoundTripper
	mu    sync.Mutex
	ended bool
}

func (c *contract) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := c.base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	router, err := specRouter()
	if err != nil {
		c.report(req, res, err)
		return res, nil
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return res, nil
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Options:                opts,
	}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if isJSON(mt) && req.Method != http.MethodHead {
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		in.SetBodyBytes(body)
	} else {
		// Skipping the body skips kin-openapi's media type check too.
		opts.ExcludeResponseBody = true
		in.Body = io.NopCloser(strings.NewReader(""))
		if r := route.Operation.Responses.Status(res.StatusCode); r != nil && r.Value != nil &&
			len(r.Value.Content) > 0 && r.Value.Content.Get(mt) == nil && req.Method != http.MethodHead {
			c.report(req, res, fmt.Errorf("media type %q is not among those declared", mt))
		}
	}
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		c.report(req, res, err)
	}
	return res, nil
}

func (c *contract) report(req *http.Request, res *http.Response, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ended {
		c.t.Errorf("contract: %s %s answered %d off the spec: %v", req.Method, req.URL.RequestURI(), res.StatusCode, err)
	}
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}
