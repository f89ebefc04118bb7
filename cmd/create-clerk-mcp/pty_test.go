package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/create-clerk-mcp/create-clerk-mcp/generator"
)

// buildCLI builds create-clerk-mcp from this checkout, once per test
// binary run.
func buildCLI(t *testing.T) string {
	t.Helper()
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "create-clerk-mcp-bin")
		if err != nil {
			builtErr = err
			return
		}
		builtDir = dir
		bin := filepath.Join(dir, "create-clerk-mcp")
		if out, err := exec.Command(realGo, "build", "-o", bin, ".").CombinedOutput(); err != nil {
			builtErr = errors.New("go build: " + err.Error() + "\n" + string(out))
			return
		}
		builtBin = bin
	})
	if builtErr != nil {
		t.Fatal(builtErr)
	}
	return builtBin
}

var (
	builtOnce          sync.Once
	builtBin, builtDir string
	builtErr           error
	ansiEscape         = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\x1b[78=>]|\r`)
	ptyPatience        = 60 * time.Second // only bounds a hung test
	terminalEnvRemoved = []string{"CI", "NO_COLOR", "TERM"}
)

// ptySession is the command running in a pseudo-terminal, as a person at
// a terminal runs it.
type ptySession struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	raw  bytes.Buffer // everything the command wrote, escapes included
	seen int          // how much of the plain text expect has consumed
	// queried is how much of raw has been scanned for cursor queries.
	queried int
	done    chan struct{}
	err     error
}

// startPTY runs bin with args in dir, in a pseudo-terminal, with env added
// to this process's environment (minus CI, NO_COLOR and TERM).
func startPTY(t *testing.T, dir string, env []string, bin string, args ...string) *ptySession {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !slices.Contains(terminalEnvRemoved, k) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, "TERM=xterm-256color"), env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	s := &ptySession{t: t, cmd: cmd, tty: tty, done: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			s.mu.Lock()
			s.raw.Write(buf[:n])
			// Answer the cursor-position queries survey makes, as a
			// terminal does (it waits for the answer).
			for q := bytes.Count(s.raw.Bytes()[s.queried:], []byte("\x1b[6n")); q > 0; q-- {
				tty.Write([]byte("\x1b[1;1R"))
			}
			if i := bytes.LastIndex(s.raw.Bytes(), []byte("\x1b[6n")); i >= s.queried {
				s.queried = i + 4
			}
			s.mu.Unlock()
			if err != nil {
				break
			}
		}
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			cmd.Process.Kill()
			<-s.done
		}
		tty.Close()
		t.Logf("terminal transcript of %s:\n%s", strings.Join(args, " "), s.plain())
	})
	return s
}

// plain is the output without terminal escapes.
func (s *ptySession) plain() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansiEscape.ReplaceAllString(s.raw.String(), "")
}

// expect waits until the output, after what earlier expects consumed,
// contains text.
func (s *ptySession) expect(text string) {
	s.t.Helper()
	deadline := time.Now().Add(ptyPatience)
	for {
		out := s.plain()
		if i := strings.Index(out[min(s.seen, len(out)):], text); i >= 0 {
			s.seen += i + len(text)
			return
		}
		select {
		case <-s.done:
			if out := s.plain(); !strings.Contains(out[min(s.seen, len(out)):], text) {
				s.t.Fatalf("the command ended (%v) without printing %q; its output:\n%s", s.err, text, out)
			}
			continue
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %q in the output:\n%s", text, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// send types keys, once the program reads the terminal key by key (raw
// mode) and has read the answers to its cursor-position queries: survey
// drops keys that arrive before then. Should the keys still be lost (the
// program prints nothing in answer), it types them again.
func (s *ptySession) send(keys string) {
	s.t.Helper()
	for attempt := 0; ; attempt++ {
		s.settle()
		before := s.rawLen()
		if _, err := s.tty.Write([]byte(keys)); err != nil {
			s.t.Fatal(err)
		}
		deadline := time.Now().Add(3 * time.Second)
		for s.rawLen() == before && time.Now().Before(deadline) {
			select {
			case <-s.done:
				return
			default:
			}
			time.Sleep(10 * time.Millisecond)
		}
		if s.rawLen() != before || attempt == 3 {
			return
		}
		s.t.Logf("no answer to %q, typing it again", keys)
	}
}

func (s *ptySession) rawLen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.Len()
}

// settle waits until the terminal is raw and no output (such as a cursor
// query, or its answer being read) came for a moment.
func (s *ptySession) settle() {
	s.t.Helper()
	deadline := time.Now().Add(ptyPatience)
	quiet, last := 0, -1
	for {
		tio, err := unix.IoctlGetTermios(int(s.tty.Fd()), unix.TCGETS)
		if err != nil {
			s.t.Fatal(err)
		}
		n := s.rawLen()
		if tio.Lflag&unix.ICANON == 0 && n == last {
			quiet++
		} else {
			quiet = 0
		}
		last = n
		if quiet >= 10 {
			return
		}
		select {
		case <-s.done:
			s.t.Fatalf("the command ended (%v) before it read the next keys; its output:\n%s", s.err, s.plain())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the command never read the terminal raw; its output:\n%s", s.plain())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wait waits for the command to end and returns its exit code.
func (s *ptySession) wait() int {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(ptyPatience):
		s.t.Fatalf("the command did not end; its output:\n%s", s.plain())
	}
	var exitErr *exec.ExitError
	if errors.As(s.err, &exitErr) {
		return exitErr.ExitCode()
	}
	if s.err != nil {
		s.t.Fatal(s.err)
	}
	return 0
}

const (
	keyDown  = "\x1b[B"
	keyEnter = "\r"
	keyCtrlC = "\x03"
)

// TestInteractiveNewInTerminal drives `create-clerk-mcp new` in a real
// pseudo-terminal: it asks for the name first, shows help on '?', takes
// the answers (arrow keys and space in the lists) and creates the project
// they describe.
func TestInteractiveNewInTerminal(t *testing.T) {
	bin := buildCLI(t)
	wd := t.TempDir()
	s := startPTY(t, wd, nil, bin, "new", "--no-git", "--skip-tidy")
	s.expect("Project name")
	s.send("?" + keyEnter)
	s.expect("Lower-case letters, digits and '-'")
	s.send("Bad Name" + keyEnter)
	s.expect(`invalid project name "Bad Name"`)
	// survey keeps the rejected answer on the line: erase it.
	s.send(strings.Repeat("\x7f", len("Bad Name")) + "pty-app" + keyEnter)
	s.expect("Go module path")
	s.send("example.com/you/pty-app" + keyEnter)
	s.expect("Transports")
	s.send(keyDown + " " + keyEnter) // add sse to the default streamable-http
	s.expect("Sessions on /mcp")
	s.send(keyDown + keyEnter) // stateful
	s.expect("OAuth scopes")
	s.send("profile email notes:read" + keyEnter)
	s.expect("Include the sample tool get-clerk-user-data?")
	s.send("n" + keyEnter)
	s.expect("Success! Created pty-app in pty-app")
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	cfg := readConfig(t, filepath.Join(wd, "pty-app"))
	if cfg.Name != "pty-app" || cfg.Module != "example.com/you/pty-app" || cfg.Sessions != "stateful" ||
		!slices.Equal(cfg.Transports, []string{"streamable-http", "sse"}) ||
		!slices.Equal(cfg.Scopes, []string{"profile", "email", "notes:read"}) || len(cfg.Tools) != 0 {
		t.Errorf("clerk-mcp.yaml from the answers: %+v", cfg)
	}
	gomod, err := os.ReadFile(filepath.Join(wd, "pty-app", "go.mod"))
	if err != nil || !strings.HasPrefix(string(gomod), "module example.com/you/pty-app\n") {
		t.Errorf("go.mod: %q %v", gomod, err)
	}
	if _, err := os.Stat(filepath.Join(wd, "pty-app", "tools", "get_clerk_user_data.go")); err == nil {
		t.Error("the sample tool was created after answering no")
	}
}

// TestInteractiveNewDefaultsInTerminal: Enter at every question takes the
// defaults.
func TestInteractiveNewDefaultsInTerminal(t *testing.T) {
	bin := buildCLI(t)
	wd := t.TempDir()
	s := startPTY(t, wd, nil, bin, "new", "dflt", "--no-git", "--skip-tidy")
	for _, q := range []string{"Go module path", "Transports", "Sessions on /mcp", "OAuth scopes", "Include the sample tool"} {
		s.expect(q)
		s.send(keyEnter)
	}
	s.expect("Success! Created dflt")
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(s.plain(), "Project name") {
		t.Error("asked for the name given as an argument")
	}
	cfg := readConfig(t, filepath.Join(wd, "dflt"))
	def := generator.DefaultConfig("dflt")
	if cfg.Module != def.Module || cfg.Sessions != def.Sessions || !slices.Equal(cfg.Transports, def.Transports) ||
		!slices.Equal(cfg.Scopes, def.Scopes) || len(cfg.Tools) != 1 {
		t.Errorf("clerk-mcp.yaml from the defaults: %+v", cfg)
	}
}

// TestInteractiveNewCtrlC: Ctrl-C at a question ends new with nothing
// created.
func TestInteractiveNewCtrlC(t *testing.T) {
	bin := buildCLI(t)
	answers := []struct{ question, keys string }{
		{"Project name", "late" + keyEnter},
		{"Go module path", keyEnter},
		{"Transports", keyEnter},
		{"Sessions on /mcp", keyEnter},
		{"OAuth scopes", keyEnter},
		{"Include the sample tool", keyEnter},
	}
	for stop := range answers {
		t.Run(answers[stop].question, func(t *testing.T) {
			wd := t.TempDir()
			s := startPTY(t, wd, nil, bin, "new", "--no-git", "--skip-tidy")
			for _, a := range answers[:stop] {
				s.expect(a.question)
				s.send(a.keys)
			}
			s.expect(answers[stop].question)
			s.send(keyCtrlC)
			s.expect("create-clerk-mcp: interrupted: nothing was created; run create-clerk-mcp new again")
			if code := s.wait(); code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if entries, _ := os.ReadDir(wd); len(entries) != 0 {
				t.Errorf("Ctrl-C left %v", entries)
			}
		})
	}
}

// fakeGoDir holds a go command for `new` run in a terminal: go mod tidy
// only writes a go.sum (offline); anything else runs the real go.
func fakeGoDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\nif [ \"$1 $2\" = \"mod tidy\" ]; then echo 'fake go.sum' > go.sum; exit 0; fi\nexec " + realGo + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestNewOutputInTerminal: in a terminal the status of each file is in
// colour and go mod tidy shows a spinner line, replaced by its outcome;
// NO_COLOR keeps the spinner and drops the colour.
func TestNewOutputInTerminal(t *testing.T) {
	bin := buildCLI(t)
	path := "PATH=" + fakeGoDir(t) + string(os.PathListSeparator) + os.Getenv("PATH")

	wd := t.TempDir()
	s := startPTY(t, wd, []string{path}, bin, "new", "colour", "--yes", "--no-git")
	s.expect("Success! Created colour in colour")
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	s.mu.Lock()
	raw := s.raw.String()
	s.mu.Unlock()
	for _, want := range []string{
		"\x1b[32mcreate   \x1b[0m colour/clerk-mcp.yaml",
		"\r\x1b[2K\x1b[36m|\x1b[0m running go mod tidy (downloading the dependencies)",
		"\x1b[2K\x1b[32mdone\x1b[0m running go mod tidy (downloading the dependencies)\r\n",
		"\x1b[32mSuccess!\x1b[0m",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("terminal output lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(wd, "colour", "go.sum")); err != nil {
		t.Errorf("go mod tidy did not run: %v", err)
	}

	wd = t.TempDir()
	s = startPTY(t, wd, []string{path, "NO_COLOR=1"}, bin, "new", "plain", "--yes", "--no-git")
	s.expect("Success! Created plain in plain")
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	s.mu.Lock()
	raw = s.raw.String()
	s.mu.Unlock()
	if regexp.MustCompile(`\x1b\[(3[0-9]|1|2)m`).MatchString(raw) {
		t.Errorf("colour despite NO_COLOR:\n%q", raw)
	}
	if !strings.Contains(raw, "\r\x1b[2K| running go mod tidy") || !strings.Contains(raw, "\r\x1b[2Kdone running go mod tidy") || !strings.Contains(raw, "\ncreate    plain/clerk-mcp.yaml") {
		t.Errorf("NO_COLOR output:\n%q", raw)
	}
}
