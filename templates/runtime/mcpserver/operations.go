package mcpserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/yosida95/uritemplate/v3"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkauth"
)

// Operations lists the scopes each tool, prompt and resource needs (from
// clerk-mcp.yaml), by tool name, prompt name and resource URI or URI
// template. Entries without scopes need not be listed.
type Operations struct {
	Tools, Prompts, Resources map[string][]string
}

func (o Operations) empty() bool {
	return len(o.Tools) == 0 && len(o.Prompts) == 0 && len(o.Resources) == 0
}

// insufficientScopeCode is the JSON-RPC error code of a request refused
// for want of a scope (one of the codes JSON-RPC leaves to servers).
const insufficientScopeCode = -32003

// operationGuard refuses a tools/call, prompts/get or resources/read whose
// token lacks a scope the operation needs, before any handler runs, with
// HTTP 403 and one challenge naming every scope the operation needs
// (SEP-2350), so that a client can step up. The body is a JSON-RPC error
// for the refused request, so that a client that does not step up sees
// that one call fail and keeps its connection. Listing is not guarded: a
// scoped tool is listed to every user.
//
// The operation is read from the JSON-RPC body, which is what the server
// will act on; the Mcp-Method and Mcp-Name headers of MCP 2026-07-28 are
// checked against it, and a request whose headers say otherwise is
// refused.
type operationGuard struct {
	ops       Operations
	required  []string // requiredScopes: every operation needs them too
	templates []scopedTemplate
	metadata  string // resource_metadata URL for the challenge
}

type scopedTemplate struct {
	tmpl   *uritemplate.Template
	scopes []string
}

func newOperationGuard(ops Operations, required []string, metadataURL string) (*operationGuard, error) {
	g := &operationGuard{ops: ops, required: required, metadata: metadataURL}
	for uri, scopes := range ops.Resources {
		if !strings.Contains(uri, "{") {
			continue
		}
		tmpl, err := uritemplate.New(uri)
		if err != nil {
			return nil, fmt.Errorf("resource %q: not a URI template: %v", uri, err)
		}
		g.templates = append(g.templates, scopedTemplate{tmpl, scopes})
	}
	// A fixed order, so that the first matching template is always the same.
	slices.SortFunc(g.templates, func(a, b scopedTemplate) int { return strings.Compare(a.tmpl.Raw(), b.tmpl.Raw()) })
	return g, nil
}

// rpcRequest is the part of a JSON-RPC request that names the operation.
type rpcRequest struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Name string `json:"name"`
		URI  string `json:"uri"`
	} `json:"params"`
}

// target is what the operation acts on: a tool or prompt name, a resource
// URI; "" for methods that are not guarded.
func (r *rpcRequest) target() string {
	switch r.Method {
	case "tools/call", "prompts/get":
		return r.Params.Name
	case "resources/read":
		return r.Params.URI
	}
	return ""
}

// scopesFor returns the scopes the operation needs besides requiredScopes.
func (g *operationGuard) scopesFor(r *rpcRequest) []string {
	switch r.Method {
	case "tools/call":
		return g.ops.Tools[r.Params.Name]
	case "prompts/get":
		return g.ops.Prompts[r.Params.Name]
	case "resources/read":
		if s, ok := g.ops.Resources[r.Params.URI]; ok {
			return s
		}
		for _, t := range g.templates {
			if t.tmpl.Match(r.Params.URI) != nil {
				return t.scopes
			}
		}
	}
	return nil
}

// wrap is check in front of next, as a handler.
func (g *operationGuard) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.check(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}

// check reports whether the request may go on to the transport; if not,
// it has been answered.
func (g *operationGuard) check(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		return true
	}
	if g.ops.empty() {
		// Nothing to guard; go-sdk checks the Mcp-Method and Mcp-Name
		// headers against the body itself.
		return true
	}
	body, ok := bufferedBodyOf(r)
	if !ok {
		return true
	}
	reqs, batch := parseRPC(body)
	if !batch && len(reqs) == 1 && !headersAgree(r, &reqs[0]) {
		writeRPCError(w, http.StatusBadRequest, reqs[0].ID, -32600, "the Mcp-Method or Mcp-Name header does not match the request body")
		return false
	}
	var caller *clerkauth.Caller // looked up once an operation needs scopes
	var refused []rpcRequest
	var need []string
	for i := range reqs {
		scopes := g.scopesFor(&reqs[i])
		if len(scopes) == 0 {
			continue
		}
		if caller == nil {
			caller, _ = clerkauth.CallerFrom(r.Context(), nil)
		}
		if hasAll(caller, scopes) {
			continue
		}
		refused = append(refused, reqs[i])
		for _, s := range append(slices.Clone(g.required), scopes...) {
			if !slices.Contains(need, s) {
				need = append(need, s)
			}
		}
	}
	if len(refused) == 0 {
		return true
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="insufficient_scope", scope=%q, resource_metadata=%q, error_description=%q`,
		strings.Join(need, " "), g.metadata, "this operation needs the scopes "+strings.Join(need, " ")))
	msg := func(r rpcRequest) string {
		return fmt.Sprintf("%s %s needs the scopes %s; the token lacks some (sign in again and grant them)", r.Method, r.target(), strings.Join(need, " "))
	}
	if !batch {
		writeRPCError(w, http.StatusForbidden, refused[0].ID, insufficientScopeCode, msg(refused[0]))
		return false
	}
	var out []json.RawMessage
	for _, rr := range refused {
		b, _ := json.Marshal(rpcErrorResponse(rr.ID, insufficientScopeCode, msg(rr)))
		out = append(out, b)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_ = json.NewEncoder(w).Encode(out)
	return false
}

// parseRPC reads a JSON-RPC message or batch; what is not JSON-RPC is
// left for the transport to refuse.
func parseRPC(body []byte) (reqs []rpcRequest, batch bool) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if json.Unmarshal(trimmed, &reqs) != nil {
			return nil, true
		}
		return reqs, true
	}
	var one rpcRequest
	if json.Unmarshal(trimmed, &one) != nil {
		return nil, false
	}
	return []rpcRequest{one}, false
}

// headersAgree reports whether the request's Mcp-Method and Mcp-Name
// headers, where present, say what its body says.
func headersAgree(r *http.Request, req *rpcRequest) bool {
	if m := firstValue(r.Header, "Mcp-Method"); m != "" && m != req.Method {
		return false
	}
	if n := firstValue(r.Header, "Mcp-Name"); n != "" && req.target() != "" && n != req.target() {
		return false
	}
	return true
}

func hasAll(c *clerkauth.Caller, scopes []string) bool {
	for _, s := range scopes {
		if !c.HasScope(s) {
			return false
		}
	}
	return true
}

func rpcErrorResponse(id json.RawMessage, code int, message string) map[string]any {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	return map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": code, "message": message}}
}

func writeRPCError(w http.ResponseWriter, status int, id json.RawMessage, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(rpcErrorResponse(id, code, message))
}
