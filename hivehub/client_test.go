package hivehub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"synap/tenant"
	"synap/tenant/tenantsfile"
)

const (
	hubServiceKey = "svc-key"
	hubValidate   = "/api/v1/access-keys/validate"
	hubAliceQuota = "/api/v1/synap/users/alice/quota"
	hubTTL        = 30 * time.Second
)

func hubTenants(aliceStorage int64, aliceRW string) string {
	return `tenants:
  - user_id: alice
    plan: free
    limits:
      storage_limit_bytes: ` + strconv.FormatInt(aliceStorage, 10) + `
      max_keys: -1
      rate_limit: {requests_per_second: 10, burst: -1}
    keys:
` + aliceRW + `      - key_id: alice-old
        secret_sha256: ` + tenantsfile.HashKey("old-secret") + `
        permissions: [read]
        expires_at: "2001-01-01T00:00:00Z"
      - key_id: alice-off
        secret_sha256: ` + tenantsfile.HashKey("off-secret") + `
        permissions: [admin]
        disabled: true
  - user_id: bob
    plan: pro
    keys:
      - key_id: bob-admin
        secret_sha256: ` + tenantsfile.HashKey("bob-secret") + `
        permissions: [admin]
        expires_at: "2999-01-02T03:04:05Z"
`
}

const hubAliceRW = `      - key_id: alice-rw
        secret_sha256: ` + "%H%" + `
        permissions: [read, write]
        surfaces: [resp, mcp]
`

func hubAliceKey(perms string) string {
	return strings.Replace(strings.Replace(hubAliceRW, "%H%", tenantsfile.HashKey("alice-secret"), 1), "[read, write]", perms, 1)
}

// hubClock is a clock the test moves by hand.
type hubClock struct{ ns atomic.Int64 }

