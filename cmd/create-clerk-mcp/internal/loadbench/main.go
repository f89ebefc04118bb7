// Command loadbench measures a generated server the way a user's load sees
// it: the server in its own process, a closed loop of N go-sdk clients (each
// its own session and connections) in another, making authenticated
// tools/call of a one-line echo tool with cached opaque tokens from the fake
// Clerk. It compares our server (mcpserver.New) with a bare go-sdk
// StreamableHTTPHandler serving the same tool in the same session mode, runs
// interleaved, and reports calls per second and the server process's CPU
// time per call (from /proc/PID/stat).
//
// On a machine with two or more cores the server is pinned to -server-cpu
// and the load generator (with the fake Clerk) to -load-cpu, with taskset.
//
//	go run ./cmd/create-clerk-mcp/internal/loadbench -runs 5 -duration 10s
//
// LOADBENCH_CPUPROFILE=dir makes each server process write a CPU profile of
// its whole life to dir/<kind>-<mode>-<clients>-<run>.pprof.
// LOADBENCH_LOG_LEVEL sets the server's LOG_LEVEL (default info, as in a
// generated project); LOADBENCH_KEEPLOGS=1 keeps the server logs (in
// $TMPDIR/loadbench-*.log). Each client is a user of its own, so the
// per-user bounds are the defaults and never reached.
//
// -calls N counts instead of timing: each server runs under valgrind's
// callgrind (with GODEBUG=asyncpreemptoff=1, as callgrind cannot follow
// the preemption signals), -warmup-calls calls are made, the counters are
// zeroed, N calls are made and the counters dumped: the server's
// instructions per call, all threads, whatever else the machine is doing.
// (The GC's pacing still moves it by a percent or two from run to run.)
// LOADBENCH_CALLGRIND_DIR keeps the dumps for callgrind_annotate.
// LOADBENCH_HEAPPROFILE=dir makes each server record every allocation and
// write a heap profile two seconds in, under load, to dir/<kind>-<pid>.pprof:
// its inuse_space is what each garbage collection walks again.
// LOADBENCH_GOROUTINES=dir makes each server write its goroutines, grouped
// by stack, ten times a second for three seconds under load, to
// dir/<kind>-<pid>.txt: every collection scans each of their stacks.
// LOADBENCH_GCSTATS=1 makes each server write the garbage collector's
// totals (cycles, bytes allocated, bytes each cycle scanned) to its log
// when it exits; with LOADBENCH_KEEPLOGS=1 they can be compared.
//
// -together starts the servers of each run at once, all pinned to the
// server core, each loaded by its own clients in the same window: the
// machine's slow moments fall on all of them alike. The kernel's scheduler
// splits the core between them, and favours the process that sleeps more
// (it gets the core back first when it wakes), so their shares of it need
// not be equal: the CPU per call is the figure to compare, the calls per
// second include the shares.
//
// -kinds chooses the servers: ours, bare, bare-serve (the bare handler in
// mcpserver.Serve's http.Server), and names given with -other
// name=path, whose "ours" is served by another build of this program
// (such as one built against an older commit, to compare before and
// after in the same interleaved run).
//
// It lives outside templates/runtime so that it is not copied into
// generated projects, and it is a program, not a test, so go test ./...
// never runs it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/mcpserver"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		if err := serve(os.Args[2:]); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := drive(os.Args[1:]); err != nil {
		log.Fatal(err)
	}
}

type echoOut struct {
	Text string `json:"text"`
}

func registerEcho(s *mcp.Server) {
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "echoes"},
		func(_ context.Context, _ *mcp.CallToolRequest, in struct {
			Text string `json:"text"`
		}) (*mcp.CallToolResult, echoOut, error) {
			return nil, echoOut{Text: in.Text}, nil
		})
}

