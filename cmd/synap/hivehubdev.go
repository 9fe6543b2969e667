package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"synap/hivehub"
)

const devServiceKey = "dev-service-key"

// hivehubDevCmd runs the fake HiveHub of the tests as a program, so cluster
// mode with HiveHub can be tried without a HiveHub.
type hivehubDevCmd struct {
	TenantsFile string `type:"path" required:"" placeholder:"FILE" help:"Tenants and access keys to serve (the tenants file format of cluster mode)."`
	Listen      string `default:"127.0.0.1:8080" help:"Address to serve HiveHub's API on."`
	ServiceKey  string `default:"${dev_service_key}" help:"The service key Synap must present."`
	AllowRemote bool   `help:"Allow a --listen address other machines can reach."`
}

// hivehubDevLog is where hivehub-dev logs; run binds it to stderr.
type hivehubDevLog struct{ *slog.Logger }

func (c *hivehubDevCmd) Run(stdout io.Writer, log hivehubDevLog) error {
	// The fake checks nothing but the service key, and the default one is
	// printed in this program's help: off loopback anyone could read the
	// tenants' plans and key ids.
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("--listen %s: want HOST:PORT, such as 127.0.0.1:8080", c.Listen)
	}
	if !c.AllowRemote && !loopback(c.Listen) {
		return fmt.Errorf("--listen %s is not a loopback address; hivehub-dev is for local testing (add --allow-remote to serve other machines anyway)", c.Listen)
	}
	data, err := os.ReadFile(c.TenantsFile)
	if err != nil {
		return fmt.Errorf("cannot load the tenants file: %w", err)
	}
	fake, err := hivehub.NewFake(data, c.ServiceKey)
	if err != nil {
		return fmt.Errorf("cannot load the tenants file: %s: %w", c.TenantsFile, err)
	}
	if c.ServiceKey == devServiceKey {
		log.Warn("using the default service key " + devServiceKey + ": for local testing only")
	}
	if c.AllowRemote && !loopback(c.Listen) {
		log.Warn("serving other machines; the tenants' key ids and plans are readable by anyone holding the service key", "listen", c.Listen)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	hups := make(chan os.Signal, 1)
	signal.Notify(hups, syscall.SIGHUP)
	defer signal.Stop(hups)
	if err := fake.Start(c.Listen); err != nil {
		return fmt.Errorf("cannot listen: %w", err)
	}
	defer fake.Close()
	url := fake.URL()
	log.Info("fake HiveHub serving", "url", url, "tenants-file", c.TenantsFile)
	fmt.Fprintf(stdout, "HiveHub (fake, for local testing) serving %s at %s\nStart synap against it with:\n\n"+
		"  synap --cluster-mode --hivehub-url %s --hivehub-service-key %s --admin-key %s\n\n"+
		"(the admin key above is new and random; any key of at least 16 bytes works)\n",
		c.TenantsFile, url, url, shellQuote(c.ServiceKey), newAccessKey())
	for {
		select {
		case <-ctx.Done():
			log.Info("fake HiveHub stopped")
			return nil
		case <-hups:
			data, err := os.ReadFile(c.TenantsFile)
			if err == nil {
				err = fake.ReloadTenants(data)
			}
			if err != nil {
				log.Error("tenants file not reloaded on SIGHUP; keeping the previous tenants", "path", c.TenantsFile, "err", err)
				continue
			}
			log.Info("tenants file reloaded on SIGHUP", "path", c.TenantsFile)
		}
	}
}

// loopback reports whether addr (host:port) can only be reached from this
// machine. An empty host listens on every interface.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// shellQuote makes s one word for a POSIX shell, for commands printed to be
// pasted.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
