// Command synap runs the Synap server.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"

	"synap/commands"
)

type serveCmd struct {
	Bind        string `default:"127.0.0.1" env:"SYNAP_BIND" help:"Address to listen on for RESP."`
	Port        int    `default:"6379" env:"SYNAP_PORT" help:"RESP port."`
	Requirepass string `env:"SYNAP_REQUIREPASS" help:"Password clients must AUTH with (standalone)."`
}

func (s *serveCmd) Run() error {
	cfg := commands.DefaultConfig()
	cfg.Bind, cfg.Port, cfg.RequirePass = s.Bind, s.Port, s.Requirepass
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv := commands.NewServer(cfg, log)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		_ = srv.Close()
	}()
	return srv.ListenAndServe()
}

type cli struct {
	Serve   serveCmd         `cmd:"" default:"withargs" help:"Run the server (default)."`
	Version kong.VersionFlag `help:"Print the version and exit."`
}

func main() {
	var c cli
	ctx := kong.Parse(&c, kong.Name("synap"), kong.Vars{"version": fmt.Sprintf("synap %s", commands.Version)})
	if err := ctx.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "synap:", err)
		os.Exit(1)
	}
}