func (c *hubClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *hubClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// hubLog collects log output.
type hubLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *hubLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *hubLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type hubEnv struct {
	fake  *FakeServer
	c     *Client
	clock *hubClock
	log   *hubLog
}

// hubSetup starts a fake HiveHub and a client on a hand-moved clock.
func hubSetup(t *testing.T, o Options) *hubEnv {
	t.Helper()
	fake, err := NewFake([]byte(hubTenants(1000, hubAliceKey("[read, write]"))), hubServiceKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	e := &hubEnv{fake: fake, clock: &hubClock{}, log: &hubLog{}}
	e.clock.ns.Store(time.Now().UnixNano())
	o.BaseURL = fake.URL()
	if o.ServiceKey == "" {
		o.ServiceKey = hubServiceKey
	}
	o.Logger = slog.New(slog.NewTextHandler(e.log, nil))
	if e.c, err = NewClient(o); err != nil {
		t.Fatal(err)
	}
	e.c.now = e.clock.now
	e.c.born = e.clock.now()
	return e
}

func (e *hubEnv) calls(path string) int { return e.fake.Calls()[path] }

// hubEventually waits (bounded) for cond.
func hubEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

var hubCtx = context.Background()

func TestClientResolve(t *testing.T) {
	e := hubSetup(t, Options{})
	p, err := e.c.Resolve(hubCtx, "alice-secret")
	if err != nil {
		t.Fatal(err)
	}
	want := tenant.Principal{UserID: "alice", KeyID: "alice-rw", Plan: "free",
		Perms: tenant.PermRead | tenant.PermWrite, Surfaces: tenant.SurfaceRESP | tenant.SurfaceMCP}
	if *p != want {
		t.Fatalf("principal = %+v, want %+v", *p, want)
	}
	p, err = e.c.Resolve(hubCtx, "bob-secret")
	if err != nil {
		t.Fatal(err)
	}
	if p.UserID != "bob" || p.Plan != "pro" || p.Perms != tenant.PermAdmin || p.Surfaces != 0 ||
		!p.ExpiresAt.Equal(time.Date(2999, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("bob = %+v", p)
	}
	// unknown (404), expired (valid but past expires_at), disabled (valid: false)
	for _, key := range []string{"nobody", "old-secret", "off-secret"} {
		if _, err := e.c.Resolve(hubCtx, key); !errors.Is(err, tenant.ErrUnknownKey) {
			t.Errorf("Resolve(%q) = %v, want tenant.ErrUnknownKey", key, err)
		}
	}
	before := e.calls(hubValidate)
	for _, key := range []string{"", strings.Repeat("k", 5000)} {
		if _, err := e.c.Resolve(hubCtx, key); !errors.Is(err, tenant.ErrUnknownKey) {
			t.Errorf("Resolve(%.10q) = %v, want tenant.ErrUnknownKey", key, err)
		}
	}
	if n := e.calls(hubValidate); n != before {
		t.Errorf("empty and oversized keys made %d calls", n-before)
	}
}

func TestClientCacheAndRefresh(t *testing.T) {
	e := hubSetup(t, Options{PositiveTTL: hubTTL})
	for range 3 {
		if _, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.calls(hubValidate); n != 1 {
		t.Fatalf("3 resolves made %d calls, want 1", n)
	}
	// Past half the TTL the cached answer is served and refreshed behind.
	e.fake.SetTenants([]byte(hubTenants(1000, hubAliceKey("[read]"))))
	e.clock.advance(hubTTL/2 + time.Second)
	p, err := e.c.Resolve(hubCtx, "alice-secret")
	if err != nil || p.Perms != tenant.PermRead|tenant.PermWrite {
		t.Fatalf("aging entry: %+v %v, want the cached answer", p, err)
	}
	hubEventually(t, "the background refresh", func() bool {
		p, err := e.c.Resolve(hubCtx, "alice-secret")
		return err == nil && p.Perms == tenant.PermRead
	})
	if n := e.calls(hubValidate); n != 2 {
		t.Fatalf("calls = %d, want 2", n)
	}
	// Past the TTL the caller waits for a fresh answer.
	e.fake.SetTenants([]byte(hubTenants(1000, hubAliceKey("[delete]"))))
	e.clock.advance(hubTTL + time.Second)
	if p, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil || p.Perms != tenant.PermDelete {
		t.Fatalf("expired entry: %+v %v, want the new answer", p, err)
	}
	if n := e.calls(hubValidate); n != 3 {
		t.Fatalf("calls = %d, want 3", n)
	}
}

func TestClientSingleFlight(t *testing.T) {
	e := hubSetup(t, Options{})
	e.fake.SetLatency(200 * time.Millisecond)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			<-gate
			p, err := e.c.Resolve(hubCtx, "alice-secret")
			if err == nil && p.KeyID != "alice-rw" {
				err = errors.New("wrong principal " + p.KeyID)
			}
			errs <- err
		})
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.calls(hubValidate); n != 1 {
		t.Fatalf("50 concurrent resolves made %d calls, want 1", n)
	}
}

func TestClientCallerGivesUp(t *testing.T) {
	e := hubSetup(t, Options{})
	e.fake.SetLatency(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(hubCtx, 10*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.c.Resolve(hubCtx, "alice-secret")
		done <- err
	}()
	hubEventually(t, "the call to start", func() bool { return e.calls(hubValidate) == 1 })
	if _, err := e.c.Resolve(ctx, "alice-secret"); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("impatient caller: %v, want tenant.ErrUnavailable", err)
	}
	// The shared call goes on for the patient caller.
	if err := <-done; err != nil {
		t.Fatalf("patient caller: %v", err)
	}
	if n := e.calls(hubValidate); n != 1 {
		t.Fatalf("calls = %d, want 1", n)
	}
}

func TestClientNegativeCache(t *testing.T) {
	e := hubSetup(t, Options{NegativeTTL: 5 * time.Second})
	for range 3 {
		if _, err := e.c.Resolve(hubCtx, "new-secret"); !errors.Is(err, tenant.ErrUnknownKey) {
			t.Fatalf("%v, want tenant.ErrUnknownKey", err)
		}
	}
	if n := e.calls(hubValidate); n != 1 {
		t.Fatalf("calls = %d, want 1", n)
	}
	// The key is created; it works once the negative answer expires.
	e.fake.SetTenants([]byte(hubTenants(1000, hubAliceKey("[read, write]")+`      - key_id: alice-new
        secret_sha256: `+tenantsfile.HashKey("new-secret")+"\n")))
	e.clock.advance(4 * time.Second)
	if _, err := e.c.Resolve(hubCtx, "new-secret"); !errors.Is(err, tenant.ErrUnknownKey) {
		t.Fatalf("within the negative TTL: %v, want tenant.ErrUnknownKey", err)
	}
	e.clock.advance(2 * time.Second)
	if p, err := e.c.Resolve(hubCtx, "new-secret"); err != nil || p.KeyID != "alice-new" {
		t.Fatalf("after the negative TTL: %+v %v", p, err)
	}
}

func TestClientOutageGrace(t *testing.T) {
	e := hubSetup(t, Options{PositiveTTL: hubTTL, GracePeriod: 5 * time.Minute})
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Limits(hubCtx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.SetDown(true); err != nil {
		t.Fatal(err)
	}
	e.clock.advance(hubTTL + 2*time.Minute)
	for range 2 { // the second is answered from grace without waiting
		if p, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil || p.KeyID != "alice-rw" {
			t.Fatalf("known key during outage: %+v %v", p, err)
		}
		if l, err := e.c.Limits(hubCtx, "alice"); err != nil || l.StorageBytes != 1000 {
			t.Fatalf("known quota during outage: %+v %v", l, err)
		}
	}
	if _, err := e.c.Resolve(hubCtx, "bob-secret"); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("unvalidated key during outage: %v, want tenant.ErrUnavailable", err)
	}
	if _, err := e.c.Limits(hubCtx, "bob"); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("unfetched quota during outage: %v, want tenant.ErrUnavailable", err)
	}
	if !strings.Contains(e.log.String(), "serving access keys and quotas validated earlier") {
		t.Errorf("no grace warning in the log:\n%s", e.log)
	}
	e.clock.advance(3 * time.Minute) // past the grace period
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("after grace: %v, want tenant.ErrUnavailable", err)
	}
	if err := e.fake.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestClientServiceKeyRejected(t *testing.T) {
	e := hubSetup(t, Options{ServiceKey: "wrong"})
	for range 3 {
		if _, err := e.c.Resolve(hubCtx, "alice-secret"); !errors.Is(err, tenant.ErrUnavailable) {
			t.Fatalf("%v, want tenant.ErrUnavailable", err)
		}
	}
	if _, err := e.c.Limits(hubCtx, "alice"); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("limits: %v, want tenant.ErrUnavailable", err)
	}
	if n := e.calls(hubValidate); n != 3 {
		t.Errorf("calls = %d, want 3: a 401 is not retried nor cached", n)
	}
	out := e.log.String()
	if n := strings.Count(out, "REJECTS SYNAP'S SERVICE KEY"); n != 1 {
		t.Errorf("%d service key errors logged, want 1 a minute:\n%s", n, out)
	}
	if !strings.Contains(out, "level=ERROR") {
		t.Errorf("not logged as an error:\n%s", out)
	}
}

