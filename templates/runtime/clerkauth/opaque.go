package clerkauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"golang.org/x/sync/singleflight"
)

// OpaquePrefix starts every opaque Clerk OAuth access token.
const OpaquePrefix = "oat_"

// negativeCacheTTL is how long a definite "no" from Clerk is remembered, so a
// client retrying a dead token does not cost a Backend API call each time.
const negativeCacheTTL = 30 * time.Second

// WellFormedOpaqueToken reports whether token has the shape of a Clerk opaque
// access token: "oat_" and 16 to 128 letters and digits.
func WellFormedOpaqueToken(token string) bool {
	rest, ok := strings.CutPrefix(token, OpaquePrefix)
	if !ok || len(rest) < 16 || len(rest) > 128 {
		return false
	}
	return opaqueBytes.all(rest)
}

// opaqueVerifier checks opaque tokens with the Backend API. Results are kept
// by a hash of the token (never the token itself) for at most
// MaxOpaqueCacheTTL and never past the token's expiry; concurrent checks of
// one token share one call.
//
// Tokens not in the cache are checked within a budget (verifyBudget): each
// distinct made-up token would otherwise cost a call to Clerk and count
// against the instance's rate limit. A flood of them is answered 503
// without asking Clerk once the flooding client's share is spent, while
// other clients' new tokens, tokens that verified before and JWTs keep
// working. A token in use is checked again shortly before its cache entry
// lapses, in the background, so its user never waits on Clerk or on the
// budget for it.
type opaqueVerifier struct {
	backend clerk.Backend
	now     func() time.Time
	logger  *slog.Logger
	logs    *LogThrottle
	group   singleflight.Group
	budget  *verifyBudget
	known   *knownTokens
	// audienceOK reports whether an audience names this server;
	// requireAudience refuses tokens without one.
	audienceOK      func([]string) bool
	requireAudience bool

	cache *resultCache
}

// refreshAhead is how long before its cache entry lapses a token in use is
// checked again in the background.
const refreshAhead = 15 * time.Second

func newOpaqueVerifier(b clerk.Backend, now func() time.Time, logger *slog.Logger, logs *LogThrottle, perSecond float64, burst int) *opaqueVerifier {
	return &opaqueVerifier{
		backend: b, now: now, logger: logger, logs: logs, cache: newResultCache(now),
		budget: newVerifyBudget(perSecond, burst, now),
		known:  newKnownTokens(now),
	}
}

func (o *opaqueVerifier) verify(ctx context.Context, token string, client clientOf) (*Caller, error) {
	if !WellFormedOpaqueToken(token) {
		return nil, invalid("malformed opaque token")
	}
	key := tokenKey(token)
	if e, endsSoon, ok := o.cache.lookup(key, refreshAhead); ok {
		// A refresh can only help when the token outlives the entry: an
		// entry that ends at the token's expiry is left to lapse.
		if endsSoon && e.err == nil && !e.refreshing && e.tokenOutlives {
			o.refreshInBackground(key, token)
		}
		return e.caller, e.err
	}
	addr := client.get(ctx)
	v, err, _ := o.group.Do(string(key[:]), func() (any, error) {
		if e, ok := o.cache.get(key); ok {
			return e.caller, e.err
		}
		// The call is shared by everyone waiting for this token, so one
		// caller going away must not cancel it for the others.
		return o.check(context.WithoutCancel(ctx), key, token, addr)
	})
	if err != nil {
		return nil, err
	}
	// The requests made with the token share its sealed Caller; tools
	// get copies (CallerFrom).
	return v.(*Caller), nil
}

// check asks Clerk about a token that is not in the cache, if the budget
// allows, and caches the answer.
func (o *opaqueVerifier) check(ctx context.Context, key [32]byte, token, addr string) (*Caller, error) {
	known := o.known.has(key)
	allowed := false
	if known {
		allowed = o.budget.allowKnown()
	} else {
		allowed = o.budget.allowNew(addr)
	}
	if !allowed {
		o.logs.Log(o.logger, slog.LevelWarn, "too many new opaque tokens to verify; refusing some until the rate falls")
		return nil, unavailable("too many new tokens to verify; try again shortly")
	}
	c, until, err := o.ask(ctx, token)
	c = o.remember(key, c, until, err)
	if errors.Is(err, ErrInvalidToken) && !known {
		o.budget.penalize(addr)
	}
	return c, err
}

// remember caches a definite answer from Clerk, sealing its Caller, and
// returns the sealed Caller (nil with an error).
func (o *opaqueVerifier) remember(key [32]byte, c *Caller, until time.Time, err error) *Caller {
	switch {
	case err == nil:
		c = c.seal()
		o.cache.put(key, c, nil, until)
		o.known.add(key, c.ExpiresAt)
		return c
	case errors.Is(err, ErrInvalidToken):
		o.cache.put(key, nil, err, until)
		o.known.forget(key)
	}
	return nil
}

// refreshInBackground checks a cached token again before its entry lapses,
// from the reserve budget only (never the shared one), once per entry.
// Requests keep being served from the cache meanwhile; an answer of
// "revoked" takes effect as soon as it arrives.
func (o *opaqueVerifier) refreshInBackground(key [32]byte, token string) {
	if !o.cache.claimRefresh(key) {
		return
	}
	o.group.DoChan("refresh:"+string(key[:]), func() (any, error) {
		if !o.budget.allowRefresh() {
			return nil, nil // the entry lapses; the next request checks it
		}
		c, until, err := o.ask(context.Background(), token)
		o.remember(key, c, until, err)
		return nil, nil
	})
}

