package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// conformanceTools are the fixture tools of the MCP conformance suite's
// server scenarios, with their descriptions. Their handler files live in
// testdata/interop/conformance-tools.
var conformanceTools = []generator.Tool{
	{Name: "test_simple_text", Description: "Returns simple text"},
	{Name: "test_image_content", Description: "Returns an image"},
	{Name: "test_audio_content", Description: "Returns audio"},
	{Name: "test_embedded_resource", Description: "Returns an embedded resource"},
	{Name: "test_multiple_content_types", Description: "Returns text, an image and a resource"},
	{Name: "test_tool_with_logging", Description: "Logs while it runs"},
	{Name: "test_tool_with_progress", Description: "Reports progress while it runs"},
	{Name: "test_error_handling", Description: "Always fails"},
	{Name: "test_sampling", Description: "Asks the client's LLM"},
	{Name: "test_elicitation", Description: "Asks the user"},
	{Name: "test_elicitation_sep1034_defaults", Description: "Asks the user, with defaults"},
	{Name: "test_elicitation_sep1330_enums", Description: "Asks the user to choose"},
	{Name: "json_schema_2020_12_tool", Description: "Has a JSON Schema 2020-12 input schema"},
}

// conformancePrompts and conformanceResources are the suite's fixture
// prompts and resources (the handler files are in
// testdata/interop/conformance-prompts and conformance-resources).
var conformancePrompts = []generator.Prompt{
	{Name: "test_simple_prompt", Description: "A prompt without arguments"},
	{Name: "test_prompt_with_arguments", Description: "A prompt with two arguments, which it completes"},
	{Name: "test_prompt_with_embedded_resource", Description: "A prompt embedding a resource"},
	{Name: "test_prompt_with_image", Description: "A prompt with an image"},
}

var conformanceResources = []generator.Resource{
	{Name: "static-text", URI: "test://static-text", Description: "A static text resource", MIMEType: "text/plain"},
	{Name: "static-binary", URI: "test://static-binary", Description: "A static binary resource", MIMEType: "image/png"},
	{Name: "template-data", URI: "test://template/{id}/data", Description: "A resource template", MIMEType: "application/json"},
	{Name: "watched-resource", URI: "test://watched-resource", Description: "A resource to subscribe to", MIMEType: "text/plain"},
}

var conformanceSummary = regexp.MustCompile(`(?m)^Total: \d+ passed, \d+ failed$`)

// runConformance runs the server suite against a server started from dir
// behind the real auth stack, with the given expected failures; each of
// alsoScenarios (outside the default suite) is then run alone and must
// pass. The suite cannot send a token: its SDK-based scenarios get one from
// inject-auth.mjs, preloaded into node; dns-rebinding-protection, which
// sends raw requests, runs alone through a loopback proxy that adds it (the
// proxy is not used for the rest: through it, go-sdk's own everything-server
// also loses tools-call-elicitation results about one run in five).
func runConformance(t *testing.T, interopDir string, env []string, projectDir, baseline string, alsoScenarios ...string) string {
	t.Helper()
	fake := newFake(t)
	token := fake.IssueOpaque(clerkfake.TokenOptions{TTL: time.Hour})
	ln := listenLoopback(t)
	public := "http://localhost:" + portOf(ln.Addr().String())
	serverEnv := fake.Env()
	serverEnv["PORT"] = "0"
	serverEnv["PUBLIC_URL"] = public
	base, _ := startAndWait(t, runServer(t, projectDir, serverEnv))
	serveTokenProxy(t, ln, base, token)

	conformance := filepath.Join(interopDir, "node_modules", ".bin", "conformance")
	withToken := append(slices.Clone(env), "MCP_BEARER_TOKEN="+token, "NODE_OPTIONS=--import "+filepath.Join(interopDir, "inject-auth.mjs"))
	out, errOut, err := runTool(t, withToken, 5*time.Minute, conformance,
		"server", "--url", base+"/mcp", "--expected-failures", filepath.Join(interopDir, baseline))
	summary := conformanceSummary.FindString(out)
	if err != nil || summary == "" || !strings.Contains(out, "Baseline check passed") {
		t.Fatalf("conformance suite (baseline %s): %v\n%s\n%s", baseline, err, out, errOut)
	}
	run := func(url, scenario string, env []string) {
		out, errOut, err := runTool(t, env, time.Minute, conformance, "server", "--url", url, "--scenario", scenario)
		if err != nil {
			t.Errorf("conformance scenario %s: %v\n%s\n%s", scenario, err, out, errOut)
		} else {
			t.Logf("conformance scenario %s: passed", scenario)
		}
	}
	run(public+"/mcp", "dns-rebinding-protection", env)
	for _, scenario := range alsoScenarios {
		run(base+"/mcp", scenario, withToken)
	}
	return summary
}