// serve is the server process: "ours" is the server a generated project
// runs (LoadEnv, the text logger at info level, mcpserver.New, Serve);
// "bare" is the go-sdk's handler alone on an http.Server. It prints its URL
// on stdout and serves until SIGTERM.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	kind := fs.String("kind", "ours", "ours or bare")
	stateless := fs.Bool("stateless", true, "stateless Streamable HTTP")
	profile := fs.String("cpuprofile", "", "write a CPU profile here")
	_ = fs.Parse(args)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if os.Getenv("LOADBENCH_GCSTATS") != "" {
		defer writeGCStats(os.Stderr)
	}
	// The driver's name for this server (another build's "ours" has its
	// -other name), for the files written below.
	label := *kind
	if l := os.Getenv("LOADBENCH_LABEL"); l != "" {
		label = l
	}
	if dir := os.Getenv("LOADBENCH_GOROUTINES"); dir != "" {
		// Under load (from a second in, for three seconds), ten times a
		// second: the goroutines there are, grouped by stack, to
		// dir/<label>-<pid>.txt. Each garbage collection scans all of them.
		written := make(chan struct{})
		defer func() { <-written }()
		go func() {
			defer close(written)
			f, err := os.Create(filepath.Join(dir, label+"-"+strconv.Itoa(os.Getpid())+".txt"))
			if err != nil {
				return
			}
			defer f.Close()
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			for range 30 {
				fmt.Fprintf(f, "snapshot goroutines=%d\n", runtime.NumGoroutine())
				_ = pprof.Lookup("goroutine").WriteTo(f, 1)
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
	}
	if dir := os.Getenv("LOADBENCH_HEAPPROFILE"); dir != "" {
		// Written under load (two seconds in, inside any -warmup of a
		// second or more plus the run), so that the requests in flight
		// are in it, or when the server is told to stop, if sooner.
		runtime.MemProfileRate = 1
		written := make(chan struct{})
		defer func() { <-written }()
		go func() {
			defer close(written)
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
			runtime.GC()
			f, err := os.Create(filepath.Join(dir, label+"-"+strconv.Itoa(os.Getpid())+".pprof"))
			if err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	switch *kind {
	case "bare", "bare-serve":
		server := mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "0"}, nil)
		registerEcho(server)
		h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{
			Stateless:      *stateless,
			SessionTimeout: mcpserver.DefaultSessionIdleTimeout,
		})
		if *kind == "bare-serve" {
			// The bare handler in the http.Server a generated project uses.
			fmt.Printf("http://%s/mcp\n", ln.Addr())
			return mcpserver.Serve(ctx, ln, h, "http://"+ln.Addr().String(), slog.New(slog.DiscardHandler))
		}
		srv := &http.Server{Handler: h}
		go func() { <-ctx.Done(); srv.Close() }()
		fmt.Printf("http://%s/mcp\n", ln.Addr())
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case "ours":
		env, err := mcpserver.LoadEnv(os.Getenv)
		if err != nil {
			return err
		}
		env = env.WithListener(ln.Addr())
		logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: env.LogLevel}))
		srv, err := mcpserver.New(mcpserver.Settings{Name: "bench", Version: "0", Streamable: true, Stateless: *stateless},
			env, mcpserver.Options{RegisterTools: registerEcho, Logger: logger})
		if err != nil {
			return err
		}
		fmt.Printf("%s/mcp\n", env.PublicURL)
		return mcpserver.Serve(ctx, ln, srv, env.PublicURL, logger)
	}
	return fmt.Errorf("unknown kind %q", *kind)
}

// writeGCStats writes the runtime's garbage collection totals, and what the
// last cycle scanned.
func writeGCStats(w io.Writer) {
	samples := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/gc/heap/allocs:objects"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/heap:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/cpu/classes/gc/total:cpu-seconds"},
		{Name: "/cpu/classes/user:cpu-seconds"},
	}
	metrics.Read(samples)
	for _, s := range samples {
		switch s.Value.Kind() {
		case metrics.KindUint64:
			fmt.Fprintf(w, "gcstats %s %d\n", s.Name, s.Value.Uint64())
		case metrics.KindFloat64:
			fmt.Fprintf(w, "gcstats %s %.3f\n", s.Name, s.Value.Float64())
		}
	}
}

// result is one measured run.
type result struct {
	kind      string
	calls     int64
	seconds   float64
	cpu       time.Duration // server user+system time in the window
	sys       time.Duration // the system part of cpu
	loadCPU   time.Duration // the load generator's, in the window
	logLines  int           // lines the server logged in all
	errors    int64
	perSecond float64
	cpuPerOp  time.Duration
	// instrPerOp is what -calls counts: the server's instructions per
	// call, all its threads together.
	instrPerOp float64
}

