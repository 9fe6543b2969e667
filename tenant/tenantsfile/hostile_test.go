package tenantsfile

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"synap/tenant"
)

var ctx = context.Background()

// logBuffer collects log output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// eventually waits (bounded) for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// openLogged writes body to a new tenants file and opens it, keeping what
// the directory logs.
func openLogged(t *testing.T, body string) (d *Directory, path string, logs *logBuffer) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "tenants.yaml")
	writeFile(t, path, body)
	logs = &logBuffer{}
	d, err := Open(path, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d, path, logs
}

// twoTenants is a complete tenants file of alice and bob.
func twoTenants() string {
	return `tenants:
  - user_id: alice
    keys:
      - key_id: alice-rw
        secret_sha256: ` + HashKey("alice-secret") + `
        permissions: [read, write]
  - user_id: bob
    keys:
      - key_id: bob-rw
        secret_sha256: ` + HashKey("bob-secret") + `
        permissions: [read, write]
tenant_count: 2
`
}

// A tenants file caught half-written, emptied by a failed deployment, or
// cut at a tenant boundary parses as valid YAML; reloading it would revoke
// every key it left out. Such reloads are refused, loudly, and the last good
// directory stays in force.
func TestHostileControlPlaneIncompleteTenantsFile(t *testing.T) {
	full := twoTenants()
	cutAtBob := full[:strings.Index(full, "  - user_id: bob")]
	cases := map[string]string{
		"emptied to tenants: []":        "tenants: []\n",
		"zero bytes":                    "",
		"only whitespace":               "\n\n",
		"cut at a tenant boundary":      cutAtBob,
		"cut before the trailer":        strings.TrimSuffix(full, "tenant_count: 2\n"),
		"cut inside the trailer":        strings.TrimSuffix(full, " 2\n") + "\n",
		"count differs from tenants":    strings.Replace(full, "tenant_count: 2", "tenant_count: 3", 1),
		"cut at a boundary, count kept": cutAtBob + "tenant_count: 2\n",
		"trailer not last":              "tenant_count: 2\n" + strings.TrimSuffix(full, "tenant_count: 2\n"),
		"emptied, count kept":           "tenants: []\ntenant_count: 2\n",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			d, path, logs := openLogged(t, full)
			gen := d.Generation()
			writeFile(t, path, body)
			// The watcher's attempt is logged as an error...
			eventually(t, "the refused reload in the log", func() bool {
				return strings.Contains(logs.String(), "level=ERROR msg=\"tenants file not reloaded; keeping the previous directory\"")
			})
			// ...and so is SIGHUP's, which calls Reload.
			if err := d.Reload(); err == nil {
				t.Fatal("incomplete file reloaded without error")
			}
			for _, key := range []string{"alice-secret", "bob-secret"} {
				if _, err := d.Resolve(ctx, key); err != nil {
					t.Errorf("%s revoked by an incomplete file: %v", key, err)
				}
			}
			if d.Generation() != gen {
				t.Error("generation moved on a refused reload")
			}
			// Startup with the same file fails, except a file with no
			// trailer at all: that is the format from before the trailer,
			// loaded at startup with a deprecation warning (below).
			legacy := strings.TrimSpace(body) != "" && !strings.Contains(body, "tenant_count")
			if _, err := Open(path, quietLog()); (err == nil) != legacy {
				t.Errorf("startup with the file: %v", err)
			}
		})
	}

	t.Run("an empty directory on purpose", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tenants.yaml")
		writeFile(t, path, full)
		d, err := Open(path, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		writeFile(t, path, "tenants: []\ntenant_count: 0\n")
		if err := d.Reload(); err != nil {
			t.Fatalf("explicit empty directory refused: %v", err)
		}
		if _, err := d.Resolve(ctx, "alice-secret"); !errors.Is(err, tenant.ErrUnknownKey) {
			t.Fatalf("alice after an explicit empty directory: %v", err)
		}
		// JSON is YAML too; the trailer is its last member.
		writeFile(t, path, `{"tenants": [{"user_id": "alice", "keys": [{"key_id": "k", "secret_sha256": "`+HashKey("alice-secret")+`"}]}], "tenant_count": 1}`)
		if err := d.Reload(); err != nil {
			t.Fatalf("JSON file with its trailer: %v", err)
		}
	})

	t.Run("startup errors name the problem", func(t *testing.T) {
		for body, want := range map[string]string{
			"":                               "the file is empty; an empty directory is written `tenants: []` followed by `tenant_count: 0`",
			cutAtBob + "tenant_count: 2\n":   "tenant_count is 2 but 1 tenants are listed: the file is incomplete, or the count was not updated",
			"tenant_count: 0\ntenants: []\n": "tenant_count must be the last key of the file: it marks the file as complete",
		} {
			path := filepath.Join(t.TempDir(), "tenants.yaml")
			writeFile(t, path, body)
			if _, err := Open(path, quietLog()); err == nil || err.Error() != path+": "+want {
				t.Errorf("Open(%q) = %v, want %q", body, err, want)
			}
		}
	})

	t.Run("a file without the trailer loads at startup, deprecated, and never reloads", func(t *testing.T) {
		legacy := strings.TrimSuffix(full, "tenant_count: 2\n")
		d, path, logs := openLogged(t, legacy)
		if !strings.Contains(logs.String(), "level=WARN msg=\"DEPRECATED: tenants file without a tenant_count trailer") {
			t.Errorf("no deprecation warning:\n%s", logs.String())
		}
		if _, err := d.Resolve(ctx, "bob-secret"); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, legacy+"  - user_id: carol\n")
		err := d.Reload()
		if want := path + ": no tenant_count trailer, so a half-written file cannot be told from a complete one: end the file with the line `tenant_count: 3` (the number of tenants listed)"; err == nil || err.Error() != want {
			t.Fatalf("legacy reload: %v, want %q", err, want)
		}
		writeFile(t, path, legacy+"  - user_id: carol\ntenant_count: 3\n")
		if err := d.Reload(); err != nil {
			t.Fatalf("reload once the trailer is added: %v", err)
		}
		if _, err := d.Limits(ctx, "carol"); err != nil {
			t.Fatalf("carol after the reload: %v", err)
		}
	})
}
