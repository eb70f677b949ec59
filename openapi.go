// Package jmk is the JMK Sales API module root. It only embeds openapi.yaml,
// the contract, so the server can publish it at /openapi.yaml as written.
package jmk

import _ "embed"

// OpenAPIYAML is the API contract, byte for byte.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
