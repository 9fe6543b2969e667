package commands

import (
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// A tenant's connections together send at most max_input_bytes_per_second:
// past a second's worth they are read more slowly, nothing is refused or
// lost, and another tenant is served meanwhile as if nothing happened.
func TestClusterInputPaced(t *testing.T) {
	f := startCluster(t)
	a1, a2 := f.as(t, "alice-rw"), f.as(t, "alice-rw")
	bob := f.as(t, "bob-rw")
	alice := f.srv.Tenants.Get("alice")
	l := alice.Limits()
	l.MaxInputBytesPerSecond = 1 << 20
	alice.SetLimits(l)
	// 3 MiB over two connections: 1 MiB at once, 2 MiB at 1 MiB/s.
	val := strings.Repeat("v", 128<<10)
	batch := func(prefix string) string {
		var b strings.Builder
		for i := range 12 {
			b.Write(resptest.Encode("SET", prefix+string(rune('a'+i)), val))
		}
		return b.String()
	}
	start := time.Now()
	done := make(chan time.Duration, 2)
	for _, c := range []*resptest.Client{a1, a2} {
		prefix := "k1"
		if c == a2 {
			prefix = "k2"
		}
		go func() {
			if err := c.Send(batch(prefix)); err != nil {
				t.Error(err)
			}
			for range 12 {
				if got := c.Read(); got != "+OK" {
					t.Errorf("SET: %q", got)
				}
			}
			done <- time.Since(start)
		}()
	}
	// Bob is not paced by alice's debt: his commands are answered while
	// hers wait.
	for i := range 50 {
		if got := bob.Do("SET", "b", "x"); got != "+OK" {
			t.Fatalf("bob's SET %d: %s", i, got)
		}
	}
	bobDone := time.Since(start)
	last := max(<-done, <-done)
	if last < 1800*time.Millisecond {
		t.Fatalf("3 MiB at 1 MiB/s (a second's worth at once) took %v", last)
	}
	if bobDone >= last {
		t.Fatalf("bob's 50 SETs ended after %v, alice's paced SETs after %v", bobDone, last)
	}
	for _, k := range []string{"k1a", "k1l", "k2a", "k2l"} {
		if got := a1.Do("STRLEN", k); got != ":131072" {
			t.Fatalf("STRLEN %s: %s", k, got)
		}
	}
}
