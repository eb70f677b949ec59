package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/jmksales/jmk/server/auth"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	t0     = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

func issuer(t *testing.T, now time.Time) *auth.Issuer {
	t.Helper()
	i, err := auth.NewIssuer(secret, "iss", "aud", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func claims(mod func(*auth.Claims)) *auth.Claims {
	c := &auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "iss", Subject: uuid.NewString(), Audience: jwt.ClaimStrings{"aud"},
			IssuedAt: jwt.NewNumericDate(t0), ExpiresAt: jwt.NewNumericDate(t0.Add(auth.AccessTTL)),
			ID: uuid.NewString(),
		},
		SessionID: uuid.New(),
	}
	if mod != nil {
		mod(c)
	}
	return c
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewIssuerShortSecret(t *testing.T) {
	t.Parallel()
	if _, err := auth.NewIssuer(secret[:31], "iss", "aud", nil); err == nil {
		t.Fatal("31-byte secret accepted")
	}
}

func TestIssueVerify(t *testing.T) {
	t.Parallel()
	iss := issuer(t, t0)
	user, sess := uuid.New(), uuid.New()
	tok, err := iss.Issue(user, sess)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		u, s, err := iss.Verify(tok)
		if err != nil || u != user || s != sess {
			t.Fatalf("%v %v %v", u, s, err)
		}
	})
	t.Run("ClaimsPinned", func(t *testing.T) {
		var c auth.Claims
		tk, _, err := jwt.NewParser().ParseUnverified(tok, &c)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Method.Alg() != "HS256" || c.ExpiresAt.Sub(c.IssuedAt.Time) != 15*time.Minute ||
			c.Issuer != "iss" || c.Audience[0] != "aud" || c.ID == "" || c.Subject != user.String() {
			t.Fatalf("claims %+v alg %s", c, tk.Method.Alg())
		}
	})
	t.Run("StillValidJustBeforeExpiry", func(t *testing.T) {
		if _, _, err := issuer(t, t0.Add(14*time.Minute)).Verify(tok); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		_, _, err := issuer(t, t0.Add(16*time.Minute)).Verify(tok)
		if !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("OtherSecret", func(t *testing.T) {
		other, _ := auth.NewIssuer([]byte(strings.Repeat("z", 32)), "iss", "aud", func() time.Time { return t0 })
		if _, _, err := other.Verify(tok); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	valid := sign(t, jwt.SigningMethodHS256, secret, claims(nil))
	parts := strings.Split(valid, ".")
	withHeader := func(k string, v any) string {
		tk := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
		tk.Header[k] = v
		s, err := tk.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// The signature's last character carries two bits beyond its 32
	// bytes: another value of them spells the same signature.
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	sig := parts[2]
	respelt := sig[:len(sig)-1] + string(b64[strings.IndexByte(b64, sig[len(sig)-1])^1])
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"Empty", ""},
		{"Garbage", "not.a.jwt"},
		{"GarbageBase64", "eyJhbGciOiJIUzI1NiJ9.%%%%.sig"},
		{"WrongSignature", parts[0] + "." + parts[1] + ".AAAA" + parts[2][4:]},
		{"SignatureRespelt", parts[0] + "." + parts[1] + "." + respelt},
		{"SignaturePadded", valid + "="},
		{"CritHeader", withHeader("crit", []string{"exp"})},
		{"KidHeader", withHeader("kid", "1")},
		{"JkuHeader", withHeader("jku", "https://evil.example/keys")},
		{"OtherType", withHeader("typ", "at+jwt")},
		{"AlgNone", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))},
		{"AlgNoneHandmade", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."},
		{"HS512RightSecret", sign(t, jwt.SigningMethodHS512, secret, claims(nil))},
		{"HS384RightSecret", sign(t, jwt.SigningMethodHS384, secret, claims(nil))},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, claims(nil))},
		{"WrongSecret", sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("w", 32)), claims(nil))},
		{"Expired", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) {
			c.IssuedAt = jwt.NewNumericDate(t0.Add(-time.Hour))
			c.ExpiresAt = jwt.NewNumericDate(t0.Add(-time.Minute))
		}))},
		{"MissingExp", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) { c.ExpiresAt = nil }))},
		{"IssuedInTheFuture", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) {
			c.IssuedAt = jwt.NewNumericDate(t0.Add(time.Hour))
			c.ExpiresAt = jwt.NewNumericDate(t0.Add(2 * time.Hour))
		}))},
		{"WrongIssuer", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) { c.Issuer = "evil" }))},
		{"MissingIssuer", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) { c.Issuer = "" }))},
		{"WrongAudience", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"other"} }))},
		{"MissingAudience", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) { c.Audience = nil }))},
		{"SubjectNotUUID", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) { c.Subject = "admin" }))},
		{"MissingSession", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) { c.SessionID = uuid.Nil }))},
		{"MissingID", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) { c.ID = "" }))},
		{"MissingIssuedAt", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) { c.IssuedAt = nil }))},
		{"LongLived", sign(t, jwt.SigningMethodHS256, secret, claims(func(c *auth.Claims) {
			c.ExpiresAt = jwt.NewNumericDate(c.IssuedAt.Add(auth.AccessTTL + time.Second))
		}))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, s, err := issuer(t, t0).Verify(tc.token)
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("want ErrInvalidToken, got %v", err)
			}
			if u != uuid.Nil || s != uuid.Nil {
				t.Fatal("ids returned for a refused token")
			}
		})
	}
}

func TestIdentityContext(t *testing.T) {
	t.Parallel()
	if _, ok := auth.FromContext(context.Background()); ok {
		t.Fatal("identity in an empty context")
	}
	id := auth.Identity{UserID: uuid.New(), Role: auth.RoleAdmin}
	got, ok := auth.FromContext(auth.WithIdentity(context.Background(), id))
	if !ok || got != id || !got.IsAdmin() {
		t.Fatalf("%+v %v", got, ok)
	}
	if (auth.Identity{Role: auth.RoleSales}).IsAdmin() {
		t.Fatal("sales is admin")
	}
}