func TestClientRetries(t *testing.T) {
	e := hubSetup(t, Options{Retries: 2})
	e.fake.SetStatus(500)
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("%v, want tenant.ErrUnavailable", err)
	}
	if n := e.calls(hubValidate); n != 3 {
		t.Fatalf("calls = %d, want 1 + 2 retries", n)
	}
	// Known failing: one attempt per lookup until HiveHub answers again.
	if _, err := e.c.Resolve(hubCtx, "bob-secret"); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("%v, want tenant.ErrUnavailable", err)
	}
	if n := e.calls(hubValidate); n != 4 {
		t.Fatalf("calls = %d, want 4", n)
	}
	e.fake.SetStatus(0)
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil {
		t.Fatal(err)
	}
	e.fake.SetStatus(503)
	if _, err := e.c.Resolve(hubCtx, "bob-secret"); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("%v, want tenant.ErrUnavailable", err)
	}
	if n := e.calls(hubValidate); n != 8 {
		t.Fatalf("calls = %d, want 8 (retries again after a success)", n)
	}
	if !strings.Contains(e.log.String(), "HTTP 500") {
		t.Errorf("failure not logged:\n%s", e.log)
	}
}

func TestClientMalformedAnswers(t *testing.T) {
	good := `{"valid": true, "user_id": "u-1", "key_id": "k1", "plan": "pro", "permissions": ["read"], "surfaces": [], "expires_at": null}`
	bad := map[string]string{
		"truncated JSON":       `{"valid": tru`,
		"trailing data":        `{"valid": false} {}`,
		"not an object":        `[1, 2]`,
		"null":                 `null`,
		"no valid field":       `{"user_id": "u-1", "key_id": "k1"}`,
		"valid as a string":    `{"valid": "yes", "user_id": "u-1", "key_id": "k1"}`,
		"permissions a string": strings.Replace(good, `["read"]`, `"read"`, 1),
		"permissions numbers":  strings.Replace(good, `["read"]`, `[1]`, 1),
		"unknown permission":   strings.Replace(good, `["read"]`, `["root"]`, 1),
		"unknown surface":      strings.Replace(good, `"surfaces": []`, `"surfaces": ["ftp"]`, 1),
		"user_id with colon":   strings.Replace(good, `"u-1"`, `"a:b"`, 1),
		"user_id star":         strings.Replace(good, `"u-1"`, `"*"`, 1),
		"user_id empty":        strings.Replace(good, `"u-1"`, `""`, 1),
		"user_id a number":     strings.Replace(good, `"u-1"`, `7`, 1),
		"key_id with newline":  strings.Replace(good, `"k1"`, `"k1\r\n-OK"`, 1),
		"key_id empty":         strings.Replace(good, `"k1"`, `""`, 1),
		"expires_at not 3339":  strings.Replace(good, `null}`, `"tomorrow"}`, 1),
		"expires_at a number":  strings.Replace(good, `null}`, `1700000000}`, 1),
		"over 1 MB":            strings.Replace(good, `{`, `{"pad": "`+strings.Repeat("a", 1<<20)+`", `, 1),
	}
	e := hubSetup(t, Options{Retries: -1})
	e.fake.SetBody(good)
	if p, err := e.c.Resolve(hubCtx, "any"); err != nil || p.UserID != "u-1" || p.Perms != tenant.PermRead {
		t.Fatalf("well-formed answer: %+v %v", p, err)
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) { wantMalformed(t, body) })
	}
}

