// Package audit defines the audit event, its canonical encoding and the
// SHA-256 hash chain that makes the trail tamper-evident.
//
// Rules:
//   - An event is written in the same transaction as the change it records
//     (the store does that); it never carries secrets or password hashes.
//   - Events commit unsealed. The sealer later links them in id order:
//     hash(n) = SHA-256(hash(n-1) || Canonical(event n)), with 32 zero bytes
//     before the first. Any edit, deletion or reordering of sealed events
//     changes a hash that Verify recomputes.
//   - A chain rewritten from some event on, seals and all, is whole again;
//     an Anchor (a seal recorded outside the database) shows it.
//
// The package is pure: no SQL, no HTTP, no clock.
package audit
