package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"synap/commands"
	"synap/resp/resptest"
	"synap/resp/server"
	"synap/tenant/tenantsfile"
)

// TestMain lets a test run the real program in a child process: the test
// binary re-executes itself with SYNAP_TEST_RUN_MAIN=1 and becomes synap.
func TestMain(m *testing.M) {
	if os.Getenv("SYNAP_TEST_RUN_MAIN") == "1" {
		if n := os.Getenv("SYNAP_TEST_FSIZE"); n != "" {
			// A full disk, for the persistence tests: writes past n bytes
			// fail with EFBIG (Go ignores SIGXFSZ, so it does not kill).
			var lim uint64
			fmt.Sscan(n, &lim)
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
				panic(err)
			}
		}
		main()
		return
	}
	os.Exit(m.Run())
}

// cliStart runs synap with args in a child process and returns it with the
// address it listens on, read from its log, and the log up to that line.
func cliStart(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd, addr, log := cliStartLog(t, args...)
	return cmd, addr, bytes.NewBufferString(log.all())
}

const cliLogWait = 30 * time.Second

// cliLog is a child's stderr, read line by line as the child writes it.
type cliLog struct {
	mu    sync.Mutex
	cond  *sync.Cond
	lines []string
	next  int // the first line waitFor has not looked at yet
	eof   bool
}

func (l *cliLog) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		l.mu.Unlock()
		l.cond.Broadcast()
	}
	_, _ = io.Copy(io.Discard, r) // a line too long for the scanner must not block the child
	l.mu.Lock()
	l.eof = true
	l.mu.Unlock()
	l.cond.Broadcast()
}

// waitFor blocks until a line after the ones already waited for matches re,
// and returns its submatches; it fails the test if the child's stderr ends
// first or no such line comes within cliLogWait.
func (l *cliLog) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(cliLogWait)
	wake := time.AfterFunc(cliLogWait, l.cond.Broadcast)
	defer wake.Stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no line of synap's log matched %s within %s; its log:\n%s", re, cliLogWait, strings.Join(l.lines, "\n"))
		}
		for ; l.next < len(l.lines); l.next++ {
			if m := re.FindStringSubmatch(l.lines[l.next]); m != nil {
				l.next++
				return m
			}
		}
		if l.eof {
			t.Fatalf("synap's log ended without a line matching %s; its log:\n%s", re, strings.Join(l.lines, "\n"))
		}
		l.cond.Wait()
	}
}

func (l *cliLog) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n") + "\n"
}

// cliStartLog runs synap with args in a child process and returns it with
// the address it listens on and its log, which keeps being read.
func cliStartLog(t *testing.T, args ...string) (*exec.Cmd, string, *cliLog) {
	t.Helper()
	cmd, log, _ := cliSpawn(t, args...)
	m := log.waitFor(t, regexp.MustCompile(`msg="serving RESP" addr=(\S+)`))
	return cmd, m[1], log
}

// cliSpawn runs the program with args in a child process, killed at the end
// of the test if still running. Its stderr is read line by line into the
// log; its stdout collects in the buffer, to be read once it has exited.
func cliSpawn(t *testing.T, args ...string) (*exec.Cmd, *cliLog, *bytes.Buffer) {
	t.Helper()
	return cliSpawnEnv(t, nil, args...)
}

// cliSpawnEnv is cliSpawn with env added to the clean environment.
func cliSpawnEnv(t *testing.T, env []string, args ...string) (*exec.Cmd, *cliLog, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(cliCleanEnv(), "SYNAP_TEST_RUN_MAIN=1"), env...)
	stdout := &bytes.Buffer{}
	cmd.Stdout = stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	log := &cliLog{}
	log.cond = sync.NewCond(&log.mu)
	go log.read(stderr)
	return cmd, log, stdout
}

