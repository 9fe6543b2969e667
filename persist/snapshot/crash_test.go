package snapshot

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// crashChildEnv names the file the child process of TestKilledWriter
// snapshots into, over and over, until it is killed.
const crashChildEnv = "SYNAP_SNAPSHOT_CRASH_CHILD"

// TestKilledWriter kills (SIGKILL) a process in the middle of writing a
// snapshot over an older one: what is left at the path loads whole,
// either the old snapshot or a newer complete one, never a torn file.
func TestKilledWriter(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(t, path)
		return
	}
	path, good := sample(t)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestKilledWriter$", "-test.count", "1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once the temporary file has some of the next snapshot.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if fi, err := os.Stat(path + ".tmp"); err == nil && fi.Size() > 1<<20 {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the child never started writing")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	dst := newServer(t)
	st, err := Load(dst, path)
	if err != nil {
		t.Fatalf("after a writer was killed mid-write: %v", err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != string(good) && st.Keys != crashChildKeys {
		t.Errorf("loaded %d keys: neither the old file nor a whole new one", st.Keys)
	}
	t.Logf("loaded %d keys (old file kept: %v)", st.Keys, string(b) == string(good))
}

const crashChildKeys = 200_000

// crashChild fills a server and snapshots it into path until killed.
func crashChild(t *testing.T, path string) {
	srv := newServer(t)
	tx := srv.Eng.NewTx()
	var k [1][]byte
	for i := range crashChildKeys {
		k[0] = []byte("key:" + strconv.Itoa(i))
		tx.Begin(srv.DBs[0], k[:], true)
		tx.SetString(k[0], []byte("some value of a few dozen bytes, to have a file"), 0)
		tx.End()
	}
	for {
		if _, err := Write(context.Background(), srv, path, nil); err != nil {
			t.Fatal(err)
		}
	}
}
