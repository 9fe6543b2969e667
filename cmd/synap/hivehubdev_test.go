package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"synap/resp/resptest"
)

const hubWrongPass = "-WRONGPASS invalid username-password pair or user is disabled."

// hubProc is a running `synap hivehub-dev`.
type hubProc struct {
	cmd    *exec.Cmd
	url    string
	path   string // the tenants file it serves
	log    *cliLog
	stdout *bytes.Buffer // read it once the process has exited
}

// hubDev runs `synap hivehub-dev` on a free loopback port serving tenants,
// and returns it once it serves.
func hubDev(t *testing.T, tenants string, args ...string) *hubProc {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	cliWriteFile(t, path, tenants)
	cmd, log, stdout := cliSpawn(t, append([]string{"hivehub-dev", "--tenants-file", path, "--listen", "127.0.0.1:0"}, args...)...)
	m := log.waitFor(t, regexp.MustCompile(`msg="fake HiveHub serving" url=(\S+)`))
	return &hubProc{cmd: cmd, url: m[1], path: path, log: log, stdout: stdout}
}

// hubCall makes one HiveHub API call and returns the status and the body.
func hubCall(t *testing.T, method, url, serviceKey, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+serviceKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(raw)
}

// hubJSON decodes body into a map, with numbers as float64.
func hubJSON(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not a JSON object: %q: %v", body, err)
	}
	return m
}

// hubStop stops a child process with SIGTERM and checks it exits 0.
func hubStop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := cliExitCode(t, cmd); code != 0 {
		t.Fatalf("%s: exit status %d after SIGTERM, want 0", cmd.Args, code)
	}
}

func TestHivehubDevServesTheTenantsFile(t *testing.T) {
	const secret = "sk_hivehub-dev-tenant-secret"
	hub := hubDev(t, cliTenants(secret))
	cmd, url, log := hub.cmd, hub.url, hub.log
	if !regexp.MustCompile(`^http://127\.0\.0\.1:[1-9][0-9]*$`).MatchString(url) {
		t.Fatalf("hivehub-dev serves at %q, want http://127.0.0.1:<port>", url)
	}
	validate := url + "/api/v1/access-keys/validate"

	code, body := hubCall(t, "POST", validate, devServiceKey, `{"access_key": "`+secret+`"}`)
	if code != http.StatusOK {
		t.Fatalf("validate: HTTP %d %s", code, body)
	}
	got := hubJSON(t, body)
	want := map[string]any{"valid": true, "user_id": "tenant0", "key_id": "key0", "plan": "free",
		"permissions": []any{"read", "write"}, "surfaces": []any{}, "expires_at": nil}
	if !equalJSON(got, want) {
		t.Errorf("validate answered %s, want %v", body, want)
	}

	if code, body := hubCall(t, "POST", validate, devServiceKey, `{"access_key": "sk_not-in-the-file"}`); code != http.StatusNotFound ||
		hubJSON(t, body)["valid"] != false {
		t.Errorf("validate of an unknown key: HTTP %d %s, want 404 and valid false", code, body)
	}
	if code, body := hubCall(t, "POST", validate, "not-the-service-key", `{"access_key": "`+secret+`"}`); code != http.StatusUnauthorized {
		t.Errorf("validate with another service key: HTTP %d %s, want 401", code, body)
	}

	hubStop(t, cmd)
	if !strings.Contains(log.all(), `level=WARN msg="using the default service key dev-service-key: for local testing only"`) {
		t.Errorf("no warning about the default service key; log:\n%s", log.all())
	}
}

