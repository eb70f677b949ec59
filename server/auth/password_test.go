package auth_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/jmksales/jmk/server/auth"
)

func TestCheckPasswordRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		pw   string
		ok   bool
	}{
		{"Empty", "", false},
		{"NineBytes", strings.Repeat("a", 9), false},
		{"TenBytes", strings.Repeat("a", 10), true},
		{"SeventyTwoBytes", strings.Repeat("a", 72), true},
		{"SeventyThreeBytes", strings.Repeat("a", 73), false},
		// Bytes, not characters: five two-byte runes are ten bytes.
		{"TenBytesOfFiveRunes", strings.Repeat("é", 5), true},
		{"SeventyFourBytesOf37Runes", strings.Repeat("é", 37), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := auth.CheckPasswordRules(tc.pw)
			if tc.ok && err != nil {
				t.Fatalf("want ok, got %v", err)
			}
			if !tc.ok && !errors.Is(err, auth.ErrPasswordLength) {
				t.Fatalf("want ErrPasswordLength, got %v", err)
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	const pw = "a long enough password"
	h, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("CostAtLeast12", func(t *testing.T) {
		cost, err := bcrypt.Cost([]byte(h))
		if err != nil || cost < 12 || cost != auth.BcryptCost {
			t.Fatalf("cost %d, %v", cost, err)
		}
	})
	t.Run("NeverThePassword", func(t *testing.T) {
		if strings.Contains(h, pw) {
			t.Fatal("hash contains the password")
		}
	})
	t.Run("Matches", func(t *testing.T) {
		if !auth.PasswordMatches(h, pw) {
			t.Fatal("right password does not match")
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		if auth.PasswordMatches(h, pw+"x") {
			t.Fatal("wrong password matches")
		}
	})
	t.Run("RefusesRuleBreakers", func(t *testing.T) {
		for _, bad := range []string{"short", strings.Repeat("x", 73)} {
			if _, err := auth.HashPassword(bad); !errors.Is(err, auth.ErrPasswordLength) {
				t.Errorf("len %d: %v", len(bad), err)
			}
		}
	})
}

func TestPasswordMatchesEmptyHash(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, pw string }{
		{"EmptyPassword", ""},
		{"SomePassword", "correct horse battery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if auth.PasswordMatches("", tc.pw) {
				t.Fatal("an empty hash (unknown user) must never match")
			}
		})
	}
	t.Run("GarbageHash", func(t *testing.T) {
		t.Parallel()
		if auth.PasswordMatches("not-a-bcrypt-hash", "whatever") {
			t.Fatal("garbage hash matched")
		}
	})
}

func TestRefreshToken(t *testing.T) {
	t.Parallel()
	a, ha := auth.NewRefreshToken()
	b, _ := auth.NewRefreshToken()
	if a == b || len(a) < 43 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if string(ha) != string(auth.HashRefreshToken(a)) || len(ha) != 32 {
		t.Fatal("stored hash is not SHA-256 of the token")
	}
}

// TestPasswordMatchesNoTruncation: bcrypt reads only 72 bytes, so a
// 72-byte password followed by anything would match without the length
// check.
func TestPasswordMatchesNoTruncation(t *testing.T) {
	t.Parallel()
	pw := strings.Repeat("a", auth.MaxPasswordBytes)
	h, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !auth.PasswordMatches(h, pw) {
		t.Fatal("the 72-byte password does not match")
	}
	for _, extra := range []string{"z", "zzz", pw} {
		if auth.PasswordMatches(h, pw+extra) {
			t.Errorf("%d bytes starting with the password match", len(pw+extra))
		}
	}
}
