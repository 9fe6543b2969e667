package hivehub

import (
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A HiveHub answer (or a proxy in front of it) that names a member twice or
// spells a contract name in another case is ambiguous: another decoder could
// read a different user_id from the very same bytes. Such an answer is
// malformed, handled like an outage: an unknown key is refused with the
// control-plane error, a key validated before keeps working through grace.
func TestHostileControlPlaneAmbiguousJSON(t *testing.T) {
	good := `{"valid": true, "user_id": "alice", "key_id": "k1", "plan": "pro", "permissions": ["read"], "surfaces": [], "expires_at": null}`
	validate := map[string]string{
		"duplicate user_id":      strings.Replace(good, `"user_id": "alice"`, `"user_id": "alice", "user_id": "bob"`, 1),
		"duplicate valid":        strings.Replace(good, `"valid": true`, `"valid": false, "valid": true`, 1),
		"duplicate permissions":  strings.Replace(good, `"permissions": ["read"]`, `"permissions": ["read"], "permissions": ["admin"]`, 1),
		"mis-cased User_Id":      strings.Replace(good, `"user_id": "alice"`, `"user_id": "alice", "User_Id": "bob"`, 1),
		"only mis-cased User_Id": strings.Replace(good, `"user_id": "alice"`, `"User_Id": "alice"`, 1),
		"mis-cased PERMISSIONS":  strings.Replace(good, `"permissions": ["read"]`, `"PERMISSIONS": ["admin"], "permissions": ["read"]`, 1),
		"Kelvin-sign key_id":     strings.Replace(good, `"key_id": "k1"`, `"key_id": "k1", "\u212aey_id": "k2"`, 1),
	}
	quota := `{"user_id": "alice", "plan": "pro", "storage_limit_bytes": 1000, "rate_limit": {"requests_per_second": 5, "burst": 5}}`
	quotas := map[string]string{
		"duplicate storage limit": strings.Replace(quota, `"storage_limit_bytes": 1000`, `"storage_limit_bytes": 1000, "storage_limit_bytes": -1`, 1),
		"mis-cased storage limit": strings.Replace(quota, `"storage_limit_bytes": 1000`, `"storage_limit_bytes": 1000, "Storage_Limit_Bytes": -1`, 1),
		"duplicate nested burst":  strings.Replace(quota, `"burst": 5`, `"burst": 5, "burst": -1`, 1),
		"mis-cased nested burst":  strings.Replace(quota, `"burst": 5`, `"burst": 5, "Burst": -1`, 1),
		"mis-cased user_id":       strings.Replace(quota, `"user_id": "alice"`, `"user_id": "alice", "USER_ID": "bob"`, 1),
	}

	t.Run("well-formed answers with extra fields are accepted", func(t *testing.T) {
		e := hubSetup(t, Options{Retries: -1})
		e.fake.SetBody(strings.Replace(good, `{`, `{"added_later": {"x": 1}, `, 1))
		if p, err := e.c.Resolve(hubCtx, "any"); err != nil || p.UserID != "alice" || p.KeyID != "k1" {
			t.Fatalf("Resolve = %+v %v", p, err)
		}
		e.fake.SetBody(strings.Replace(quota, `{`, `{"added_later": [1], `, 1))
		if l, err := e.c.Limits(hubCtx, "alice"); err != nil || l.StorageBytes != 1000 || l.Burst != 5 {
			t.Fatalf("Limits = %+v %v", l, err)
		}
	})
	for name, body := range validate {
		t.Run("validate/"+name, func(t *testing.T) { wantMalformed(t, body) })
	}
	for name, body := range quotas {
		t.Run("quota/"+name, func(t *testing.T) {
			e := hubSetup(t, Options{Retries: -1})
			e.fake.SetBody(body)
			if l, err := e.c.Limits(hubCtx, "alice"); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Limits = %+v %v, want ErrUnavailable", l, err)
			}
		})
	}
	t.Run("a key validated before rides through on grace", func(t *testing.T) {
		e := hubSetup(t, Options{Retries: -1, PositiveTTL: hubTTL, GracePeriod: 5 * time.Minute})
		if p, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil || p.KeyID != "alice-rw" {
			t.Fatalf("first Resolve = %+v %v", p, err)
		}
		e.fake.SetBody(validate["mis-cased User_Id"])
		e.clock.advance(hubTTL + time.Minute)
		// The expired answer is re-fetched and found malformed: the old one
		// stays in force instead of the ambiguous new one.
		if p, err := e.c.Resolve(hubCtx, "alice-secret"); err != nil || p.UserID != "alice" || p.KeyID != "alice-rw" {
			t.Fatalf("during a malformed answer: %+v %v, want the cached alice-rw", p, err)
		}
		if _, err := e.c.Resolve(hubCtx, "bob-secret"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("unknown key during a malformed answer: %v, want ErrUnavailable", err)
		}
	})
}

// openLogged writes body to a new tenants file and opens it, keeping what
// the directory logs.
func openLogged(t *testing.T, body string) (d *FileDirectory, path string, logs *hubLog) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "tenants.yaml")
	writeFile(t, path, body)
	logs = &hubLog{}
	d, err := OpenFile(path, slog.New(slog.NewTextHandler(logs, nil)))
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
			hubEventually(t, "the refused reload in the log", func() bool {
				return strings.Contains(logs.String(), "level=ERROR msg=\"tenants file not reloaded; keeping the previous directory\"")
			})
			// ...and so is SIGHUP's, which calls Reload.
			if err := d.Reload(); err == nil {
				t.Fatal("incomplete file reloaded without error")
			}
			for _, key := range []string{"alice-secret", "bob-secret"} {
				if _, err := d.Resolve(hubCtx, key); err != nil {
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
			if _, err := OpenFile(path, quietLog()); (err == nil) != legacy {
				t.Errorf("startup with the file: %v", err)
			}
		})
	}

	t.Run("an empty directory on purpose", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tenants.yaml")
		writeFile(t, path, full)
		d, err := OpenFile(path, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		writeFile(t, path, "tenants: []\ntenant_count: 0\n")
		if err := d.Reload(); err != nil {
			t.Fatalf("explicit empty directory refused: %v", err)
		}
		if _, err := d.Resolve(hubCtx, "alice-secret"); !errors.Is(err, ErrUnknownKey) {
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
			if _, err := OpenFile(path, quietLog()); err == nil || err.Error() != path+": "+want {
				t.Errorf("OpenFile(%q) = %v, want %q", body, err, want)
			}
		}
	})

	t.Run("a file without the trailer loads at startup, deprecated, and never reloads", func(t *testing.T) {
		legacy := strings.TrimSuffix(full, "tenant_count: 2\n")
		d, path, logs := openLogged(t, legacy)
		if !strings.Contains(logs.String(), "level=WARN msg=\"DEPRECATED: tenants file without a tenant_count trailer") {
			t.Errorf("no deprecation warning:\n%s", logs.String())
		}
		if _, err := d.Resolve(hubCtx, "bob-secret"); err != nil {
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
		if _, err := d.Limits(hubCtx, "carol"); err != nil {
			t.Fatalf("carol after the reload: %v", err)
		}
	})
}