// wantMalformed checks that a validate answer of body makes Resolve fail as
// unavailable, logged as malformed: never a key granted or refused.
func wantMalformed(t *testing.T, body string) {
	t.Helper()
	e := hubSetup(t, Options{Retries: -1})
	e.fake.SetBody(body)
	if p, err := e.c.Resolve(hubCtx, "alice-secret"); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("Resolve = %+v %v, want tenant.ErrUnavailable", p, err)
	}
	if !strings.Contains(e.log.String(), "malformed answer") {
		t.Errorf("not logged as malformed:\n%s", e.log)
	}
}

func TestClientEndlessBody(t *testing.T) {
	e := hubSetup(t, Options{})
	e.fake.SetEndlessBody(`{"valid": true, "user_id": "`)
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("%v, want tenant.ErrUnavailable", err)
	}
	if n := e.calls(hubValidate); n != 3 {
		t.Fatalf("calls = %d, want 3", n)
	}
}

func TestClientTimeout(t *testing.T) {
	e := hubSetup(t, Options{Timeout: 50 * time.Millisecond, Retries: 1})
	e.fake.SetLatency(time.Minute)
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("%v, want tenant.ErrUnavailable", err)
	}
	if n := e.calls(hubValidate); n != 2 {
		t.Fatalf("calls = %d, want 2", n)
	}
}

