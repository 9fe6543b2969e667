package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

// SHA-256 test vectors, written out so the tests do not trust the code under test.
const (
	keysHashABC   = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // "abc"
	keysHashABCNL = "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb" // "abc\n"
)

// keysRun runs the program in-process and returns its exit status, stdout and stderr.
func keysRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cliEnv(t, nil)
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestKeysHash(t *testing.T) {
	cases := []struct {
		name        string
		args        []string
		stdin       string
		code        int
		out, stderr string
	}{
		{name: "argument", args: []string{"keys", "hash", "abc"}, stdin: "ignored\n", out: keysHashABC + "\n"},
		{name: "argument keeps its newline", args: []string{"keys", "hash", "abc\n"}, out: keysHashABCNL + "\n"},
		{name: "stdin with a newline", args: []string{"keys", "hash"}, stdin: "abc\n", out: keysHashABC + "\n"},
		{name: "stdin with a CRLF", args: []string{"keys", "hash"}, stdin: "abc\r\n", out: keysHashABC + "\n"},
		{name: "stdin without a newline", args: []string{"keys", "hash"}, stdin: "abc", out: keysHashABC + "\n"},
		{name: "only one newline is trimmed", args: []string{"keys", "hash"}, stdin: "abc\n\n", out: keysHashABCNL + "\n"},
		{name: "dash reads stdin", args: []string{"keys", "hash", "-"}, stdin: "abc\n", out: keysHashABC + "\n"},
		{name: "empty stdin", args: []string{"keys", "hash"}, code: 1, stderr: "synap: the secret is empty\n"},
		{name: "a lone newline", args: []string{"keys", "hash", "-"}, stdin: "\n", code: 1, stderr: "synap: the secret is empty\n"},
		{name: "two secrets", args: []string{"keys", "hash", "a", "b"}, code: 1, stderr: "synap: unexpected argument b\n"},
		{
			name: "stdin too long", args: []string{"keys", "hash"}, stdin: strings.Repeat("x", 64<<10+1), code: 1,
			stderr: "synap: the secret on stdin is longer than 65536 bytes\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := keysRun(t, tc.stdin, tc.args...)
			if code != tc.code || out != tc.out || errOut != tc.stderr {
				t.Errorf("synap %q with stdin %q: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr %q",
					tc.args, tc.stdin, code, out, errOut, tc.code, tc.out, tc.stderr)
			}
		})
	}
}

// TestKeysHashFromProcessStdin pipes the secret into the real program, as
// `echo "$KEY" | synap keys hash` does.
func TestKeysHashFromProcessStdin(t *testing.T) {
	cmd := cliCommand(t, "keys", "hash")
	cmd.Stdin = strings.NewReader("abc\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("synap keys hash: %v", err)
	}
	if want := keysHashABC + "\n"; string(out) != want {
		t.Errorf("synap keys hash printed %q, want %q", out, want)
	}
}

func TestKeysNew(t *testing.T) {
	format := regexp.MustCompile(`^(sk_[A-Za-z0-9_-]{43})\n([0-9a-f]{64})\n$`)
	seen := map[string]bool{}
	for range 3 {
		code, out, errOut := keysRun(t, "", "keys", "new")
		if code != 0 || errOut != "" {
			t.Fatalf("synap keys new: exit %d, stderr %q", code, errOut)
		}
		m := format.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("synap keys new printed %q, want sk_<43 base64url characters>, a newline, 64 hex digits, a newline", out)
		}
		key, hash := m[1], m[2]
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(key, "sk_"))
		if err != nil || len(raw) != 32 {
			t.Errorf("key %q: %d random bytes (%v), want 32", key, len(raw), err)
		}
		if sum := sha256.Sum256([]byte(key)); hash != hex.EncodeToString(sum[:]) {
			t.Errorf("synap keys new printed hash %s for %s, want its SHA-256 %x", hash, key, sum)
		}
		// What an operator does next: hash the printed key again.
		if _, again, _ := keysRun(t, key+"\n", "keys", "hash"); again != hash+"\n" {
			t.Errorf("synap keys hash of the new key printed %q, want %q", again, hash+"\n")
		}
		if seen[key] {
			t.Errorf("synap keys new printed %s twice", key)
		}
		seen[key] = true
	}
}