func drive(args []string) error {
	fs := flag.NewFlagSet("loadbench", flag.ExitOnError)
	clientsFlag := fs.String("clients", "1,8,64", "numbers of concurrent clients")
	modesFlag := fs.String("modes", "stateless,stateful", "session modes")
	kindsFlag := fs.String("kinds", "ours,bare", "servers to compare: ours, bare, or names given in -other")
	otherFlag := fs.String("other", "", "more servers, as name=path of another loadbench binary whose \"ours\" is run (such as before=/tmp/loadbench-old)")
	runs := fs.Int("runs", 5, "runs of each server per configuration")
	duration := fs.Duration("duration", 10*time.Second, "measured time of a run")
	warmup := fs.Duration("warmup", 2*time.Second, "load before the measured time")
	serverCPU := fs.Int("server-cpu", 0, "core of the server process (with taskset, on 2+ cores)")
	loadCPU := fs.Int("load-cpu", 1, "core of the load generator (with taskset, on 2+ cores)")
	calls := fs.Int("calls", 0, "count instructions: run the server under callgrind and make this many calls in each run (after -warmup-calls), instead of a timed load")
	warmupCalls := fs.Int("warmup-calls", 200, "with -calls: calls before counting starts")
	together := fs.Bool("together", false, "run the servers of each run at the same time, sharing the server core, each loaded by its own clients: their calls/s then share whatever the machine does meanwhile")
	_ = fs.Parse(args)
	if *together && *calls > 0 {
		return errors.New("-together times servers side by side; -calls counts each one's instructions alone: choose one")
	}
	if *calls > 0 {
		if _, err := exec.LookPath("callgrind_control"); err != nil {
			return errors.New("-calls needs valgrind (callgrind and callgrind_control) on PATH")
		}
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	_, tasksetErr := exec.LookPath("taskset")
	// Once pinned (below), this process sees one core: LOADBENCH_PINNED
	// says that the server is to be pinned too.
	pinned := os.Getenv("LOADBENCH_PINNED") != ""
	pin := pinned || tasksetErr == nil && runtime.NumCPU() >= 2
	if pin && !pinned {
		// Run the load generator itself on its core; the runtime sizes
		// GOMAXPROCS from the affinity it starts with.
		cmd := exec.Command("taskset", append([]string{"-c", strconv.Itoa(*loadCPU), self}, args...)...)
		cmd.Env = append(os.Environ(), "LOADBENCH_PINNED=1")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		return cmd.Run()
	}

	fake, err := clerkfake.Start()
	if err != nil {
		return err
	}
	defer fake.Close()
	var clients []int
	for _, c := range strings.Split(*clientsFlag, ",") {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			return fmt.Errorf("-clients: %q", c)
		}
		clients = append(clients, n)
	}
	// One user per client, as separate users would be: the per-user
	// bounds (sessions, streams) are the defaults and never bite.
	tokens := make([]string, slices.Max(clients))
	for i := range tokens {
		tokens[i] = fake.IssueOpaque(clerkfake.TokenOptions{UserID: fmt.Sprintf("user_load%04d", i), TTL: 24 * time.Hour})
	}
	kinds := strings.Split(*kindsFlag, ",")
	others := map[string]string{}
	if *otherFlag != "" {
		for _, o := range strings.Split(*otherFlag, ",") {
			name, path, ok := strings.Cut(o, "=")
			if !ok {
				return fmt.Errorf("-other: %q is not name=path", o)
			}
			if name == "" || strings.ContainsAny(name, "/\\ ") {
				return fmt.Errorf("-other: the name %q names files: use letters, digits and dashes", name)
			}
			others[name] = path
		}
	}
	for _, k := range kinds {
		if _, ok := others[k]; !ok && k != "ours" && k != "bare" && k != "bare-serve" {
			return fmt.Errorf("-kinds: %q is not ours, bare or a name in -other", k)
		}
	}
	profileDir := os.Getenv("LOADBENCH_CPUPROFILE")

	placement := "not pinned"
	if pin {
		placement = fmt.Sprintf("server on core %d, load on core %d", *serverCPU, *loadCPU)
	}
	fmt.Printf("# loadbench: %s, %s, %s, %d runs of %s (warm-up %s)\n",
		runtime.Version(), cpuModel(), placement, *runs, *duration, *warmup)
	if *together {
		fmt.Println("# -together: the servers of a run share the server core; \"load\" is the load generator's CPU for all of them")
	}
	type key struct {
		mode    string
		clients int
	}
	all := make(map[key]map[string][]result)
	var order []key
	for _, mode := range strings.Split(*modesFlag, ",") {
		if mode != "stateless" && mode != "stateful" {
			return fmt.Errorf("-modes: %q", mode)
		}
		for _, n := range clients {
			k := key{mode, n}
			order = append(order, k)
			all[k] = make(map[string][]result)
			for run := 0; run < *runs; run++ {
				// Interleave the servers, and alternate which goes first.
				ks := slices.Clone(kinds)
				if run%2 == 1 {
					slices.Reverse(ks)
				}
				var specs []runSpec
				for _, kind := range ks {
					var profile string
					if profileDir != "" {
						profile = filepath.Join(profileDir, fmt.Sprintf("%s-%s-%d-%d.pprof", kind, mode, n, run))
					}
					bin, serveKind := self, kind
					if path, ok := others[kind]; ok {
						bin, serveKind = path, "ours"
					}
					specs = append(specs, runSpec{
						self: bin, kind: serveKind, label: kind, stateless: mode == "stateless", clients: n, tokens: tokens[:n],
						warmup: *warmup, duration: *duration, fake: fake, pin: pin, serverCPU: *serverCPU, profile: profile,
						calls: int64(*calls), warmupCalls: int64(*warmupCalls), runNumber: run,
					})
				}
				var results []result
				if *together {
					rs, err := runTogether(specs)
					if err != nil {
						return fmt.Errorf("%s %d clients, together: %w", mode, n, err)
					}
					results = rs
				} else {
					for i, spec := range specs {
						r, err := spec.run()
						if err != nil {
							return fmt.Errorf("%s %s %d clients: %w", ks[i], mode, n, err)
						}
						results = append(results, r)
					}
				}
				for i, r := range results {
					kind := ks[i]
					all[k][kind] = append(all[k][kind], r)
					if *calls > 0 {
						fmt.Printf("%-9s %-4s clients=%-3d run=%d  %10.0f instructions/call  errors=%d\n", mode, kind, n, run+1, r.instrPerOp, r.errors)
						continue
					}
					fmt.Printf("%-9s %-4s clients=%-3d run=%d  %8.0f calls/s  %6.1f µs CPU/call (%2.0f%% system)  server %3.0f%% load %3.0f%% of a core  errors=%d log=%d lines\n",
						mode, kind, n, run+1, r.perSecond, us(r.cpuPerOp), 100*r.sys.Seconds()/max(r.cpu.Seconds(), 1e-9), 100*r.cpu.Seconds()/r.seconds, 100*r.loadCPU.Seconds()/r.seconds, r.errors, r.logLines)
				}
			}
		}
	}

	if *calls > 0 {
		fmt.Printf("\n# medians of %d runs of %d calls, instructions per call (callgrind)\n", *runs, *calls)
		fmt.Printf("| mode | clients |")
		for _, kind := range kinds {
			fmt.Printf(" %s |", kind)
		}
		fmt.Println()
		fmt.Println("|---|---|" + strings.Repeat("---|", len(kinds)))
		for _, k := range order {
			fmt.Printf("| %s | %d |", k.mode, k.clients)
			for _, kind := range kinds {
				fmt.Printf(" %.0f |", median(all[k][kind], func(r result) float64 { return r.instrPerOp }))
			}
			fmt.Println()
		}
		return nil
	}
	fmt.Printf("\n# medians of %d runs\n", *runs)
	fmt.Printf("| mode | clients |")
	for _, kind := range kinds {
		fmt.Printf(" %s calls/s | %s CPU/call |", kind, kind)
	}
	var vsBare []string
	if slices.Contains(kinds, "bare") {
		for _, kind := range kinds {
			if kind != "bare" {
				vsBare = append(vsBare, kind)
				per := "calls/s per run"
				if *together {
					per = "bare's CPU/call over " + kind + "'s, per run"
				}
				fmt.Printf(" %s/bare calls/s | %s/bare %s: median (middle half) |", kind, kind, per)
			}
		}
	}
	fmt.Println()
	fmt.Println("|---|---|" + strings.Repeat("---|---|", len(kinds)) + strings.Repeat("---|---|", len(vsBare)))
	for _, k := range order {
		fmt.Printf("| %s | %d |", k.mode, k.clients)
		rates := map[string]float64{}
		for _, kind := range kinds {
			rs := all[k][kind]
			rate := median(rs, func(r result) float64 { return r.perSecond })
			cpu := median(rs, func(r result) float64 { return us(r.cpuPerOp) })
			rates[kind] = rate
			fmt.Printf(" %.0f | %.0f µs |", rate, cpu)
		}
		for _, kind := range vsBare {
			mid, lo, hi := pairedRatios(all[k][kind], all[k]["bare"], *together)
			fmt.Printf(" %.2fx | %.3fx (%.3f-%.3f) |", rates[kind]/rates["bare"], mid, lo, hi)
		}
		fmt.Println()
	}
	return nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// pairedRatios compares the servers run by run: the runs of one number are
// made one after the other (and alternate which goes first), so they share
// what the machine was doing then, which drifts over a session by more
// than the difference measured. It returns the median of the runs' calls/s
// ratios and the lower and upper quartiles (the middle half of them). With
// together, the servers of a run shared a core, and their calls/s include
// the scheduler's shares of it: the ratio is of their costs instead, bare's
// CPU per call over the other's (the calls/s one server would reach with
// the core to itself, relative to bare's).
func pairedRatios(rs, base []result, together bool) (mid, lo, hi float64) {
	var v []float64
	for i := range min(len(rs), len(base)) {
		switch {
		case together && rs[i].cpuPerOp > 0:
			v = append(v, float64(base[i].cpuPerOp)/float64(rs[i].cpuPerOp))
		case !together && base[i].perSecond > 0:
			v = append(v, rs[i].perSecond/base[i].perSecond)
		}
	}
	if len(v) == 0 {
		return 0, 0, 0
	}
	slices.Sort(v)
	return quantile(v, 0.5), quantile(v, 0.25), quantile(v, 0.75)
}

// quantile interpolates the q-quantile of sorted v.
func quantile(v []float64, q float64) float64 {
	pos := q * float64(len(v)-1)
	i := int(pos)
	if i+1 >= len(v) {
		return v[len(v)-1]
	}
	return v[i] + (pos-float64(i))*(v[i+1]-v[i])
}

func median(rs []result, f func(result) float64) float64 {
	var v []float64
	for _, r := range rs {
		v = append(v, f(r))
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

type runSpec struct {
	self             string
	kind             string // the kind the server process serves
	label            string // the kind as -kinds names it (another binary's "ours" is its -other name)
	stateless        bool
	clients          int
	tokens           []string
	warmup, duration time.Duration
	fake             *clerkfake.Fake
	pin              bool
	serverCPU        int
	profile          string
	// calls > 0 runs the server under callgrind and counts the
	// instructions of that many calls, after warmupCalls.
	calls, warmupCalls int64
	runNumber          int
}

func (s runSpec) name() string {
	mode := "stateful"
	if s.stateless {
		mode = "stateless"
	}
	return fmt.Sprintf("%s-%s-%d-%d", s.label, mode, s.clients, s.runNumber)
}

// run starts a server process, loads it, and stops it.
func (s runSpec) run() (result, error) {
	rs, err := runTogether([]runSpec{s})
	if err != nil {
		return result{}, err
	}
	return rs[0], nil
}

// runTogether starts the servers of specs at once and loads them all in the
// same window, each by its own clients: with -together, the servers share
// the server core (the kernel's scheduler splits it between them), so what
// the machine does meanwhile falls on all of them alike; their CPU per
// call is then the figure to compare (see pairedRatios). One spec is an
// ordinary run. With calls > 0 (callgrind), specs holds one.
func runTogether(specs []runSpec) ([]result, error) {
	var servers []*running
	defer func() {
		for _, r := range servers {
			r.close()
		}
	}()
	for _, s := range specs {
		r, err := s.start()
		if err != nil {
			return nil, err
		}
		servers = append(servers, r)
	}
	if len(specs) == 1 && specs[0].calls > 0 {
		r := servers[0]
		res, err := r.s.count(r.ctx, r.pid, r.sessions, r.callgrindOut)
		return []result{res}, err
	}
	for _, r := range servers {
		r.load()
	}
	time.Sleep(specs[0].warmup)
	var before []sample
	for _, r := range servers {
		b, err := r.sample()
		if err != nil {
			return nil, err
		}
		before = append(before, b)
	}
	time.Sleep(specs[0].duration)
	var after []sample
	for _, r := range servers {
		a, err := r.sample()
		if err != nil {
			return nil, err
		}
		after = append(after, a)
	}
	var results []result
	for i, r := range servers {
		r.stopLoad()
		b, a := before[i], after[i]
		res := result{kind: r.s.label, calls: a.calls - b.calls, seconds: a.at.Sub(b.at).Seconds(), cpu: a.cpu - b.cpu, sys: a.sys - b.sys, loadCPU: a.self - b.self, errors: a.errs - b.errs}
		res.perSecond = float64(res.calls) / res.seconds
		if res.calls > 0 {
			res.cpuPerOp = res.cpu / time.Duration(res.calls)
		}
		results = append(results, res)
	}
	for i, r := range servers {
		results[i].logLines = r.close()
	}
	return results, nil
}

// running is a server process with its clients connected.
type running struct {
	s            runSpec
	cmd          *exec.Cmd
	pid          int
	logFile      *os.File
	callgrindOut string
	ctx          context.Context
	cancel       context.CancelFunc
	sessions     []*mcp.ClientSession
	calls, errs  atomic.Int64
	stop         chan struct{}
	wg           sync.WaitGroup
	removeDir    string // a callgrind directory of its own, removed by close
	closed       bool
	logLines     int
}

// sample is what a running server had done at a moment.
type sample struct {
	calls, errs    int64
	cpu, sys, self time.Duration
	at             time.Time
}

// start starts the server process and connects its clients.
func (s runSpec) start() (_ *running, err error) {
	args := []string{s.self, "serve", "-kind", s.kind, "-stateless=" + strconv.FormatBool(s.stateless)}
	if s.profile != "" {
		args = append(args, "-cpuprofile", s.profile)
	}
	r := &running{s: s, stop: make(chan struct{})}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	if s.calls > 0 {
		// LOADBENCH_CALLGRIND_DIR keeps the counts, for
		// callgrind_annotate; otherwise they go once read.
		dir := os.Getenv("LOADBENCH_CALLGRIND_DIR")
		if dir == "" {
			tmp, err := os.MkdirTemp("", "loadbench-callgrind-")
			if err != nil {
				return nil, err
			}
			dir = tmp
			r.removeDir = tmp // read by count, removed by close
		}
		r.callgrindOut = filepath.Join(dir, s.name()+".callgrind")
		// Counting starts at zero when the warm-up calls are done.
		args = append([]string{"valgrind", "--tool=callgrind", "--callgrind-out-file=" + r.callgrindOut}, args...)
	}
	if s.pin {
		args = append([]string{"taskset", "-c", strconv.Itoa(s.serverCPU)}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(),
		"CLERK_SECRET_KEY="+s.fake.SecretKey, "CLERK_FRONTEND_API_URL="+s.fake.URL, "CLERK_API_URL="+s.fake.URL,
		"PORT=0", "LOG_LEVEL="+logLevel(), "GOMAXPROCS=", // GOMAXPROCS from the affinity
		"LOADBENCH_LABEL="+s.label)
	if s.calls > 0 {
		// callgrind cannot follow the signals of asynchronous preemption.
		cmd.Env = append(cmd.Env, "GODEBUG=asyncpreemptoff=1")
	}
	// The server's log goes to a file, as a deployed server's goes to a
	// collector: not to this terminal.
	logFile, err := os.CreateTemp("", "loadbench-"+s.label+"-*.log")
	if err != nil {
		return nil, err
	}
	r.logFile = logFile
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r.cmd = cmd
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("server did not start: %w", err)
	}
	go io.Copy(io.Discard, stdout)
	endpoint := strings.TrimSpace(line)
	// taskset execs the server, so the child's pid is the server's.
	r.pid = cmd.Process.Pid

	r.ctx, r.cancel = context.WithCancel(context.Background())
	for i := range s.clients {
		httpClient := &http.Client{Transport: &bearer{token: s.tokens[i], next: &http.Transport{MaxIdleConnsPerHost: 4}}}
		var cs *mcp.ClientSession
		attempts := 50
		if s.calls > 0 {
			attempts = 600 // valgrind starts slowly
		}
		for attempt := 0; ; attempt++ {
			c := mcp.NewClient(&mcp.Implementation{Name: "loadbench", Version: "0"}, nil)
			cs, err = c.Connect(r.ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: httpClient, MaxRetries: -1}, nil)
			if err == nil || attempt == attempts {
				break
			}
			time.Sleep(100 * time.Millisecond) // the server may still be loading its keys
		}
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		r.sessions = append(r.sessions, cs)
	}
	return r, nil
}

// load starts the closed loop of each client.
func (r *running) load() {
	for _, cs := range r.sessions {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			params := &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}
			for {
				select {
				case <-r.stop:
					return
				default:
				}
				res, err := cs.CallTool(r.ctx, params)
				if err != nil || res.IsError {
					r.errs.Add(1)
					time.Sleep(time.Millisecond)
					continue
				}
				r.calls.Add(1)
			}
		}()
	}
}

