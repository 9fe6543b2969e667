package hivehub

import (
	"errors"
	"strings"
	"testing"
	"time"

	"synap/tenant"
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
			if l, err := e.c.Limits(hubCtx, "alice"); !errors.Is(err, tenant.ErrUnavailable) {
				t.Fatalf("Limits = %+v %v, want tenant.ErrUnavailable", l, err)
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
		if _, err := e.c.Resolve(hubCtx, "bob-secret"); !errors.Is(err, tenant.ErrUnavailable) {
			t.Fatalf("unknown key during a malformed answer: %v, want tenant.ErrUnavailable", err)
		}
	})
}
