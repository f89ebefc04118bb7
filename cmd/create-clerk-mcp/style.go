package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// styler colours text for a person at a terminal, and leaves it plain when
// the output is piped or redirected, when NO_COLOR is set
// (https://no-color.org) or when TERM is dumb.
type styler struct{ color bool }

func newStyler(w io.Writer) styler {
	f, ok := w.(*os.File)
	return styler{color: ok && isTerminal(f) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"}
}

func (s styler) paint(code, text string) string {
	if !s.color || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s styler) green(t string) string  { return s.paint("32", t) }
func (s styler) yellow(t string) string { return s.paint("33", t) }
func (s styler) red(t string) string    { return s.paint("31", t) }
func (s styler) cyan(t string) string   { return s.paint("36", t) }
func (s styler) bold(t string) string   { return s.paint("1", t) }
func (s styler) dim(t string) string    { return s.paint("2", t) }

// progress shows that something slow is under way. On a terminal it is a
// spinner on one line, replaced by the outcome when done(ok) is called;
// elsewhere it is the message on a line of its own.
func (a *app) progress(msg string) (done func(ok bool)) {
	f, ok := a.stdout.(*os.File)
	if !ok || !isTerminal(f) || os.Getenv("TERM") == "dumb" {
		fmt.Fprintln(a.stdout, msg)
		return func(bool) {}
	}
	st := newStyler(f)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		frames := []string{"|", "/", "-", "\\"}
		tick := time.NewTicker(120 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(f, "\r\x1b[2K%s %s", st.cyan(frames[i%len(frames)]), msg)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func(ok bool) {
		close(stop)
		wg.Wait()
		mark := st.green("done")
		if !ok {
			mark = st.red("failed")
		}
		fmt.Fprintf(f, "\r\x1b[2K%s %s\n", mark, msg)
	}
}
