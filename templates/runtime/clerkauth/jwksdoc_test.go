package clerkauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

var (
	testRSAKeysOnce sync.Once
	testRSAKeys     map[int]*rsa.PrivateKey
)

// rsaTestKey is an RSA key of the given size (1024, 2048 or 2049 bits),
// made once per test binary.
func rsaTestKey(t *testing.T, bits int) *rsa.PublicKey {
	t.Helper()
	testRSAKeysOnce.Do(func() {
		testRSAKeys = make(map[int]*rsa.PrivateKey)
		for _, b := range []int{1024, 2048, 2049} {
			k, err := rsa.GenerateKey(rand.Reader, b)
			if err != nil {
				panic(err)
			}
			testRSAKeys[b] = k
		}
	})
	return &testRSAKeys[bits].PublicKey
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// rsaMember is a key set member for pub with the given extra fields.
func rsaMember(pub *rsa.PublicKey, fields map[string]any) map[string]any {
	m := map[string]any{
		"kty": "RSA", "kid": "ins_key", "use": "sig", "alg": "RS256",
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}
	for k, v := range fields {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func keySet(t *testing.T, members ...any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": members})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseJWKSMatchesGoJose checks parseJWKS against go-jose, which the
// fake Clerk (and Clerk's own SDKs' ecosystem) write key sets with: the same
// keys by the same ids.
func TestParseJWKSMatchesGoJose(t *testing.T) {
	a, b := rsaTestKey(t, 2048), rsaTestKey(t, 2049)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: a, KeyID: "ins_a", Algorithm: string(jose.RS256), Use: "sig"},
		{Key: b, KeyID: "ins_b"}, // no use, no alg: still a signing key
	}}
	doc, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	var back jose.JSONWebKeySet
	if err := json.Unmarshal(doc, &back); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(back.Keys) {
		t.Fatalf("parseJWKS read %d keys, go-jose %d", len(got), len(back.Keys))
	}
	for _, k := range back.Keys {
		want := k.Key.(*rsa.PublicKey)
		if pub := got[k.KeyID]; pub == nil || !pub.Equal(want) {
			t.Errorf("key %s: got %v, want the key go-jose read", k.KeyID, pub)
		}
	}
}

// TestParseJWKSLeavesOutUnusableKeys: a member that is not an RS256 signing
// key of a size and exponent crypto/rsa accepts is left out, and the others
// are still read; a document with none left fails.
func TestParseJWKSLeavesOutUnusableKeys(t *testing.T) {
	good := rsaTestKey(t, 2048)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecMember, err := json.Marshal(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "ins_ec", Algorithm: "ES256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	var ecMap map[string]any
	if err := json.Unmarshal(ecMember, &ecMap); err != nil {
		t.Fatal(err)
	}
	huge := new(big.Int).Lsh(big.NewInt(1), maxRSABits) // 8193 bits
	huge.SetBit(huge, 0, 1)
	bad := map[string]any{
		"EC key":                ecMap,
		"symmetric key":         map[string]any{"kty": "oct", "kid": "ins_oct", "k": b64([]byte("secret"))},
		"encryption key":        rsaMember(good, map[string]any{"use": "enc"}),
		"other algorithm":       rsaMember(good, map[string]any{"alg": "RS384"}),
		"no key id":             rsaMember(good, map[string]any{"kid": nil}),
		"empty key id":          rsaMember(good, map[string]any{"kid": ""}),
		"key id not a string":   rsaMember(good, map[string]any{"kid": 7}),
		"kty not a string":      rsaMember(good, map[string]any{"kty": true}),
		"1024-bit key":          rsaMember(rsaTestKey(t, 1024), nil),
		"8193-bit modulus":      rsaMember(good, map[string]any{"n": b64(huge.Bytes())}),
		"even modulus":          rsaMember(good, map[string]any{"n": b64(new(big.Int).SetBit(good.N, 0, 0).Bytes())}),
		"no modulus":            rsaMember(good, map[string]any{"n": nil}),
		"modulus not base64url": rsaMember(good, map[string]any{"n": strings.ReplaceAll(b64(good.N.Bytes()), "A", "+") + "+"}),
		"modulus as a number":   rsaMember(good, map[string]any{"n": 12345}),
		"no exponent":           rsaMember(good, map[string]any{"e": nil}),
		"exponent 1":            rsaMember(good, map[string]any{"e": b64([]byte{1})}),
		"even exponent":         rsaMember(good, map[string]any{"e": b64([]byte{1, 0, 0})}),
		"exponent of 33 bits":   rsaMember(good, map[string]any{"e": b64([]byte{1, 0, 0, 0, 1})}),
		"member not an object":  "ins_key",
	}
	for name, member := range bad {
		t.Run(name, func(t *testing.T) {
			if keys, err := parseJWKS(keySet(t, member)); err == nil {
				t.Errorf("a key set of only this member: %d keys, want an error", len(keys))
			}
			keys, err := parseJWKS(keySet(t, member, rsaMember(good, map[string]any{"kid": "ins_good"})))
			if err != nil {
				t.Fatalf("with a good key next to it: %v", err)
			}
			if len(keys) != 1 || keys["ins_good"] == nil || !keys["ins_good"].Equal(good) {
				t.Errorf("with a good key next to it: got %v, want only ins_good", keys)
			}
		})
	}
}

func TestParseJWKSReadsPaddedAndBareMembers(t *testing.T) {
	good := rsaTestKey(t, 2048)
	padded := base64.URLEncoding.EncodeToString(good.N.Bytes())
	if !strings.HasSuffix(padded, "=") {
		// 256 bytes encode to 342 characters and two of padding.
		t.Fatalf("test key's modulus encodes without padding: %q", padded[len(padded)-4:])
	}
	keys, err := parseJWKS(keySet(t,
		rsaMember(good, map[string]any{"kid": "ins_padded", "n": padded}),
		rsaMember(good, map[string]any{"kid": "ins_bare", "use": nil, "alg": nil}),
	))
	if err != nil {
		t.Fatal(err)
	}
	for _, kid := range []string{"ins_padded", "ins_bare"} {
		if keys[kid] == nil || !keys[kid].Equal(good) {
			t.Errorf("%s: got %v", kid, keys[kid])
		}
	}
}

func TestParseJWKSRejectsWhatIsNotAKeySet(t *testing.T) {
	for _, doc := range []string{
		``, `null`, `[]`, `"keys"`, `{}`, `{"keys": null}`, `{"keys": {}}`, `{"keys": "x"}`, `{"keys": []}`,
		`{"keys": [1, null, "x", []]}`, `{"keys": [`, `<html>Clerk is down</html>`,
	} {
		if keys, err := parseJWKS([]byte(doc)); err == nil {
			t.Errorf("%q: %d keys, want an error", doc, len(keys))
		}
	}
}

// TestParseJWKSCachesNoTypeTables checks the reason parseJWKS reads plain
// maps: in a fresh process, its second run allocates as many objects as its
// first, so the first kept nothing for later (a decode into a struct type,
// go-jose's key type among them, keeps that type's field tables, built by
// the first run). The check runs in a child process of this test binary,
// because other tests here parse key sets first.
func TestParseJWKSCachesNoTypeTables(t *testing.T) {
	if os.Getenv("CLERKAUTH_JWKS_ALLOCS_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestParseJWKSCachesNoTypeTables$", "-test.count=1")
		// One P: sync.Pool keeps an object per P, and a run moved to
		// another P would not find the one the run before it left.
		cmd.Env = append(os.Environ(), "CLERKAUTH_JWKS_ALLOCS_CHILD=1", "GOMAXPROCS=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	doc := keySet(t, rsaMember(rsaTestKey(t, 2048), nil))
	// No collection between the runs: one empties encoding/json's pools
	// (sync.Pool), and a run after it allocates their objects again, which
	// would be counted against the other run depending on when the
	// collector ran. A decode of another document into the same kind of
	// maps, first, fills those pools; a type's field tables are not built
	// by it.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var warm map[string]any
	if err := json.Unmarshal([]byte(`{"keys": [{"kty": "EC", "n": "AQAB"}], "x": 1}`), &warm); err != nil {
		t.Fatal(err)
	}
	allocs := func() uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := parseJWKS(doc); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.Mallocs - before.Mallocs
	}
	first := allocs()
	second := allocs()
	if first > second {
		t.Errorf("first parse allocated %d objects, the second %d: the first kept something for later ones", first, second)
	}
}
