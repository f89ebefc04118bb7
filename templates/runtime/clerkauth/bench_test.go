package clerkauth

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// BenchmarkVerify measures one token check: a JWT (keys cached) and an
// opaque token (answer cached), as every request after the first does.
func BenchmarkVerify(b *testing.B) {
	fake, err := clerkfake.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()
	v, err := NewVerifier(Config{Issuer: fake.URL, APIURL: fake.URL, SecretKey: fake.SecretKey})
	if err != nil {
		b.Fatal(err)
	}
	jwt, err := fake.IssueJWT(clerkfake.TokenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for name, token := range map[string]string{"jwt": jwt, "opaque": fake.IssueOpaque(clerkfake.TokenOptions{})} {
		b.Run(name, func(b *testing.B) {
			if _, err := v.Verify(context.Background(), token); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := v.Verify(context.Background(), token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyJWTFirstUse measures a JWT's first check: signature and
// claims, with the signing keys already fetched.
func BenchmarkVerifyJWTFirstUse(b *testing.B) {
	fake, err := clerkfake.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()
	v, err := NewVerifier(Config{Issuer: fake.URL, APIURL: fake.URL, SecretKey: fake.SecretKey})
	if err != nil {
		b.Fatal(err)
	}
	jwt, err := fake.IssueJWT(clerkfake.TokenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v.jwtCache = newResultCache(v.now)
		if _, err := v.Verify(context.Background(), jwt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddleware measures everything the auth layer adds to a request
// (header parsing, verification, context, the go-sdk hand-over) around a
// handler that does nothing.
func BenchmarkMiddleware(b *testing.B) {
	fake, err := clerkfake.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()
	v, err := NewVerifier(Config{Issuer: fake.URL, APIURL: fake.URL, SecretKey: fake.SecretKey})
	if err != nil {
		b.Fatal(err)
	}
	h := (&Middleware{Verifier: v, ResourceMetadataURL: "http://localhost/.well-known/oauth-protected-resource/mcp"}).
		Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	jwt, err := fake.IssueJWT(clerkfake.TokenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for name, token := range map[string]string{"jwt": jwt, "opaque": fake.IssueOpaque(clerkfake.TokenOptions{})} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}

// BenchmarkCollect measures one garbage collection of this test process,
// with empty token caches and with full ones (the result cache at
// maxCacheEntries, the known opaque tokens at maxKnownEntries): what the
// entries themselves cost every collection of a server with many users. All
// entries share one caller here; a real server's callers add their own.
func BenchmarkCollect(b *testing.B) {
	for _, full := range []bool{false, true} {
		name := "empty"
		if full {
			name = "full-caches"
		}
		b.Run(name, func(b *testing.B) {
			now := time.Now
			results, known := newResultCache(now), newKnownTokens(now)
			caller := (&Caller{UserID: "user_1", ClientID: "client_1", Scopes: []string{"email"}, Format: FormatOpaque}).seal()
			until := time.Now().Add(time.Hour)
			var key [32]byte
			for i := range maxKnownEntries {
				if !full {
					break
				}
				binary.BigEndian.PutUint64(key[:], uint64(i))
				known.add(key, until)
				if i < maxCacheEntries {
					results.put(key, caller, nil, until)
				}
			}
			runtime.GC()
			for b.Loop() {
				runtime.GC()
			}
			runtime.KeepAlive(results)
			runtime.KeepAlive(known)
		})
	}
}
