package commands

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

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
	srv := startServer(t, func(c *Config) { c.ClusterMode, c.AdminKey = true, clusterAdminKey })
	srv.Dir = client
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
	if u.Reports != 1 || u.Operations != want || u.StorageBytes != 2 {
		t.Fatalf("usage at HiveHub %+v, want 1 report of %d operations and 2 bytes", u, want)
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
