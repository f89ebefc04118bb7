package clerkfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func settingsCall(t *testing.T, f *Fake, method, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, f.URL+"/v1/instance/oauth_application_settings", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func asMetadata(t *testing.T, f *Fake) map[string]any {
	t.Helper()
	resp, err := http.Get(f.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	return md
}

func TestOAuthSettings(t *testing.T) {
	f := New(t)
	status, got := settingsCall(t, f, "GET", f.SecretKey, "")
	if status != 200 || got["object"] != "oauth_application_settings" || got["dynamic_oauth_client_registration"] != true ||
		got["client_id_metadata_documents_advertised"] != false || got["oauth_jwt_access_tokens"] != false {
		t.Fatalf("GET = %d %v", status, got)
	}
	if s, ok := got["default_scopes"].([]any); !ok || len(s) != 0 {
		t.Errorf("default_scopes = %#v, want []", got["default_scopes"])
	}
	md := asMetadata(t, f)
	if _, ok := md["client_id_metadata_document_supported"]; ok {
		t.Errorf("CIMD advertised while off: %v", md)
	}
	if md["registration_endpoint"] != f.URL+"/oauth/register" {
		t.Errorf("registration_endpoint = %v with DCR on", md["registration_endpoint"])
	}

	if status, _ := settingsCall(t, f, "GET", "sk_test_wrong", ""); status != 401 {
		t.Errorf("GET with a wrong secret key = %d, want 401", status)
	}
	if status, _ := settingsCall(t, f, "PATCH", "sk_test_wrong", `{"client_id_metadata_documents_advertised":true}`); status != 401 || f.OAuthSettings().CIMDAdvertised {
		t.Errorf("PATCH with a wrong secret key = %d, settings %+v", status, f.OAuthSettings())
	}
	if status, _ := settingsCall(t, f, "PATCH", f.SecretKey, `{"no_such_setting":true}`); status != 422 {
		t.Errorf("PATCH of an unknown setting = %d, want 422", status)
	}

	status, got = settingsCall(t, f, "PATCH", f.SecretKey,
		`{"client_id_metadata_documents_advertised":true,"dynamic_oauth_client_registration":false,"default_scopes":["openid","profile","email"],"oauth_jwt_access_tokens":true}`)
	if status != 200 || got["client_id_metadata_documents_advertised"] != true || got["dynamic_oauth_client_registration"] != false {
		t.Fatalf("PATCH = %d %v", status, got)
	}
	s := f.OAuthSettings()
	if !s.CIMDAdvertised || s.DynamicRegistration || !s.JWTAccessTokens || !slices.Equal(s.DefaultScopes, []string{"openid", "profile", "email"}) {
		t.Errorf("settings after PATCH = %+v", s)
	}
	md = asMetadata(t, f)
	if md["client_id_metadata_document_supported"] != true {
		t.Errorf("CIMD on, metadata = %v", md)
	}
	if _, ok := md["registration_endpoint"]; ok {
		t.Errorf("registration_endpoint advertised with DCR off: %v", md)
	}
	resp, err := http.Post(f.URL+"/oauth/register", "application/json", strings.NewReader(`{"redirect_uris":["http://localhost/cb"]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 422 {
		t.Errorf("register with DCR off = %d, want 422", resp.StatusCode)
	}

	// A PATCH leaves what it does not name.
	settingsCall(t, f, "PATCH", f.SecretKey, `{"default_scopes":["email"]}`)
	if s := f.OAuthSettings(); !s.CIMDAdvertised || !slices.Equal(s.DefaultScopes, []string{"email"}) {
		t.Errorf("settings after a partial PATCH = %+v", s)
	}
	f.SetOAuthSettings(OAuthSettings{DynamicRegistration: true})
	if s := f.OAuthSettings(); s.CIMDAdvertised || !s.DynamicRegistration || len(s.DefaultScopes) != 0 {
		t.Errorf("SetOAuthSettings = %+v", s)
	}
}
