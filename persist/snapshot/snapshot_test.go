package snapshot

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestStringsRoundTrip(t *testing.T) {
	src := newServer(t)
	c := session(t, src)
	do(t, src, c, "SET", "a", "1")
	do(t, src, c, "SET", "b", "hello", "PX", "100000")
	do(t, src, c, "APPEND", "r", "grown")
	do(t, src, c, "SELECT", "3")
	do(t, src, c, "SET", "a", "db3")
	path := filepath.Join(t.TempDir(), "dump.snap")
	st, err := Write(context.Background(), src, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Keys != 4 {
		t.Errorf("wrote %d keys, want 4", st.Keys)
	}
	dst := newServer(t)
	ld, err := Load(dst, path)
	if err != nil {
		t.Fatal(err)
	}
	if ld.Keys != 4 || ld.Bytes != st.Bytes {
		t.Errorf("loaded %+v, wrote %+v", ld, st)
	}
	at := time.Now().UnixMilli()
	compareData(t, dumpData(src, at), dumpData(dst, at))
}
