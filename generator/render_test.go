package generator

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates"
)

// renderScenarios are the configs the render tests run over.
func renderScenarios() map[string]*Config {
	return map[string]*Config{
		"defaults":        testConfig(),
		"module = name":   DefaultConfig("myapp"),
		"streamable only": testConfig(func(c *Config) { c.Transports = []string{TransportStreamable} }),
		"sse only":        testConfig(func(c *Config) { c.Transports = []string{TransportSSE} }),
		"no tools":        testConfig(func(c *Config) { c.Tools = nil }),
		"several tools": testConfig(withTools("search-notes", "notes.create_v2", "x_test", "foo-linux", "Get"), func(c *Config) {
			c.Tools = append(c.Tools,
				Tool{Name: "weird", Description: "Quotes \" and `backticks`, */ and /* and \\ and\nnew lines\n// and a comment"},
				Tool{Name: "empty-description"})
		}),
		"custom": testConfig(func(c *Config) {
			c.Module = "github.com/me/custom/v2"
			c.Scopes = []string{"notes:read", "notes:write", `a'b$c`, "https://api.example.com/notes.read"}
			c.PublicRoutes = []string{"/about", "/docs/*"}
			c.AllowedOrigins = []string{"*", "https://app.example.com"}
		}),
	}
}

func render(t *testing.T, cfg *Config) []*File {
	t.Helper()
	files, err := Render(cfg)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return files
}

