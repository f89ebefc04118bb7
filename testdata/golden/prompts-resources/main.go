// Command surface is an MCP server whose tools are protected by Clerk OAuth.
//
// This file is yours to edit: create-clerk-mcp wrote it once and will not
// rewrite it. Register routes of your own on srv, and fill in tools.Deps
// with what your tools need.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/clerk/clerk-sdk-go/v2/user"

	"example.com/surface/internal/mcpserver"
	"example.com/surface/internal/server"
	"example.com/surface/tools"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(os.Stderr, "surface:", line)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	if err := mcpserver.LoadDotEnv(".env"); err != nil {
		return fmt.Errorf("reading .env: %w", err)
	}
	env, err := mcpserver.LoadEnv(os.Getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: env.LogLevel}))
	ln, err := net.Listen("tcp", env.ListenAddr())
	if err != nil {
		return err
	}
	env = env.WithListener(ln.Addr())

	deps := &tools.Deps{
		Users:  user.NewClient(env.ClerkClientConfig()),
		Logger: logger,
	}
	srv, err := server.New(env, deps, logger)
	if err != nil {
		ln.Close()
		return err
	}
	return mcpserver.Serve(ctx, ln, srv, env.PublicURL, logger)
}
