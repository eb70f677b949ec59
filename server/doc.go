// Package server assembles the HTTP API and runs it: configuration (from
// the environment and .env), the middleware in its order (request ids and
// the access log, authentication, body limits and deadlines, the OpenAPI
// request validator and the checks it leaves to us), the strict handlers,
// the one error handler that turns every failure into RFC 9457
// problem+json, metrics, the Swagger UI, and the app's lifecycle (serve,
// drain, stop the background work).
package server
