package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// document is md as json.MarshalIndent(md, "", "  ") writes it, written
// field by field: encoding/json keeps a cache of the fields of each struct
// type it marshals for the life of the process, and every garbage
// collection walks it again (see clerkauth's verifyParams). Strings and
// lists of strings leave none.
func (md ProtectedResourceMetadata) document() ([]byte, error) {
	compact := []byte{'{'}
	add := func(name string, v any) error {
		value, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if len(compact) > 1 {
			compact = append(compact, ',')
		}
		compact = append(append(append(compact, '"'), name...), '"', ':')
		compact = append(compact, value...)
		return nil
	}
	var errs []error
	errs = append(errs, add("resource", md.Resource), add("authorization_servers", md.AuthorizationServers))
	if len(md.ScopesSupported) > 0 {
		errs = append(errs, add("scopes_supported", md.ScopesSupported))
	}
	errs = append(errs, add("bearer_methods_supported", md.BearerMethodsSupported))
	if md.ResourceName != "" {
		errs = append(errs, add("resource_name", md.ResourceName))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, append(compact, '}'), "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func protectedResourceHandler(md ProtectedResourceMetadata) (http.Handler, error) {
	body, err := md.document()
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
	logs   *clerkauth.LogThrottle
	now    func() time.Time
	group  singleflight.Group

	mu        sync.Mutex
	body      []byte
	fetchedAt time.Time
	failedAt  time.Time // last failed fetch
}

const (
	asMetadataFresh = time.Hour
	asMetadataStale = 24 * time.Hour
	// asMetadataRetry is how long a failed fetch is remembered: requests
	// in that time get the cached copy or the error without asking Clerk.
	asMetadataRetry = 5 * time.Second
)

func (a *authServerMetadata) get(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	a.mu.Lock()
	now := a.now()
	body, age := a.body, now.Sub(a.fetchedAt)
	recentlyFailed := !a.failedAt.IsZero() && now.Sub(a.failedAt) < asMetadataRetry
	a.mu.Unlock()
	if body != nil && age < asMetadataFresh {
		return body, true
	}
	err := errors.New("the last fetch failed moments ago")
	if !recentlyFailed {
		var v any
		v, err, _ = a.group.Do("fetch", func() (any, error) {
			return a.fetch(context.WithoutCancel(r.Context()))
		})
		if err == nil {
			return v.([]byte), true
		}
	}
	if body != nil && age < asMetadataStale {
		a.logs.Log(a.logger, slog.LevelWarn, "serving cached authorization server metadata", "err", err)
		return body, true
	}
	a.logs.Log(a.logger, slog.LevelError, "cannot fetch authorization server metadata", "err", err)
	clerkauth.WriteJSONError(w, http.StatusBadGateway, "bad_gateway", "the authorization server's metadata cannot be fetched; try again shortly")
	return nil, false
}

func (a *authServerMetadata) fetch(ctx context.Context) ([]byte, error) {
	body, err := a.load(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.failedAt = a.now()
		return nil, err
	}
	a.body, a.fetchedAt, a.failedAt = body, a.now(), time.Time{}
	return body, nil
}

func (a *authServerMetadata) load(ctx context.Context) ([]byte, error) {
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
	return body, nil
}