func (r *running) sample() (sample, error) {
	cpu, sys, err := processCPU(r.pid)
	return sample{calls: r.calls.Load(), errs: r.errs.Load(), cpu: cpu, sys: sys, self: selfCPU(), at: time.Now()}, err
}

// stopLoad ends the clients' loops and waits for their calls in flight.
func (r *running) stopLoad() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	r.wg.Wait()
}

// close stops the load, closes the sessions, stops the server and returns
// the number of lines it logged. It may be called more than once.
func (r *running) close() int {
	if r.closed {
		return r.logLines
	}
	r.closed = true
	if r.cancel != nil {
		r.cancel() // calls still in flight end now, even on a stuck server
	}
	r.stopLoad()
	for _, cs := range r.sessions {
		_ = cs.Close()
	}
	if r.cancel != nil {
		r.cancel()
	}
	if r.cmd != nil {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		_ = r.cmd.Wait()
	}
	if r.logFile != nil {
		if b, err := os.ReadFile(r.logFile.Name()); err == nil {
			r.logLines = strings.Count(string(b), "\n")
		}
		r.logFile.Close()
		if os.Getenv("LOADBENCH_KEEPLOGS") == "" {
			os.Remove(r.logFile.Name())
		}
	}
	if r.removeDir != "" {
		os.RemoveAll(r.removeDir)
	}
	return r.logLines
}

