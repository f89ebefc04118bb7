package mcpserver

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// readBody returns what io.ReadAll would, within max+1 bytes, whether the
// announced length is right, short, long or unknown.
func TestReadBody(t *testing.T) {
	const max = 10
	for _, c := range []struct {
		name   string
		body   string
		length int64
		want   string
		err    error
	}{
		{"as announced", "hello", 5, "hello", nil},
		{"empty", "", 0, "", nil},
		{"shorter than announced", "hel", 5, "", io.ErrUnexpectedEOF},
		{"longer than announced", "hello world!", 5, "hello world", nil}, // max+1 bytes: the caller refuses it
		{"longer, within max", "hello wor", 5, "hello wor", nil},
		{"unknown length", "hello", -1, "hello", nil},
		{"unknown, too long", "hello world!", -1, "hello world", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			// One byte at a time, as a slow client's body arrives.
			got, err := readBody(iotest.OneByteReader(strings.NewReader(c.body)), c.length, max)
			if !errors.Is(err, c.err) || (c.err == nil && string(got) != c.want) {
				t.Errorf("readBody(%q, %d) = %q, %v; want %q, %v", c.body, c.length, got, err, c.want, c.err)
			}
		})
	}
	// A large announced body is not taken in memory before it arrives.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := readBody(iotest.ErrReader(io.ErrUnexpectedEOF), 8<<20, 8<<20); err == nil {
		t.Error("a body that ends early: no error")
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("an 8 MiB body that sent nothing took %d bytes", grew)
	}
	// A body longer than the first buffer arrives whole, and takes one
	// buffer of its length besides the first, not the growing copies of
	// io.ReadAll (about twice its length).
	long := make([]byte, 1<<20)
	for i := range long {
		long[i] = byte(i % 251)
	}
	runtime.ReadMemStats(&before)
	got, err := readBody(iotest.HalfReader(bytes.NewReader(long)), int64(len(long)), 8<<20)
	runtime.ReadMemStats(&after)
	if err != nil || !bytes.Equal(got, long) {
		t.Errorf("a 1 MiB announced body: %d bytes, %v; want it whole", len(got), err)
	}
	if took := after.TotalAlloc - before.TotalAlloc; took > uint64(len(long))+2*exactBodyBytes {
		t.Errorf("a 1 MiB announced body took %d bytes, want about its length", took)
	}
	if _, err := readBody(bytes.NewReader(long[:100<<10]), int64(len(long)), 8<<20); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a long body that ends early: %v, want io.ErrUnexpectedEOF", err)
	}
	failing := iotest.ErrReader(errors.New("connection reset"))
	if _, err := readBody(failing, 5, max); err == nil || err.Error() != "connection reset" {
		t.Errorf("a failing body: %v, want its error", err)
	}
}

// read is take and release around next, as a handler.
func (b *bodyReader) read(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hold, ok := b.take(w, r)
		if !ok {
			return
		}
		defer b.release(hold)
		next.ServeHTTP(w, r)
	})
}

// heldBy returns the bytes user's requests hold.
func (b *bodyReader) heldBy(user string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.users[user]
}

// placeWatcher is a chunked body that checks, at every read, that the
// buffer it is read into (what it has given so far plus the room it is
// offered) is no larger than the place the bodies hold in the bounds:
// what the server holds in memory for a body coming in is what was counted.
type placeWatcher struct {
	r     io.Reader
	b     *bodyReader
	given int64
	worst int64 // the most the buffer ever was past the place
}

func (w *placeWatcher) Read(p []byte) (int, error) {
	// A one-byte read when the place is full is the question whether
	// the body ends there: that byte is not in the buffer yet.
	if over := w.given + int64(cap(p)) - w.b.held.Load(); over > 0 && cap(p) > 1 {
		w.worst = max(w.worst, over)
	}
	n, err := w.r.Read(p)
	w.given += int64(n)
	return n, err
}

func TestChunkedBodyBufferStaysWithinItsPlace(t *testing.T) {
	for _, size := range []int{0, 7, 600, exactBodyBytes, exactBodyBytes + 1, 200 << 10, 3<<20 + 5} {
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"whole":    func(r io.Reader) io.Reader { return r },
			"one byte": iotest.OneByteReader,
			"halves":   iotest.HalfReader,
		} {
			if name == "one byte" && size > 300<<10 {
				continue // the same paths, a million reads slower
			}
			b := &bodyReader{max: MaxBodyBytes, total: 1 << 30, perUser: maxUserBodyBytes}
			body := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
			w := &placeWatcher{r: wrap(bytes.NewReader(body)), b: b}
			g := &growingBody{r: w, b: b, hold: bodyHold{user: "alice"}}
			if err := b.reserve(&g.hold, 1, exactBodyBytes); err != nil {
				t.Fatal(err)
			}
			got, err := g.readAll()
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%s, %d bytes: read %d bytes, %v", name, size, len(got), err)
				continue
			}
			if cap(got) != len(got) {
				t.Errorf("%s, %d bytes: the body is kept in a buffer of %d", name, size, cap(got))
			}
			if w.worst > 0 {
				t.Errorf("%s, %d bytes: the buffer was %d bytes larger than the place held", name, size, w.worst)
			}
			// The place covers the buffer (and, for the moment of the
			// last copy, that copy); take then keeps what the buffer is.
			if held := b.held.Load(); held != g.hold.bytes || held < int64(cap(got)) || held > max(2*int64(size), exactBodyBytes)+int64(size) {
				t.Errorf("%s, %d bytes: the place is %d (the bounds count %d)", name, size, g.hold.bytes, held)
			}
		}
	}
}

