package mcpserver

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkauth"
)

// MaxBodyBytes is the largest JSON-RPC message a transport accepts.
const MaxBodyBytes = 8 << 20

// readWholeBody reads the body of an authenticated request to the end before
// the transport sees it, within timeout and MaxBodyBytes: a client with a
// valid token still cannot hold a connection and a goroutine by trickling
// its body, nor make the server buffer without end. It reports whether the
// request goes on, its body in memory; if not, it has been answered.
func readWholeBody(timeout time.Duration, w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return true
	}
	if r.ContentLength > MaxBodyBytes {
		clerkauth.EndUnreadBody(w, r)
		clerkauth.WriteJSONError(w, http.StatusRequestEntityTooLarge, "request_too_large", "the request body is larger than 8 MiB")
		return false
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(timeout))
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		clerkauth.EndUnreadBody(w, r)
		clerkauth.WriteJSONError(w, http.StatusRequestTimeout, "request_timeout", "the request body took too long to arrive")
		return false
	case err != nil:
		clerkauth.EndUnreadBody(w, r)
		clerkauth.WriteJSONError(w, http.StatusBadRequest, "bad_request", "the request body could not be read")
		return false
	case len(body) > MaxBodyBytes:
		clerkauth.EndUnreadBody(w, r)
		clerkauth.WriteJSONError(w, http.StatusRequestEntityTooLarge, "request_too_large", "the request body is larger than 8 MiB")
		return false
	}
	// The body is in: the rest of the exchange (a long tool call's
	// stream) is not bounded by the body's deadline.
	_ = rc.SetReadDeadline(time.Time{})
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return true
}