// count makes s.warmupCalls calls, zeroes callgrind's counters, makes
// s.calls calls and dumps the counters: the instructions per call of the
// server process, all threads, whatever the machine is doing meanwhile.
func (s runSpec) count(ctx context.Context, pid int, sessions []*mcp.ClientSession, out string) (result, error) {
	var errs atomic.Int64
	load := func(n int64) {
		var left atomic.Int64
		left.Store(n)
		var wg sync.WaitGroup
		params := &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}
		for _, cs := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for left.Add(-1) >= 0 {
					if res, err := cs.CallTool(ctx, params); err != nil || res.IsError {
						errs.Add(1)
					}
				}
			}()
		}
		wg.Wait()
	}
	control := func(arg string) error {
		if b, err := exec.Command("callgrind_control", arg, strconv.Itoa(pid)).CombinedOutput(); err != nil {
			return fmt.Errorf("callgrind_control %s: %v: %s", arg, err, b)
		}
		return nil
	}
	load(s.warmupCalls)
	if err := control("--zero"); err != nil {
		return result{}, err
	}
	load(s.calls)
	if err := control("--dump"); err != nil {
		return result{}, err
	}
	// --dump writes the counts since --zero to <out>.1; its "totals:"
	// line is the instructions of all threads.
	b, err := os.ReadFile(out + ".1")
	if err != nil {
		return result{}, fmt.Errorf("callgrind dump: %w", err)
	}
	var total float64
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "totals:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				total, _ = strconv.ParseFloat(f[0], 64)
			}
		}
	}
	if total == 0 {
		return result{}, fmt.Errorf("callgrind dump %s.1 has no totals line", out)
	}
	return result{kind: s.label, calls: s.calls, errors: errs.Load(), instrPerOp: total / float64(s.calls)}, nil
}

// bearer sends every request with the client's token.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// processCPU is the user and system time a process has used, and the
// system time alone, from /proc/PID/stat (fields 14 and 15, in clock ticks
// of 1/100 s).
func processCPU(pid int) (cpu, sys time.Duration, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest) // f[0] is field 3
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, err
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(utime+stime) * tick, time.Duration(stime) * tick, nil
}

// selfCPU is the user and system time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return "unknown CPU"
}

// logLevel is the server's LOG_LEVEL: LOADBENCH_LOG_LEVEL, else info, the
// default of a generated project.
func logLevel() string {
	if l := os.Getenv("LOADBENCH_LOG_LEVEL"); l != "" {
		return l
	}
	return "info"
}
