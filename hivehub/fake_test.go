package hivehub

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

// fakeDo sends a raw request to the fake and returns status and body.
func fakeDo(t *testing.T, f *FakeServer, method, path, auth, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(raw))
}

func fakeStart(t *testing.T) *FakeServer {
	t.Helper()
	f, err := NewFake([]byte(hubTenants(1000, hubAliceKey("[read, write]"))), hubServiceKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func fakeJSONEqual(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("answer %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("answer\n %s\nwant\n %s", gb, wb)
	}
}

func TestFakeEndpoints(t *testing.T) {
	f := fakeStart(t)
	bearer := "Bearer " + hubServiceKey
	steps := []struct {
		method, path, auth, body string
		status                   int
		want                     string // JSON, or "" for no body
	}{
		{"POST", hubValidate, bearer, `{"access_key": "alice-secret"}`, 200,
			`{"valid": true, "user_id": "alice", "key_id": "alice-rw", "plan": "free", "permissions": ["read", "write"], "surfaces": ["resp", "mcp"], "expires_at": null}`},
		{"POST", hubValidate, bearer, `{"access_key": "bob-secret"}`, 200,
			`{"valid": true, "user_id": "bob", "key_id": "bob-admin", "plan": "pro", "permissions": ["admin"], "surfaces": [], "expires_at": "2999-01-02T03:04:05Z"}`},
		{"POST", hubValidate, bearer, `{"access_key": "old-secret"}`, 200,
			`{"valid": true, "user_id": "alice", "key_id": "alice-old", "plan": "free", "permissions": ["read"], "surfaces": [], "expires_at": "2001-01-01T00:00:00Z"}`},
		{"POST", hubValidate, bearer, `{"access_key": "off-secret"}`, 200, `{"valid": false}`},
		{"POST", hubValidate, bearer, `{"access_key": "nobody"}`, 404, `{"valid": false, "error": "access key not found"}`},
		{"POST", hubValidate, bearer, `{"key": "alice-secret"}`, 400, ``},
		{"POST", hubValidate, "", `{"access_key": "alice-secret"}`, 401, `{"error": "invalid service key"}`},
		{"POST", hubValidate, "Bearer wrong", `{"access_key": "alice-secret"}`, 401, `{"error": "invalid service key"}`},
		{"GET", hubAliceQuota, bearer, ``, 200,
			`{"user_id": "alice", "plan": "free", "storage_limit_bytes": 1000, "storage_used_bytes": 0, "monthly_operations_limit": 0, "monthly_operations_used": 0, "max_keys": -1, "rate_limit": {"requests_per_second": 10, "burst": -1}, "max_connections": 0, "max_payload_bytes": 0}`},
		{"GET", "/api/v1/synap/users/carol/quota", bearer, ``, 404, `{"error": "user not found"}`},
		{"POST", "/api/v1/synap/users/alice/usage", bearer, `{"resource_type": "key_value", "resource_name": "synap", "message_count": 4, "storage_bytes": 300}`, 204, ``},
		{"POST", "/api/v1/synap/users/alice/usage", bearer, `{"resource_type": "queue", "resource_name": "synap", "message_count": 4, "storage_bytes": 300}`, 400, ``},
		{"POST", "/api/v1/synap/users/alice/usage", bearer, `{"resource_type": "key_value", "resource_name": "synap", "message_count": -4}`, 400, ``},
		{"POST", "/api/v1/synap/users/carol/usage", bearer, `{"resource_type": "key_value", "resource_name": "synap", "message_count": 1}`, 404, `{"error": "user not found"}`},
		{"GET", "/api/v1/synap/users/alice/quota", bearer, ``, 200,
			`{"user_id": "alice", "plan": "free", "storage_limit_bytes": 1000, "storage_used_bytes": 300, "monthly_operations_limit": 0, "monthly_operations_used": 4, "max_keys": -1, "rate_limit": {"requests_per_second": 10, "burst": -1}, "max_connections": 0, "max_payload_bytes": 0}`},
	}
	for i, s := range steps {
		status, body := fakeDo(t, f, s.method, s.path, s.auth, s.body)
		if status != s.status {
			t.Fatalf("step %d %s %s: status %d (%s), want %d", i, s.method, s.path, status, body, s.status)
		}
		if s.want != "" {
			fakeJSONEqual(t, body, s.want)
		}
	}
	if got, want := f.Usage("alice"), (UsageTotals{Reports: 1, Operations: 4, StorageBytes: 300, ResourceName: "synap"}); got != want {
		t.Fatalf("usage = %+v, want %+v", got, want)
	}
	calls := f.Calls()
	if calls[hubValidate] != 8 || calls[hubAliceQuota] != 2 || calls["/api/v1/synap/users/alice/usage"] != 3 {
		t.Fatalf("calls = %v", calls)
	}
}

func TestFakeRejectsBadTenants(t *testing.T) {
	if _, err := NewFake([]byte("tenants:\n  - user_id: 'a:b'\n"), "k"); err == nil {
		t.Fatal("a tenants file with an invalid user_id was accepted")
	}
	f := fakeStart(t)
	if err := f.SetTenants([]byte("tenants: [")); err == nil {
		t.Fatal("a broken tenants file was accepted")
	}
	// The data in force is kept.
	if status, _ := fakeDo(t, f, "POST", hubValidate, "Bearer "+hubServiceKey, `{"access_key": "alice-secret"}`); status != 200 {
		t.Fatalf("status %d after a rejected SetTenants", status)
	}
}

func TestFakeFaults(t *testing.T) {
	f := fakeStart(t)
	bearer := "Bearer " + hubServiceKey
	valid := `{"access_key": "alice-secret"}`

	f.SetStatus(503)
	if status, body := fakeDo(t, f, "POST", hubValidate, bearer, valid); status != 503 || !strings.Contains(body, "Service Unavailable") {
		t.Fatalf("SetStatus: %d %s", status, body)
	}
	f.SetBody(`{"valid": "yes"}`)
	if status, body := fakeDo(t, f, "GET", hubAliceQuota, "", ""); status != 503 || body != `{"valid": "yes"}` {
		t.Fatalf("SetBody with SetStatus: %d %s", status, body)
	}
	f.SetStatus(0)
	if status, body := fakeDo(t, f, "POST", hubValidate, bearer, valid); status != 200 || body != `{"valid": "yes"}` {
		t.Fatalf("SetBody: %d %s", status, body)
	}
	f.SetEndlessBody(`{"valid": true, "user_id": "`)
	req, _ := http.NewRequest("POST", f.URL()+hubValidate, strings.NewReader(valid))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 8<<20))
	resp.Body.Close()
	if err != nil || n != 8<<20 {
		t.Fatalf("endless body: read %d bytes, %v", n, err)
	}
	f.SetBody("")

	if err := f.SetDown(true); err != nil {
		t.Fatal(err)
	}
	_, err = http.Post(f.URL()+hubValidate, "application/json", strings.NewReader(valid))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("while down: %v, want connection refused", err)
	}
	if err := f.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if status, _ := fakeDo(t, f, "POST", hubValidate, bearer, valid); status != 200 {
		t.Fatalf("back up: status %d", status)
	}
	if n := f.Calls()[hubValidate]; n != 4 {
		t.Fatalf("validate calls = %d, want 4 (none while down)", n)
	}
}
