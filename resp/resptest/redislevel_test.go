package resptest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRedisServer puts a redis-server first on PATH that prints out for
// --version.
func fakeRedisServer(t *testing.T, out string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "redis-server")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho '"+out+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	return path
}

func TestRedisServerLevel(t *testing.T) {
	for _, tc := range []struct{ out, fatal string }{
		{"Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0", ""},
		{"Redis server v=7.0.4 sha=00000000:0 malloc=libc bits=64 build=1", ""},
		{"Redis server v=7.2.4 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1", "is Redis 7.2.4, but the tests compare with Redis 7.0 (the level Synap declares)"},
		{"Redis server v=6.0.16 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1", "is Redis 6.0.16, but the tests compare with Redis 7.0"},
		{"Redis server v=17.0.1 sha=00000000:0", "is Redis 17.0.1, but the tests compare with Redis 7.0"},
		{"not redis", "--version printed no version"},
	} {
		path := fakeRedisServer(t, tc.out)
		r := &tbRecorder{TB: t}
		got := NeedRedisServer(r)
		switch {
		case tc.fatal == "" && (r.fatal != "" || r.skip != "" || got != path):
			t.Errorf("%q: got %q, fatal %q, skip %q; want %q", tc.out, got, r.fatal, r.skip, path)
		case tc.fatal != "" && (!strings.Contains(r.fatal, tc.fatal) || got != ""):
			t.Errorf("%q: got %q, fatal %q; want a failure containing %q", tc.out, got, r.fatal, tc.fatal)
		}
	}
}

// fakeInfoServer answers every command with INFO's bulk string info.
func fakeInfoServer(t *testing.T, info string) *Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 4096)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
			_, _ = fmt.Fprintf(conn, "$%d\r\n%s\r\n", len(info), info)
		}
	}()
	c, err := Dial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// A test pointed at a running server by address (SYNAP_TEST_AGAINST)
// checks its level from INFO.
func TestCheckRedisAt(t *testing.T) {
	for _, tc := range []struct{ info, fail string }{
		{"# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n", ""},
		{"# Server\r\nredis_version:7.2.4\r\n", "is Redis 7.2.4, but the tests compare with Redis 7.0"},
		{"# Server\r\nredis_mode:standalone\r\n", "INFO server has no redis_version"},
	} {
		err := CheckRedisAt(fakeInfoServer(t, tc.info))
		if tc.fail == "" && err != nil || tc.fail != "" && (err == nil || !strings.Contains(err.Error(), tc.fail)) {
			t.Errorf("INFO %q: %v, want %q", tc.info, err, tc.fail)
		}
	}
}
