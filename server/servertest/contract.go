package servertest

import (
	"bytes"
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
// declared header or a JSON body off its schema fails t. Requests outside the
// spec (probes, /docs, unknown paths and methods) pass unchecked, and so do
// non-JSON bodies (CSV exports), which stay streamed so that tests of slow
// readers still read them slowly.
func Contract(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &contract{t: t, base: base}
}

type contract struct {
	t    testing.TB
	base http.RoundTripper
}

func (c *contract) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := c.base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	router, err := specRouter()
	if err != nil {
		c.t.Errorf("contract: %v", err)
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
	if isJSON(res.Header.Get("Content-Type")) && req.Method != http.MethodHead {
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		in.SetBodyBytes(body)
	} else {
		opts.ExcludeResponseBody = true
		in.Body = io.NopCloser(strings.NewReader(""))
	}
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		c.t.Errorf("contract: %s %s answered %d off the spec: %v", req.Method, req.URL.RequestURI(), res.StatusCode, err)
	}
	return res, nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
