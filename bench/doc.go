// Package bench measures the design's performance budgets (see README.md) on
// this machine: `go tool task bench` runs TestBudgets (build tag "bench")
// against a fresh database and prints every figure next to its budget.
// Budgets are measured here, never asserted by timed unit tests.
package bench
