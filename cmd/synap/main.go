// Command synap runs the Synap server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"synap/commands"
	"synap/hivehub"
	"synap/httpapi"
	"synap/httpapi/mcp"
	"synap/persist"
	"synap/resp/server"
	"synap/sched"
	"synap/tenant"
	"synap/tenant/tenantsfile"
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
	kctx.Bind(hivehubDevLog{slog.New(slog.NewTextHandler(stderr, nil))})
	if err := kctx.Run(); err != nil {
		fmt.Fprintln(stderr, "synap:", err)
		return 1
	}
	return 0
}

func serve(set settings, stderr io.Writer) int {
	cfg, hub := set.Config, set.HiveHub
	level, _ := parseLevel(cfg.LogLevel)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	var file *tenantsfile.Directory
	var client *hivehub.Client
	switch {
	case cfg.ClusterMode && cfg.TenantsFile != "":
		var err error
		if file, err = tenantsfile.Open(cfg.TenantsFile, log); err != nil {
			fmt.Fprintln(stderr, "synap: cannot load the tenants file:", err)
			return 1
		}
		defer file.Close()
	case cfg.ClusterMode:
		grace := hub.Grace
		if grace == 0 {
			grace = -1 // the client reads 0 as its default
		}
		var err error
		client, err = hivehub.NewClient(hivehub.Options{BaseURL: hub.URL, ServiceKey: hub.ServiceKey,
			Timeout: hub.Timeout, PositiveTTL: hub.CacheTTL, NegativeTTL: hub.NegativeTTL,
			GracePeriod: grace, Logger: log})
		if err != nil {
			fmt.Fprintln(stderr, "synap:", err)
			return 1
		}
	case cfg.TenantsFile != "" || cfg.AdminKey != "" || hub.URL != "" || hub.ServiceKey != "":
		log.Warn("tenants-file, admin-key, hivehub-url and hivehub-service-key are ignored without cluster-mode")
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Bind, strconv.Itoa(cfg.Port)))
	if err != nil {
		log.Error("cannot listen", "err", err)
		return 1
	}
	// Never the secrets themselves: only whether they are set.
	log.Debug("configuration", "bind", cfg.Bind, "port", cfg.Port, "requirepass", cfg.RequirePass != "",
		"databases", cfg.Databases, "shards", cfg.Shards, "maxclients", cfg.MaxClients, "timeout", cfg.Timeout,
		"proto-max-bulk-len", cfg.ProtoMaxBulkLen, "client-query-buffer-limit", cfg.ClientQueryBufferLimit,
		"cluster-mode", cfg.ClusterMode, "tenants-file", cfg.TenantsFile, "admin-key", cfg.AdminKey != "",
		"hivehub-url", hub.URL, "hivehub-service-key", hub.ServiceKey != "", "hivehub-cache-ttl", hub.CacheTTL,
		"hivehub-negative-ttl", hub.NegativeTTL, "hivehub-timeout", hub.Timeout, "hivehub-grace", hub.Grace,
		"hivehub-report-interval", hub.ReportInterval)
	threads := cfg.Threads
	if threads == 0 {
		threads = commands.AutoThreads(runtime.NumCPU())
	}
	runtime.GOMAXPROCS(threads)
	sched.SetProcs(threads)
	if set.DebugPprof != "" {
		if _, err := startPprof(set.DebugPprof, log); err != nil {
			log.Error("cannot listen for debug-pprof", "addr", set.DebugPprof, "err", err)
			return 1
		}
	}
	var httpLn net.Listener
	if set.HTTP.Port >= 0 {
		// Opened before anything serves, so a port in use stops the start
		// with a clear error instead of a server without its HTTP surface.
		if httpLn, err = net.Listen("tcp", net.JoinHostPort(set.HTTP.Bind, strconv.Itoa(set.HTTP.Port))); err != nil {
			log.Error("cannot listen for HTTP", "err", err)
			_ = ln.Close()
			return 1
		}
	}
	srv := commands.NewServer(cfg, log)
	// Recovery comes before anything is served: a client must never see
	// the keyspace half loaded.
	var mgr *persist.Manager
	if persistOn(cfg) {
		fsync, _ := persist.ParseFsync(cfg.AppendFsync)
		mgr, err = persist.Open(srv, persist.Options{Dir: cfg.Dir, AppendOnly: cfg.AppendOnly, AppendFsync: fsync,
			AppendFilename: cfg.AppendFilename, DBFilename: cfg.DBFilename, Log: log})
		if err != nil {
			fmt.Fprintln(stderr, "synap:", err)
			_ = ln.Close()
			if httpLn != nil {
				_ = httpLn.Close()
			}
			return 1
		}
		if cfg.ClusterMode && hub.UsageFile == "" {
			// Persistence is on: the tenants' monthly counts are kept with
			// the data, as a restart must not hand out a fresh month.
			hub.UsageFile = filepath.Join(cfg.Dir, usageFileName)
		}
	} else {
		log.Info("persistence is off (appendonly no, save \"\"): a pure cache, nothing is kept across restarts")
	}
	var hups chan os.Signal
	var reload func()
	if cfg.ClusterMode {
		srv.Tenants = tenant.NewRegistry(srv.Table.Count())
		// Only in cluster mode: in standalone SIGHUP keeps its default
		// action, as before cluster mode existed.
		hups = make(chan os.Signal, 1)
		signal.Notify(hups, syscall.SIGHUP)
		defer signal.Stop(hups)
	}
	if file != nil {
		srv.Dir = file
		reload = func() {
			if err := file.Reload(); err != nil {
				log.Error("tenants file not reloaded on SIGHUP; keeping the previous directory", "path", cfg.TenantsFile, "err", err)
				return
			}
			log.Info("tenants file reloaded on SIGHUP", "path", cfg.TenantsFile)
		}
	}
	var stopReports func()
	if client != nil {
		srv.Dir = client
		// HiveHub's answers refresh themselves; SIGHUP must not stop a
		// server that was run with the same signals as the file mode.
		reload = func() { log.Info("SIGHUP: nothing to reload, the directory is HiveHub", "hivehub-url", hub.URL) }
		log.Info("cluster mode directory is HiveHub", "hivehub-url", hub.URL,
			"hivehub-report-interval", hub.ReportInterval.String())
	}
	if cfg.ClusterMode && hub.UsageFile == "" {
		log.Warn("no usage-file: each tenant's monthly operations count restarts with the process")
	}
	if cfg.ClusterMode && (client != nil || hub.UsageFile != "") {
		if hub.UsageFile != "" {
			if err := srv.LoadUsage(hub.UsageFile, time.Now()); err != nil {
				fmt.Fprintf(stderr, "synap: cannot load the usage file: %v\n", err)
				return 1
			}
		}
		var reporter commands.UsageReporter
		if client != nil {
			reporter = client
		}
		ctx, cancel := context.WithCancel(context.Background())
		reported := make(chan struct{})
		go func() {
			defer close(reported)
			srv.RunUsageReports(ctx, reporter, hub.ReportInterval, hub.UsageFile)
		}()
		// Called once every client is gone, so the last report and the
		// last save count their last commands too.
		stopReports = func() {
			cancel()
			<-reported
			log.Info("usage saved and reported a last time")
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	log.Info("synap starting", "version", commands.Version, "pid", os.Getpid(), "shards", srv.Eng.Shards(),
		"databases", cfg.Databases, "threads", threads, "cluster-mode", cfg.ClusterMode)
	var api *httpapi.API
	if httpLn != nil {
		opts := set.HTTP.Options
		if client != nil {
			opts.HubStats = client.Stats
		}
		opts.MCP = func(auth httpapi.Authenticator) http.Handler {
			return mcp.Handler(srv, mcp.Authenticator(auth), mcp.Options{AllowedOrigins: opts.AllowedOrigins, Logger: log})
		}
		api = httpapi.New(srv, opts)
		log.Info("serving HTTP", "addr", httpLn.Addr().String())
		go func() {
			if err := api.Serve(httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("HTTP surface stopped", "err", err)
			}
		}()
	}
	// After HTTP, so a log that says "serving RESP" has said all it will
	// about HTTP.
	server.Start(srv, ln)
	// Start-up's code (recovery, the libraries' initialisation) leaves the
	// resident set; what serving uses comes back from the file as it runs.
	log.Debug("released the executable's start-up pages", "bytes", releaseStartupPages())
	waitForStop(srv, sigs, hups, reload)
	if api != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = api.Shutdown(ctx)
		cancel()
	}
	if stopReports != nil {
		stopReports()
	}
	if mgr != nil {
		// After every client is gone and the usage is saved: the last
		// writes are in the log and the final snapshot, and the lock is
		// released last.
		if err := mgr.Close(srv.ShutdownMode()); err != nil {
			log.Error("persistence did not close cleanly", "err", err)
			return 1
		}
	}
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
