package commands

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/tenant"
	"synap/tenant/tenantsfile"
)

// monthlyTenants has one tenant, dora, whose only limit is 10 operations a
// month, so nothing else can refuse her commands.
func monthlyTenants() string {
	return "tenants:\n  - user_id: dora\n    plan: pro\n" +
		"    limits: {storage_limit_bytes: -1, monthly_operations_limit: 10, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: -1}\n" +
		"    keys:\n      - key_id: dora-rw\n        secret_sha256: " + tenantsfile.HashKey("dora-secret") + "\n        permissions: [read, write]\n" +
		"tenant_count: 1\n"
}

// monthlyRun is one run of a cluster-mode server with a usage file, wired
// as the binary wires it: the usage file is taken back before serving and
// saved by RunUsageReports, a last time once the server has stopped.
type monthlyRun struct {
	srv  *Server
	stop func()
}

func startMonthlyRun(t *testing.T, tenantsPath, usagePath string) *monthlyRun {
	t.Helper()
	dir, err := tenantsfile.Open(tenantsPath, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dir.Close)
	srv := newTestServer(func(c *Config) { c.ClusterMode, c.AdminKey = true, clusterAdminKey })
	srv.Dir = dir
	if err := srv.LoadUsage(usagePath, time.Now()); err != nil {
		t.Fatal(err)
	}
	serveTest(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.RunUsageReports(ctx, nil, time.Hour, usagePath)
	}()
	r := &monthlyRun{srv: srv}
	r.stop = func() {
		_ = srv.Close()
		cancel()
		<-done
	}
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// opsUntilRefused authenticates (AUTH is an operation too) and runs SET
// until the monthly quota refuses one; it returns how many SETs were
// accepted and the refusal.
func opsUntilRefused(t *testing.T, r *monthlyRun) (int, string) {
	t.Helper()
	c := dial(t, r.srv)
	if got := c.Do("AUTH", "dora-secret"); got != "+OK" {
		t.Fatalf("AUTH: %s", got)
	}
	for n := 0; n <= 20; n++ {
		if got := c.Do("SET", "k", "v"); got != "+OK" {
			return n, got
		}
	}
	t.Fatal("the monthly quota of 10 never refused a command")
	return 0, ""
}

// The monthly operations count is a quota: restarting the server must not
// hand a tenant a fresh month.
func TestHostileControlPlaneMonthlyOpsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	tenants, usage := filepath.Join(dir, "tenants.yaml"), filepath.Join(dir, "usage.json")
	if err := os.WriteFile(tenants, []byte(monthlyTenants()), 0o600); err != nil {
		t.Fatal(err)
	}
	refused := "-QUOTA monthly operations quota exceeded: used 10 of 10"

	first := startMonthlyRun(t, tenants, usage)
	c := dial(t, first.srv)
	if got := c.Do("AUTH", "dora-secret"); got != "+OK" {
		t.Fatalf("AUTH: %s", got)
	}
	for range 6 {
		if got := c.Do("SET", "k", "v"); got != "+OK" {
			t.Fatalf("SET in the first run: %s", got)
		}
	}
	first.stop()
	counted := first.srv.Tenants.Get("dora").Ops(time.Now())
	if counted != 7 {
		t.Fatalf("first run counted %d operations, want 7 (AUTH and 6 SETs)", counted)
	}

	second := startMonthlyRun(t, tenants, usage)
	if n, got := opsUntilRefused(t, second); n != int(10-counted-1) || got != refused {
		t.Fatalf("after a restart: %d accepted then %s; want %d then %s", n, got, 10-counted-1, refused)
	}
	second.stop()

	// AUTH is never refused by the quota (a tenant at its limit can still
	// connect and read its error), but it is counted.
	third := startMonthlyRun(t, tenants, usage)
	want := "-QUOTA monthly operations quota exceeded: used 11 of 10"
	if n, got := opsUntilRefused(t, third); n != 0 || got != want {
		t.Fatalf("after a second restart: %d accepted then %s; want 0 then %s", n, got, want)
	}
	third.stop()

	// The file is replaced whole: nothing half-written is left beside it.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "tenants.yaml usage.json" {
		t.Errorf("files beside the usage file: %v", names)
	}
	if st, err := os.Stat(usage); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("usage file: %v %v, want mode 0600", st.Mode(), err)
	}
}

