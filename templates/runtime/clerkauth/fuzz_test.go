package clerkauth

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzBearerToken: any Authorization header is either refused with one of
// the two documented errors or yields a token68 that was in the header.
func FuzzBearerToken(f *testing.F) {
	for _, seed := range []string{
		"", "Bearer oat_0123456789ABCDEF0123456789ABCDEF", "bearer abc.def.ghi", "Basic dXNlcjpwYXNz",
		"Bearer", "Bearer ", "Bearer  x", "Bearer a b", "Bearer \"quoted\"", "Bearer abc==", "Bearer =",
		"BEARER tok", "Bearer\ttok", "Bearer tok\x00", "Bearer " + strings.Repeat("a", 20000),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		h := http.Header{}
		if header != "" {
			h.Set("Authorization", header)
		}
		token, err := BearerToken(h)
		if err != nil {
			if !errors.Is(err, errMissingCredentials) && !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("BearerToken(%q): unexpected error kind %v", header, err)
			}
			if token != "" {
				t.Fatalf("BearerToken(%q) returned a token with an error", header)
			}
			return
		}
		if !isToken68(token) || !strings.Contains(header, token) || !strings.EqualFold(header[:7], "bearer ") {
			t.Fatalf("BearerToken(%q) = %q, not a token68 from a Bearer header", header, token)
		}
	})
}

// FuzzParseAccessTokenHeader: whatever the input, the pre-parse accepts
// only RS256 at+jwt headers with a key id, and refuses with ErrInvalidToken.
func FuzzParseAccessTokenHeader(f *testing.F) {
	for _, seed := range []string{
		"eyJhbGciOiJSUzI1NiIsImtpZCI6Imluc18xIiwidHlwIjoiYXQrand0In0.e30.c2ln", // RS256 at+jwt kid ins_1
		"eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.e30.",                         // alg none
		"eyJhbGciOiJIUzI1NiIsImtpZCI6ImsiLCJ0eXAiOiJhdCtqd3QifQ.e30.c2ln",      // HS256
		"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsiLCJ0eXAiOiJKV1QifQ.e30.c2ln",          // session token typ JWT
		"a.b.c", "..", "e30.e30.e30", "not a jwt", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		h, err := ParseAccessTokenHeader(token)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) || h != nil {
				t.Fatalf("ParseAccessTokenHeader(%q): %v, %v", token, h, err)
			}
			return
		}
		typ := strings.ToLower(h.Typ)
		if h.Alg != "RS256" || h.Kid == "" || (typ != "at+jwt" && typ != "application/at+jwt") || len(h.Crit) > 0 {
			t.Fatalf("ParseAccessTokenHeader(%q) accepted %+v", token, h)
		}
	})
}

// TestTokenByteSets checks the byte sets the token checks look up against
// the grammars they stand for, byte by byte: RFC 7235's token68, the
// base64url segments and dots of a compact JWS, and an opaque token's
// alphanumerics.
func TestTokenByteSets(t *testing.T) {
	alnum := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	for i := 0; i < 256; i++ {
		c := byte(i)
		in := string([]byte{'a', 'b', c, 'c', 'd'})
		if want := alnum(c) || strings.IndexByte("-._~+/", c) >= 0; isToken68(in) != want {
			t.Errorf("isToken68(%q) = %v, want %v", in, !want, want)
		}
		jwt := "eyJhbGciOi.eyJzdWIi." + in
		if want := alnum(c) || c == '-' || c == '_'; looksLikeJWT(jwt) != want {
			t.Errorf("looksLikeJWT(%q) = %v, want %v", jwt, !want, want)
		}
		opaque := OpaquePrefix + "0123456789abcdef" + in
		if want := alnum(c); WellFormedOpaqueToken(opaque) != want {
			t.Errorf("WellFormedOpaqueToken(%q) = %v, want %v", opaque, !want, want)
		}
	}
	// A token68 may end in '='s, and only there.
	if !isToken68("abc==") || isToken68("ab=c") || isToken68("===") {
		t.Error("isToken68 gets the trailing '=' wrong")
	}
}
