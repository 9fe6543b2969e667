package tenant

import (
	"sync"
	"testing"
)

// TestCommandCounts: counts per row, totals, rows never called read 0
// without being kept, and concurrent adds (new rows among them) lose no
// count.
func TestCommandCounts(t *testing.T) {
	c := NewCommandCounts(250)
	if c.Len() != 250 {
		t.Fatalf("Len %d", c.Len())
	}
	c.Add(0, 2)
	c.Add(249, 5)
	c.Add(17, 1)
	for _, tc := range []struct {
		row  int
		want int64
	}{{0, 2}, {249, 5}, {17, 1}, {1, 0}, {100, 0}} {
		if got := c.Load(tc.row); got != tc.want {
			t.Errorf("row %d: %d, want %d", tc.row, got, tc.want)
		}
	}
	if got := c.Total(); got != 8 {
		t.Errorf("Total %d, want 8", got)
	}
	if len(c.rows) != 3 {
		t.Errorf("%d rows kept for 3 rows called", len(c.rows))
	}

	var wg sync.WaitGroup
	d := NewCommandCounts(64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				d.Add((g+i)%64, 1)
			}
		}()
	}
	wg.Wait()
	if got := d.Total(); got != 8000 {
		t.Errorf("concurrent adds: total %d, want 8000", got)
	}
}

// TestRejectedCounts: a tenant never refused reads 0 for every reason, and
// concurrent first refusals (the counters allocated by one of them) lose
// no count.
func TestRejectedCounts(t *testing.T) {
	var tn Tenant
	for r := range rejectCount {
		if n := tn.RejectedCount(r); n != 0 {
			t.Fatalf("%v: %d before any refusal", r, n)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 700 {
				tn.Rejected(Reject((g + i) % int(rejectCount)))
			}
		}()
	}
	wg.Wait()
	for r := range rejectCount {
		if n := tn.RejectedCount(r); n != 800 {
			t.Errorf("%v: %d, want 800", r, n)
		}
	}
}

// TestLimitsShared: tenants given equal limits share one copy, a change
// reaches only the tenant it is made for, and past the table's bound a
// tenant still gets its own limits right.
func TestLimitsShared(t *testing.T) {
	var a, b Tenant
	l := Limits{StorageBytes: 1 << 20, MaxKeys: 77, EvictionPolicy: "allkeys-lru"}
	a.SetLimits(l)
	b.SetLimits(l)
	if a.limits.Load() != b.limits.Load() {
		t.Error("equal limits are not shared")
	}
	l2 := l
	l2.MaxKeys = 78
	b.SetLimits(l2)
	if a.Limits() != l || b.Limits() != l2 {
		t.Fatalf("a %+v, b %+v after changing b's", a.Limits(), b.Limits())
	}
	for i := range limitsInternMax + 10 {
		var c Tenant
		want := Limits{MaxKeys: int64(1000 + i)}
		c.SetLimits(want)
		if c.Limits() != want {
			t.Fatalf("tenant %d: %+v, want %+v", i, c.Limits(), want)
		}
	}
	if n := len(limitsInterned.m); n > limitsInternMax {
		t.Errorf("%d limits interned, bound %d", n, limitsInternMax)
	}
}

// The cost of counting a command batch on one tenant from many clients at
// once: go test -run '^$' -bench CommandCounts ./tenant
func BenchmarkCommandCountsParallel(b *testing.B) {
	c := NewCommandCounts(240)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c.Add(17+i%2, 1)
			i++
		}
	})
}