func equalJSON(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestHivehubDevPrintsHowToStartSynap(t *testing.T) {
	hub := hubDev(t, cliTenants("sk_a"), "--service-key", "my own key")
	cmd, url, log, out := hub.cmd, hub.url, hub.log, hub.stdout
	code, body := hubCall(t, "POST", url+"/api/v1/access-keys/validate", "my own key", `{"access_key": "sk_a"}`)
	if code != http.StatusOK {
		t.Errorf("validate with --service-key: HTTP %d %s", code, body)
	}
	if code, _ := hubCall(t, "POST", url+"/api/v1/access-keys/validate", devServiceKey, `{"access_key": "sk_a"}`); code != http.StatusUnauthorized {
		t.Errorf("validate with the default key while --service-key is set: HTTP %d, want 401", code)
	}
	hubStop(t, cmd)
	want := regexp.MustCompile(`(?m)^  synap --cluster-mode --hivehub-url ` + regexp.QuoteMeta(url) +
		` --hivehub-service-key 'my own key' --admin-key sk_[A-Za-z0-9_-]{43}$`)
	if !want.MatchString(out.String()) {
		t.Errorf("stdout does not match %s:\n%s", want, out)
	}
	if strings.Contains(log.all(), "local testing only") {
		t.Errorf("the default-key warning shows with --service-key; log:\n%s", log.all())
	}
}

func TestHivehubDevRefusesToStart(t *testing.T) {
	tenants := cliFile(t, "tenants.yaml", cliTenants("sk_a"))
	broken := cliFile(t, "broken.yaml", "tenants: [\n")
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	remote := "synap: --listen %s is not a loopback address; hivehub-dev is for local testing (add --allow-remote to serve other machines anyway)\n"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"every interface", []string{"--tenants-file", tenants, "--listen", "0.0.0.0:0"}, strings.Replace(remote, "%s", "0.0.0.0:0", 1)},
		{"no host", []string{"--tenants-file", tenants, "--listen", ":8080"}, strings.Replace(remote, "%s", ":8080", 1)},
		{"a host name", []string{"--tenants-file", tenants, "--listen", "hub.example:8080"}, strings.Replace(remote, "%s", "hub.example:8080", 1)},
		{"no port", []string{"--tenants-file", tenants, "--listen", "8080"}, "synap: --listen 8080: want HOST:PORT, such as 127.0.0.1:8080\n"},
		{"no tenants file", []string{"--listen", "127.0.0.1:0"}, "synap: missing flags: --tenants-file=FILE\n"},
		{"missing tenants file", []string{"--tenants-file", missing, "--listen", "127.0.0.1:0"},
			"synap: cannot load the tenants file: open " + missing + ": no such file or directory\n"},
		{"broken tenants file", []string{"--tenants-file", broken, "--listen", "127.0.0.1:0"},
			"synap: cannot load the tenants file: " + broken + ": yaml: line 1: did not find expected node content\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := cliRunFails(t, nil, append([]string{"hivehub-dev"}, tc.args...)...); got != tc.want {
				t.Errorf("stderr:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestHivehubDevLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.1.2.3:0": true, "[::1]:8080": true, "localhost:8080": true, "LOCALHOST:1": true,
		"0.0.0.0:8080": false, "[::]:8080": false, ":8080": false, "10.0.0.1:8080": false, "hub.example:8080": false,
		"127.0.0.1": false, "": false,
	} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestCLIClusterModeWithHiveHub runs synap against hivehub-dev, each in its
// own process: keys from the tenants file work, others do not, and the
// usage of the session reaches HiveHub in the report made on the way out
// (the report interval is far longer than the test).
func TestCLIClusterModeWithHiveHub(t *testing.T) {
	const secret, other, serviceKey = "sk_tenant-zero-secret", "sk_tenant-one-secret", "svc-key-for-this-test"
	for _, stop := range []string{"SIGTERM", "SHUTDOWN"} {
		t.Run(stop, func(t *testing.T) {
			hub := hubDev(t, cliTenants(secret, other), "--service-key", serviceKey)
			url := hub.url
			cmd, addr, log := cliStartLog(t, "--port", "0", "--shards", "4", "--cluster-mode", "--hivehub-url", url,
				"--hivehub-service-key", serviceKey, "--admin-key", cliAdminKey, "--hivehub-report-interval", "1h")
			c, err := resptest.Dial(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, step := range [][2]string{
				{"AUTH sk_unknown-key", hubWrongPass},
				{"AUTH " + secret, "+OK"},
				{"SET greeting hello", "+OK"},
				{"GET greeting", `"hello"`},
				{"AUTH " + other, "+OK"},
				{"GET greeting", "nil"},
			} {
				if got := c.Do(strings.Fields(step[0])...); got != step[1] {
					t.Fatalf("%s: got %s, want %s", step[0], got, step[1])
				}
			}
			// SIGHUP has nothing to reload from HiveHub, and must not stop synap.
			if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			log.waitFor(t, regexp.MustCompile(`level=INFO msg="SIGHUP: nothing to reload, the directory is HiveHub"`))
			if got := c.Do("PING"); got != "+PONG" {
				t.Fatalf("PING after SIGHUP: got %s", got)
			}
			switch stop {
			case "SIGTERM":
				if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
			case "SHUTDOWN":
				if got := c.Do("AUTH", cliAdminKey); got != "+OK" {
					t.Fatalf("AUTH with the admin key: got %s", got)
				}
				c.Do("SHUTDOWN", "NOSAVE")
			}
			if code := cliExitCode(t, cmd); code != 0 {
				t.Fatalf("exit status %d after %s, want 0; log:\n%s", code, stop, log.all())
			}
			// Operations and storage bytes: tenant0 ran AUTH, SET and GET
			// and stores "greeting" and "hello" (13 bytes and the key's
			// charge of 112); tenant1 AUTH, GET and PING.
			for user, want := range map[string]string{"tenant0": "3 125", "tenant1": "3 0"} {
				code, body := hubCall(t, "GET", url+"/api/v1/synap/users/"+user+"/quota", serviceKey, "")
				q := hubJSON(t, body)
				if got := fmtUsage(q); code != http.StatusOK || got != want {
					t.Errorf("%s's usage at HiveHub after synap stopped: HTTP %d, %s (ops, bytes), want %s; log:\n%s", user, code, got, want, log.all())
				}
			}
			hubStop(t, hub.cmd)
			for _, s := range []string{serviceKey, cliAdminKey, secret, other} {
				if strings.Contains(log.all(), s) {
					t.Errorf("synap's log shows the secret %q:\n%s", s, log.all())
				}
			}
		})
	}
}

func fmtUsage(q map[string]any) string {
	ops, _ := q["monthly_operations_used"].(float64)
	bytes, _ := q["storage_used_bytes"].(float64)
	return strings.Join([]string{ftoa(ops), ftoa(bytes)}, " ")
}

func ftoa(f float64) string { b, _ := json.Marshal(f); return string(b) }

const hubUnavailable = "-ERR control plane unavailable, try again later"

// TestCLIHiveHubOutage stops HiveHub under a running synap whose cache
// expires at once: a key validated before the outage still opens
// connections for the grace period and not without one, while a key never
// seen is refused with the control-plane error, not WRONGPASS.
func TestCLIHiveHubOutage(t *testing.T) {
	const secret = "sk_validated-before-the-outage"
	for _, tc := range []struct{ grace, known string }{
		{"5m", "+OK"},
		{"0s", hubUnavailable},
	} {
		t.Run("grace "+tc.grace, func(t *testing.T) {
			hub := hubDev(t, cliTenants(secret))
			url := hub.url
			cmd, addr, log := cliStartLog(t, "--port", "0", "--shards", "4", "--cluster-mode", "--hivehub-url", url,
				"--hivehub-service-key", devServiceKey, "--admin-key", cliAdminKey,
				"--hivehub-cache-ttl", "1ns", "--hivehub-grace", tc.grace, "--hivehub-timeout", "1s")
			auth := func(key, want string) {
				t.Helper()
				c, err := resptest.Dial(addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if got := c.Do("AUTH", key); got != want {
					t.Fatalf("AUTH %s: got %s, want %s; log:\n%s", key, got, want, log.all())
				}
			}
			auth(secret, "+OK")
			auth("sk_never-seen", hubWrongPass)
			hubStop(t, hub.cmd)
			auth(secret, tc.known)
			auth("sk_never-seen-either", hubUnavailable)
			auth(cliAdminKey, "+OK") // the operator needs no HiveHub
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := cliExitCode(t, cmd); code != 0 {
				t.Errorf("exit status %d after SIGTERM, want 0", code)
			}
		})
	}
}

// TestCLIHiveHubWrongServiceKey: HiveHub refusing synap's own key (given
// here in the config file) fails closed, says so in the log, and the log
// never shows the key.
func TestCLIHiveHubWrongServiceKey(t *testing.T) {
	const secret, wrong = "sk_a-valid-tenant-key", "svc-not-what-hivehub-expects"
	hub := hubDev(t, cliTenants(secret))
	url := hub.url
	config := cliFile(t, "synap.yaml", "hivehub-service-key: "+wrong+"\n")
	cmd, addr, log := cliStartLog(t, "--port", "0", "--shards", "4", "--cluster-mode", "--hivehub-url", url,
		"--admin-key", cliAdminKey, "--config", config)
	c, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.Do("AUTH", secret); got != hubUnavailable {
		t.Errorf("AUTH with a valid key while HiveHub refuses synap: got %s, want %s", got, hubUnavailable)
	}
	log.waitFor(t, regexp.MustCompile(`level=ERROR msg="HIVEHUB REJECTS SYNAP'S SERVICE KEY`))
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := cliExitCode(t, cmd); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
	hubStop(t, hub.cmd)
	if strings.Contains(log.all(), wrong) {
		t.Errorf("synap's log shows the service key:\n%s", log.all())
	}
}

func TestHivehubDevReloadsOnSIGHUP(t *testing.T) {
	const first, second = "sk_first-key-served", "sk_second-key-served"
	hub := hubDev(t, cliTenants(first))
	validate := func(key string, want int) {
		t.Helper()
		if code, body := hubCall(t, "POST", hub.url+"/api/v1/access-keys/validate", devServiceKey, `{"access_key": "`+key+`"}`); code != want {
			t.Fatalf("validate %s: HTTP %d %s, want %d", key, code, body, want)
		}
	}
	hup := func(outcome string) {
		t.Helper()
		if err := hub.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		hub.log.waitFor(t, regexp.MustCompile(regexp.QuoteMeta(outcome)))
	}
	validate(first, http.StatusOK)
	validate(second, http.StatusNotFound)
	cliWriteFile(t, hub.path, cliTenants(second))
	hup(`level=INFO msg="tenants file reloaded on SIGHUP"`)
	validate(second, http.StatusOK)
	validate(first, http.StatusNotFound)
	cliWriteFile(t, hub.path, "tenants: [\n")
	hup(`level=ERROR msg="tenants file not reloaded on SIGHUP; keeping the previous tenants"`)
	validate(second, http.StatusOK)
	// Emptied or cut short: refused too, the tenants served are kept.
	for _, incomplete := range []string{"tenants: []\n", strings.TrimSuffix(cliTenants(second), "tenant_count: 1\n")} {
		cliWriteFile(t, hub.path, incomplete)
		hup(`level=ERROR msg="tenants file not reloaded on SIGHUP; keeping the previous tenants"`)
		validate(second, http.StatusOK)
	}
	hubStop(t, hub.cmd)
}
