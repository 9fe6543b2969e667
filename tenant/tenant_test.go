package tenant

import (
	"testing"
	"time"
)

func TestAllows(t *testing.T) {
	all := []Need{NeedNone, NeedRead, NeedWrite, NeedDelete, NeedAdmin, NeedServer}
	cases := []struct {
		perms Perm
		ok    []Need
	}{
		{0, []Need{NeedNone}},
		{PermRead, []Need{NeedNone, NeedRead}},
		{PermWrite, []Need{NeedNone, NeedWrite}},
		{PermDelete, []Need{NeedNone, NeedDelete}},
		{PermRead | PermWrite, []Need{NeedNone, NeedRead, NeedWrite}},
		{PermAdmin, []Need{NeedNone, NeedRead, NeedWrite, NeedDelete, NeedAdmin}},
	}
	for _, c := range cases {
		p := &Principal{Perms: c.perms}
		for _, n := range all {
			want := false
			for _, ok := range c.ok {
				want = want || ok == n
			}
			if got := p.Allows(n); got != want {
				t.Errorf("%v allows %s = %v, want %v", c.perms.Names(), n, got, want)
			}
		}
	}
	op := &Principal{Operator: true}
	for _, n := range all {
		if !op.Allows(n) {
			t.Errorf("the operator is refused %s", n)
		}
	}
	if (&Principal{Perms: PermAdmin}).Allows(NeedUnset) {
		t.Error("an unset need is allowed: a table row without a derived need would be open")
	}
}

func TestSurfacesAndExpiry(t *testing.T) {
	mcp := &Principal{Surfaces: SurfaceMCP}
	if mcp.AllowsSurface(SurfaceRESP) || !mcp.AllowsSurface(SurfaceMCP) {
		t.Error("an MCP-only key")
	}
	if !(&Principal{}).AllowsSurface(SurfaceREST) {
		t.Error("no surfaces means all")
	}
	now := time.Now()
	if (&Principal{}).Expired(now) || !(&Principal{ExpiresAt: now}).Expired(now) || (&Principal{ExpiresAt: now.Add(time.Second)}).Expired(now) {
		t.Error("expiry")
	}
}

func TestValidUserID(t *testing.T) {
	for _, ok := range []string{"alice", "7c4e9a1e-0b1d-4c8e-9d6f-3f2a1b0c9d8e", "a.b_c-1"} {
		if !ValidUserID(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "a:b", "*", "user:*", "a b", "a\x00b", "ä", string(make([]byte, 129))} {
		if ValidUserID(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestWithDefaults(t *testing.T) {
	free := PlanDefaults["free"]
	l := Limits{StorageBytes: 10, MaxKeys: Unlimited}.WithDefaults("free")
	if l.StorageBytes != 10 || l.MaxKeys != Unlimited || l.RequestsPerSecond != free.RequestsPerSecond {
		t.Errorf("free with overrides: %+v", l)
	}
	if got := (Limits{}).WithDefaults("no-such-plan"); got != free {
		t.Errorf("unknown plan: %+v, want the free plan's", got)
	}
}

func TestOpsMonthBoundary(t *testing.T) {
	tn := &Tenant{}
	end := time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC)
	for i := 0; i < 5; i++ {
		tn.CountOp(end)
	}
	// 00:59:59 in a zone an hour east of UTC is still November in UTC.
	if tn.Ops(end.In(time.FixedZone("X", 3600))) != 5 {
		t.Fatal("months must be counted in UTC")
	}
	next := end.Add(2 * time.Second) // December, UTC
	if tn.Ops(end) != 5 || tn.Ops(next) != 0 {
		t.Fatalf("ops: %d in November, %d in December", tn.Ops(end), tn.Ops(next))
	}
	tn.CountOp(next)
	if tn.Ops(next) != 1 || tn.Unreported() != 6 {
		t.Fatalf("after the boundary: %d this month, %d unreported", tn.Ops(next), tn.Unreported())
	}
}

func TestBucket(t *testing.T) {
	tn := &Tenant{}
	tn.SetLimits(Limits{RequestsPerSecond: 10, Burst: 3})
	now := time.Now()
	for i := 0; i < 3; i++ {
		if ok, _ := tn.Allow(now); !ok {
			t.Fatalf("burst token %d refused", i)
		}
	}
	ok, retry := tn.Allow(now)
	if ok || retry != 100*time.Millisecond {
		t.Fatalf("past the burst: ok=%v retry=%v", ok, retry)
	}
	if ok, _ := tn.Allow(now.Add(100 * time.Millisecond)); !ok {
		t.Fatal("a token 100 ms later at 10/s")
	}
	tn.SetLimits(Limits{RequestsPerSecond: Unlimited})
	for i := 0; i < 1000; i++ {
		if ok, _ := tn.Allow(now); !ok {
			t.Fatal("unlimited rate refused")
		}
	}
}
