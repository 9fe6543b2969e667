package commands

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
	"synap/tenant"
)

// Each close for a protocol error doubles the tenant's wait at its next
// authentication, up to penaltyCeil; a quiet second halves it; other
// tenants wait nothing.
func TestClosePenaltyGrowsAndDecays(t *testing.T) {
	a, b := &tenant.Tenant{UserID: "a"}, &tenant.Tenant{UserID: "b"}
	t0 := time.Unix(1_000_000, 0)
	cases := []struct {
		name   string
		closes []time.Duration // of a, from t0
		at     time.Duration
		wantA  time.Duration
	}{
		{"never closed", nil, 0, 0},
		{"one close", []time.Duration{0}, 0, penaltyFloor},
		{"four closes in a row", []time.Duration{0, 1, 2, 3}, 3, 8 * penaltyFloor},
		{"capped", make([]time.Duration, 20), 0, penaltyCeil},
		{"a quiet second halves it", []time.Duration{0, 0, 0, 0}, time.Second, 4 * penaltyFloor},
		{"gone after quiet seconds", []time.Duration{0, 0, 0, 0}, 5 * time.Second, 0},
		{"a close after a quiet spell starts from the decayed wait", []time.Duration{0, 0, 0, 0, 2 * time.Second}, 2 * time.Second, 4 * penaltyFloor},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cp closePenalties
			for _, d := range tc.closes {
				cp.closed(a, t0.Add(d))
			}
			if got := cp.wait(a, t0.Add(tc.at)); got != tc.wantA {
				t.Errorf("wait(a) = %v, want %v", got, tc.wantA)
			}
			if got := cp.wait(b, t0.Add(tc.at)); got != 0 {
				t.Errorf("wait(b) = %v, want 0", got)
			}
			if tc.wantA == 0 && len(cp.m) != 0 {
				t.Errorf("%d entries left after the wait decayed", len(cp.m))
			}
		})
	}
}

// Tenants that were penalised once and never authenticate again do not
// keep their entries: a close past sweepAbove entries drops the decayed.
func TestClosePenaltiesSweptWhenDecayed(t *testing.T) {
	var cp closePenalties
	t0 := time.Unix(1_000_000, 0)
	for i := range 2 * sweepAbove {
		cp.closed(&tenant.Tenant{UserID: strconv.Itoa(i)}, t0)
	}
	if len(cp.m) != 2*sweepAbove {
		t.Fatalf("%d entries, want %d: swept while still penalised", len(cp.m), 2*sweepAbove)
	}
	late := &tenant.Tenant{UserID: "late"}
	cp.closed(late, t0.Add(time.Minute))
	if len(cp.m) != 1 {
		t.Fatalf("%d entries after the sweep, want the late one only", len(cp.m))
	}
	if got := cp.wait(late, t0.Add(time.Minute)); got != penaltyFloor {
		t.Errorf("late tenant waits %v, want %v", got, penaltyFloor)
	}
}

// A tenant reconnecting after each refused oversized argument (the
// noisy-neighbour benchmark's 100 MB row) is slowed at its AUTH, and only
// it: each round cost the server an accept, a session, an AUTH and a close
// with a reset, and 20 sockets of it took a core from every other tenant.
func TestHostileReconnectStormIsSlowed(t *testing.T) {
	f := startCluster(t)
	const closes = 5
	for range closes {
		carol := asWhenFree(t, f, "carol-rw") // max_payload_bytes: 60
		if err := carol.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$204800\r\n"); err != nil {
			t.Fatal(err)
		}
		if got := carol.Read(); got != "-QUOTA payload of at least 204801 bytes exceeds the limit of 60 bytes" {
			t.Fatalf("got %s", got)
		}
		hostileClosed(t, carol)
	}
	// 1, 2, 4, 8, 16 ms: the next AUTH waits at least 16 ms less what the
	// test's own time took off it.
	carol := asWhenFree(t, f, "carol-rw")
	_ = carol.Close()
	start := time.Now()
	carol = asWhenFree(t, f, "carol-rw")
	if took, least := time.Since(start), 8*penaltyFloor; took < least {
		t.Errorf("carol's AUTH after %d refusals took %v, want at least %v", closes, took, least)
	}
	hostileAlive(t, carol)
	// Only carol's tenant is penalised.
	f.srv.penalties.mu.Lock()
	for tn := range f.srv.penalties.m {
		if tn.UserID != "carol" {
			t.Errorf("tenant %q penalised", tn.UserID)
		}
	}
	n := len(f.srv.penalties.m)
	f.srv.penalties.mu.Unlock()
	if n != 1 {
		t.Errorf("%d tenants penalised, want carol's only", n)
	}
	hostileAlive(t, f.as(t, "alice-rw"))
}

// asWhenFree authenticates as id once the tenant's connection limit has
// room: a connection the server closed is counted until its goroutine ends.
func asWhenFree(t *testing.T, f *clusterFixture, id string) *resptest.Client {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := dial(t, f.srv)
		got := c.Do("AUTH", clusterSecret(id))
		if got == "+OK" {
			return c
		}
		_ = c.Close()
		if !strings.Contains(got, "connection limit reached") || time.Now().After(deadline) {
			t.Fatalf("AUTH as %s: %s", id, got)
		}
		time.Sleep(time.Millisecond)
	}
}