// cliCleanEnv is the child's environment: no SYNAP_* from the developer's
// shell, and no race-detector pause at exit (it waits a second by default).
func cliCleanEnv() []string {
	// SYNAP_HTTP_PORT=0: children of parallel tests must not all want the
	// default HTTP port; a test that means one sets it again after this.
	// SYNAP_APPENDONLY=no and SYNAP_SAVE="": a pure cache, so no child
	// writes into the repository's ./data; a test of persistence sets
	// SYNAP_DIR and turns them on again after this.
	env := []string{"GORACE=atexit_sleep_ms=0", "SYNAP_HTTP_PORT=0", "SYNAP_APPENDONLY=no", "SYNAP_SAVE="}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SYNAP_") && !strings.HasPrefix(kv, "GORACE=") {
			env = append(env, kv)
		}
	}
	return env
}

// cliExitCode waits, at most cliLogWait, for the child to exit and returns
// its exit status.
func cliExitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	select {
	case err = <-exited:
	case <-time.After(cliLogWait):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("%s did not exit within %s", cmd.Args, cliLogWait)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// cliCommand is the program run with args in a child process that is killed
// if it runs longer than cliLogWait.
func cliCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliLogWait)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(cliCleanEnv(), "SYNAP_TEST_RUN_MAIN=1")
	return cmd
}

func TestCLIVersion(t *testing.T) {
	cmd := cliCommand(t, "--version")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("synap --version: %v", err)
	}
	if want := "synap " + commands.Version + "\n"; string(out) != want {
		t.Errorf("synap --version printed %q, want %q", out, want)
	}
}

func TestCLIBadConfigExitsOne(t *testing.T) {
	cmd := cliCommand(t, "--port", "70000")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("synap --port 70000: got %v, want exit status 1", err)
	}
	if want := "synap: port must be between 0 and 65535, got 70000\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

func TestCLISignalExitsZero(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, addr, _ := cliStart(t, "--port", "0", "--shards", "4")
			c, err := resptest.Dial(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := c.Do("PING"); got != "+PONG" {
				t.Fatalf("PING: got %s", got)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := cliExitCode(t, cmd); code != 0 {
				t.Errorf("exit status %d after %v, want 0", code, sig)
			}
		})
	}
}

func TestCLIShutdownExitsZero(t *testing.T) {
	if commands.NewTable().Lookup([]byte("shutdown")) == nil {
		t.Skip("SHUTDOWN is not in the command table yet")
	}
	cmd, addr, _ := cliStart(t, "--port", "0")
	c, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Do("SHUTDOWN", "NOSAVE")
	if code := cliExitCode(t, cmd); code != 0 {
		t.Errorf("exit status %d after SHUTDOWN, want 0", code)
	}
}

func TestCLIConfigFileAndLogLevel(t *testing.T) {
	for _, tc := range []struct {
		file  string
		debug bool
	}{
		{"port: 0\nloglevel: debug\n", true},
		{"port: 0\n", false},
	} {
		path := cliFile(t, "synap.yaml", tc.file)
		cmd, _, log := cliStart(t, "--config", path)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if code := cliExitCode(t, cmd); code != 0 {
			t.Errorf("exit status %d, want 0", code)
		}
		if got := strings.Contains(log.String(), "level=DEBUG msg=configuration"); got != tc.debug {
			t.Errorf("file %q: debug configuration line logged: %v, want %v; log:\n%s", tc.file, got, tc.debug, log)
		}
	}
}

// cliServe runs a server in-process on a loopback port, stopped the way main stops it.
func cliServe(t *testing.T) (*commands.Server, string, chan os.Signal, chan struct{}) {
	t.Helper()
	cfg := commands.DefaultConfig()
	cfg.Shards = 4
	srv := commands.NewServer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sigs := make(chan os.Signal, 1)
	returned := make(chan struct{})
	server.Start(srv, ln)
	go func() {
		waitForStop(srv, sigs, nil, nil)
		close(returned)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-returned
	})
	return srv, ln.Addr().String(), sigs, returned
}

