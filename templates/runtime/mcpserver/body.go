package mcpserver

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkauth"
)

// MaxBodyBytes is the largest JSON-RPC message a transport accepts.
const MaxBodyBytes = 8 << 20

// maxBufferedBodyBytes bounds the request bodies held in memory at once,
// all users together: past it, new requests get 503 until some finish.
const maxBufferedBodyBytes = 256 << 20

// maxUserBodyBytes bounds the bodies one user's requests hold in memory at
// once (four of the largest), so that one user with a valid token cannot
// take the whole of maxBufferedBodyBytes from the others by sending large
// bodies slowly: past it, that user's requests get 429 until some finish.
// Callers without a user id (from a TokenVerifier of the application's)
// share one such place.
const maxUserBodyBytes = 4 * MaxBodyBytes

// bodyReader reads the bodies of authenticated requests to a transport.
type bodyReader struct {
	timeout time.Duration
	max     int64
	total   int64        // bound on buffered bytes, all requests together
	perUser int64        // bound on one user's buffered bytes; 0: none
	held    atomic.Int64 // bytes held by requests in flight (changed under mu)

	mu    sync.Mutex
	users map[string]int64 // bytes held by each user holding any
}

func newBodyReader(timeout time.Duration) *bodyReader {
	return &bodyReader{timeout: timeout, max: MaxBodyBytes, total: maxBufferedBodyBytes, perUser: maxUserBodyBytes}
}

// bodyHold is the place a request's body holds in the bounds, to give back
// with release.
type bodyHold struct {
	user  string
	bytes int64
}

// take reads the body of an authenticated request to the end before the
// transport sees it, within the timeout and the size bounds: a client with
// a valid token still cannot hold a connection and a goroutine by trickling
// its body, nor make the server buffer without end. It reports whether the
// request goes on, its body in memory (if not, it has been answered), and
// the place it holds, to give back with release when the request is done.
// The request's caller (set by the token check before) is the user whose
// share it counts against. A body of announced length holds its length
// from the start; a chunked one holds what has come of it so far, and more
// as more comes.
func (b *bodyReader) take(w http.ResponseWriter, r *http.Request) (bodyHold, bool) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return bodyHold{}, true
	}
	if r.ContentLength > b.max {
		return b.refuse(w, r, bodyHold{}, errBodyTooLarge)
	}
	user, _ := clerkauth.UserIDFrom(r.Context())
	hold := bodyHold{user: user}
	first, atLeast := r.ContentLength, r.ContentLength
	var growing *growingBody
	if first < 0 {
		// A chunked body begins with a small place, or whatever room
		// there is.
		first, atLeast = min(exactBodyBytes, b.max), 1
		growing = &growingBody{r: r.Body, b: b}
	}
	if err := b.reserve(&hold, atLeast, first); err != nil {
		return b.refuse(w, r, hold, err)
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(b.timeout))
	var body []byte
	var err error
	if growing != nil {
		growing.hold = hold
		body, err = growing.readAll()
		hold = growing.hold
	} else {
		body, err = readBody(r.Body, r.ContentLength, b.max)
	}
	switch {
	case err != nil:
		return b.refuse(w, r, hold, err)
	case int64(len(body)) > b.max:
		return b.refuse(w, r, hold, errBodyTooLarge)
	}
	// The body is in: the rest of the exchange (a long tool call's
	// stream) is not bounded by the body's deadline.
	_ = rc.SetReadDeadline(time.Time{})
	if n := int64(cap(body)); n < hold.bytes {
		// A chunked body's place grows ahead of it: from now on it
		// holds what its buffer is.
		b.release(bodyHold{user: hold.user, bytes: hold.bytes - n})
		hold.bytes = n
	}
	bb := &bufferedBody{data: body}
	bb.Reset(body)
	r.Body = bb
	r.ContentLength = int64(len(body))
	return hold, true
}

var (
	errBodyBudget    = errors.New("the bodies held in memory are at their bound")
	errUserBodyShare = errors.New("the user's bodies held in memory are at their bound")
	errBodyTooLarge  = errors.New("the body is larger than the largest accepted")
)

