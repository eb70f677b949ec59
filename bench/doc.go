// Package bench measures the performance budgets of DESIGN.md section 7 on
// this machine: `go tool task bench` runs TestBudgets (build tag "bench")
// against a fresh database and prints every figure next to its budget.
// Budgets are measured here, never asserted by timed unit tests.
package bench
