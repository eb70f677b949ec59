package server_test

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/jmksales/jmk/gen/api"
)

// TestSpecValid: the contract is a valid OpenAPI document and every example
// in it (Swagger UI's prefilled bodies) matches its own schema.
func TestSpecValid(t *testing.T) {
	t.Parallel()
	doc, err := api.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatal(err)
	}
}
