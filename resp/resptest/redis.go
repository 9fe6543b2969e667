package resptest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RedisLevel is the Redis major.minor Synap declares (HELLO's version,
// INFO's redis_version) and every comparison with a real redis-server
// assumes: expectations checked against another release would prove
// nothing about Synap's (error texts, encodings and command metadata
// differ between 7.0 and 7.2).
const RedisLevel = "7.0"

var redisVersionRE = regexp.MustCompile(`\bv=(\d+)\.(\d+)\.(\d+)\b`)

// RedisServerVersion runs `path --version` and returns the version it
// prints (redis-server prints "Redis server v=7.0.15 sha=...").
func RedisServerVersion(path string) (string, error) {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %v", path, err)
	}
	m := redisVersionRE.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%s --version printed no version: %q", path, out)
	}
	return string(m[0][len("v="):]), nil
}

// CheckRedisServer returns an error unless the redis-server at path is of
// RedisLevel.
func CheckRedisServer(path string) error {
	v, err := RedisServerVersion(path)
	if err != nil {
		return err
	}
	return checkLevel(path, v)
}

func checkLevel(what, v string) error {
	m := redisVersionRE.FindStringSubmatch("v=" + v)
	if m == nil {
		return fmt.Errorf("%s reports Redis version %q, which is not major.minor.patch", what, v)
	}
	if got := m[1] + "." + m[2]; got != RedisLevel {
		return fmt.Errorf("%s is Redis %s, but the tests compare with Redis %s (the level Synap declares); install redis-server %s.x (Debian bookworm's 7.0.15) or put one first on PATH", what, v, RedisLevel, RedisLevel)
	}
	return nil
}

// CheckRedisAt returns an error unless the server c is connected to reports
// (INFO server's redis_version) a Redis of RedisLevel: for tests pointed at
// a running redis-server by address rather than started from PATH.
func CheckRedisAt(c *Client) error {
	got := c.Do("INFO", "server")
	info, err := strconv.Unquote(got)
	if err != nil {
		return fmt.Errorf("%s: INFO server answered %.80s", c.Conn.RemoteAddr(), got)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "redis_version:"); ok {
			return checkLevel(c.Conn.RemoteAddr().String(), v)
		}
	}
	return fmt.Errorf("%s: INFO server has no redis_version", c.Conn.RemoteAddr())
}

// RequireRedisEnv names the variable that turns a missing redis-server into
// a test failure. .ci/run sets it: the checks against a real Redis are what
// prove each expectation, and a CI run that quietly skipped them all would
// still look green.
const RequireRedisEnv = "SYNAP_REQUIRE_REDIS"

// RedisServer returns the path of redis-server and "", or "" and why there
// is none. Every test that needs a real Redis finds it here and reports its
// absence with SkipWithoutRedis.
func RedisServer() (path, missing string) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return "", "redis-server is not on PATH (install Debian's redis-server)"
	}
	return path, ""
}

// NeedRedisServer returns the path of redis-server, or ends t through
// SkipWithoutRedis. A redis-server of another level than RedisLevel fails
// t: its answers are not the ones Synap is held to.
func NeedRedisServer(t testing.TB) string {
	t.Helper()
	path, missing := RedisServer()
	if missing != "" {
		SkipWithoutRedis(t, missing)
		return ""
	}
	if err := CheckRedisServer(path); err != nil {
		t.Fatalf("%v", err)
		return ""
	}
	return path
}

// SkipWithoutRedis skips t for want of redis-server, or fails it when
// SYNAP_REQUIRE_REDIS=1.
func SkipWithoutRedis(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequireRedisEnv) == "1" {
		t.Fatalf("%s, and %s=1 requires it", why, RequireRedisEnv)
		return
	}
	t.Skip(why)
}

// StartRedis starts a throwaway redis-server (no persistence) for the
// test's lifetime and returns a client to it, or ends t as NeedRedisServer
// does. args are added to its command line (e.g. "--dir", dir for a test
// that reads the file SAVE writes).
func StartRedis(t testing.TB, args ...string) *Client {
	t.Helper()
	bin := NeedRedisServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command(bin, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for i := 0; ; i++ {
		c, err := Dial(addr)
		if err == nil && c.Do("PING") == "+PONG" {
			t.Cleanup(func() { _ = c.Close() })
			return c
		}
		if c != nil {
			_ = c.Close()
		}
		if i == 100 {
			t.Fatalf("redis-server on %s did not answer: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
