package store_test

import (
	"testing"

	"github.com/jmksales/jmk/server/store"
)

// Instances with one JWT_SECRET count an e-mail under one key, whatever its
// case; another secret, or none set, gives other keys.
func TestLoginFailureKey(t *testing.T) {
	t.Parallel()
	a, b, other, unset := store.New(nil), store.New(nil), store.New(nil), store.New(nil)
	for _, s := range []*store.Store{a, b} {
		s.SetLoginFailureSecret([]byte("the same secret on every instance"))
	}
	other.SetLoginFailureSecret([]byte("another secret"))
	k := a.LoginFailureKey("Ana@Example.com")
	if k != b.LoginFailureKey("ana@example.com") || len(k) != 64 {
		t.Errorf("two instances' keys differ: %s %s", k, b.LoginFailureKey("ana@example.com"))
	}
	if k == other.LoginFailureKey("ana@example.com") || k == unset.LoginFailureKey("ana@example.com") {
		t.Error("another secret gives the same key")
	}
}