func TestClientLimits(t *testing.T) {
	e := hubSetup(t, Options{})
	l, err := e.c.Limits(hubCtx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	free := tenant.PlanDefaults["free"]
	want := free
	want.StorageBytes, want.MaxKeys, want.RequestsPerSecond, want.Burst = 1000, tenant.Unlimited, 10, tenant.Unlimited
	if l != want {
		t.Fatalf("alice = %+v, want %+v", l, want)
	}
	if l, err := e.c.Limits(hubCtx, "bob"); err != nil || l != tenant.PlanDefaults["pro"] {
		t.Fatalf("bob = %+v %v, want the pro defaults", l, err)
	}
	if _, err := e.c.Limits(hubCtx, "alice"); err != nil {
		t.Fatal(err)
	}
	if n := e.calls(hubAliceQuota); n != 1 {
		t.Fatalf("alice's quota fetched %d times, want 1", n)
	}
	for range 2 {
		if _, err := e.c.Limits(hubCtx, "carol"); !errors.Is(err, tenant.ErrUnknownTenant) {
			t.Fatalf("carol: %v, want tenant.ErrUnknownTenant", err)
		}
	}
	if n := e.calls("/api/v1/synap/users/carol/quota"); n != 1 {
		t.Fatalf("carol's quota fetched %d times, want 1 (negative cache)", n)
	}
	for _, id := range []string{"a:b", "*", "../alice", ""} {
		if _, err := e.c.Limits(hubCtx, id); !errors.Is(err, tenant.ErrUnknownTenant) {
			t.Errorf("Limits(%q) = %v, want tenant.ErrUnknownTenant", id, err)
		}
	}
	q, err := e.c.Quota(hubCtx, "alice")
	if err != nil || q.Plan != "free" || q.StorageUsedBytes != 0 {
		t.Fatalf("quota = %+v %v", q, err)
	}
}

func TestClientLimitsAnswers(t *testing.T) {
	quota := func(fields string) string {
		return `{"user_id": "alice", "plan": "pro", "storage_used_bytes": 5, "monthly_operations_used": 6` + fields + `}`
	}
	pro := tenant.PlanDefaults["pro"]
	ok := map[string]struct {
		body string
		want tenant.Limits
	}{
		"missing means default": {quota(``), pro},
		"zero means default":    {quota(`, "storage_limit_bytes": 0, "rate_limit": {"burst": 0}`), pro},
		"null means default":    {quota(`, "max_keys": null, "rate_limit": null`), pro},
		"-1 means unlimited":    {quota(`, "storage_limit_bytes": -1, "rate_limit": {"requests_per_second": -1}`), func() tenant.Limits { l := pro; l.StorageBytes, l.RequestsPerSecond = -1, -1; return l }()},
		"values as given": {quota(`, "max_connections": 3, "max_payload_bytes": 4096, "rate_limit": {"requests_per_second": 7, "burst": 9}`), func() tenant.Limits {
			l := pro
			l.MaxConnections, l.MaxPayloadBytes, l.RequestsPerSecond, l.Burst = 3, 4096, 7, 9
			return l
		}()},
		"max_ttl_seconds if set":            {quota(`, "max_ttl_seconds": 60`), func() tenant.Limits { l := pro; l.MaxTTLSeconds = 60; return l }()},
		"eviction_policy if set":            {quota(`, "eviction_policy": "allkeys-lfu"`), func() tenant.Limits { l := pro; l.EvictionPolicy = "allkeys-lfu"; return l }()},
		"max_input_bytes_per_second if set": {quota(`, "max_input_bytes_per_second": 1048576`), func() tenant.Limits { l := pro; l.MaxInputBytesPerSecond = 1 << 20; return l }()},
		"max_input_bytes_per_second lifted": {quota(`, "max_input_bytes_per_second": -1`), func() tenant.Limits { l := pro; l.MaxInputBytesPerSecond = -1; return l }()},
	}
	for name, tc := range ok {
		t.Run(name, func(t *testing.T) {
			e := hubSetup(t, Options{Retries: -1})
			e.fake.SetBody(tc.body)
			if l, err := e.c.Limits(hubCtx, "alice"); err != nil || l != tc.want {
				t.Fatalf("Limits = %+v %v, want %+v", l, err, tc.want)
			}
		})
	}
	bad := map[string]string{
		"negative limit":        quota(`, "storage_limit_bytes": -2`),
		"negative rate":         quota(`, "rate_limit": {"burst": -5}`),
		"negative usage":        `{"user_id": "alice", "storage_used_bytes": -1}`,
		"limit as a string":     quota(`, "max_keys": "many"`),
		"limit as a fraction":   quota(`, "max_keys": 1.5`),
		"limit overflows int64": quota(`, "max_keys": 99999999999999999999`),
		"another user's quota":  `{"user_id": "bob"}`,
		"no user_id":            `{"plan": "pro"}`,
		"rate_limit a number":   quota(`, "rate_limit": 5`),
		"malformed JSON":        `{"user_id": "alice",`,
		"unknown eviction":      quota(`, "eviction_policy": "lru"`),
		"negative input rate":   quota(`, "max_input_bytes_per_second": -2`),
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			e := hubSetup(t, Options{Retries: -1})
			e.fake.SetBody(body)
			if l, err := e.c.Limits(hubCtx, "alice"); !errors.Is(err, tenant.ErrUnavailable) {
				t.Fatalf("Limits = %+v %v, want tenant.ErrUnavailable", l, err)
			}
		})
	}
}

