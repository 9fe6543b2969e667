package hivehub

import (
	"errors"
	"testing"
	"time"

	"synap/tenant"
)

// ResolveCached answers what the cache holds, as Resolve would, and never
// calls HiveHub: not for a key it does not hold, nor for one whose answer
// expired (Resolve would wait for a call there).
func TestClientResolveCached(t *testing.T) {
	e := hubSetup(t, Options{PositiveTTL: time.Minute, NegativeTTL: 10 * time.Second, GracePeriod: time.Minute})
	const validate = "/api/v1/access-keys/validate"
	if _, err := e.c.ResolveCached("alice-secret"); !errors.Is(err, tenant.ErrNotCached) {
		t.Fatalf("before any Resolve: %v", err)
	}
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Resolve(hubCtx, "wrong-secret"); !errors.Is(err, tenant.ErrUnknownKey) {
		t.Fatal(err)
	}
	calls := e.calls(validate)
	check := func(when, key string, wantErr error) {
		t.Helper()
		p, err := e.c.ResolveCached(key)
		switch {
		case wantErr == nil && (err != nil || p == nil || p.UserID != "alice"):
			t.Errorf("%s: %s: %v, %v", when, key, p, err)
		case wantErr != nil && !errors.Is(err, wantErr):
			t.Errorf("%s: %s: %v, want %v", when, key, err, wantErr)
		}
	}
	check("fresh", "alice-secret", nil)
	check("fresh", "wrong-secret", tenant.ErrUnknownKey)
	check("fresh", "never-seen", tenant.ErrNotCached)
	check("fresh", "", tenant.ErrUnknownKey)
	e.clock.advance(40 * time.Second) // past PositiveTTL/2: Resolve would refresh in the background
	check("aging", "alice-secret", nil)
	check("aging", "wrong-secret", tenant.ErrNotCached) // the negative answer expired
	e.clock.advance(30 * time.Second)                   // past PositiveTTL, HiveHub answering
	check("expired", "alice-secret", tenant.ErrNotCached)
	if n := e.calls(validate) - calls; n != 0 {
		t.Errorf("ResolveCached made %d HiveHub calls", n)
	}
}
