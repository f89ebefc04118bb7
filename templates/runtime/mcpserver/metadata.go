package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkauth"
)

// metadataCORS sets the CORS headers of the public metadata routes: any
// origin may read them, as browser-based MCP clients must.
func metadataCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "*")
	h.Set("Access-Control-Max-Age", "86400")
}

// metadataHandler serves a public JSON document with CORS; get returns the
// body or writes an error itself.
func metadataHandler(get func(w http.ResponseWriter, r *http.Request) ([]byte, bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		metadataCORS(w.Header())
		switch r.Method {
		case http.MethodOptions:
			w.WriteHeader(http.StatusNoContent)
			return
		case http.MethodGet, http.MethodHead:
		default:
			w.Header().Set("Allow", "GET, HEAD, OPTIONS")
			clerkauth.WriteJSONError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET")
			return
		}
		body, ok := get(w, r)
		if !ok {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	})
}

// ProtectedResourceMetadata is the RFC 9728 document of one MCP endpoint.
type ProtectedResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
}

func protectedResourceHandler(md ProtectedResourceMetadata) (http.Handler, error) {
	body, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return nil, err
	}
	body = append(body, '\n')
	return metadataHandler(func(http.ResponseWriter, *http.Request) ([]byte, bool) { return body, true }), nil
}

// authServerMetadata proxies Clerk's RFC 8414 document for clients that
// look for it on the resource server (MCP 2025-03-26). A good copy is kept
// for an hour, and served for up to a day while Clerk cannot be reached.
type authServerMetadata struct {
	url    string
	client *http.Client
	logger *slog.Logger
	now    func() time.Time
	group  singleflight.Group

	mu        sync.Mutex
	body      []byte
	fetchedAt time.Time
}

const (
	asMetadataFresh = time.Hour
	asMetadataStale = 24 * time.Hour
)

func (a *authServerMetadata) get(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	a.mu.Lock()
	body, age := a.body, a.now().Sub(a.fetchedAt)
	a.mu.Unlock()
	if body != nil && age < asMetadataFresh {
		return body, true
	}
	v, err, _ := a.group.Do("fetch", func() (any, error) {
		return a.fetch(context.WithoutCancel(r.Context()))
	})
	if err == nil {
		return v.([]byte), true
	}
	if body != nil && age < asMetadataStale {
		a.logger.Warn("serving cached authorization server metadata", "err", err)
		return body, true
	}
	a.logger.Error("cannot fetch authorization server metadata", "err", err)
	clerkauth.WriteJSONError(w, http.StatusBadGateway, "bad_gateway", "the authorization server's metadata cannot be fetched; try again shortly")
	return nil, false
}

func (a *authServerMetadata) fetch(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", a.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("GET %s: not a JSON object: %v", a.url, err)
	}
	if _, ok := doc["issuer"].(string); !ok {
		return nil, fmt.Errorf("GET %s: no issuer in the document", a.url)
	}
	a.mu.Lock()
	a.body, a.fetchedAt = body, a.now()
	a.mu.Unlock()
	return body, nil
}