func TestRenderFiles(t *testing.T) {
	for name, cfg := range renderScenarios() {
		t.Run(name, func(t *testing.T) {
			files := render(t, cfg)
			if !slices.IsSortedFunc(files, func(a, b *File) int { return strings.Compare(a.Path, b.Path) }) {
				t.Error("files are not sorted by path")
			}
			byPath := map[string]*File{}
			for _, f := range files {
				if byPath[f.Path] != nil {
					t.Errorf("%s rendered twice", f.Path)
				}
				byPath[f.Path] = f
				if f.Path == "" || path.Clean(f.Path) != f.Path || path.IsAbs(f.Path) || strings.HasPrefix(f.Path, "../") || strings.Contains(f.Path, `\`) {
					t.Errorf("%q is not a clean relative slash path", f.Path)
				}
				if f.Tier == ConfigFileTier || f.Path == ConfigFile {
					t.Errorf("Render rendered %s (tier %s); the config file is the user's", f.Path, f.Tier)
				}
				if bytes.Contains(f.Data, []byte("<no value>")) {
					t.Errorf("%s contains <no value>: a template used a missing key", f.Path)
				}
				if len(f.Data) == 0 {
					t.Errorf("%s is empty", f.Path)
				}
			}
			want := map[string]Tier{
				"go.mod":                             UserOwned,
				"main.go":                            UserOwned,
				"README.md":                          UserOwned,
				".env.example":                       UserOwned,
				".gitignore":                         UserOwned,
				"tools/deps.go":                      UserOwned,
				"internal/server/server_gen.go":      Generated,
				"internal/server/server_gen_test.go": Generated,
			}
			for _, tool := range cfg.Tools {
				want["tools/"+ToolFileBase(tool.Name)+".go"] = UserOwned
			}
			for p, tier := range want {
				f := byPath[p]
				if f == nil {
					t.Errorf("%s not rendered", p)
					continue
				}
				if f.Tier != tier {
					t.Errorf("%s is %s, want %s", p, f.Tier, tier)
				}
			}
			for _, f := range files {
				if strings.HasPrefix(f.Path, "internal/") && f.Tier != Generated {
					t.Errorf("%s is %s; everything under internal/ is generated", f.Path, f.Tier)
				}
				if strings.HasPrefix(f.Path, "tools/") && f.Tier != UserOwned {
					t.Errorf("%s is %s; everything under tools/ is the user's", f.Path, f.Tier)
				}
			}
			gitignore := strings.Split(string(byPath[".gitignore"].Data), "\n")
			if !slices.Contains(gitignore, ".env") {
				t.Errorf(".gitignore does not ignore .env:\n%s", byPath[".gitignore"].Data)
			}
			if slices.Contains(gitignore, ManifestFile) || slices.Contains(gitignore, "/"+ManifestFile) {
				t.Errorf(".gitignore ignores the manifest, so a clone would see every generated file as edited")
			}
			server := string(byPath["internal/server/server_gen.go"].Data)
			for _, tool := range cfg.Tools {
				if !strings.Contains(server, "tools."+ToolIdent(tool.Name)+"(tool, deps)") || !strings.Contains(server, strconv.Quote(tool.Name)) {
					t.Errorf("server_gen.go does not register %s as tools.%s", tool.Name, ToolIdent(tool.Name))
				}
				handler := string(byPath["tools/"+ToolFileBase(tool.Name)+".go"].Data)
				if !strings.Contains(handler, "func "+ToolIdent(tool.Name)+"(") {
					t.Errorf("the handler file of %s does not declare %s", tool.Name, ToolIdent(tool.Name))
				}
			}
			for _, s := range cfg.Scopes {
				if !strings.Contains(server, strconv.Quote(s)) {
					t.Errorf("server_gen.go does not list scope %q", s)
				}
			}
		})
	}
}

func TestRenderNew(t *testing.T) {
	cfg := testConfig()
	files, err := RenderNew(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rendered := render(t, cfg)
	if len(files) != len(rendered)+1 {
		t.Fatalf("RenderNew gave %d files, Render %d", len(files), len(rendered))
	}
	yml, err := MarshalConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range files {
		if f.Path == ConfigFile {
			found = true
			if f.Tier != ConfigFileTier || !bytes.Equal(f.Data, yml) {
				t.Errorf("%s: tier %s, data:\n%s\nwant tier config and MarshalConfig's output", ConfigFile, f.Tier, f.Data)
			}
		}
	}
	if !found {
		t.Errorf("RenderNew did not render %s", ConfigFile)
	}
	if !slices.IsSortedFunc(files, func(a, b *File) int { return strings.Compare(a.Path, b.Path) }) {
		t.Error("RenderNew's files are not sorted")
	}
	parsed, err := ParseConfig(ConfigFile, yml)
	if err != nil {
		t.Fatal(err)
	}
	if d := configDiff(parsed, cfg); d != "" {
		t.Errorf("the rendered config file reads back differently:\n%s", d)
	}
}

func TestWithConfigFile(t *testing.T) {
	in := []*File{{Path: "a.go", Tier: Generated}, {Path: "z.go", Tier: UserOwned}}
	out := WithConfigFile(in, []byte("version: 1\n"))
	var paths []string
	for _, f := range out {
		paths = append(paths, f.Path)
	}
	if want := []string{"a.go", ConfigFile, "z.go"}; !slices.Equal(paths, want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}
	if len(in) != 2 || in[1].Path != "z.go" {
		t.Errorf("WithConfigFile changed its input: %v", in)
	}
	if out[1].Tier != ConfigFileTier || string(out[1].Data) != "version: 1\n" {
		t.Errorf("config file = %+v", out[1])
	}
}

func TestRenderGoFiles(t *testing.T) {
	for name, cfg := range renderScenarios() {
		t.Run(name, func(t *testing.T) {
			for _, f := range render(t, cfg) {
				if !strings.HasSuffix(f.Path, ".go") {
					continue
				}
				fset := token.NewFileSet()
				file, err := parser.ParseFile(fset, f.Path, f.Data, parser.ParseComments)
				if err != nil {
					t.Errorf("%s does not parse: %v", f.Path, err)
					continue
				}
				formatted, err := format.Source(f.Data)
				if err != nil || !bytes.Equal(formatted, f.Data) {
					t.Errorf("%s is not gofmt-clean (%v)", f.Path, err)
				}
				generated := ast.IsGenerated(file)
				switch f.Tier {
				case Generated:
					if !bytes.HasPrefix(f.Data, []byte(GeneratedHeader+"\n")) {
						t.Errorf("%s does not start with %q", f.Path, GeneratedHeader)
					}
					if !generated {
						t.Errorf("%s: ast.IsGenerated = false", f.Path)
					}
				case UserOwned:
					if generated || bytes.Contains(f.Data, []byte("DO NOT EDIT")) {
						t.Errorf("%s is the user's, but is marked generated", f.Path)
					}
				}
				wantPkg := path.Base(path.Dir(f.Path))
				if path.Dir(f.Path) == "." || strings.Contains(f.Path, "/cmd/") {
					wantPkg = "main" // the project itself, and commands
				}
				if got := file.Name.Name; got != wantPkg && got != wantPkg+"_test" {
					t.Errorf("%s is package %s, want %s", f.Path, got, wantPkg)
				}
			}
		})
	}
}

// TestRenderImports checks every import of every rendered Go file: the
// standard library, the project's own packages, or a module the project's
// go.mod requires. Nothing points at this scaffolder's module.
func TestRenderImports(t *testing.T) {
	scaffolder := strings.TrimSuffix(templates.RuntimeImportPrefix, "templates/runtime/")
	for name, cfg := range renderScenarios() {
		t.Run(name, func(t *testing.T) {
			runtimeFiles := 0
			for _, f := range render(t, cfg) {
				if bytes.Contains(f.Data, []byte(templates.RuntimeImportPrefix)) {
					t.Errorf("%s still mentions %s", f.Path, templates.RuntimeImportPrefix)
				}
				if !strings.HasSuffix(f.Path, ".go") {
					continue
				}
				file, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Data, parser.ImportsOnly)
				if err != nil {
					t.Errorf("%s: %v", f.Path, err)
					continue
				}
				isRuntime := strings.HasPrefix(f.Path, "internal/") && !strings.HasPrefix(f.Path, "internal/server/")
				if isRuntime {
					runtimeFiles++
				}
				for _, imp := range file.Imports {
					p, _ := strconv.Unquote(imp.Path.Value)
					if p == strings.TrimSuffix(scaffolder, "/") || strings.HasPrefix(p, scaffolder) {
						t.Errorf("%s imports %s, from the scaffolder's module", f.Path, p)
					}
					first, _, _ := strings.Cut(p, "/")
					switch {
					case !strings.Contains(first, "."):
						if p == cfg.Module || strings.HasPrefix(p, cfg.Module+"/") {
							break // a project package (module without a dot)
						}
						// the standard library
					case p == cfg.Module || strings.HasPrefix(p, cfg.Module+"/"):
					default:
						if !slices.ContainsFunc(projectDeps, func(d struct{ Path, Version string }) bool {
							return p == d.Path || strings.HasPrefix(p, d.Path+"/")
						}) {
							t.Errorf("%s imports %s, which is in no module the project's go.mod requires", f.Path, p)
						}
					}
					if strings.HasPrefix(p, cfg.Module+"/") {
						if rest := strings.TrimPrefix(p, cfg.Module+"/"); !strings.HasPrefix(rest, "internal/") && rest != "tools" {
							t.Errorf("%s imports %s: not a package of the project", f.Path, p)
						}
					}
					if isRuntime && strings.Contains(p, "/internal/") && !strings.HasPrefix(p, cfg.Module+"/internal/") {
						t.Errorf("runtime file %s imports %s, want %s/internal/...", f.Path, p, cfg.Module)
					}
				}
			}
			if runtimeFiles == 0 {
				t.Error("no runtime files rendered under internal/")
			}
		})
	}
}

// TestRenderRuntimeCopies checks that each runtime package of this module
// lands in the project under internal/ with only its imports rewritten.
func TestRenderRuntimeCopies(t *testing.T) {
	cfg := testConfig()
	byPath := map[string]*File{}
	for _, f := range render(t, cfg) {
		byPath[f.Path] = f
	}
	entries, err := templates.Runtime.ReadDir("runtime")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, pkg := range entries {
		files, err := templates.Runtime.ReadDir("runtime/" + pkg.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range files {
			if !strings.HasSuffix(e.Name(), ".go") {
				continue
			}
			n++
			src, err := templates.Runtime.ReadFile("runtime/" + pkg.Name() + "/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			out := byPath["internal/"+pkg.Name()+"/"+e.Name()]
			if out == nil {
				t.Errorf("runtime/%s/%s is not in the render", pkg.Name(), e.Name())
				continue
			}
			if out.Tier != Generated {
				t.Errorf("%s is %s, want generated", out.Path, out.Tier)
			}
			want := GeneratedHeader + "\n\n" + strings.ReplaceAll(string(src), strconv.Quote(templates.RuntimeImportPrefix), strconv.Quote(cfg.Module+"/internal/"))
			want = strings.ReplaceAll(want, `"`+templates.RuntimeImportPrefix, `"`+cfg.Module+"/internal/")
			// gofmt may sort the rewritten imports differently; the lines
			// are the same either way.
			if string(out.Data) != want && !sameLines(string(out.Data), want) {
				t.Errorf("%s is not its runtime source with the imports rewritten", out.Path)
			}
		}
	}
	if n == 0 {
		t.Fatal("no runtime files found")
	}
}

// sameLines reports whether a and b have the same lines in any order.
func sameLines(a, b string) bool {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	slices.Sort(la)
	slices.Sort(lb)
	return slices.Equal(la, lb)
}

func TestRenderDeterministic(t *testing.T) {
	cfg := renderScenarios()["several tools"]
	a, b := render(t, cfg), render(t, cfg)
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) || a[i].Tier != b[i].Tier {
			t.Errorf("%s renders differently the second time", a[i].Path)
		}
	}
}

func TestRenderDoesNotChangeConfig(t *testing.T) {
	cfg := renderScenarios()["custom"]
	want := *normalizeConfig(cfg)
	want.Tools = slices.Clone(want.Tools)
	render(t, cfg)
	if d := configDiff(cfg, &want); d != "" {
		t.Errorf("Render changed its config:\n%s", d)
	}
}

func TestRenderInvalidConfig(t *testing.T) {
	tests := map[string]func(*Config){
		"version 2":          func(c *Config) { c.Version = 2 },
		"bad name":           func(c *Config) { c.Name = "My App" },
		"bad module":         func(c *Config) { c.Module = "a b" },
		"no transports":      func(c *Config) { c.Transports = nil },
		"unknown transport":  func(c *Config) { c.Transports = []string{"websocket"} },
		"public /mcp":        func(c *Config) { c.PublicRoutes = []string{"/mcp"} },
		"bad origin":         func(c *Config) { c.AllowedOrigins = []string{"https://x.com/path"} },
		"bad tool":           func(c *Config) { c.Tools = []Tool{{Name: "1x"}} },
		"duplicate tool":     func(c *Config) { c.Tools = append(c.Tools, c.Tools[0]) },
		"clashing tools":     func(c *Config) { c.Tools = []Tool{{Name: "a-b"}, {Name: "a_b"}} },
		"tool deps":          func(c *Config) { c.Tools = []Tool{{Name: "deps"}} },
		"tool file is deps":  func(c *Config) { c.Tools = []Tool{{Name: "DEPS"}} },
		"module with quotes": func(c *Config) { c.Module = `example.com/"x` },
	}
	for name, edit := range tests {
		cfg := testConfig(edit)
		files, err := Render(cfg)
		if err == nil || files != nil {
			t.Errorf("%s: Render = %d files, %v; want no files and an error", name, len(files), err)
		}
		files, err = RenderNew(cfg)
		if err == nil || files != nil {
			t.Errorf("%s: RenderNew = %d files, %v; want no files and an error", name, len(files), err)
		}
	}
}

// TestExecuteMissingKey checks that templates run with missingkey=error: a
// key missing from the data fails the render instead of writing
// "<no value>" into the project.
func TestExecuteMissingKey(t *testing.T) {
	out, err := execute(templates.Project, "project/go.mod.tmpl", map[string]any{"GoVersion": "1.25.0", "Deps": nil})
	if err == nil {
		t.Fatalf("execute with no Module key succeeded:\n%s", out)
	}
	if !strings.Contains(err.Error(), "go.mod.tmpl") || !strings.Contains(err.Error(), "Module") {
		t.Errorf("error %q does not name the template and the key", err)
	}
	if out != nil {
		t.Errorf("execute returned output with its error")
	}
	if _, err := execute(templates.Project, "project/no-such-file.tmpl", newTemplateData(testConfig())); err == nil {
		t.Error("execute of a missing template succeeded")
	}
}

// TestTemplatesAllUsed checks that every template file is rendered by
// some config, so that none is forgotten.
func TestTemplatesAllUsed(t *testing.T) {
	used := map[string]bool{"project/tools/tool.go.tmpl": true, "project/tools/get_clerk_user_data.go.tmpl": true,
		"project/tools/get_clerk_user_data_test.go.tmpl": true,
		"project/prompts/prompts.go.tmpl":                true, "project/prompts/prompt.go.tmpl": true,
		"project/resources/resources.go.tmpl": true, "project/resources/resource.go.tmpl": true,
		"project/resources/resource_template.go.tmpl": true}
	for _, tf := range projectFiles {
		used[tf.tmpl] = true
	}
	var walk func(dir string)
	walk = func(dir string) {
		entries, err := templates.Project.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			p := dir + "/" + e.Name()
			if e.IsDir() {
				walk(p)
				continue
			}
			if !strings.HasSuffix(p, ".tmpl") {
				t.Errorf("%s: templates/project holds *.tmpl files only", p)
			}
			if !used[p] {
				t.Errorf("%s is never rendered", p)
			}
		}
	}
	walk("project")
}

// TestDependencyVersions checks that the project's go.mod requires each
// dependency at the version this module builds and tests the runtime
// packages with.
func TestDependencyVersions(t *testing.T) {
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	root, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	rootReq := map[string]string{}
	for _, r := range root.Require {
		rootReq[r.Mod.Path] = r.Mod.Version
	}
	if len(projectDeps) == 0 {
		t.Fatal("projectDeps is empty")
	}
	for _, d := range projectDeps {
		v, ok := rootReq[d.Path]
		switch {
		case !ok:
			t.Errorf("%s: the project requires %s, but the root go.mod does not require it", d.Path, d.Version)
		case v != d.Version:
			t.Errorf("%s: the project requires %s, the root go.mod %s", d.Path, d.Version, v)
		}
	}

	// The rendered go.mod says the same.
	cfg := testConfig()
	var gomod *File
	for _, f := range render(t, cfg) {
		if f.Path == "go.mod" {
			gomod = f
		}
	}
	if gomod == nil {
		t.Fatal("go.mod not rendered")
	}
	mf, err := modfile.Parse("go.mod", gomod.Data, nil)
	if err != nil {
		t.Fatalf("rendered go.mod: %v\n%s", err, gomod.Data)
	}
	if mf.Module.Mod.Path != cfg.Module {
		t.Errorf("rendered go.mod: module %s, want %s", mf.Module.Mod.Path, cfg.Module)
	}
	if mf.Go == nil || mf.Go.Version != projectGoVersion {
		t.Errorf("rendered go.mod: go line %v, want %s", mf.Go, projectGoVersion)
	}
	got := map[string]string{}
	for _, r := range mf.Require {
		got[r.Mod.Path] = r.Mod.Version
	}
	if len(got) != len(projectDeps) {
		t.Errorf("rendered go.mod requires %v, want %v", got, projectDeps)
	}
	for _, d := range projectDeps {
		if got[d.Path] != d.Version {
			t.Errorf("rendered go.mod requires %s %q, want %s", d.Path, got[d.Path], d.Version)
		}
	}
	// The project's go line is no newer than this module's, so that the
	// runtime packages are tested here with the language version a
	// project gets.
	if root.Go == nil || compareGoVersions(projectGoVersion, root.Go.Version) > 0 {
		t.Errorf("project go %s is newer than the root go.mod's go %v", projectGoVersion, root.Go)
	}
}

// compareGoVersions compares dotted versions such as 1.25.0 and 1.26.
func compareGoVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
