package generator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseConfig: any input either fails with an error or gives a config
// that validates and survives a round trip through MarshalConfig.
func FuzzParseConfig(f *testing.F) {
	valid, err := MarshalConfig(DefaultConfig("myapp"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(valid),
		"version: 1\nname: a\nmodule: a\ntransports: [sse]\n",
		"version: 1\nname: a\nmodule: example.com/a\ntransports: [streamable-http]\ntools: [{name: x, description: y}]\n",
		"version: 2\n", "version: one\n", "[]", "{}", "", "a: &x [*x]\n", "name: !!binary aGk=\n",
		"version: 1\nname: a\nmodule: a\ntransports: [sse]\npublicRoutes: ['/docs/*', /about]\nallowedOrigins: ['*']\n",
		"tools:\n  - name: a\n  - name: A\n", "version: 1\nversion: 1\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(ConfigFile, data)
		if err != nil {
			if cfg != nil {
				t.Fatal("a config returned with an error")
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v\n%s", err, data)
		}
		out, err := MarshalConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseConfig(ConfigFile, out)
		if err != nil {
			t.Fatalf("re-parsing the marshalled config: %v\n%s", err, out)
		}
		if d := cmp.Diff(cfg, again); d != "" {
			t.Fatalf("round trip changed the config (-parsed +reparsed):\n%s", d)
		}
	})
}
