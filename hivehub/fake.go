package hivehub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"synap/tenant"
	"synap/tenant/tenantsfile"
)

// FakeServer is a stand-in for HiveHub's Synap API, serving the tenants and
// keys of a tenants file, with faults that can be switched on: an outage,
// latency, a status or a body for every call. It is a plain net/http server
// so that it can also run on its own.
type FakeServer struct {
	serviceKey string
	mux        *http.ServeMux

	mu      sync.Mutex
	data    *fakeData
	addr    string
	srv     *http.Server
	down    bool
	latency time.Duration
	status  int
	body    string
	endless bool
	calls   map[string]int
	usage   map[string]UsageTotals
	// seenReports drops a usage report sent again after its answer was lost.
	seenReports map[string]bool
}

// UsageTotals sums the usage reports received for a tenant.
type UsageTotals struct {
	Reports      int
	Operations   int64  // message_count, summed
	StorageBytes int64  // storage_bytes of the latest report
	ResourceName string // of the latest report
}

type fakeData struct {
	snap     *tenantsfile.Contents
	disabled map[[32]byte]bool
	tenants  map[string]tenantsfile.Tenant
}

// NewFake makes a fake HiveHub serving the tenants file content. Calls must
// carry serviceKey as a bearer token.
func NewFake(tenantsFile []byte, serviceKey string) (*FakeServer, error) {
	f := &FakeServer{serviceKey: serviceKey, mux: http.NewServeMux(),
		calls: map[string]int{}, usage: map[string]UsageTotals{}, seenReports: map[string]bool{}}
	if err := f.SetTenants(tenantsFile); err != nil {
		return nil, err
	}
	f.mux.HandleFunc("POST /api/v1/access-keys/validate", f.validate)
	f.mux.HandleFunc("GET /api/v1/synap/users/{user_id}/quota", f.quota)
	f.mux.HandleFunc("POST /api/v1/synap/users/{user_id}/usage", f.reportUsage)
	return f, nil
}

// SetTenants replaces the tenants and keys served.
func (f *FakeServer) SetTenants(tenantsFile []byte) error {
	snap, err := tenantsfile.Parse(tenantsFile)
	if err != nil {
		return err
	}
	// The snapshot has the plan defaults filled in and disabled keys left
	// out; HiveHub reports limits as set and disabled keys as invalid, so
	// the file is read once more as written.
	var raw tenantsfile.File
	if err := yaml.Unmarshal(tenantsFile, &raw); err != nil {
		return err
	}
	d := &fakeData{snap: snap, disabled: map[[32]byte]bool{}, tenants: map[string]tenantsfile.Tenant{}}
	for _, t := range raw.Tenants {
		d.tenants[t.UserID] = t
		for _, k := range t.Keys {
			if k.Disabled {
				var h [32]byte
				sum, _ := hex.DecodeString(strings.TrimSpace(k.SecretSHA256))
				copy(h[:], sum)
				d.disabled[h] = true
			}
		}
	}
	f.mu.Lock()
	f.data = d
	f.mu.Unlock()
	return nil
}

// ReloadTenants is SetTenants for a file re-read while serving: as in
// tenantsfile.Directory, a file without its tenant_count trailer, or with a wrong
// one, is refused, so a half-written file cannot revoke every key.
func (f *FakeServer) ReloadTenants(tenantsFile []byte) error {
	snap, err := tenantsfile.Parse(tenantsFile)
	if err != nil {
		return err
	}
	if err := snap.Reloadable(); err != nil {
		return err
	}
	return f.SetTenants(tenantsFile)
}

// Start listens on addr (e.g. 127.0.0.1:0) and serves in the background.
func (f *FakeServer) Start(addr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		return errors.New("hivehub fake: already started")
	}
	return f.listen(addr)
}

func (f *FakeServer) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	f.addr = ln.Addr().String()
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second}
	go f.srv.Serve(ln)
	return nil
}

// URL is the base URL to give a Client.
func (f *FakeServer) URL() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return "http://" + f.addr
}

// Close stops the server and drops its connections.
func (f *FakeServer) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = true
	if f.srv == nil {
		return nil
	}
	return f.srv.Close()
}

// SetDown takes the server off the network (connections refused, open ones
// dropped) or brings it back on the same address.
func (f *FakeServer) SetDown(down bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv == nil || down == f.down {
		f.down = down
		return nil
	}
	f.down = down
	if down {
		return f.srv.Close()
	}
	return f.listen(f.addr)
}

// SetLatency delays every answer by d.
func (f *FakeServer) SetLatency(d time.Duration) {
	f.mu.Lock()
	f.latency = d
	f.mu.Unlock()
}

// SetStatus answers every call with code (0: normal answers again). With
// SetBody the body is sent with this status instead of 200.
func (f *FakeServer) SetStatus(code int) {
	f.mu.Lock()
	f.status = code
	f.mu.Unlock()
}

// SetBody answers every call with raw ("" : normal answers again).
func (f *FakeServer) SetBody(raw string) {
	f.mu.Lock()
	f.body, f.endless = raw, false
	f.mu.Unlock()
}