func TestClientLimitsChangeAfterTTL(t *testing.T) {
	// Real time with a tiny TTL, as a deployment would see it.
	fake, err := NewFake([]byte(hubTenants(1000, hubAliceKey("[read]"))), hubServiceKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	c, err := NewClient(Options{BaseURL: fake.URL(), ServiceKey: hubServiceKey, PositiveTTL: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := c.Limits(hubCtx, "alice"); err != nil || l.StorageBytes != 1000 {
		t.Fatalf("%+v %v", l, err)
	}
	if err := fake.SetTenants([]byte(hubTenants(2000, hubAliceKey("[read]")))); err != nil {
		t.Fatal(err)
	}
	hubEventually(t, "the new quota", func() bool {
		l, err := c.Limits(hubCtx, "alice")
		return err == nil && l.StorageBytes == 2000
	})
}

func TestClientGeneration(t *testing.T) {
	e := hubSetup(t, Options{PositiveTTL: hubTTL})
	g0 := e.c.Generation()
	e.clock.advance(hubTTL / 4)
	if g := e.c.Generation(); g != g0+1 {
		t.Fatalf("after a tick: generation %d, want %d", g, g0+1)
	}
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Resolve(hubCtx, "bob-secret"); err != nil {
		t.Fatal(err)
	}
	// Refreshing to the same answer moves nothing.
	e.clock.advance(hubTTL + time.Second)
	if _, err := e.c.Resolve(hubCtx, "bob-secret"); err != nil {
		t.Fatal(err)
	}
	if n := e.c.changes.Load(); n != 0 {
		t.Fatalf("changes = %d after an unchanged refresh", n)
	}
	// Revoking alice's key moves the generation once the refresh sees it.
	e.fake.SetTenants([]byte(hubTenants(1000, "")))
	g1 := e.c.Generation()
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); !errors.Is(err, tenant.ErrUnknownKey) {
		t.Fatalf("revoked key: %v, want tenant.ErrUnknownKey", err)
	}
	if g := e.c.Generation(); g != g1+1 || e.c.changes.Load() != 1 {
		t.Fatalf("generation %d (changes %d), want %d", g, e.c.changes.Load(), g1+1)
	}
}

func TestClientCacheBounded(t *testing.T) {
	e := hubSetup(t, Options{MaxEntries: 3})
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := e.c.Resolve(hubCtx, "guess-"+strconv.Itoa(i)); !errors.Is(err, tenant.ErrUnknownKey) {
			t.Fatal(err)
		}
	}
	if n := e.c.keys.len(); n != 3 {
		t.Fatalf("cache holds %d entries, want 3", n)
	}
	// Unknown keys pushed out each other, not the key in use.
	before := e.calls(hubValidate)
	if _, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil {
		t.Fatal(err)
	}
	if n := e.calls(hubValidate); n != before {
		t.Fatalf("the valid key was evicted")
	}
	if _, err := e.c.Resolve(hubCtx, "guess-0"); !errors.Is(err, tenant.ErrUnknownKey) || e.calls(hubValidate) != before+1 {
		t.Fatalf("the oldest unknown key was not evicted: %v", err)
	}
}

func TestClientReportUsage(t *testing.T) {
	e := hubSetup(t, Options{})
	for _, u := range [][2]int64{{5, 100}, {7, 80}} {
		if err := e.c.ReportUsage(hubCtx, "alice", fmt.Sprint("r", u[0], "-", u[1]), u[0], u[1]); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := e.fake.Usage("alice"), (UsageTotals{Reports: 2, Operations: 12, StorageBytes: 80, ResourceName: "synap"}); got != want {
		t.Fatalf("usage = %+v, want %+v", got, want)
	}
	q, err := e.c.Quota(hubCtx, "alice")
	if err != nil || q.MonthlyOperationsUsed != 12 || q.StorageUsedBytes != 80 {
		t.Fatalf("quota after reports = %+v %v", q, err)
	}
	if err := e.c.ReportUsage(hubCtx, "carol", "r-c", 1, 1); !errors.Is(err, tenant.ErrUnknownTenant) {
		t.Fatalf("unknown tenant: %v, want tenant.ErrUnknownTenant", err)
	}
	e.fake.SetStatus(500)
	if err := e.c.ReportUsage(hubCtx, "alice", "r-a", 1, 1); !errors.Is(err, tenant.ErrUnavailable) {
		t.Fatalf("HiveHub failing: %v, want tenant.ErrUnavailable", err)
	}
	if n := e.calls("/api/v1/synap/users/alice/usage"); n != 3 {
		t.Fatalf("usage calls = %d, want 3 (no retry of a report)", n)
	}
}

func TestClientOptions(t *testing.T) {
	for _, u := range []string{"", "hivehub.example", "ftp://h", "http://"} {
		if _, err := NewClient(Options{BaseURL: u}); err == nil {
			t.Errorf("NewClient(%q) accepted", u)
		}
	}
	c, err := NewClient(Options{BaseURL: "https://h.example/base/"})
	if err != nil {
		t.Fatal(err)
	}
	o := c.opt
	if o.Timeout != 2*time.Second || o.Retries != 2 || o.PositiveTTL != 30*time.Second || o.NegativeTTL != 5*time.Second ||
		o.GracePeriod != 5*time.Minute || o.MaxEntries != 100_000 || c.base != "https://h.example/base" {
		t.Fatalf("defaults = %+v base %q", o, c.base)
	}
	var _ tenant.Directory = c
}

// Stats counts calls, cache hits and misses for /metrics.
func TestClientStats(t *testing.T) {
	e := hubSetup(t, Options{})
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := e.c.Resolve(ctx, "unknown-key"); err == nil {
			t.Fatal("an unknown key resolved")
		}
	}
	st := e.c.Stats()
	if st["calls_total"] != 1 || st["cache_misses_total"] != 1 || st["cache_hits_total"] != 1 || st["call_errors_total"] != 0 {
		t.Errorf("stats after a miss (HiveHub's 404) and a cached negative answer: %v", st)
	}
}
