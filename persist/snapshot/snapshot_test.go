package snapshot

import (
	"regexp"
	"strconv"
	"strings"

	"context"
	"path/filepath"
	"synap/commands"
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

// writeLoad snapshots src into a fresh file and loads it into dst.
func writeLoad(t *testing.T, src, dst *commands.Server) (Stats, Stats) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dump.snap")
	st, err := Write(context.Background(), src, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ld, err := Load(dst, path)
	if err != nil {
		t.Fatal(err)
	}
	if ld.Seq != st.Seq || ld.Bytes != st.Bytes || ld.Created.UnixMilli() != st.Created.UnixMilli() {
		t.Errorf("loaded %+v, wrote %+v", ld, st)
	}
	return st, ld
}

// Every kind, in every encoding a user can tell apart, comes back as it
// was: value, order, encoding, deadline, and for streams and queues every
// counter, group, consumer, pending entry and message.
func TestEveryKindRoundTrips(t *testing.T) {
	src := newServer(t)
	c := session(t, src)
	steps := [][]string{
		{"SET", "str", "v"},
		{"SET", "int", "12345"},
		{"SET", "ttl", "x", "PX", "3600000"},
		{"SET", "raw", "a"},
		{"APPEND", "raw", "b"},
		{"SET", "bin", "\x00\xff\r\n"},
		{"RPUSH", "list", "a", "b", "", "c"},
		{"LPUSH", "list", "z"},
		{"PEXPIRE", "list", "7200000"},
		{"SADD", "intset", "3", "1", "-2"},
		{"SADD", "settable", "x", "1", "y"},
		{"SREM", "settable", "1"},
		{"HSET", "hpacked", "f1", "v1", "f2", "v2"},
		{"HSET", "hlong", "f", strings.Repeat("v", 65)},
		{"ZADD", "zsmall", "1", "a", "-0", "b", "2.5", "c"},
		{"ZADD", "zbig", "-0", "neg", "1e300", strings.Repeat("m", 70), "-inf", "low"},
		{"XADD", "stream", "1-1", "a", "1"},
		{"XADD", "stream", "1-2", "a", "2", "b", "3"},
		{"XADD", "stream", "2-0", "c", "4"},
		{"XADD", "stream", "3-0", "a", "5"},
		{"XDEL", "stream", "1-2"},
		{"XGROUP", "CREATE", "stream", "g1", "0"},
		{"XGROUP", "CREATE", "stream", "g2", "$", "ENTRIESREAD", "3"},
		{"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "stream", ">"},
		{"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "1", "STREAMS", "stream", ">"},
		{"XGROUP", "CREATECONSUMER", "stream", "g2", "idle"},
		{"XADD", "emptystream", "5-5", "f", "v"},
		{"XDEL", "emptystream", "5-5"},
		{"QCREATE", "q", "MAXDEPTH", "100", "ACKDEADLINE", "60000", "MAXRETRIES", "3", "DLQ", "dead"},
		{"QPUBLISH", "q", "low", "PRIORITY", "1"},
		{"QPUBLISH", "q", "high", "PRIORITY", "9"},
		{"QPUBLISH", "q", "later", "DELAY", "3600000"},
		{"QPUBLISH", "q", "held"},
		{"QPUBLISH", "q", "ready"},
		{"QCONSUME", "q", "worker", "COUNT", "3"},
		{"QCREATE", "plain"},
	}
	for i := 0; i < 40; i++ {
		steps = append(steps, []string{"HSET", "hunpacked", "f" + strconv.Itoa(i), "v"})
		steps = append(steps, []string{"XADD", "bigstream", "*", "k", strconv.Itoa(i), "pad", strings.Repeat("p", 200)})
	}
	for i := 0; i < 30; i++ {
		steps = append(steps, []string{"HDEL", "hunpacked", "f" + strconv.Itoa(i)})
	}
	for i := 0; i < 600; i++ {
		steps = append(steps, []string{"HSET", "htable", "f" + strconv.Itoa(i), "v"}, []string{"SADD", "bigint", strconv.Itoa(i)})
	}
	for _, s := range steps {
		do(t, src, c, s...)
	}
	checks := map[string]string{
		"OBJECT ENCODING raw":       `"raw"`,
		"OBJECT ENCODING intset":    `"intset"`,
		"OBJECT ENCODING settable":  `"hashtable"`,
		"OBJECT ENCODING hlong":     `"hashtable"`,
		"OBJECT ENCODING hunpacked": `"listpack"`,
		"OBJECT ENCODING htable":    `"hashtable"`,
		"OBJECT ENCODING bigint":    `"hashtable"`,
		"OBJECT ENCODING zsmall":    `"listpack"`,
		"OBJECT ENCODING zbig":      `"skiplist"`,
		"TYPE q":                    `+queue`,
	}
	for cmd, want := range checks {
		if got := call(t, src, c, strings.Fields(cmd)...); got != want {
			t.Fatalf("setup: %s = %s, want %s", cmd, got, want)
		}
	}
	dst := newServer(t)
	_, ld := writeLoad(t, src, dst)
	if want := src.DBs[0].Keys(); ld.Keys != want {
		t.Errorf("loaded %d keys, want %d", ld.Keys, want)
	}
	at := time.Now().UnixMilli()
	compareData(t, dumpData(src, at), dumpData(dst, at))

	// What users see after the load, beyond the data compared above.
	d := session(t, dst)
	for cmd, want := range checks {
		if got := call(t, dst, d, strings.Fields(cmd)...); got != want {
			t.Errorf("after load: %s = %s, want %s", cmd, got, want)
		}
	}
	// XPENDING's idle times are relative to now: both servers read one
	// instant, or a millisecond passing between the two calls shows as a
	// difference (seen once in make test: 31 against 30).
	now := time.Now().UnixMilli()
	src.Eng.PinClock(now)
	dst.Eng.PinClock(now)
	for _, cmd := range []string{"XINFO STREAM stream FULL", "XPENDING stream g1 - + 10", "XINFO GROUPS stream", "MEMORY USAGE hpacked", "MEMORY USAGE hunpacked"} {
		want, got := call(t, src, c, strings.Fields(cmd)...), call(t, dst, d, strings.Fields(cmd)...)
		if cmd == "XINFO STREAM stream FULL" || cmd == "XINFO GROUPS stream" {
			// Idle times are relative to now: compare the rest.
			want, got = dropIdle(want), dropIdle(got)
		}
		if got != want {
			t.Errorf("after load: %s =\n%s\nwant\n%s", cmd, got, want)
		}
	}
	src.Eng.PinClock(0)
	dst.Eng.PinClock(0)
	// The messages that were in flight are still held by their consumer
	// until their deadline: only "ready" is delivered now, and the held
	// ones can be acked.
	if got := call(t, dst, d, "QCONSUME", "q", "w2", "COUNT", "5"); !strings.Contains(got, `"ready"`) || strings.Contains(got, `"held"`) || strings.Contains(got, `"high"`) {
		t.Errorf("after load, QCONSUME = %s\nwant only \"ready\"", got)
	}
	// Past their deadline they are delivered again, their deliveries
	// counted, each at the head of its priority; the delayed one stays.
	dst.Eng.PinClock(time.Now().UnixMilli() + 61000)
	defer dst.Eng.PinClock(0)
	got := call(t, dst, d, "QCONSUME", "q", "w3", "COUNT", "5")
	var order []string
	for _, m := range regexp.MustCompile(`"payload" ("[^"]*") "priority" :\d+ "deliveries" :(\d+)`).FindAllStringSubmatch(got, -1) {
		order = append(order, m[1]+" "+m[2])
	}
	// "ready" went to w2 after the load, so it is due again too, and
	// its later deadline puts it back ahead of "held".
	want := `"high" 2; "low" 2; "ready" 2; "held" 2`
	if strings.Join(order, "; ") != want {
		t.Errorf("past the deadline, QCONSUME = %s\nwant payloads and deliveries %s", got, want)
	}
}

// dropIdle removes the numbers that follow the idle-time fields of an
// XINFO reply, which depend on when it runs.
func dropIdle(s string) string {
	f := strings.Fields(s)
	for i := 0; i+1 < len(f); i++ {
		if strings.Contains(f[i], `"seen-time"`) || strings.Contains(f[i], `"idle"`) || strings.Contains(f[i], `"active-time"`) || strings.Contains(f[i], `"inactive"`) {
			f[i+1] = "#"
		}
	}
	return strings.Join(f, " ")
}