// SetEndlessBody answers every call with prefix followed by filler that
// never ends, until the client hangs up.
func (f *FakeServer) SetEndlessBody(prefix string) {
	f.mu.Lock()
	f.body, f.endless = prefix, true
	f.mu.Unlock()
}

// Calls counts the requests received per URL path.
func (f *FakeServer) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

// Usage is what a tenant reported so far.
func (f *FakeServer) Usage(userID string) UsageTotals {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.usage[userID]
}

// ServeHTTP applies the faults, checks the service key and answers.
func (f *FakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls[r.URL.Path]++
	latency, status, body, endless := f.latency, f.status, f.body, f.endless
	f.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if body != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(max(status, http.StatusOK))
		if !endless {
			_, _ = w.Write([]byte(body))
			return
		}
		if _, err := w.Write([]byte(body)); err != nil {
			return
		}
		filler := []byte(strings.Repeat("x", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(filler); err != nil {
				return
			}
		}
		return
	}
	if status != 0 {
		fakeJSON(w, status, map[string]string{"error": http.StatusText(status)})
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.serviceKey {
		fakeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid service key"})
		return
	}
	f.mux.ServeHTTP(w, r)
}

func fakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fakeDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fakeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return false
	}
	return true
}

var fakeSurfaces = []tenant.Surface{tenant.SurfaceRESP, tenant.SurfaceREST, tenant.SurfaceWebSocket, tenant.SurfaceMCP}

func (f *FakeServer) validate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AccessKey string `json:"access_key"`
	}
	if !fakeDecode(w, r, &in) {
		return
	}
	h := sha256.Sum256([]byte(in.AccessKey))
	f.mu.Lock()
	d := f.data
	f.mu.Unlock()
	p, ok := d.snap.Principal(h)
	switch {
	case d.disabled[h]:
		fakeJSON(w, http.StatusOK, map[string]any{"valid": false})
		return
	case !ok:
		fakeJSON(w, http.StatusNotFound, map[string]any{"valid": false, "error": "access key not found"})
		return
	}
	// Expired keys are answered as stored: the client must check expires_at.
	var expires any
	if !p.ExpiresAt.IsZero() {
		expires = p.ExpiresAt.Format(time.RFC3339)
	}
	surfaces := []string{}
	for _, s := range fakeSurfaces {
		if p.Surfaces&s != 0 {
			surfaces = append(surfaces, s.String())
		}
	}
	fakeJSON(w, http.StatusOK, map[string]any{"valid": true, "user_id": p.UserID, "key_id": p.KeyID,
		"plan": p.Plan, "permissions": append([]string{}, p.Perms.Names()...), "surfaces": surfaces,
		"expires_at": expires})
}

func (f *FakeServer) quota(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("user_id")
	f.mu.Lock()
	t, ok := f.data.tenants[id]
	used := f.usage[id]
	f.mu.Unlock()
	if !ok {
		fakeJSON(w, http.StatusNotFound, map[string]string{"error": "user not found"})
		return
	}
	plan := t.Plan
	if plan == "" {
		plan = "free"
	}
	l := t.Limits
	out := map[string]any{"user_id": id, "plan": plan,
		"storage_limit_bytes": l.StorageLimitBytes, "storage_used_bytes": used.StorageBytes,
		"monthly_operations_limit": l.MonthlyOperationsLimit, "monthly_operations_used": used.Operations,
		"max_keys":        l.MaxKeys,
		"rate_limit":      map[string]int64{"requests_per_second": l.RateLimit.RequestsPerSecond, "burst": l.RateLimit.Burst},
		"max_connections": l.MaxConnections, "max_payload_bytes": l.MaxPayloadBytes}
	if l.MaxTTLSeconds != 0 {
		out["max_ttl_seconds"] = l.MaxTTLSeconds
	}
	if l.MaxInputBytesPerSecond != 0 {
		out["max_input_bytes_per_second"] = l.MaxInputBytesPerSecond
	}
	if l.EvictionPolicy != "" {
		out["eviction_policy"] = l.EvictionPolicy
	}
	fakeJSON(w, http.StatusOK, out)
}

func (f *FakeServer) reportUsage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("user_id")
	var in struct {
		ResourceType string `json:"resource_type"`
		ResourceName string `json:"resource_name"`
		MessageCount int64  `json:"message_count"`
		StorageBytes int64  `json:"storage_bytes"`
		ReportID     string `json:"report_id"`
	}
	if !fakeDecode(w, r, &in) {
		return
	}
	if in.ResourceType != "key_value" || in.ResourceName == "" || in.MessageCount < 0 || in.StorageBytes < 0 {
		fakeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("invalid usage report %+v", in)})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.data.tenants[id]; !ok {
		fakeJSON(w, http.StatusNotFound, map[string]string{"error": "user not found"})
		return
	}
	if in.ReportID != "" {
		if f.seenReports[in.ReportID] {
			w.WriteHeader(http.StatusNoContent) // a resent copy: accepted, not counted again
			return
		}
		f.seenReports[in.ReportID] = true
	}
	u := f.usage[id]
	u.Reports++
	u.Operations += in.MessageCount
	u.StorageBytes = in.StorageBytes
	u.ResourceName = in.ResourceName
	f.usage[id] = u
	w.WriteHeader(http.StatusNoContent)
}
