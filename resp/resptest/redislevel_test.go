package resptest

import (
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
