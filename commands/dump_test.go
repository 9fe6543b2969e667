package commands

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"synap/rdb"
	"synap/resp/resptest"
)

func init() {
	// A payload is bytes of the caller's own making: RESTORE writes only the
	// caller's namespace, DUMP reads only its own keys.
	isolationExamples["dump"] = [][]string{{"dump", "k1"}, {"dump", "user:bob:k1"}, {"dump", "k9"}}
	isolationExamples["restore"] = [][]string{
		{"restore", "k9", "0", string(rdb.DumpString([]byte("alice-9")))},
		{"restore", "k1", "0", string(rdb.DumpString([]byte("alice-r"))), "REPLACE"},
		{"restore", "k2", "0", string(rdb.DumpString([]byte("alice-r")))},
	}
	// With REPLACE the reply is OK whatever was stored; without it BUSYKEY
	// would tell, so that form needs read too.
	p := string(rdb.DumpString([]byte("v")))
	permsProbes["restore"] = [][]string{{"restore", "s", "0", p, "replace"}, {"restore", "kx", "0", p}, {"restore", "s", "0", p}}
}

// dumpValues are strings in each of Redis's string encodings: integers of
// each width, raw, and long repetitive strings Redis sends LZF-compressed.
var dumpValues = []string{
	"", "x", "0", "-1", "127", "-128", "300", "-40000", "2147483647", "-2147483648", "2147483648",
	"12345678901", "007", "3.14", "hello world",
	strings.Repeat("abc", 30), strings.Repeat("synap-", 5000), strings.Repeat("z", 1<<20),
}

