// Package servertest serves an in-process Synap on a loopback port, for
// the tests of packages that talk to it over the network as a client
// would (the compatibility suite, the benchmarks' load generator).
package servertest

import (
	"io"
	"log/slog"
	"net"
	"testing"

	"synap/commands"
	"synap/resp/server"
)

// Start serves cfg until the test ends, logging nothing, and returns the
// server (its Addr is the port it listens on).
func Start(tb testing.TB, cfg commands.Config) *commands.Server {
	tb.Helper()
	return Serve(tb, commands.NewServer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil))))
}

// Serve serves srv, built and prepared by the caller (a tenant directory
// set, say), on a loopback port until the test ends, and returns it.
func Serve(tb testing.TB, srv *commands.Server) *commands.Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	server.Start(srv, ln)
	tb.Cleanup(func() { _ = srv.Close() })
	return srv
}