// refuse answers a request whose body take does not let through, for err,
// and gives back the place h holds.
func (b *bodyReader) refuse(w http.ResponseWriter, r *http.Request, h bodyHold, err error) (bodyHold, bool) {
	b.release(h)
	clerkauth.EndUnreadBody(w, r)
	switch {
	case errors.Is(err, errUserBodyShare):
		w.Header().Set("Retry-After", "5")
		clerkauth.WriteJSONError(w, http.StatusTooManyRequests, "too_many_requests",
			"this user's requests in flight already hold "+strconv.FormatInt(b.perUser>>20, 10)+" MiB of request bodies; send more once some have been answered")
	case errors.Is(err, errBodyBudget):
		w.Header().Set("Retry-After", "5")
		clerkauth.WriteJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "the server is busy reading other requests; try again shortly")
	case errors.Is(err, errBodyTooLarge):
		clerkauth.WriteJSONError(w, http.StatusRequestEntityTooLarge, "request_too_large", "the request body is larger than 8 MiB")
	case errors.Is(err, os.ErrDeadlineExceeded):
		clerkauth.WriteJSONError(w, http.StatusRequestTimeout, "request_timeout", "the request body took too long to arrive")
	default:
		clerkauth.WriteJSONError(w, http.StatusBadRequest, "bad_request", "the request body could not be read")
	}
	return bodyHold{}, false
}

// reserve adds to the place h holds as many bytes as the bound for all
// users and h's user's share have room for, up to n and at least atLeast;
// if they have room for fewer, h is as it was. The user's share is looked
// at first, so that a user at its share takes nothing from the others'
// room even for a moment.
func (b *bodyReader) reserve(h *bodyHold, atLeast, n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.perUser > 0 {
		room := b.perUser - b.users[h.user]
		if room < atLeast {
			return errUserBodyShare
		}
		n = min(n, room)
	}
	room := b.total - b.held.Load()
	if room < atLeast {
		return errBodyBudget
	}
	n = min(n, room)
	b.held.Add(n)
	if b.perUser > 0 {
		if b.users == nil {
			b.users = make(map[string]int64)
		}
		b.users[h.user] += n
	}
	h.bytes += n
	return nil
}

// growingBody is a chunked body whose place in the bounds grows ahead of
// what is read of it, doubling up to the largest body: what a client holds
// by sending a body slowly is what it has sent. It is read into one
// buffer, never larger than its place: io.ReadAll's pieces could be a
// sixth larger than the place while a body came in, and its final copy
// twice as large. (While the buffer grows, the one it is copied from is
// held too, for the moment of the copy.)
type growingBody struct {
	r    io.Reader
	b    *bodyReader
	hold bodyHold
}

// minChunkedBuffer is the buffer a chunked body is first read into.
const minChunkedBuffer = 512

// maxEmptyReads is how many reads in a row may bring nothing and no error
// before a body is given up on (as bufio does).
const maxEmptyReads = 100

// readAll reads the body to its end into one buffer, which grows by
// doubling within the body's place; when it fills the place, a read of
// one byte says whether the body ends there before the place is grown.
// The place doubles, or takes what room there is; after a growth of less
// than double, the next must be at least a quarter of the place, or the
// body is refused: its buffer is not copied again for every few bytes
// other requests give back. It returns the body in a buffer of its length
// where the bounds have room for that copy, else in the buffer it was read
// into (take counts what that buffer is).
func (g *growingBody) readAll() ([]byte, error) {
	buf := make([]byte, 0, min(minChunkedBuffer, g.hold.bytes))
	partial := false // the place last grew by less than double
	empty := 0
	for {
		if len(buf) < cap(buf) {
			n, err := g.r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				return g.fit(buf), nil
			}
			if err != nil {
				return nil, err
			}
			if empty = nextEmpty(empty, n); empty >= maxEmptyReads {
				return nil, io.ErrNoProgress
			}
			continue
		}
		if int64(cap(buf)) < g.hold.bytes {
			// Room in the place: the buffer doubles within it.
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), g.hold.bytes))
			copy(grown, buf)
			buf = grown
			continue
		}
		// The place is full: does the body end here?
		var one [1]byte
		n, err := g.r.Read(one[:])
		if n == 0 || err != nil && err != io.EOF {
			switch {
			case err == io.EOF:
				return g.fit(buf), nil
			case err != nil:
				return nil, err
			}
			if empty = nextEmpty(empty, n); empty >= maxEmptyReads {
				return nil, io.ErrNoProgress
			}
			continue
		}
		empty = 0
		if g.hold.bytes >= g.b.max {
			return nil, errBodyTooLarge
		}
		want := min(g.hold.bytes, g.b.max-g.hold.bytes)
		atLeast := int64(1)
		if partial {
			atLeast = max(1, min(want, g.hold.bytes/4))
		}
		before := g.hold.bytes
		if rerr := g.b.reserve(&g.hold, atLeast, want); rerr != nil {
			return nil, rerr
		}
		partial = g.hold.bytes-before < want
		grown := make([]byte, len(buf), g.hold.bytes)
		copy(grown, buf)
		buf = append(grown, one[0])
		if err == io.EOF {
			return g.fit(buf), nil
		}
	}
}

