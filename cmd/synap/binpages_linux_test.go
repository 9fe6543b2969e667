package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func rssFileKB(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// TestReleaseStartupPages: the executable's read-only pages touched so far
// leave the resident set, and the process goes on running code and reading
// data from them (they come back from the file as used).
func TestReleaseStartupPages(t *testing.T) {
	before := rssFileKB(t)
	released := releaseStartupPages()
	after := rssFileKB(t)
	if released == 0 {
		t.Fatal("no mapping of the executable released")
	}
	if after >= before {
		t.Fatalf("RssFile %d kB before, %d kB after releasing %d bytes", before, after, released)
	}
	// Code and read-only data still work: a command through the CLI's
	// parser, from released pages.
	var out, errs strings.Builder
	if code := run([]string{"keys", "hash", "secret"}, strings.NewReader(""), &out, &errs); code != 0 ||
		strings.TrimSpace(out.String()) != "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" {
		t.Fatalf("the CLI after the release: exit %d, %q %q", code, out.String(), errs.String())
	}
	t.Logf("RssFile %d kB -> %d kB (%d MB of mappings released)", before, after, released>>20)
}
