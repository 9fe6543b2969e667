package commands

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"synap/engine"
	"synap/hivehub"
	"synap/resp/resptest"
)

// startHiveHubCluster runs cluster mode against a fake HiveHub over real
// HTTP, with the same tenants and keys as the tenants-file fixture.
func startHiveHubCluster(t *testing.T) (*Server, *hivehub.FakeServer, *hivehub.Client) {
	t.Helper()
	fake, err := hivehub.NewFake([]byte(clusterFile(clusterKeys)), "service-key")
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	client, err := hivehub.NewClient(hivehub.Options{BaseURL: fake.URL(), ServiceKey: "service-key",
		Timeout: 500 * time.Millisecond, PositiveTTL: time.Minute, GracePeriod: time.Minute, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := newTestServer(func(c *Config) { c.ClusterMode, c.AdminKey = true, clusterAdminKey })
	srv.Dir = client // before serving, as the binary does
	serveTest(t, srv)
	return srv, fake, client
}

func hiveAs(t *testing.T, srv *Server, id string) *resptest.Client {
	t.Helper()
	c := dial(t, srv)
	if got := c.Do("AUTH", clusterSecret(id)); got != "+OK" {
		t.Fatalf("AUTH %s: %s", id, got)
	}
	return c
}

func TestHiveHubClusterEndToEnd(t *testing.T) {
	srv, fake, client := startHiveHubCluster(t)
	a := hiveAs(t, srv, "alice-rw")
	runSteps(t, a, []step{
		{cmd: "SET k v", want: "+OK"},
		{cmd: "GET k", want: `"v"`},
	})
	c := dial(t, srv)
	runSteps(t, c, []step{
		{args: []string{"AUTH", "nope"}, want: "-WRONGPASS invalid username-password pair or user is disabled."},
		{args: []string{"AUTH", clusterSecret("alice-ro")}, want: "+OK"},
		{cmd: "SET k x", want: "-NOPERM User alice-ro has no permissions to run the 'set' command"},
	})

	// HiveHub goes down: keys validated before keep working, unknown ones
	// get the control-plane error, not WRONGPASS.
	if err := fake.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if got := a.Do("GET", "k"); got != `"v"` {
		t.Fatalf("validated key during the outage: %s", got)
	}
	if got := dial(t, srv).Do("AUTH", clusterSecret("bob-rw")); got != "-"+ErrControlPlane {
		t.Fatalf("unknown key during the outage: %s", got)
	}

	// Usage: counts made during the outage are kept and sent once it ends;
	// nothing is counted twice.
	ctx := context.Background()
	srv.ReportUsage(ctx, client) // fails: HiveHub is down
	if got := fake.Usage("alice").Reports; got != 0 {
		t.Fatalf("reports accepted while down: %d", got)
	}
	if err := fake.SetDown(false); err != nil {
		t.Fatal(err)
	}
	srv.ReportUsage(ctx, client)
	srv.ReportUsage(ctx, client) // nothing new: no second report
	u := fake.Usage("alice")
	want := srv.Tenants.Get("alice").Ops(time.Now())
	if u.Reports != 1 || u.Operations != want || u.StorageBytes != 2+engine.KeyCharge {
		t.Fatalf("usage at HiveHub %+v, want 1 report of %d operations and %d bytes", u, want, 2+engine.KeyCharge)
	}
}

// A fake HiveHub that answers 500 with garbage must not let anyone in.
func TestHiveHubLyingControlPlane(t *testing.T) {
	srv, fake, _ := startHiveHubCluster(t)
	fake.SetStatus(200)
	fake.SetBody(`{"valid": true, "user_id": "user:*", "key_id": "k", "permissions": ["admin"]}`)
	if got := dial(t, srv).Do("AUTH", clusterSecret("alice-rw")); got != "-"+ErrControlPlane {
		t.Fatalf("AUTH with a lying HiveHub: %s", got)
	}
	fake.SetBody(`{"valid": true, "user_id": "alice", "key_id": "k", "permissions": "admin"}`)
	if got := dial(t, srv).Do("AUTH", clusterSecret("bob-rw")); got != "-"+ErrControlPlane {
		t.Fatalf("AUTH with wrong types: %s", got)
	}
}

// lostAnswers reports through HiveHub but tells the caller it failed, as if
// the answer had been lost on the way back.
type lostAnswers struct{ r UsageReporter }

func (l lostAnswers) ReportUsage(ctx context.Context, user, id string, ops, bytes int64) error {
	if err := l.r.ReportUsage(ctx, user, id, ops, bytes); err != nil {
		return err
	}
	return errors.New("answer lost")
}

func TestUsageNeitherLostNorCountedTwice(t *testing.T) {
	srv, fake, client := startHiveHubCluster(t)
	a := hiveAs(t, srv, "alice-rw")
	for i := 0; i < 5; i++ {
		a.Do("SET", "k", "v")
	}
	ctx := context.Background()
	srv.ReportUsage(ctx, lostAnswers{client}) // counted by HiveHub, answer lost
	a.Do("GET", "k")                          // counted after the report was made
	srv.ReportUsage(ctx, client)              // the same report again: dropped as a copy
	srv.ReportUsage(ctx, client)              // then the GET
	want := srv.Tenants.Get("alice").Ops(time.Now())
	if u := fake.Usage("alice"); u.Operations != want || u.Reports != 2 {
		t.Fatalf("HiveHub counted %+v, want %d operations in 2 reports", u, want)
	}

	// HiveHub is down when the server stops: what is unsent is saved, and
	// the next run sends it, once.
	a.Do("SET", "k2", "v")
	a.Do("SET", "k3", "v")
	if err := fake.SetDown(true); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "usage.json")
	stop, cancel := context.WithCancel(ctx)
	cancel()
	srv.RunUsageReports(stop, client, time.Hour, state)
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("unsent usage not saved: %v", err)
	}
	if err := fake.SetDown(false); err != nil {
		t.Fatal(err)
	}
	next := startServer(t, func(c *Config) { c.ClusterMode, c.AdminKey = true, clusterAdminKey })
	if err := next.LoadUsage(state, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := next.LoadUsage(state, time.Now()); err != nil { // the file is gone: nothing added twice
		t.Fatal(err)
	}
	next.ReportUsage(ctx, client)
	if u := fake.Usage("alice"); u.Operations != want+2 {
		t.Fatalf("after the restart HiveHub counted %d operations, want %d", u.Operations, want+2)
	}
}
