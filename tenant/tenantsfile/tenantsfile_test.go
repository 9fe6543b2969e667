package tenantsfile

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"synap/tenant"
)

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func tenantsYAML(secretHash string, extra string) string {
	return `tenants:
  - user_id: alice
    plan: free
    limits:
      storage_limit_bytes: 1000
      rate_limit: {requests_per_second: 10, burst: -1}
    keys:
      - key_id: alice-rw
        secret_sha256: ` + secretHash + `
        permissions: [read, write]
        surfaces: [resp, mcp]
` + extra + "tenant_count: 1\n"
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDirectoryResolveAndLimits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	writeFile(t, path, tenantsYAML(HashKey("alice-secret"), `      - key_id: alice-old
        secret_sha256: `+HashKey("old-secret")+`
        permissions: [read]
        expires_at: "2001-01-01T00:00:00Z"
      - key_id: alice-off
        secret_sha256: `+HashKey("off-secret")+`
        permissions: [admin]
        disabled: true
`))
	d, err := Open(path, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	p, err := d.Resolve(ctx, "alice-secret")
	if err != nil {
		t.Fatal(err)
	}
	if p.UserID != "alice" || p.KeyID != "alice-rw" || p.Perms != tenant.PermRead|tenant.PermWrite ||
		p.Surfaces != tenant.SurfaceRESP|tenant.SurfaceMCP || p.Plan != "free" {
		t.Fatalf("principal = %+v", p)
	}
	for _, bad := range []string{"", "alice-secre", "alice-secret ", "old-secret", "off-secret", strings.Repeat("x", 1<<20)} {
		if _, err := d.Resolve(ctx, bad); !errors.Is(err, tenant.ErrUnknownKey) {
			t.Errorf("Resolve(%.20q) = %v, want tenant.ErrUnknownKey", bad, err)
		}
	}
	l, err := d.Limits(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	free := tenant.PlanDefaults["free"]
	if l.StorageBytes != 1000 || l.RequestsPerSecond != 10 || l.Burst != tenant.Unlimited || l.MaxConnections != free.MaxConnections {
		t.Fatalf("limits = %+v", l)
	}
	if _, err := d.Limits(ctx, "bob"); !errors.Is(err, tenant.ErrUnknownTenant) {
		t.Fatalf("Limits(bob) = %v", err)
	}
}

func TestDirectoryRejectsBadFiles(t *testing.T) {
	good := HashKey("k")
	cases := map[string]string{
		"unknown field":       "tenants:\n  - user_id: a\n    colour: red\n",
		"bad user id":         "tenants:\n  - user_id: 'a:b'\n",
		"glob user id":        "tenants:\n  - user_id: '*'\n",
		"duplicate tenant":    "tenants:\n  - user_id: a\n  - user_id: a\n",
		"bad hash":            "tenants:\n  - user_id: a\n    keys: [{key_id: k, secret_sha256: zz}]\n",
		"unknown permission":  "tenants:\n  - user_id: a\n    keys: [{key_id: k, secret_sha256: " + good + ", permissions: [root]}]\n",
		"unknown surface":     "tenants:\n  - user_id: a\n    keys: [{key_id: k, secret_sha256: " + good + ", surfaces: [ftp]}]\n",
		"bad expiry":          "tenants:\n  - user_id: a\n    keys: [{key_id: k, secret_sha256: " + good + ", expires_at: tomorrow}]\n",
		"negative limit":      "tenants:\n  - user_id: a\n    limits: {max_keys: -5}\n",
		"wrong type":          "tenants:\n  - user_id: a\n    limits: {max_keys: lots}\n",
		"unknown eviction":    "tenants:\n  - user_id: a\n    limits: {eviction_policy: lru}\n",
		"negative input rate": "tenants:\n  - user_id: a\n    limits: {max_input_bytes_per_second: -2}\n",
		"eviction in caps":    "tenants:\n  - user_id: a\n    limits: {eviction_policy: ALLKEYS-LRU}\n",
		"duplicate key id":    "tenants:\n  - user_id: a\n    keys: [{key_id: k, secret_sha256: " + good + "}, {key_id: k, secret_sha256: " + HashKey("j") + "}]\n",
		"shared secret":       "tenants:\n  - user_id: a\n    keys: [{key_id: k, secret_sha256: " + good + "}, {key_id: j, secret_sha256: " + good + "}]\n",
	}
	for name, body := range cases {
		if _, err := Parse([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A plan that evicts.
	c, err := Parse([]byte("tenants:\n  - user_id: a\n    limits: {eviction_policy: volatile-ttl}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l := c.limits["a"]; l.EvictionPolicy != "volatile-ttl" {
		t.Errorf("eviction_policy: %+v", l)
	}
	// A plan's bytes a second: as given, lifted, or the plan's default.
	for body, want := range map[string]int64{
		"tenants:\n  - user_id: a\n    limits: {max_input_bytes_per_second: 4096}\n": 4096,
		"tenants:\n  - user_id: a\n    limits: {max_input_bytes_per_second: -1}\n":   tenant.Unlimited,
		"tenants:\n  - user_id: a\n    plan: pro\n":                                  tenant.PlanDefaults["pro"].MaxInputBytesPerSecond,
	} {
		c, err := Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.limits["a"].MaxInputBytesPerSecond; got != want {
			t.Errorf("%q: max_input_bytes_per_second %d, want %d", body, got, want)
		}
	}
	// JSON is YAML too.
	if _, err := Parse([]byte(`{"tenants":[{"user_id":"a","keys":[{"key_id":"k","secret_sha256":"` + good + `"}]}]}`)); err != nil {
		t.Errorf("json: %v", err)
	}
}

func TestDirectoryReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	writeFile(t, path, tenantsYAML(HashKey("first"), ""))
	d, err := Open(path, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	gen := d.Generation()

	// Rotate: the old key is revoked, a new one added; the watcher must notice.
	writeFile(t, path, tenantsYAML(HashKey("second"), ""))
	waitFor(t, func() bool { _, err := d.Resolve(ctx, "second"); return err == nil })
	if _, err := d.Resolve(ctx, "first"); !errors.Is(err, tenant.ErrUnknownKey) {
		t.Fatalf("revoked key still resolves: %v", err)
	}
	if d.Generation() == gen {
		t.Fatal("generation did not move on reload")
	}

	// A broken file keeps the directory in force.
	gen = d.Generation()
	writeFile(t, path, "tenants: [ this is not valid")
	if err := d.Reload(); err == nil {
		t.Fatal("broken file reloaded without error")
	}
	if _, err := d.Resolve(ctx, "second"); err != nil {
		t.Fatalf("directory lost after a broken reload: %v", err)
	}
	if d.Generation() != gen {
		t.Fatal("generation moved on a failed reload")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestParseSharesEqualLimits: tenants with equal limits share one copy and
// each tenant still reads its own.
func TestParseSharesEqualLimits(t *testing.T) {
	c, err := Parse([]byte("tenants:\n  - user_id: a\n    limits: {max_keys: 5}\n  - user_id: b\n    limits: {max_keys: 5}\n" +
		"  - user_id: c\n    limits: {max_keys: 6}\n  - user_id: d\n    plan: pro\n    limits: {max_keys: 5}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.limits["a"] != c.limits["b"] {
		t.Error("equal limits not shared")
	}
	for id, want := range map[string]int64{"a": 5, "b": 5, "c": 6, "d": 5} {
		if got := c.limits[id].MaxKeys; got != want {
			t.Errorf("%s: max_keys %d, want %d", id, got, want)
		}
	}
	if *c.limits["d"] == *c.limits["a"] {
		t.Errorf("plan pro's defaults lost: d %+v, a %+v", *c.limits["d"], *c.limits["a"])
	}
}