// TestInteropConformance runs the MCP conformance suite's server scenarios
// against freshly generated projects, stateful and stateless: every generic
// scenario passes, and the fixture-only ones are the expected failures
// listed, with reasons, in the baseline files.
func TestInteropConformance(t *testing.T) {
	dir, env := interop(t)
	for _, c := range []struct{ mode, project, baseline string }{
		{"stateful", builtProject(t), "conformance-baseline.yml"},
		{"stateless", defaultProject(t), "conformance-stateless-baseline.yml"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			summary := runConformance(t, dir, env, c.project, c.baseline)
			t.Logf("conformance, generated %s project: %s", c.mode, summary)
		})
	}
}

// TestInteropConformanceFixtures adds the suite's fixture tools, prompts
// and resources to generated projects the way a user adds them (add-tool,
// add-prompt, add-resource, then the handler file filled in) and runs the
// suite behind the real auth stack. Stateful, every scenario passes;
// stateless, those that need a request from the server to the client
// (sampling, elicitation) or a session cannot, as the stateless baseline
// says.
func TestInteropConformanceFixtures(t *testing.T) {
	dir, env := interop(t)
	prepare := func(project string) error {
		main := func(args ...string) error {
			var stdout, stderr bytes.Buffer
			if code := Main(args, strings.NewReader(""), &stdout, &stderr); code != 0 {
				return fmt.Errorf("create-clerk-mcp %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
			}
			return nil
		}
		// The fixture handlers import the tools package of a project
		// whose module is example.com/project.
		module := "example.com/" + filepath.Base(project)
		copyHandler := func(from, to string) error {
			b, err := os.ReadFile(from)
			if err != nil {
				return err
			}
			return os.WriteFile(to, bytes.ReplaceAll(b, []byte(`"example.com/project/`), []byte(`"`+module+"/")), 0o644)
		}
		for _, tool := range conformanceTools {
			if err := main("add-tool", tool.Name, "--description", tool.Description, "--dir", project); err != nil {
				return err
			}
			if err := copyFileErr(filepath.Join(dir, "conformance-tools", generator.ToolFileBase(tool.Name)+".go"), filepath.Join(project, generator.ToolFile(tool.Name))); err != nil {
				return err
			}
		}
		if err := copyFileErr(filepath.Join(dir, "conformance-tools", "conformance_media.go"), filepath.Join(project, "tools", "conformance_media.go")); err != nil {
			return err
		}
		for _, p := range conformancePrompts {
			if err := main("add-prompt", p.Name, "--description", p.Description, "--dir", project); err != nil {
				return err
			}
			if err := copyHandler(filepath.Join(dir, "conformance-prompts", generator.PromptFileBase(p.Name)+".go"), filepath.Join(project, generator.PromptFile(p.Name))); err != nil {
				return err
			}
		}
		for _, r := range conformanceResources {
			if err := main("add-resource", r.Name, "--uri", r.URI, "--description", r.Description, "--mime-type", r.MIMEType, "--dir", project); err != nil {
				return err
			}
			if err := copyHandler(filepath.Join(dir, "conformance-resources", generator.ResourceFileBase(r.Name)+".go"), filepath.Join(project, generator.ResourceFile(r.Name))); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range []struct{ mode, baseline string }{
		{"stateful", "conformance-fixtures-baseline.yml"},
		{"stateless", "conformance-fixtures-stateless-baseline.yml"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			project := generatedProjectDir(t, "conf"+c.mode, []string{"--sessions", c.mode}, prepare, false)
			summary := runConformance(t, dir, env, project, c.baseline, "json-schema-2020-12")
			t.Logf("conformance, %s project with the fixture tools, prompts and resources: %s", c.mode, summary)
		})
	}
}

func copyFileErr(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
