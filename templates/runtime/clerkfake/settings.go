package clerkfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
)

// OAuthSettings are the instance's OAuth application settings, as the
// Backend API's /v1/instance/oauth_application_settings reads and changes
// them (the Clerk dashboard's Configure > OAuth applications).
type OAuthSettings struct {
	// DynamicRegistration is dynamic_oauth_client_registration: RFC 7591
	// registration at /oauth/register, advertised as registration_endpoint.
	DynamicRegistration bool
	// JWTAccessTokens is oauth_jwt_access_tokens: the token endpoint mints
	// JWTs rather than opaque oat_ tokens.
	JWTAccessTokens bool
	// CIMDAdvertised is client_id_metadata_documents_advertised: the
	// metadata says client_id_metadata_document_supported: true.
	CIMDAdvertised bool
	// CIMDOnlyPreRegistered is
	// client_id_metadata_documents_only_allow_pre_registered_clients.
	CIMDOnlyPreRegistered bool
	// DefaultScopes is default_scopes: the scopes a client gets when its
	// authorize request names none.
	DefaultScopes []string
}

// oauthSettingsJSON is the Backend API's shape of OAuthSettings.
type oauthSettingsJSON struct {
	Object                string   `json:"object"`
	DynamicRegistration   bool     `json:"dynamic_oauth_client_registration"`
	JWTAccessTokens       bool     `json:"oauth_jwt_access_tokens"`
	CIMDAdvertised        bool     `json:"client_id_metadata_documents_advertised"`
	CIMDOnlyPreRegistered bool     `json:"client_id_metadata_documents_only_allow_pre_registered_clients"`
	DefaultScopes         []string `json:"default_scopes"`
}

// OAuthSettings returns the instance's OAuth application settings.
func (f *Fake) OAuthSettings() OAuthSettings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.oauthSettingsLocked()
}

func (f *Fake) oauthSettingsLocked() OAuthSettings {
	return OAuthSettings{
		DynamicRegistration:   !f.dcrOff,
		JWTAccessTokens:       f.format == FormatJWT,
		CIMDAdvertised:        f.cimd,
		CIMDOnlyPreRegistered: f.cimdOnlyPre,
		DefaultScopes:         slices.Clone(f.defaultScopes),
	}
}

// SetOAuthSettings replaces the instance's OAuth application settings,
// as a PATCH of all of them would.
func (f *Fake) SetOAuthSettings(s OAuthSettings) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dcrOff = !s.DynamicRegistration
	f.format = FormatOpaque
	if s.JWTAccessTokens {
		f.format = FormatJWT
	}
	f.cimd = s.CIMDAdvertised
	f.cimdOnlyPre = s.CIMDOnlyPreRegistered
	f.defaultScopes = slices.Clone(s.DefaultScopes)
}

// SetCIMD turns "Advertise CIMD support" on or off (off by default, as on
// a new Clerk instance).
func (f *Fake) SetCIMD(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cimd = on
}

// SetDefaultScopes sets the instance's default scopes (none by default).
func (f *Fake) SetDefaultScopes(scopes ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.defaultScopes = slices.Clone(scopes)
}

func (f *Fake) writeOAuthSettings(w http.ResponseWriter) {
	f.mu.Lock()
	s := f.oauthSettingsLocked()
	f.mu.Unlock()
	if s.DefaultScopes == nil {
		s.DefaultScopes = []string{}
	}
	writeJSON(w, http.StatusOK, oauthSettingsJSON{
		Object:                "oauth_application_settings",
		DynamicRegistration:   s.DynamicRegistration,
		JWTAccessTokens:       s.JWTAccessTokens,
		CIMDAdvertised:        s.CIMDAdvertised,
		CIMDOnlyPreRegistered: s.CIMDOnlyPreRegistered,
		DefaultScopes:         s.DefaultScopes,
	})
}

func (f *Fake) getOAuthSettings(w http.ResponseWriter, _ *http.Request) { f.writeOAuthSettings(w) }

// patchOAuthSettings changes the settings named in the JSON body and
// leaves the others; an unknown field or a wrong type is a 422, as the
// Backend API answers a bad form parameter.
func (f *Fake) patchOAuthSettings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		DynamicRegistration   *bool     `json:"dynamic_oauth_client_registration"`
		JWTAccessTokens       *bool     `json:"oauth_jwt_access_tokens"`
		CIMDAdvertised        *bool     `json:"client_id_metadata_documents_advertised"`
		CIMDOnlyPreRegistered *bool     `json:"client_id_metadata_documents_only_allow_pre_registered_clients"`
		DefaultScopes         *[]string `json:"default_scopes"`
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<16)); err != nil {
		writeClerkError(w, http.StatusBadRequest, "request_body_invalid", "The request body could not be read")
		return
	}
	dec := json.NewDecoder(&body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeClerkError(w, http.StatusUnprocessableEntity, "form_param_unknown", "Invalid request body: "+err.Error())
		return
	}
	f.mu.Lock()
	if in.DynamicRegistration != nil {
		f.dcrOff = !*in.DynamicRegistration
	}
	if in.JWTAccessTokens != nil {
		f.format = FormatOpaque
		if *in.JWTAccessTokens {
			f.format = FormatJWT
		}
	}
	if in.CIMDAdvertised != nil {
		f.cimd = *in.CIMDAdvertised
	}
	if in.CIMDOnlyPreRegistered != nil {
		f.cimdOnlyPre = *in.CIMDOnlyPreRegistered
	}
	if in.DefaultScopes != nil {
		f.defaultScopes = slices.Clone(*in.DefaultScopes)
	}
	f.mu.Unlock()
	f.writeOAuthSettings(w)
}