func goRedis(t *testing.T, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestDumpRestoreDifferential moves every value from redis-server to Synap
// and back and checks the value and its TTL on each side.
func TestDumpRestoreDifferential(t *testing.T) {
	ctx := context.Background()
	rc := resptest.StartRedis(t)
	red := goRedis(t, rc.Conn.RemoteAddr().String())
	syn := goRedis(t, startServer(t).Addr().String())
	for i, v := range dumpValues {
		if err := red.Set(ctx, "src", v, 0).Err(); err != nil {
			t.Fatal(err)
		}
		p, err := red.Dump(ctx, "src").Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := syn.Restore(ctx, "k", 0, p).Err(); err != nil {
			t.Fatalf("value %d: Synap RESTORE of Redis's payload: %v", i, err)
		}
		if got, _ := syn.Get(ctx, "k").Result(); got != v {
			t.Fatalf("value %d: Synap holds %d bytes, want %d", i, len(got), len(v))
		}
		back, err := syn.Dump(ctx, "k").Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := red.RestoreReplace(ctx, "back", 0, back).Err(); err != nil {
			t.Fatalf("value %d: Redis RESTORE of Synap's payload: %v", i, err)
		}
		if got, _ := red.Get(ctx, "back").Result(); got != v {
			t.Fatalf("value %d: Redis holds %d bytes back, want %d", i, len(got), len(v))
		}
		syn.Del(ctx, "k")
	}
	// A TTL restored relative and absolute.
	p, _ := red.Dump(ctx, "src").Result()
	if err := syn.Restore(ctx, "ttl", 100*1e9, p).Err(); err != nil {
		t.Fatal(err)
	}
	if ms := syn.PTTL(ctx, "ttl").Val().Milliseconds(); ms <= 90000 || ms > 100000 {
		t.Fatalf("PTTL %d", ms)
	}
	if got := syn.Do(ctx, "RESTORE", "abs", "4102444800000", p, "ABSTTL").Val(); got != "OK" {
		t.Fatalf("ABSTTL: %v", got)
	}
	if got := syn.PExpireTime(ctx, "abs").Val().Milliseconds(); got != 4102444800000 {
		t.Fatalf("PEXPIRETIME %d", got)
	}
}

// TestRestoreErrors compares every error reply with redis-server's.
func TestRestoreErrors(t *testing.T) {
	good := string(rdb.DumpString([]byte("v")))
	bad := []byte(good)
	bad[2] ^= 0xff
	huge := []byte{0, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 10, 0}
	huge = append(huge, make([]byte, 8)...)
	seal := sealed
	cases := [][]string{
		{"RESTORE", "k", "0", good},
		{"RESTORE", "k", "0", good},
		{"RESTORE", "k", "0", good, "REPLACE"},
		{"RESTORE", "k", "-1", good, "REPLACE"},
		{"RESTORE", "k", "x", good, "REPLACE"},
		{"RESTORE", "k", "0", string(bad), "REPLACE"},
		{"RESTORE", "k", "0", "short", "REPLACE"},
		{"RESTORE", "k", "0", seal(huge[:10]), "REPLACE"},
		{"RESTORE", "k", "0", seal([]byte{0, 20, 'a'}), "REPLACE"},
		{"RESTORE", "k", "0", seal([]byte{0, 0xc3, 2, 0x80, 0xff, 0xff, 0xff, 0xff, 0, 'a'}), "REPLACE"},
		{"RESTORE", "k", "0", good, "REPLACE", "IDLETIME", "-1"},
		{"RESTORE", "k", "0", good, "REPLACE", "FREQ", "256"},
		{"RESTORE", "k", "0", good, "REPLACE", "FREQ", "1", "IDLETIME", "1"},
		{"RESTORE", "k", "0", good, "REPLACE", "IDLETIME", "5", "FREQ", "2"},
		{"RESTORE", "k", "0", good, "REPLACE", "IDLETIME", "10"},
		{"RESTORE", "k", "0", good, "BOGUS"},
		{"RESTORE", "k", "1", good, "REPLACE", "ABSTTL"},
		{"EXISTS", "k"},
		{"RESTORE", "k"},
		{"DUMP", "nokey"},
	}
	rc := resptest.StartRedis(t)
	sc := dial(t, startServer(t))
	for _, c := range cases {
		want, got := rc.Do(c...), sc.Do(c...)
		if got != want {
			t.Errorf("%.60q: Synap %s, Redis %s", c, got, want)
		}
	}
}

func sealed(body []byte) string {
	b := append([]byte(nil), body...)
	b = append(b, rdb.Version, 0)
	sum := rdb.Checksum(b)
	for i := 0; i < 8; i++ {
		b = append(b, byte(sum>>(8*i)))
	}
	return string(b)
}

// TestDumpRestoreCollectionsDifferential builds each collection in each
// encoding Redis 7.0 chooses (listpack, quicklist with plain nodes, intset,
// hashtable, skiplist), moves it to Synap and back, and compares the
// contents on all three keys.
func TestDumpRestoreCollectionsDifferential(t *testing.T) {
	ctx := context.Background()
	rc := resptest.StartRedis(t)
	red := goRedis(t, rc.Conn.RemoteAddr().String())
	syn := goRedis(t, startServer(t).Addr().String())
	many := func(n int, f func(i int) []any) []any {
		var out []any
		for i := range n {
			out = append(out, f(i)...)
		}
		return out
	}
	cases := []struct {
		name, read, enc string
		build           []any
	}{
		{"list-small", "lrange", "quicklist", []any{"RPUSH", "a", "1", "-5", "300", "70000", "-3000000000", "9223372036854775807", "hello", strings.Repeat("m", 100), strings.Repeat("n", 5000)}},
		{"list-large", "lrange", "quicklist", many(2000, func(i int) []any { return []any{strconv.Itoa(i * 37)} })},
		{"list-plain", "lrange", "quicklist", []any{"RPUSH", "x", strings.Repeat("big", 4000), "y"}},
		{"set-intset", "sort", "intset", []any{"SADD", "1", "2", "-3", "70000", "5000000000", "-9223372036854775808"}},
		{"set-hashtable", "sort", "hashtable", many(300, func(i int) []any { return []any{"m" + strconv.Itoa(i)} })},
		{"hash-listpack", "hgetall", "listpack", []any{"HSET", "f", "v", "n", "12", "neg", "-7000", "e", ""}},
		{"hash-hashtable", "hgetall", "hashtable", many(600, func(i int) []any { return []any{"f" + strconv.Itoa(i), strconv.Itoa(i)} })},
		{"hash-longvalue", "hgetall", "hashtable", []any{"HSET", "f", strings.Repeat("v", 100)}},
		{"zset-listpack", "zrange", "listpack", []any{"ZADD", "1.5", "a", "-2", "b", "inf", "c", "-inf", "d", "3", "e", "0.1", "f"}},
		{"zset-skiplist", "zrange", "skiplist", many(300, func(i int) []any { return []any{strconv.Itoa(i) + ".25", "m" + strconv.Itoa(i)} })},
	}
	read := func(c *redis.Client, how, key string) string {
		var r *redis.Cmd
		switch how {
		case "lrange":
			r = c.Do(ctx, "LRANGE", key, 0, -1)
		case "sort":
			r = c.Do(ctx, "SORT", key, "ALPHA")
		case "hgetall":
			m, err := c.HGetAll(ctx, key).Result()
			return fmt.Sprint(m, err)
		case "zrange":
			r = c.Do(ctx, "ZRANGE", key, 0, -1, "WITHSCORES")
		}
		v, err := r.Result()
		return fmt.Sprint(v, err)
	}
	for _, c := range cases {
		build := c.build
		if build[0] == "RPUSH" || build[0] == "SADD" || build[0] == "HSET" || build[0] == "ZADD" {
			build = build[1:]
		}
		cmd := map[string]string{"lrange": "RPUSH", "sort": "SADD", "hgetall": "HSET", "zrange": "ZADD"}[c.read]
		red.Del(ctx, "src")
		if err := red.Do(ctx, append([]any{cmd, "src"}, build...)...).Err(); err != nil {
			t.Fatal(c.name, err)
		}
		if enc := red.ObjectEncoding(ctx, "src").Val(); enc != c.enc {
			t.Fatalf("%s: Redis encodes it as %s, the case wants %s", c.name, enc, c.enc)
		}
		want := read(red, c.read, "src")
		p := red.Dump(ctx, "src").Val()
		if err := syn.RestoreReplace(ctx, "k", 0, p).Err(); err != nil {
			t.Fatalf("%s: Synap RESTORE: %v", c.name, err)
		}
		if got := read(syn, c.read, "k"); got != want {
			t.Fatalf("%s: Synap holds %.200s, want %.200s", c.name, got, want)
		}
		back := syn.Dump(ctx, "k").Val()
		if err := red.RestoreReplace(ctx, "back", 0, back).Err(); err != nil {
			t.Fatalf("%s: Redis RESTORE of Synap's payload: %v", c.name, err)
		}
		if got := read(red, c.read, "back"); got != want {
			t.Fatalf("%s: Redis holds %.200s back, want %.200s", c.name, got, want)
		}
	}
}

// TestPropagateRestore: the hook records RESTORE with its deadline made
// absolute (a relative TTL would move on replay) and REPLACE, and a RESTORE
// whose deadline is past as DEL.
func TestPropagateRestore(t *testing.T) {
	srv, rec := startRecorded(t)
	c := dial(t, srv)
	p := string(rdb.DumpList([][]byte{[]byte("a"), []byte("b")}))
	if got := c.Do("RESTORE", "l", "10000", p); got != "+OK" {
		t.Fatalf("RESTORE: %s", got)
	}
	if got := c.Do("RESTORE", "l", "1000", p, "ABSTTL", "REPLACE"); got != "+OK" {
		t.Fatalf("RESTORE past: %s", got)
	}
	if got := c.Do("RESTORE", "l", "0", "garbage"); got != "-ERR DUMP payload version or checksum are wrong" {
		t.Fatalf("RESTORE garbage: %s", got)
	}
	recs := rec.take()
	var got []string
	for _, r := range recs {
		got = append(got, string(joinArgs(r.Args)))
	}
	want := []string{"RESTORE l " + strconv.FormatInt(pinnedAt+10000, 10) + " " + p + " ABSTTL REPLACE", "DEL l"}
	if !slices.Equal(got, want) {
		t.Fatalf("records %q, want %q", got, want)
	}
}

// TestHostileRestoreQuota: a small payload that expands to many elements is
// held to the tenant's storage quota like RPUSH of the same elements, and
// RESTORE reaches only the caller's namespace.
func TestHostileRestoreQuota(t *testing.T) {
	_, c, ns := quotaCarol(t, "storage_limit_bytes: 1048576, max_keys: -1")
	items := make([][]byte, 20000)
	for i := range items {
		items[i] = []byte{}
	}
	used := ns.Bytes()
	want := fmt.Sprintf("-QUOTA storage quota exceeded: used %d of 1048576 bytes", used)
	if got := c.Do("RESTORE", "l", "0", string(rdb.DumpList(items))); got != want {
		t.Fatalf("RESTORE of 20000 elements: %s, want %s", got, want)
	}
	if got := c.Do("EXISTS", "l"); got != ":0" || ns.Bytes() != used {
		t.Fatalf("after a refused RESTORE: EXISTS %s, %d bytes (want %d)", got, ns.Bytes(), used)
	}
	if got := c.Do("RESTORE", "l", "0", string(rdb.DumpList(items[:100]))); got != "+OK" {
		t.Fatalf("RESTORE of 100 elements: %s", got)
	}
	if got := c.Do("LLEN", "l"); got != ":100" {
		t.Fatalf("LLEN %s", got)
	}
}

// TestRDBFileFromRedis parses the file redis-server writes on SAVE: every
// key of every type and database, with its deadline.
func TestRDBFileFromRedis(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rc := resptest.StartRedis(t, "--dir", dir)
	red := goRedis(t, rc.Conn.RemoteAddr().String())
	red.Set(ctx, "s", "hello", 0)
	red.Set(ctx, "n", "12345", 0)
	red.Set(ctx, "big", strings.Repeat("ab", 1000), 0)
	red.PExpireAt(ctx, "s", time.UnixMilli(4102444800123))
	red.RPush(ctx, "l", "a", "1", strings.Repeat("x", 9000))
	red.SAdd(ctx, "st", "1", "2", "3")
	red.HSet(ctx, "h", "f", "v")
	red.ZAdd(ctx, "z", redis.Z{Score: 1.5, Member: "m"})
	red.Do(ctx, "XADD", "x", "1-1", "a", "b")
	red.Do(ctx, "XADD", "x", "2-0", "a", "c")
	red.Do(ctx, "XGROUP", "CREATE", "x", "g", "0")
	red.Do(ctx, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "x", ">")
	pipe := red.Pipeline()
	pipe.Do(ctx, "SELECT", "3")
	pipe.Set(ctx, "in3", "x", 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := red.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	err = rdb.ReadFile(b, func(r rdb.Record) error {
		v := r.Value
		got[fmt.Sprintf("%d/%s", r.DB, r.Key)] = fmt.Sprintf("%d %d %.20s %q %v", v.Type, r.ExpireAt, v.Str, v.Items, v.Scores)
		if st := v.Stream; st != nil {
			got[fmt.Sprintf("%d/%s", r.DB, r.Key)] += fmt.Sprintf(" %d entries, last %v, %d group %s pending %v held by %s",
				len(st.Entries), st.LastID, len(st.Groups), st.Groups[0].Name, st.Groups[0].Pending[0].ID, st.Groups[0].Consumers[0].Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"0/s":   `0 4102444800123 hello [] []`,
		"0/n":   `0 0 12345 [] []`,
		"0/big": `0 0 abababababababababab [] []`,
		"0/l":   fmt.Sprintf(`1 0  ["a" "1" %q] []`, strings.Repeat("x", 9000)),
		"0/st":  `2 0  ["1" "2" "3"] []`,
		"0/h":   `4 0  ["f" "v"] []`,
		"0/z":   `5 0  ["m"] [1.5]`,
		"0/x":   `19 0  [] [] 2 entries, last {2 0}, 1 group g pending {1 1} held by c1`,
		"3/in3": `0 0 x [] []`,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %.120s, want %.120s", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d keys, want %d", len(got), len(want))
	}
	b[20] ^= 1
	if err := rdb.ReadFile(b, func(rdb.Record) error { t.Fatal("a damaged file handed out a key"); return nil }); err == nil {
		t.Fatal("a damaged file parsed")
	}
}

// A compressed string claims its size: a tenant's RESTORE of a few KB
// claiming more than its storage left is refused with the quota's text
// before anything is decompressed, whatever the compressed bytes hold.
func TestHostileRestoreLZFClaim(t *testing.T) {
	_, c, ns := quotaCarol(t, "storage_limit_bytes: 1048576, max_keys: -1")
	in := make([]byte, 24<<10) // not even valid LZF: the claim alone decides
	body := []byte{rdb.TypeString, 0xC3}
	body = rdb.AppendLen(body, uint64(len(in)))
	body = rdb.AppendLen(body, uint64(len(in))*88) // 2 MB, past the 1 MB quota
	body = append(body, in...)
	body = binary.LittleEndian.AppendUint16(body, rdb.Version)
	payload := binary.LittleEndian.AppendUint64(body, rdb.Checksum(body))
	used := ns.Bytes()
	want := fmt.Sprintf("-QUOTA storage quota exceeded: used %d of 1048576 bytes", used)
	if got := c.Do("RESTORE", "s", "0", string(payload)); got != want {
		t.Fatalf("RESTORE claiming 2 MB: %s, want %s", got, want)
	}
}

// TestDumpRestoreStreamDifferential moves streams with consumer groups,
// pending entries and deleted entries from redis-server to Synap and back:
// every reply that reads them matches Redis's own, and the stream Redis
// gets back is the one it dumped (XINFO STREAM FULL: delivery times, seen
// times and counters included), bar the radix tree's shape.
func TestDumpRestoreStreamDifferential(t *testing.T) {
	ctx := context.Background()
	rc := resptest.StartRedis(t)
	red := goRedis(t, rc.Conn.RemoteAddr().String())
	syn := goRedis(t, startServer(t).Addr().String())
	do := func(c *redis.Client, args ...any) any {
		t.Helper()
		v, err := c.Do(ctx, args...).Result()
		if err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
		return v
	}
	// Redis's own building of the streams.
	pipe := red.Pipeline()
	for i := 1; i <= 250; i++ {
		pipe.Do(ctx, "XADD", "full", fmt.Sprintf("%d-%d", i, i%3), "f1", "v"+strconv.Itoa(i), "f2", strconv.Itoa(i*7-500))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]any{
		{"XADD", "full", "300-0", "other", strings.Repeat("x", 5000)},
		{"XADD", "full", "301-5", "f1", "", "f2", "-99999999999"},
		{"XDEL", "full", "5-2", "6-0", "200-2"},
		{"XGROUP", "CREATE", "full", "g1", "0"},
		{"XGROUP", "CREATE", "full", "g2", "$"},
		{"XGROUP", "CREATE", "full", "g0", "100-0", "ENTRIESREAD", "40"},
		{"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "full", ">"},
		{"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "full", ">"},
		{"XGROUP", "CREATECONSUMER", "full", "g1", "carol"},
		{"XACK", "full", "g1", "1-1"},
		{"XCLAIM", "full", "g1", "carol", "0", "2-2"},
		{"XADD", "emptied", "7-7", "a", "b"},
		{"XDEL", "emptied", "7-7"},
		{"XADD", "plain", "*", "k", "v"},
	} {
		do(red, cmd...)
	}
	drop := func(v any, keys ...string) any {
		l, ok := v.([]any)
		if !ok {
			return v
		}
		var out []any
		for i := 0; i+1 < len(l); i += 2 {
			if !slices.Contains(keys, fmt.Sprint(l[i])) {
				out = append(out, l[i], l[i+1])
			}
		}
		return out
	}
	each := func(v any, f func(any) any) any {
		l, _ := v.([]any)
		out := make([]any, len(l))
		for i, x := range l {
			out[i] = f(x)
		}
		return out
	}
	shape := []string{"radix-tree-keys", "radix-tree-nodes"}
	reads := func(c *redis.Client, key string, groups bool) map[string]string {
		out := map[string]string{
			"XRANGE":      fmt.Sprint(do(c, "XRANGE", key, "-", "+")),
			"XINFO":       fmt.Sprint(drop(do(c, "XINFO", "STREAM", key), shape...)),
			"XINFO GROUP": fmt.Sprint(each(do(c, "XINFO", "GROUPS", key), func(g any) any { return g })),
		}
		if groups {
			out["CONSUMERS"] = fmt.Sprint(each(do(c, "XINFO", "CONSUMERS", key, "g1"), func(x any) any { return drop(x, "idle") }))
			out["XPENDING"] = fmt.Sprint(do(c, "XPENDING", key, "g1"))
			out["XPENDING -"] = fmt.Sprint(each(do(c, "XPENDING", key, "g1", "-", "+", "100"), func(x any) any {
				l := x.([]any)
				return []any{l[0], l[1], l[3]} // without the idle time
			}))
		}
		return out
	}
	for _, key := range []string{"full", "emptied", "plain"} {
		want := reads(red, key, key == "full")
		p := red.Dump(ctx, key).Val()
		if err := syn.RestoreReplace(ctx, "k", 0, p).Err(); err != nil {
			t.Fatalf("%s: Synap RESTORE of Redis's payload: %v", key, err)
		}
		got := reads(syn, "k", key == "full")
		for what, w := range want {
			if got[what] != w {
				t.Errorf("%s: Synap's %s:\n%.600s\nRedis's:\n%.600s", key, what, got[what], w)
			}
		}
		back := syn.Dump(ctx, "k").Val()
		if err := red.RestoreReplace(ctx, "back", 0, back).Err(); err != nil {
			t.Fatalf("%s: Redis RESTORE of Synap's payload: %v", key, err)
		}
		full := func(k string) string { return fmt.Sprint(drop(do(red, "XINFO", "STREAM", k, "FULL"), shape...)) }
		if g, w := full("back"), full(key); g != w {
			t.Errorf("%s: back in Redis, XINFO STREAM FULL:\n%.800s\nwant:\n%.800s", key, g, w)
		}
	}
	// Redis loads Synap's payloads under its deepest checks too.
	do(red, "CONFIG", "SET", "sanitize-dump-payload", "yes")
	if err := red.RestoreReplace(ctx, "checked", 0, syn.Dump(ctx, "k").Val()).Err(); err != nil {
		t.Fatalf("Redis with sanitize-dump-payload yes: %v", err)
	}
}
