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
