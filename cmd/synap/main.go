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
	"synap/hivehub"
	"synap/tenant"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	kctx, cfg, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(stderr, "synap:", err)
		return 1
	}
	if kctx.Command() == "serve" {
		return serve(cfg, stderr)
	}
	kctx.BindTo(stdin, (*io.Reader)(nil))
	kctx.BindTo(stdout, (*io.Writer)(nil))
	if err := kctx.Run(); err != nil {
		fmt.Fprintln(stderr, "synap:", err)
		return 1
	}
	return 0
}

func serve(cfg commands.Config, stderr io.Writer) int {
	level, _ := parseLevel(cfg.LogLevel)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	var dir *hivehub.FileDirectory
	if cfg.ClusterMode {
		var err error
		if dir, err = hivehub.OpenFile(cfg.TenantsFile, log); err != nil {
			fmt.Fprintln(stderr, "synap: cannot load the tenants file:", err)
			return 1
		}
		defer dir.Close()
	} else if cfg.TenantsFile != "" || cfg.AdminKey != "" {
		log.Warn("tenants-file and admin-key are ignored without cluster-mode")
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Bind, strconv.Itoa(cfg.Port)))
	if err != nil {
		log.Error("cannot listen", "err", err)
		return 1
	}
	// Never the admin key or requirepass themselves: only whether they are set.
	log.Debug("configuration", "bind", cfg.Bind, "port", cfg.Port, "requirepass", cfg.RequirePass != "",
		"databases", cfg.Databases, "shards", cfg.Shards, "maxclients", cfg.MaxClients, "timeout", cfg.Timeout,
		"proto-max-bulk-len", cfg.ProtoMaxBulkLen, "client-query-buffer-limit", cfg.ClientQueryBufferLimit,
		"cluster-mode", cfg.ClusterMode, "tenants-file", cfg.TenantsFile, "admin-key", cfg.AdminKey != "")
	threads := cfg.Threads
	if threads == 0 {
		threads = commands.AutoThreads(runtime.NumCPU())
	}
	runtime.GOMAXPROCS(threads)
	srv := commands.NewServer(cfg, log)
	var hups chan os.Signal
	var reload func()
	if dir != nil {
		srv.Dir = dir
		srv.Tenants = tenant.NewRegistry(srv.Table.Count())
		// Only in cluster mode: in standalone SIGHUP keeps its default
		// action, as before cluster mode existed.
		hups = make(chan os.Signal, 1)
		signal.Notify(hups, syscall.SIGHUP)
		defer signal.Stop(hups)
		reload = func() {
			if err := dir.Reload(); err != nil {
				log.Error("tenants file not reloaded on SIGHUP; keeping the previous directory", "path", cfg.TenantsFile, "err", err)
				return
			}
			log.Info("tenants file reloaded on SIGHUP", "path", cfg.TenantsFile)
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	log.Info("synap starting", "version", commands.Version, "pid", os.Getpid(), "shards", srv.Eng.Shards(),
		"databases", cfg.Databases, "threads", threads, "cluster-mode", cfg.ClusterMode)
	srv.Start(ln)
	waitForStop(srv, sigs, hups, reload)
	log.Info("synap stopped")
	return 0
}

// waitForStop returns once srv has shut down: closed here on a signal, or by
// a client's SHUTDOWN. Close returns only after every client is disconnected.
// Each signal on hups calls reload; hups has its own channel so that a
// pending reload never crowds out a stop signal.
func waitForStop(srv *commands.Server, sigs, hups <-chan os.Signal, reload func()) {
	for {
		select {
		case sig := <-sigs:
			srv.Log.Info("received signal, shutting down", "signal", sig.String())
			_ = srv.Close()
		case <-hups:
			reload()
			continue
		case <-srv.Done():
		}
		break
	}
	<-srv.Done()
}
