package commands

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"synap/hivehub"
	"synap/resp/resptest"
	"synap/tenant"
)

// stepGenDir is HiveHub's client with a generation the test moves by
// hand: the client's own moves with time, and each move makes parked
// clients re-check, which would keep their keys fresh in the cache.
type stepGenDir struct {
	tenant.Directory
	gen atomic.Uint64
}

func (d *stepGenDir) Generation() uint64 { return d.gen.Load() }

// nothingYet reports whether c has no reply waiting within a moment.
func nothingYet(t *testing.T, c *resptest.Client) bool {
	t.Helper()
	_ = c.Conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err := c.R.Peek(1)
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// A write that readies a parked client re-checks that client's key before
// serving it, on the writer's goroutine. When the directory moved and the
// key's answer is no longer in the cache, that re-check would be a HiveHub
// call (up to the 3 s resolve timeout) paid by the writer for someone
// else's key. Now the writer answers at once, and the parked client is
// served, or refused, after its own goroutine's re-check. Before, the
// writer waited for HiveHub's delayed answer and had already served the
// parked client when its own reply came.
func TestHostileBlockedRecheckNotOnWritersTime(t *testing.T) {
	cases := []struct {
		name    string
		revoke  bool
		waiter  string // the parked client's reply
		llenAft string
	}{
		{"served", false, `["q" "x"]`, ":0"},
		{"revoked", true, wrongPass, ":1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, err := hivehub.NewFake([]byte(clusterFile(clusterKeys)), "service-key")
			if err != nil {
				t.Fatal(err)
			}
			if err := fake.Start("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = fake.Close() })
			client, err := hivehub.NewClient(hivehub.Options{BaseURL: fake.URL(), ServiceKey: "service-key",
				Timeout: 10 * time.Second, PositiveTTL: time.Second, GracePeriod: time.Minute,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			dir := &stepGenDir{Directory: client}
			srv := newTestServer(func(c *Config) { c.ClusterMode, c.AdminKey = true, clusterAdminKey })
			srv.Dir = dir
			serveTest(t, srv)

			waiter := hiveAs(t, srv, "alice-rw")
			park(t, srv, waiter, []string{"BLPOP", "q", "0"})
			time.Sleep(1100 * time.Millisecond) // alice-rw's answer expires in the cache
			pusher := hiveAs(t, srv, "alice-admin")
			if tc.revoke {
				if err := fake.SetTenants([]byte(clusterFile(keysWith("alice-rw", revoked)))); err != nil {
					t.Fatal(err)
				}
			}
			fake.SetLatency(2 * time.Second) // below the 3 s resolve timeout
			dir.gen.Add(1)

			if got := pusher.Do("LPUSH", "q", "x"); got != ":1" {
				t.Fatalf("push: %s", got)
			}
			if !nothingYet(t, waiter) {
				t.Fatal("the parked client was answered before the writer: the writer re-checked its key")
			}
			if got := waiter.Read(); got != tc.waiter {
				t.Errorf("parked client: %s, want %s", got, tc.waiter)
			}
			if got := pusher.Do("LLEN", "q"); got != tc.llenAft {
				t.Errorf("LLEN q after: %s, want %s", got, tc.llenAft)
			}
		})
	}
}