func nextEmpty(empty, n int) int {
	if n > 0 {
		return 0
	}
	return empty + 1
}

// fit is buf in a buffer of its length, if the bounds have room for the
// copy while it is made; else buf.
func (g *growingBody) fit(buf []byte) []byte {
	if len(buf) == cap(buf) {
		return buf
	}
	n := int64(len(buf))
	if g.b.reserve(&g.hold, n, n) != nil {
		return buf
	}
	return append(make([]byte, 0, n), buf...)
}

// exactBodyBytes is the largest announced length readBody takes a buffer of
// before any of the body has come: past it, the body's buffer is taken once
// this much of it has come, so that a client that announces 8 MiB and
// sends nothing holds no 8 MiB.
const exactBodyBytes = 64 << 10

// readBody reads a body to its end. A body of announced length takes one
// buffer of its length (after its first exactBodyBytes, for a longer one),
// so that what it holds in memory is what was counted for it; one of
// unknown length is read as io.ReadAll does (take reads chunked bodies
// with growingBody.readAll instead). More than max bytes are read only to
// say that there were more.
func readBody(body io.Reader, length, max int64) ([]byte, error) {
	if length < 0 || length > max {
		return io.ReadAll(io.LimitReader(body, max+1))
	}
	head := min(length, exactBodyBytes)
	buf := make([]byte, head, head+1)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, unexpectedEOF(err)
	}
	if length > head {
		whole := make([]byte, length, length+1)
		copy(whole, buf)
		if _, err := io.ReadFull(body, whole[head:]); err != nil {
			return nil, unexpectedEOF(err)
		}
		buf = whole
	}
	// net/http ends a body at its Content-Length; a reader that does not
	// is read on, so that too long a body is refused, not cut.
	switch _, err := io.ReadFull(body, buf[length:length+1]); {
	case err == nil:
		rest, err := io.ReadAll(io.LimitReader(body, max-length))
		return append(buf[:length+1], rest...), err
	case err != io.EOF:
		return nil, err
	}
	return buf, nil
}

// unexpectedEOF says that a body ended before its announced length.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// release gives back what take held for a request.
func (b *bodyReader) release(h bodyHold) {
	if h.bytes == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held.Add(-h.bytes)
	if b.perUser <= 0 {
		return
	}
	if left := b.users[h.user] - h.bytes; left > 0 {
		b.users[h.user] = left
	} else {
		delete(b.users, h.user)
	}
}

// bufferedBody is a request body read into memory by bodyReader, which
// later layers can look at without reading it again.
type bufferedBody struct {
	bytes.Reader
	data []byte
}

func (*bufferedBody) Close() error { return nil }

// bufferedBodyOf returns the body bodyReader read for r, if it did.
func bufferedBodyOf(r *http.Request) ([]byte, bool) {
	b, ok := r.Body.(*bufferedBody)
	if !ok {
		return nil, false
	}
	return b.data, true
}

// boundBody gives a handler of the user's (public or protected) the body
// timeout: the connection's read deadline is set for it and cleared once
// the body has been read to the end. A handler that never reads the body
// lets net/http discard it within the same deadline.
//
// It returns a copy of r: net/http looks at the Body of the request it
// made, after the handler, to see whether a body was left unread, and then
// half-closes the connection so that the client still reads the answer;
// with that Body replaced it would close at once, and the connection would
// be reset with the refusal unread.
func boundBody(w http.ResponseWriter, r *http.Request, timeout time.Duration) *http.Request {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return r
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(timeout)) != nil {
		return r
	}
	bounded := new(http.Request)
	*bounded = *r
	bounded.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
	return bounded
}

type deadlineBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	cleared bool
}

func (d *deadlineBody) Read(p []byte) (int, error) {
	n, err := d.ReadCloser.Read(p)
	if err == io.EOF && !d.cleared {
		d.cleared = true
		_ = d.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
