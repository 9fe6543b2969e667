package snapshot

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Two tenants' keys come back each in its own keyspace, under the same
// names, invisible to the other.
func TestTenantsRoundTrip(t *testing.T) {
	src, s := newCluster(t)
	do(t, src, s["alice"], "SET", "k", "alice's")
	do(t, src, s["alice"], "RPUSH", "only-alice", "x")
	do(t, src, s["bob"], "SET", "k", "bob's")
	do(t, src, s["bob"], "HSET", "only-bob", "f", "v")
	dst, d := newCluster(t)
	writeLoad(t, src, dst)
	at := time.Now().UnixMilli()
	compareData(t, dumpData(src, at), dumpData(dst, at))
	for _, c := range []struct{ user, cmd, want string }{
		{"alice", "GET k", `"alice's"`},
		{"bob", "GET k", `"bob's"`},
		{"alice", "EXISTS only-bob", ":0"},
		{"bob", "EXISTS only-alice", ":0"},
		{"alice", "DBSIZE", ":2"},
		{"bob", "DBSIZE", ":2"},
	} {
		if got := call(t, dst, d[c.user], strings.Fields(c.cmd)...); got != c.want {
			t.Errorf("%s: %s = %s, want %s", c.user, c.cmd, got, c.want)
		}
	}
}

