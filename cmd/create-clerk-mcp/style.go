package main

import (
	"io"
	"os"
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
