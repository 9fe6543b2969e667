package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"synap/commands"
	"synap/resp/resptest"
)

// TestMain lets a test run the real program in a child process: the test
// binary re-executes itself with SYNAP_TEST_RUN_MAIN=1 and becomes synap.
func TestMain(m *testing.M) {
	if os.Getenv("SYNAP_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// cliStart runs synap with args in a child process and returns it with the
// address it listens on, read from its log.
func cliStart(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(cliCleanEnv(), "SYNAP_TEST_RUN_MAIN=1")
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
	addrRE := regexp.MustCompile(`msg="serving RESP" addr=(\S+)`)
	log := &bytes.Buffer{}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return cmd, m[1], log
		}
	}
	t.Fatalf("synap exited before listening; its log:\n%s", log)
	return nil, "", nil
}

// cliCleanEnv is the child's environment: no SYNAP_* from the developer's
// shell, and no race-detector pause at exit (it waits a second by default).
func cliCleanEnv() []string {
	env := []string{"GORACE=atexit_sleep_ms=0"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SYNAP_") && !strings.HasPrefix(kv, "GORACE=") {
			env = append(env, kv)
		}
	}
	return env
}

func cliExitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func TestCLIVersion(t *testing.T) {
	cmd := exec.Command(os.Args[0], "--version")
	cmd.Env = append(cliCleanEnv(), "SYNAP_TEST_RUN_MAIN=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("synap --version: %v", err)
	}
	if want := "synap " + commands.Version + "\n"; string(out) != want {
		t.Errorf("synap --version printed %q, want %q", out, want)
	}
}

func TestCLIBadConfigExitsOne(t *testing.T) {
	cmd := exec.Command(os.Args[0], "--port", "70000")
	cmd.Env = append(cliCleanEnv(), "SYNAP_TEST_RUN_MAIN=1")
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
	srv.Start(ln)
	go func() {
		waitForStop(srv, sigs)
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
