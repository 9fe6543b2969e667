// Command synap runs the Synap server.
package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"

	"synap/commands"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is the whole program; it returns the exit status.
func run(args []string, stderr io.Writer) int {
	kctx, cfg, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(stderr, "synap:", err)
		return 1
	}
	if kctx.Command() != "serve" {
		fmt.Fprintln(stderr, "synap: unknown command", kctx.Command())
		return 1
	}
	level, _ := parseLevel(cfg.LogLevel)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Bind, strconv.Itoa(cfg.Port)))
	if err != nil {
		log.Error("cannot listen", "err", err)
		return 1
	}
	log.Debug("configuration", "bind", cfg.Bind, "port", cfg.Port, "requirepass", cfg.RequirePass != "",
		"databases", cfg.Databases, "shards", cfg.Shards, "maxclients", cfg.MaxClients, "timeout", cfg.Timeout,
		"proto-max-bulk-len", cfg.ProtoMaxBulkLen, "client-query-buffer-limit", cfg.ClientQueryBufferLimit)
	threads := cfg.Threads
	if threads == 0 {
		threads = commands.AutoThreads(runtime.NumCPU())
	}
	runtime.GOMAXPROCS(threads)
	srv := commands.NewServer(cfg, log)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	log.Info("synap starting", "version", commands.Version, "pid", os.Getpid(), "shards", srv.Eng.Shards(), "databases", cfg.Databases, "threads", threads)
	srv.Start(ln)
	waitForStop(srv, sigs)
	log.Info("synap stopped")
	return 0
}

// waitForStop returns once srv has shut down: closed here on a signal, or by
// a client's SHUTDOWN. Close returns only after every client is disconnected.
func waitForStop(srv *commands.Server, sigs <-chan os.Signal) {
	select {
	case sig := <-sigs:
		srv.Log.Info("received signal, shutting down", "signal", sig.String())
		_ = srv.Close()
	case <-srv.Done():
	}
	<-srv.Done()
}