// When the share has no room to double a full place, the place takes the
// room there is; after such a growth the next must be at least a quarter
// of the place, so a body is not copied for every few bytes other requests
// give back: one that needs more while less has come free is refused for
// the share, and one that fits is let through.
func TestChunkedBodyPlaceGrowsByWhatRoomThereIs(t *testing.T) {
	const other = exactBodyBytes - 100 // held by another request of the user's
	for _, c := range []struct {
		name  string
		size  int
		share int64
		freed int64 // given back by the other request once the place has grown by 100
		err   error
	}{
		{"fits the last room", exactBodyBytes + 100, 2 * exactBodyBytes, 0, nil},
		{"past the last room", exactBodyBytes + 101, 2 * exactBodyBytes, 0, errUserBodyShare},
		{"a quarter more comes free", exactBodyBytes + 10<<10, 2 * exactBodyBytes, 20 << 10, nil},
		{"too little comes free", exactBodyBytes + 600, 2 * exactBodyBytes, 1 << 10, errUserBodyShare},
		{"past the largest body", MaxBodyBytes + 1, 4 * MaxBodyBytes, 0, errBodyTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := &bodyReader{max: MaxBodyBytes, total: 1 << 30, perUser: c.share}
			held := bodyHold{user: "alice"}
			if c.share == 2*exactBodyBytes {
				if err := b.reserve(&held, other, other); err != nil {
					t.Fatal(err)
				}
			}
			r := &hookReader{r: bytes.NewReader(make([]byte, c.size)), at: exactBodyBytes + 100, hook: func() {
				if c.freed > 0 {
					b.release(bodyHold{user: "alice", bytes: c.freed})
				}
			}}
			g := &growingBody{r: r, b: b, hold: bodyHold{user: "alice"}}
			if err := b.reserve(&g.hold, 1, exactBodyBytes); err != nil {
				t.Fatal(err)
			}
			got, err := g.readAll()
			if !errors.Is(err, c.err) || c.err == nil && len(got) != c.size {
				t.Errorf("%d bytes, share %d: %d bytes, %v; want %v", c.size, c.share, len(got), err, c.err)
			}
			if err == nil && (g.hold.bytes < int64(cap(got)) || b.held.Load() != g.hold.bytes+held.bytes-c.freed) {
				t.Errorf("the place is %d for a buffer of %d, the bounds count %d", g.hold.bytes, cap(got), b.held.Load())
			}
		})
	}
}

// hookReader calls hook once, when at bytes have been read from it.
type hookReader struct {
	r    io.Reader
	at   int64
	n    int64
	hook func()
}

func (h *hookReader) Read(p []byte) (int, error) {
	if h.n == h.at && h.hook != nil {
		h.hook()
		h.hook = nil
	}
	if rest := h.at - h.n; rest > 0 && int64(len(p)) > rest && h.hook != nil {
		p = p[:rest]
	}
	n, err := h.r.Read(p)
	h.n += int64(n)
	return n, err
}

// A chunked body whose reader brings nothing, again and again, without an
// error is given up on rather than read for ever.
func TestChunkedBodyWithoutProgressIsGivenUp(t *testing.T) {
	b := &bodyReader{max: MaxBodyBytes, total: 1 << 30, perUser: maxUserBodyBytes}
	g := &growingBody{r: emptyReader{}, b: b, hold: bodyHold{user: "alice"}}
	if err := b.reserve(&g.hold, 1, exactBodyBytes); err != nil {
		t.Fatal(err)
	}
	if _, err := g.readAll(); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("a body that never brings anything: %v, want %v", err, io.ErrNoProgress)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

// A chunked body is kept in a buffer of its length where the bounds have
// room for the copy, else in the buffer it was read into, whose size its
// place keeps.
func TestChunkedBodyKeepsItsBufferWithoutRoomToCopy(t *testing.T) {
	for _, c := range []struct {
		share   int64
		wantCap int
	}{{1 << 20, 700}, {1024, 1024}} {
		b := &bodyReader{max: MaxBodyBytes, total: 1 << 30, perUser: c.share}
		g := &growingBody{r: bytes.NewReader(make([]byte, 700)), b: b, hold: bodyHold{user: "alice"}}
		if err := b.reserve(&g.hold, 1, exactBodyBytes); err != nil {
			t.Fatal(err)
		}
		got, err := g.readAll()
		if err != nil || len(got) != 700 || cap(got) != c.wantCap {
			t.Errorf("share %d: %d bytes in a buffer of %d, %v; want 700 in %d", c.share, len(got), cap(got), err, c.wantCap)
		}
		if g.hold.bytes < int64(cap(got)) {
			t.Errorf("share %d: the place is %d for a buffer of %d", c.share, g.hold.bytes, cap(got))
		}
	}
}