// A key whose deadline passes between the write and the load is not
// loaded; one still alive keeps its absolute deadline.
func TestExpiredKeysDroppedOnLoad(t *testing.T) {
	src := newServer(t)
	c := session(t, src)
	do(t, src, c, "SET", "short", "x", "PX", "150")
	do(t, src, c, "SET", "long", "y", "PX", "3600000")
	do(t, src, c, "SET", "none", "z")
	path := filepath.Join(t.TempDir(), "dump.snap")
	st, err := Write(context.Background(), src, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Keys != 3 {
		t.Fatalf("wrote %d keys, want 3", st.Keys)
	}
	time.Sleep(200 * time.Millisecond)
	dst := newServer(t)
	ld, err := Load(dst, path)
	if err != nil {
		t.Fatal(err)
	}
	d := session(t, dst)
	if ld.Keys != 2 || call(t, dst, d, "EXISTS", "short") != ":0" || call(t, dst, d, "DBSIZE") != ":2" {
		t.Errorf("loaded %d keys; EXISTS short = %s", ld.Keys, call(t, dst, d, "EXISTS", "short"))
	}
	if want, got := call(t, src, c, "PEXPIRETIME", "long"), call(t, dst, d, "PEXPIRETIME", "long"); want != got {
		t.Errorf("PEXPIRETIME long: loaded %s, was %s", got, want)
	}
	// Expiry is judged by the engine's clock: a recovery that pins it to
	// the cut (a log follows, whose records may still write the key)
	// loads the key that was alive then.
	pinned := newServer(t)
	pinned.Eng.PinClock(st.Created.UnixMilli())
	ld, err = Load(pinned, path)
	pinned.Eng.PinClock(0)
	if err != nil || ld.Keys != 3 {
		t.Errorf("under a clock pinned to the cut: loaded %d keys (%v), want 3", ld.Keys, err)
	}
}

// A server that holds keys is refused: a load replaces nothing.
func TestLoadRefusesNonEmptyServer(t *testing.T) {
	src := newServer(t)
	do(t, src, session(t, src), "SET", "a", "1")
	path := filepath.Join(t.TempDir(), "dump.snap")
	if _, err := Write(context.Background(), src, path, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(src, path); err == nil || !strings.Contains(err.Error(), "already holds keys") {
		t.Fatalf("Load into a server with keys: %v", err)
	}
}

// sample writes a small valid snapshot and returns its path and bytes.
func sample(t *testing.T) (string, []byte) {
	t.Helper()
	src := newServer(t)
	c := session(t, src)
	for i := range 50 {
		do(t, src, c, "SET", "k"+strconv.Itoa(i), strings.Repeat("v", i))
		do(t, src, c, "RPUSH", "l"+strconv.Itoa(i), "a", "b")
	}
	path := filepath.Join(t.TempDir(), "dump.snap")
	if _, err := Write(context.Background(), src, path, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

// Damaged files are refused with what is wrong and where, and leave the
// server empty.
func TestDamagedFilesRefused(t *testing.T) {
	path, good := sample(t)
	newer := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(newer[8:], Version+1)
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x40
	trailing := append(append([]byte(nil), good...), 0)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated in a block", good[:len(good)/2], "truncated"},
		{"truncated before the end block", good[:len(good)-20], "truncated"},
		{"only the magic", good[:12], "ends without its end block: truncated (at offset 12)"},
		{"empty", nil, "not a Synap snapshot"},
		{"a flipped byte", flipped, "block checksum mismatch: the file is corrupt"},
		{"bytes after the end", trailing, "bytes after the end block"},
		{"another format", append([]byte("REDIS0011"), good[9:]...), "not a Synap snapshot"},
		{"newer version", newer, "snapshot " + path + ": format version " + strconv.Itoa(Version+1) + " is newer than this build (" + strconv.Itoa(Version) + ")"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			dst := newServer(t)
			_, err := Load(dst, path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "snapshot "+path+": ") {
				t.Fatalf("Load: %v\nwant an error containing %q", err, c.want)
			}
			if c.name != "newer version" && c.name != "empty" && c.name != "another format" && !strings.Contains(err.Error(), "at offset ") {
				t.Errorf("the error does not say where: %v", err)
			}
			for _, ns := range dst.Eng.Namespaces() {
				if ns.Keys() != 0 {
					t.Errorf("namespace %q holds %d keys after a refused load", ns.Name, ns.Keys())
				}
			}
		})
	}
}

// A write that does not finish (killed, disk full, cancelled) leaves the
// previous snapshot as it was: the new one goes to path.tmp and replaces
// it only once whole and synced.
func TestInterruptedWriteKeepsOldFile(t *testing.T) {
	path, good := sample(t)
	// A crash mid-write leaves a partial temporary file behind: it is
	// neither loaded nor in the way of the next write.
	if err := os.WriteFile(path+".tmp", good[:len(good)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	dst := newServer(t)
	if _, err := Load(dst, path); err != nil {
		t.Fatalf("the old file after a crash mid-write: %v", err)
	}

	// A cancelled write removes its temporary file and keeps the old one.
	src := newServer(t)
	do(t, src, session(t, src), "SET", "new", "data")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, src, path, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Write: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(good) {
		t.Error("a cancelled write changed the old file")
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file stays after a cancelled write: %v", err)
	}
	// A write that cannot create its file fails with the path, and the
	// old file stays.
	if err := os.Mkdir(path+".tmp", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(context.Background(), src, path, nil); err == nil || !strings.HasPrefix(err.Error(), "snapshot "+path) {
		t.Fatalf("Write with its temporary name taken by a directory: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(good) {
		t.Error("a failed write changed the old file")
	}
	_ = os.Remove(path + ".tmp")
	// And the next write succeeds, replacing it.
	if _, err := Write(context.Background(), src, path, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) == string(good) {
		t.Error("a successful write left the old file")
	}
}

// Records that no value can be in are refused with where they start; an
// empty aggregate (never kept, but harmless) is skipped, so a snapshot
// that caught one still loads.
func TestBadRecords(t *testing.T) {
	str := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	rec := func(kind byte, key string, rest ...byte) []byte {
		b := append([]byte{kind, 0}, str(key)...)
		return append(append(b, 0), rest...) // no deadline
	}
	good := rec(1, "k", append([]byte{0}, str("v")...)...)
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	path := filepath.Join(t.TempDir(), "bad.snap")
	// The data block's records start at offset 12 (magic, version) + 8
	// (the header block's frame) + 16 (the header) + 8 (the data block's
	// frame) + 1 (its type).
	const first = 12 + 8 + 16 + 8 + 1
	for _, c := range []struct {
		name    string
		records []byte
		want    string // "" : loads, with keys
		keys    int64
		n       uint64 // the end block's record count; 0: 1
	}{
		{"a string", good, "", 1, 0},
		{"an empty list", cat(rec(2, "l", 0), good), "", 1, 2},
		{"a record the end block does not count", cat(good, rec(1, "k2", 0, 1, 'v')), "2 key records, the end block counts 1", 0, 0},
		{"an unknown kind", cat(good, rec(99, "x")), "key record: unknown kind 99 (at offset " + strconv.Itoa(first+len(good)) + ")", 0, 0},
		{"a count past the block", rec(2, "l", 200, 1), "count 200 cannot fit", 0, 0},
		{"a length past the block", rec(1, "s", 0, 100, 'a'), "length 100 past the end of the block", 0, 0},
		{"a set member twice", rec(3, "s", 1, 2, 1, 'a', 1, 'a'), "set members repeat", 0, 0},
		{"an intset of words", rec(3, "s", 0, 1, 1, 'a'), "do not fit its encoding", 0, 0},
		{"a NaN score", rec(4, "z", 0, 1, 1, 'm', 0, 0, 0, 0, 0, 0, 0xf8, 0x7f), "NaN score", 0, 0},
		{"a namespace not in the table", append([]byte{1, 9}, good[2:]...), "namespace 9 is not in the header's table", 0, 0},
		{"a key twice", cat(good, good), `key "k" of database 0 appears twice`, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := c.n
			if n == 0 {
				n = 1
			}
			if err := os.WriteFile(path, wrap(c.records, n), 0o644); err != nil {
				t.Fatal(err)
			}
			dst := newServer(t)
			st, err := Load(dst, path)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Load: %v", err)
			case c.want == "" && st.Keys != c.keys:
				t.Errorf("loaded %d keys, want %d", st.Keys, c.keys)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Load: %v\nwant an error containing %q", err, c.want)
			case c.want != "" && dst.DBs[0].Keys() != 0:
				t.Errorf("a refused load left %d keys", dst.DBs[0].Keys())
			}
		})
	}
}