// verifyParams is the body of a verify call. It writes itself, as
// oauthAccessToken reads itself: for each struct type encoding/json walks,
// it keeps a cache of the type's fields for the life of the process, and
// every garbage collection walks those caches again. Under load a server
// collects every few calls, and the caches of these two types (about 8 KB
// of small objects) cost about 1% of a tools/call's instructions
// (callgrind, 8 stateful clients); maps and basic types leave none.
type verifyParams struct {
	clerk.APIParams
	AccessToken string
}

func (p *verifyParams) MarshalJSON() ([]byte, error) {
	token, err := json.Marshal(p.AccessToken)
	if err != nil {
		return nil, err
	}
	return append(append([]byte(`{"access_token":`), token...), '}'), nil
}

// oauthAccessToken is the Backend API's answer to a verify call.
type oauthAccessToken struct {
	clerk.APIResource
	Object     string
	ID         string
	ClientID   string
	Subject    string
	Scopes     []string
	Revoked    bool
	Expired    bool
	Expiration *int64
	Active     *bool
	// Aud is the token's audience when Clerk reports one: a string or a
	// list of strings (the resource the client asked for, RFC 8707).
	Aud audience
}

// UnmarshalJSON reads the answer's fields by their names (see
// verifyParams for why not by struct tags). A field of the wrong type is an
// error, as it would be for encoding/json; null leaves a field unset.
func (t *oauthAccessToken) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	for _, f := range [...]struct {
		name string
		into any
	}{
		{"object", &t.Object}, {"id", &t.ID}, {"client_id", &t.ClientID}, {"subject", &t.Subject},
		{"scopes", &t.Scopes}, {"revoked", &t.Revoked}, {"expired", &t.Expired},
		{"expiration", &t.Expiration}, {"active", &t.Active}, {"aud", &t.Aud},
	} {
		if raw, ok := fields[f.name]; ok {
			if err := json.Unmarshal(raw, f.into); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
		}
	}
	return nil
}

// audience reads an "aud" that is a string or a list of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		if one != "" {
			*a = audience{one}
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("aud is neither a string nor a list of strings")
	}
	*a = many
	return nil
}

// ask calls POST /v1/oauth_applications/access_tokens/verify and returns the
// caller, or the error, and until when the answer may be reused.
func (o *opaqueVerifier) ask(ctx context.Context, token string) (*Caller, time.Time, error) {
	req := clerk.NewAPIRequest(http.MethodPost, "/oauth_applications/access_tokens/verify")
	req.SetParams(&verifyParams{AccessToken: token})
	var out oauthAccessToken
	err := o.backend.Call(ctx, req, &out)
	now := o.now()
	negative := now.Add(negativeCacheTTL)
	if err != nil {
		var apiErr *clerk.APIErrorResponse
		if errors.As(err, &apiErr) {
			switch apiErr.HTTPStatusCode {
			case http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity:
				return nil, negative, invalid("unknown to Clerk")
			case http.StatusUnauthorized, http.StatusForbidden:
				o.logger.Error("Clerk refused the secret key while verifying a token; check CLERK_SECRET_KEY", "status", apiErr.HTTPStatusCode)
				return nil, time.Time{}, unavailable("Backend API refused the secret key")
			}
			return nil, time.Time{}, unavailable("Backend API answered %d", apiErr.HTTPStatusCode)
		}
		return nil, time.Time{}, unavailable("Backend API: %v", err)
	}
	var expires time.Time
	if out.Expiration != nil {
		expires = unixSecondsOrMillis(*out.Expiration)
	}
	switch {
	case out.Active != nil && !*out.Active:
		return nil, negative, invalid("inactive token")
	case out.Object != "clerk_idp_oauth_access_token":
		return nil, negative, invalid("not an OAuth access token (%q)", out.Object)
	case out.Revoked:
		return nil, negative, invalid("token revoked")
	case out.Expired:
		return nil, negative, invalid("token expired")
	case !expires.IsZero() && !now.Before(expires):
		return nil, negative, invalid("token expired")
	case out.Subject == "":
		return nil, negative, invalid("token has no subject")
	case len(out.Aud) > 0 && !o.audienceOK(out.Aud):
		return nil, negative, invalid("token audience does not name this server")
	case len(out.Aud) == 0 && o.requireAudience:
		return nil, negative, invalid("token has no audience, and this server requires one (REQUIRE_TOKEN_AUDIENCE)")
	}
	until := now.Add(MaxOpaqueCacheTTL)
	if !expires.IsZero() && expires.Before(until) {
		until = expires
	}
	return &Caller{
		UserID:    out.Subject,
		ClientID:  out.ClientID,
		Scopes:    out.Scopes,
		Format:    FormatOpaque,
		ExpiresAt: expires,
	}, until, nil
}

// unixSecondsOrMillis reads a Clerk timestamp. Clerk documents milliseconds
// but has shown seconds in examples, and no date this century in seconds
// is above 1e12.
func unixSecondsOrMillis(v int64) time.Time {
	if v > 1e12 {
		return time.UnixMilli(v)
	}
	return time.Unix(v, 0)
}