func TestCLIServeStopsOnSignal(t *testing.T) {
	srv, addr, sigs, returned := cliServe(t)
	c, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.Do("PING"); got != "+PONG" {
		t.Fatalf("PING: got %s", got)
	}
	sigs <- syscall.SIGTERM
	<-returned
	select {
	case <-srv.Done():
	default:
		t.Fatal("waitForStop returned before the server was closed")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the listener still accepts after the signal")
	}
	if got := c.Do("PING"); !strings.HasPrefix(got, "ERROR: ") {
		t.Errorf("a client of a stopped server got %s, want its connection closed", got)
	}
}

func TestCLIServeReturnsWhenServerCloses(t *testing.T) {
	srv, _, _, returned := cliServe(t)
	// SHUTDOWN ends in Server.Close; waitForStop must notice through Done.
	_ = srv.Close()
	<-returned
}

// cliRunFails runs synap with args and env, and returns its stderr after
// checking it exited with status 1.
func cliRunFails(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := cliCommand(t, args...)
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("synap %q: got %v, want exit status 1; stderr:\n%s", args, err, stderr.String())
	}
	return stderr.String()
}

const cliAdminKey = "operator-key-0123456789"

// cliTenants is a tenants file; each secret becomes one key of its own tenant.
func cliTenants(secrets ...string) string {
	var b strings.Builder
	b.WriteString("tenants:\n")
	for i, s := range secrets {
		fmt.Fprintf(&b, "  - user_id: tenant%d\n    keys:\n      - key_id: key%d\n        secret_sha256: %s\n        permissions: [read, write]\n",
			i, i, tenantsfile.HashKey(s))
	}
	fmt.Fprintf(&b, "tenant_count: %d\n", len(secrets))
	return b.String()
}

func TestCLIClusterModeRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	broken := cliFile(t, "broken.yaml", "tenants:\n  - user_id: alice\n    keys:\n      - key_id: k1\n        secret_sha256: abc\n")
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{
			name: "no tenants file", args: []string{"--cluster-mode", "--admin-key", cliAdminKey},
			want: "synap: " + cliNoDirectory + "\n",
		},
		{
			name: "both directories", args: []string{"--cluster-mode", "--tenants-file", broken, "--admin-key", cliAdminKey,
				"--hivehub-url", "http://127.0.0.1:1", "--hivehub-service-key", "svc"},
			want: "synap: " + cliTwoDirectories + "\n",
		},
		{
			name: "both directories, one from env", env: []string{"SYNAP_HIVEHUB_URL=http://127.0.0.1:1"},
			args: []string{"--cluster-mode", "--tenants-file", broken, "--admin-key", cliAdminKey},
			want: "synap: " + cliTwoDirectories + "\n",
		},
		{
			name: "hivehub without a service key", args: []string{"--cluster-mode", "--hivehub-url", "http://127.0.0.1:1", "--admin-key", cliAdminKey},
			want: "synap: " + cliNoServiceKey + "\n",
		},
		{
			name: "hivehub url without a scheme", env: []string{"SYNAP_HIVEHUB_SERVICE_KEY=svc"},
			args: []string{"--cluster-mode", "--hivehub-url", "127.0.0.1:8080", "--admin-key", cliAdminKey},
			want: "synap: " + cliBadURL + "\"127.0.0.1:8080\"\n",
		},
		{
			name: "hivehub url with credentials", args: []string{"--cluster-mode", "--hivehub-url", "https://svc:hunter2@hub.example",
				"--hivehub-service-key", "svc", "--admin-key", cliAdminKey},
			want: "synap: " + cliBadURL + "\"https://svc:xxxxx@hub.example\"\n",
		},
		{
			name: "hivehub with a short admin key", args: []string{"--cluster-mode", "--hivehub-url", "http://127.0.0.1:1",
				"--hivehub-service-key", "svc", "--admin-key", "fifteen-bytes!!"},
			want: "synap: admin-key must be at least 16 bytes long (synap keys new makes one)\n",
		},
		{
			name: "no admin key", env: []string{"SYNAP_CLUSTER_MODE=true", "SYNAP_TENANTS_FILE=" + broken},
			want: "synap: cluster mode needs an operator key: set --admin-key, SYNAP_ADMIN_KEY or admin-key in the config file\n",
		},
		{
			name: "short admin key", args: []string{"--cluster-mode", "--tenants-file", broken, "--admin-key", "fifteen-bytes!!"},
			want: "synap: admin-key must be at least 16 bytes long (synap keys new makes one)\n",
		},
		{
			name: "missing tenants file", args: []string{"--cluster-mode", "--tenants-file", missing, "--admin-key", cliAdminKey},
			want: "synap: cannot load the tenants file: stat " + missing + ": no such file or directory\n",
		},
		{
			name: "invalid tenants file", args: []string{"--cluster-mode", "--tenants-file", broken, "--admin-key", cliAdminKey},
			want: "synap: cannot load the tenants file: " + broken + `: key "k1": secret_sha256 must be 64 hex digits (synap keys hash prints it)` + "\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := cliRunFails(t, tc.env, append(tc.args, "--port", "0")...); got != tc.want {
				t.Errorf("stderr:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestCLIClusterModeReloadsOnSIGHUP starts cluster mode, then changes a key
// of the tenants file and breaks the file, each followed by SIGHUP: the new
// key works after the first, the directory in force survives the second, and
// the server keeps running through both.
func TestCLIClusterModeReloadsOnSIGHUP(t *testing.T) {
	const first, second, unused = "sk_first-tenant-secret", "sk_second-tenant-secret", "sk_never-handed-out"
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	cliWriteFile(t, path, cliTenants(first, unused))
	cmd, addr, log := cliStartLog(t, "--port", "0", "--cluster-mode", "--tenants-file", path, "--admin-key", cliAdminKey)
	c, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	auth := func(key, want string) {
		t.Helper()
		if got := c.Do("AUTH", key); got != want {
			t.Fatalf("AUTH %s: got %s, want %s", key, got, want)
		}
	}
	auth(first, "+OK")
	auth(cliAdminKey, "+OK")
	auth(second, "-WRONGPASS invalid username-password pair or user is disabled.")

	// The server logs the outcome of each SIGHUP once it has reloaded.
	hup := func(outcome string) {
		t.Helper()
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		log.waitFor(t, regexp.MustCompile(regexp.QuoteMeta(outcome)))
	}
	cliRewriteUnseen(t, path, cliTenants(first, second))
	hup(`level=INFO msg="tenants file reloaded on SIGHUP"`)
	auth(second, "+OK")
	auth(unused, "-WRONGPASS invalid username-password pair or user is disabled.")

	cliWriteFile(t, path, "tenants: [\n")
	hup(`level=ERROR msg="tenants file not reloaded on SIGHUP; keeping the previous directory"`)
	auth(second, "+OK")
	auth(first, "+OK")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := cliExitCode(t, cmd); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
	for _, secret := range []string{cliAdminKey, first, second} {
		if strings.Contains(log.all(), secret) {
			t.Errorf("the log shows the secret %q:\n%s", secret, log.all())
		}
	}
}

// cliWriteFile replaces path in one rename, as a deployment tool would, so
// the server's watcher never reads half a file.
func cliWriteFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// cliRewriteUnseen rewrites path in place with content of the same size and
// restores its modification time, so the server's watcher, which compares
// size, time and inode, sees no change: only SIGHUP reloads it.
func cliRewriteUnseen(t *testing.T, path, content string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != int64(len(content)) {
		t.Fatalf("the new content has %d bytes, the file %d", len(content), st.Size())
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
}
