package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

// TestE2EPromptsAndResources adds a prompt, a resource and a resource
// template the user's way to a new project and leaves the scaffolded
// handlers as they are: the project builds, vets and passes its own tests,
// and the running server lists them, and prompts/get, resources/read and
// completion/complete answer with the scaffolded content, over go-sdk's
// client, for the token's user.
func TestE2EPromptsAndResources(t *testing.T) {
	dir := generatedProjectDir(t, "surface", nil, func(project string) error {
		for _, args := range [][]string{
			{"add-prompt", "summarize-notes", "--description", "Summarizes the user's notes", "--scope", "notes:read"},
			{"add-resource", "notes-index", "--uri", "notes://index", "--description", "Every note's title", "--scope", "notes:read"},
			{"add-resource", "note", "--uri", "notes://note/{id}", "--mime-type", "text/markdown"},
			{"add-tool", "create-note", "--scope", "notes:write"},
		} {
			var stdout, stderr bytes.Buffer
			if code := Main(append(args, "--dir", project), strings.NewReader(""), &stdout, &stderr); code != 0 {
				return fmt.Errorf("create-clerk-mcp %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
			}
		}
		return nil
	}, true)
	fake := newFake(t)
	base := startProject(t, dir, fake, nil)
	fake.AddUser(clerkfake.User{ID: "user_ada", Username: "ada"})
	token := fake.IssueOpaque(clerkfake.TokenOptions{UserID: "user_ada", Scopes: []string{"profile", "email", "notes:read", "notes:write"}, TTL: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs := connectAt(t, ctx, base+"/mcp", token, "")

	if caps := cs.InitializeResult().Capabilities; caps.Prompts == nil || caps.Resources == nil || !caps.Resources.Subscribe || caps.Completions == nil {
		t.Errorf("capabilities %+v: want prompts, resources with subscribe, and completions", caps)
	}

	prompts, err := cs.ListPrompts(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(prompts.Prompts) != 1 || prompts.Prompts[0].Name != "summarize-notes" || prompts.Prompts[0].Description != "Summarizes the user's notes" ||
		len(prompts.Prompts[0].Arguments) != 1 || prompts.Prompts[0].Arguments[0].Name != "topic" {
		t.Errorf("prompts/list: %+v", prompts.Prompts)
	}
	got, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarize-notes", Arguments: map[string]string{"topic": "news"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 || got.Messages[0].Role != "user" {
		t.Fatalf("prompts/get: %+v", got.Messages)
	}
	if text, _ := got.Messages[0].Content.(*mcp.TextContent); text == nil || text.Text != "summarize-notes for user_ada, about news." {
		t.Errorf("prompts/get content %#v, want the scaffolded text for user_ada", got.Messages[0].Content)
	}

	completion, err := cs.Complete(ctx, &mcp.CompleteParams{
		Ref:      &mcp.CompleteReference{Type: "ref/prompt", Name: "summarize-notes"},
		Argument: mcp.CompleteParamsArgument{Name: "topic", Value: "n"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := completion.Completion.Values; len(v) != 2 || v[0] != "notes" || v[1] != "news" {
		t.Errorf("completion/complete of the prompt's topic: %v, want [notes news]", v)
	}
	completion, err = cs.Complete(ctx, &mcp.CompleteParams{
		Ref:      &mcp.CompleteReference{Type: "ref/resource", URI: "notes://note/{id}"},
		Argument: mcp.CompleteParamsArgument{Name: "id", Value: ""},
	})
	if err != nil || completion.Completion.Values == nil || len(completion.Completion.Values) != 0 {
		t.Errorf("completion/complete of a template that offers none: %+v, %v; want no values", completion, err)
	}

	resources, err := cs.ListResources(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(resources.Resources) != 1 || resources.Resources[0].URI != "notes://index" || resources.Resources[0].Name != "notes-index" {
		t.Errorf("resources/list: %+v", resources.Resources)
	}
	templates, err := cs.ListResourceTemplates(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(templates.ResourceTemplates) != 1 || templates.ResourceTemplates[0].URITemplate != "notes://note/{id}" || templates.ResourceTemplates[0].MIMEType != "text/markdown" {
		t.Errorf("resources/templates/list: %+v", templates.ResourceTemplates)
	}
	for uri, want := range map[string]struct{ mime, text string }{
		"notes://index":   {"text/plain", "notes-index read by user_ada"},
		"notes://note/42": {"text/markdown", "note: notes://note/42, read by user_ada"},
	} {
		read, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		if err != nil {
			t.Fatalf("resources/read %s: %v", uri, err)
		}
		if len(read.Contents) != 1 || read.Contents[0].URI != uri || read.Contents[0].MIMEType != want.mime || read.Contents[0].Text != want.text {
			t.Errorf("resources/read %s: %+v, want %+v", uri, read.Contents, want)
		}
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "notes://elsewhere"}); err == nil {
		t.Error("resources/read of a URI the server does not serve succeeded")
	}
	// resources/subscribe as such is the request of protocols before
	// 2026-07-28 (which subscribes through subscriptions/listen instead).
	old := connectAt(t, ctx, base+"/mcp", token, "2025-11-25")
	if err := old.Subscribe(ctx, &mcp.SubscribeParams{URI: "notes://note/42"}); err != nil {
		t.Errorf("resources/subscribe to a template's URI: %v", err)
	}
	if err := old.Subscribe(ctx, &mcp.SubscribeParams{URI: "notes://elsewhere"}); err == nil {
		t.Error("resources/subscribe to a URI the server does not serve succeeded")
	}
}