// A count saved in an earlier month is not this month's: the month rolled
// over and the tenant starts again from 0 (UTC calendar months).
func TestHostileControlPlaneMonthlyOpsRollOver(t *testing.T) {
	now := time.Now().UTC()
	lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	cases := []struct {
		name, file string
		accepted   int
	}{
		{"this month's count", `{"version": 2, "tenants": {"dora": {"month": "` + tenant.MonthKey(now) + `", "ops": 7}}}`, 2},
		{"last month's count", `{"version": 2, "tenants": {"dora": {"month": "` + tenant.MonthKey(lastMonth) + `", "ops": 9}}}`, 9},
		{"a file from before monthly counts", `{"dora": {"more": 4}}`, 9},
		{"no file yet", ``, 9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tenants, usage := filepath.Join(dir, "tenants.yaml"), filepath.Join(dir, "usage.json")
			if err := os.WriteFile(tenants, []byte(monthlyTenants()), 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.file != "" {
				if err := os.WriteFile(usage, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := startMonthlyRun(t, tenants, usage)
			if n, got := opsUntilRefused(t, r); n != tc.accepted || got != "-QUOTA monthly operations quota exceeded: used 10 of 10" {
				t.Fatalf("%d accepted then %s; want %d then the quota", n, got, tc.accepted)
			}
		})
	}
}

func TestHostileControlPlaneBadUsageFile(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":           `{"version": 2,`,
		"unknown version":    `{"version": 3, "tenants": {}}`,
		"negative ops":       `{"version": 2, "tenants": {"dora": {"month": "2026-01", "ops": -1}}}`,
		"bad month":          `{"version": 2, "tenants": {"dora": {"month": "January", "ops": 1}}}`,
		"bad tenant id":      `{"version": 2, "tenants": {"a:b": {"ops": 1}}}`,
		"version 1 negative": `{"dora": {"more": -1}}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "usage.json")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			srv := newTestServer(func(c *Config) { c.ClusterMode = true })
			if err := srv.LoadUsage(path, time.Now()); err == nil || !strings.HasPrefix(err.Error(), "usage file "+path+": ") {
				t.Fatalf("LoadUsage = %v, want an error naming the file", err)
			}
		})
	}
}

// HiveHub's monthly_operations_used counts what every Synap reported for
// the tenant this month: a server that has never seen the tenant (a new
// one, or one whose usage file was lost) starts from it.
func TestHostileControlPlaneHiveHubMonthlyOpsUsed(t *testing.T) {
	srv, fake, client := startHiveHubCluster(t)
	// carol's monthly limit is 40; another server reported 38 of them.
	if err := client.ReportUsage(context.Background(), "carol", "elsewhere-1", 38, 0); err != nil {
		t.Fatal(err)
	}
	if u := fake.Usage("carol"); u.Operations != 38 {
		t.Fatalf("fake HiveHub counted %d", u.Operations)
	}
	c := hiveAs(t, srv, "carol-rw") // the 39th
	if got := c.Do("SET", "k", "v"); got != "+OK" {
		t.Fatalf("the 40th operation: %s", got)
	}
	if got, want := c.Do("SET", "k", "v"), "-QUOTA monthly operations quota exceeded: used 40 of 40"; got != want {
		t.Fatalf("the 41st operation: %s, want %s", got, want)
	}

	// Taking the larger figure, never the sum: HiveHub's count includes
	// what this server reported, so it is not added on top of the local one.
	t.Run("local count larger", func(t *testing.T) {
		srv, _, _ := startHiveHubCluster(t)
		path := filepath.Join(t.TempDir(), "usage.json")
		body := `{"version": 2, "tenants": {"carol": {"month": "` + tenant.MonthKey(time.Now()) + `", "ops": 30}}}`
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := srv.LoadUsage(path, time.Now()); err != nil {
			t.Fatal(err)
		}
		c := hiveAs(t, srv, "carol-rw") // the 31st; HiveHub says 0 for this fresh fake
		for i := range 9 {
			if got := c.Do("SET", "k", strconv.Itoa(i)); got != "+OK" {
				t.Fatalf("operation %d: %s", 32+i, got)
			}
		}
		if got, want := c.Do("SET", "k", "v"), "-QUOTA monthly operations quota exceeded: used 40 of 40"; got != want {
			t.Fatalf("the 41st operation: %s, want %s", got, want)
		}
	})
}

// quotaDir answers Quota with a fixed figure.
type quotaDir struct {
	tenant.Directory
	q tenant.Quota
}

func (d *quotaDir) Quota(context.Context, string) (tenant.Quota, error) { return d.q, nil }

// Just after midnight on the 1st, HiveHub's cached answer still holds last
// month's operations: taking it would refuse a tenant its new month.
func TestHostileControlPlaneStaleMonthlyOpsUsed(t *testing.T) {
	now := time.Now().UTC()
	lastMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
	srv := newTestServer(func(c *Config) { c.ClusterMode = true })
	dir := &quotaDir{q: tenant.Quota{MonthlyOperationsUsed: 99, Fetched: lastMonth}}
	srv.Dir = dir
	dora := srv.Tenants.Get("dora")
	srv.seedFromControlPlane(context.Background(), dora)
	if got := dora.Ops(time.Now()); got != 0 || !dora.NeedsHubSeed(time.Now()) {
		t.Fatalf("seeded from last month's figure: ops %d", got)
	}
	dir.q.Fetched = time.Now()
	srv.seedFromControlPlane(context.Background(), dora)
	if got := dora.Ops(time.Now()); got != 99 || dora.NeedsHubSeed(time.Now()) {
		t.Fatalf("this month's figure: ops %d, want 99", got)
	}
	dir.q.MonthlyOperationsUsed = 500 // taken once a month, not on every sight
	srv.seedFromControlPlane(context.Background(), dora)
	if got := dora.Ops(time.Now()); got != 99 {
		t.Fatalf("seeded twice in a month: ops %d", got)
	}
}

// End to end: a running server whose tenants file is emptied or cut short
// keeps every tenant's keys, for new and open connections alike.
func TestHostileControlPlaneTenantsFileEmptiedWhileServing(t *testing.T) {
	full := clusterFile(clusterKeys)
	for name, body := range map[string]string{
		"emptied":                  "tenants: []\n",
		"cut at a tenant boundary": full[:strings.Index(full, "  - user_id: carol")],
		"trailer dropped":          strings.TrimSuffix(full, "tenant_count: 3\n"),
	} {
		t.Run(name, func(t *testing.T) {
			f := startCluster(t)
			open := f.as(t, "alice-rw")
			f.replace(t, body)
			if err := f.dir.Reload(); err == nil { // what SIGHUP does
				t.Fatal("the incomplete file was loaded")
			}
			runSteps(t, open, []step{{cmd: "SET k v", want: "+OK"}, {cmd: "GET k", want: `"v"`}})
			for _, id := range []string{"alice-rw", "bob-rw", "carol-rw"} {
				if got := dial(t, f.srv).Do("AUTH", clusterSecret(id)); got != "+OK" {
					t.Errorf("AUTH %s after the incomplete file: %s", id, got)
				}
			}
		})
	}
}

// With a tenants file nothing reports usage: the file keeps the monthly
// counts only, never a backlog that a later switch to HiveHub would send.
func TestHostileControlPlaneUsageFileWithoutHiveHub(t *testing.T) {
	dir := t.TempDir()
	tenants, usage := filepath.Join(dir, "tenants.yaml"), filepath.Join(dir, "usage.json")
	if err := os.WriteFile(tenants, []byte(monthlyTenants()), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startMonthlyRun(t, tenants, usage)
	c := dial(t, r.srv)
	runSteps(t, c, []step{{cmd: "AUTH dora-secret", want: "+OK"}, {cmd: "SET k v", want: "+OK"}})
	r.stop()
	raw, err := os.ReadFile(usage)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"version":2,"tenants":{"dora":{"month":"` + tenant.MonthKey(time.Now()) + `","ops":2}}}`; string(raw) != want {
		t.Fatalf("usage file: %s, want %s", raw, want)
	}
}
