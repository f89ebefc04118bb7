// Command clerkfake runs the fake Clerk on its own, to try the server and
// MCP clients without a Clerk instance. It prints the environment that
// points the server at it and two ready-made access tokens, one of each
// format; MCP clients that sign in get tokens from it too (it consents at
// once, as the default user).
//
// Usage:
//
//	go run ./internal/clerkfake/cmd/clerkfake [-addr 127.0.0.1:9000] [-format opaque|jwt]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/create-clerk-mcp/create-clerk-mcp/templates/runtime/clerkfake"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "address to listen on")
	format := flag.String("format", clerkfake.FormatOpaque, "access-token format the token endpoint mints: opaque or jwt")
	flag.Parse()
	if *format != clerkfake.FormatOpaque && *format != clerkfake.FormatJWT {
		fmt.Fprintln(os.Stderr, "clerkfake: -format must be opaque or jwt")
		os.Exit(2)
	}
	fake, err := clerkfake.StartAt(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "clerkfake:", err)
		os.Exit(1)
	}
	defer fake.Close()
	fake.SetTokenFormat(*format)
	jwt, err := fake.IssueJWT(clerkfake.TokenOptions{TTL: 24 * time.Hour})
	if err != nil {
		fmt.Fprintln(os.Stderr, "clerkfake:", err)
		os.Exit(1)
	}
	fmt.Printf("fake Clerk listening on %s (Ctrl-C stops it)\n\n", fake.URL)
	fmt.Println("Point the server at it:")
	for _, k := range []string{"CLERK_SECRET_KEY", "CLERK_FRONTEND_API_URL", "CLERK_API_URL"} {
		fmt.Printf("  export %s=%s\n", k, fake.Env()[k])
	}
	fmt.Printf("\nAccess tokens for %s, valid for a day:\n", clerkfake.DefaultUserID)
	fmt.Printf("  opaque: %s\n  JWT:    %s\n", fake.IssueOpaque(clerkfake.TokenOptions{TTL: 24 * time.Hour}), jwt)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
}
