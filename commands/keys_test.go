package commands

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/engine"
	"synap/resp/resptest"
	"synap/tenant"
)

// keysRedisEnv names a real redis-server (host:port) to run the reply-only
// tests against instead of Synap, which proves every expected reply is
// what Redis itself sends. Its databases are flushed.
const keysRedisEnv = "SYNAP_KEYS_REDIS"

// keysClient returns a client of a fresh Synap, or of the real Redis named
// by keysRedisEnv; srv is nil then.
func keysClient(t *testing.T) (*resptest.Client, *Server) {
	t.Helper()
	if addr := os.Getenv(keysRedisEnv); addr != "" {
		c, err := resptest.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if got := c.Do("FLUSHALL"); got != "+OK" {
			t.Fatalf("FLUSHALL: %s", got)
		}
		return c, nil
	}
	srv := startServer(t)
	return dial(t, srv), srv
}

// keysSynapOnly skips a test that looks inside the server.
func keysSynapOnly(t *testing.T) {
	if os.Getenv(keysRedisEnv) != "" {
		t.Skip("inspects Synap's internals")
	}
}

// keysList parses a rendered flat array of plain names, sorted.
func keysList(t *testing.T, reply string) []string {
	t.Helper()
	out := commandStrings(t, reply)
	slices.Sort(out)
	return out
}

// keysInt parses a rendered integer reply.
func keysInt(t *testing.T, reply string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.TrimPrefix(reply, ":"), 10, 64)
	if err != nil || !strings.HasPrefix(reply, ":") {
		t.Fatalf("not an integer reply: %s", reply)
	}
	return n
}

func TestKeysDelExistsTypeTouch(t *testing.T) {
	c, _ := keysClient(t)
	runSteps(t, c, []step{
		{cmd: "SET a 1", want: "+OK"},
		{cmd: "SET b 2", want: "+OK"},
		{cmd: "EXISTS a a nokey b", want: ":3"},
		{cmd: "EXISTS nokey", want: ":0"},
		{cmd: "TYPE a", want: "+string"},
		{cmd: "TYPE nokey", want: "+none"},
		{cmd: "TOUCH a b nokey a", want: ":3"},
		{cmd: "DBSIZE", want: ":2"},
		{cmd: "DEL a a nokey", want: ":1"},
		{cmd: "UNLINK b a", want: ":1"},
		{cmd: "DBSIZE", want: ":0"},
		{cmd: "DEL", want: "-ERR wrong number of arguments for 'del' command"},
		{cmd: "UNLINK", want: "-ERR wrong number of arguments for 'unlink' command"},
		{cmd: "EXISTS", want: "-ERR wrong number of arguments for 'exists' command"},
		{cmd: "TOUCH", want: "-ERR wrong number of arguments for 'touch' command"},
		{cmd: "TYPE a b", want: "-ERR wrong number of arguments for 'type' command"},
		{cmd: "DBSIZE x", want: "-ERR wrong number of arguments for 'dbsize' command"},
	})
}

func TestKeysExpireOptions(t *testing.T) {
	c, _ := keysClient(t)
	runSteps(t, c, []step{
		{cmd: "EXPIRE nokey 10", want: ":0"},
		{cmd: "SET k v", want: "+OK"},
		{cmd: "EXPIRE k abc FOO", want: "-ERR Unsupported option FOO"},
		{cmd: "EXPIRE k 10 nx xx", want: "-ERR NX and XX, GT or LT options at the same time are not compatible"},
		{cmd: "PEXPIRE k 10 lt nx", want: "-ERR NX and XX, GT or LT options at the same time are not compatible"},
		{cmd: "EXPIREAT k 10 gt lt", want: "-ERR GT and LT options at the same time are not compatible"},
		{cmd: "EXPIRE k abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "EXPIRE k 1.5", want: "-ERR value is not an integer or out of range"},
		{cmd: "EXPIRE nokey abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "EXPIRE k 9223372036854775807", want: "-ERR invalid expire time in 'expire' command"},
		{cmd: "EXPIRE k -9223372036854775808", want: "-ERR invalid expire time in 'expire' command"},
		{cmd: "EXPIRE k 9223372036854775", want: "-ERR invalid expire time in 'expire' command"},
		{cmd: "PEXPIRE k 9223372036854775807", want: "-ERR invalid expire time in 'pexpire' command"},
		{cmd: "EXPIREAT k 9223372036854775807", want: "-ERR invalid expire time in 'expireat' command"},
		{cmd: "EXPIRE nokey 9223372036854775807", want: "-ERR invalid expire time in 'expire' command"},
		{cmd: "TTL k", want: ":-1"},
		// GT never beats "no expiry"; XX needs one; LT and NX do not.
		{cmd: "EXPIRE k 100 gt", want: ":0"},
		{cmd: "EXPIRE k 100 xx", want: ":0"},
		{cmd: "PEXPIREAT k 4102444800499 lt", want: ":1"},
		{cmd: "EXPIRETIME k", want: ":4102444800"},
		{cmd: "PEXPIRETIME k", want: ":4102444800499"},
		{cmd: "EXPIREAT k 4102444800 nx", want: ":0"},
		{cmd: "PEXPIREAT k 4102444800499 gt", want: ":0"},
		{cmd: "PEXPIREAT k 4102444800499 lt", want: ":0"},
		{cmd: "PEXPIREAT k 4102444800500 GT", want: ":1"},
		{cmd: "EXPIRETIME k", want: ":4102444801"},
		{cmd: "EXPIREAT k 4102444700 xx lt", want: ":1"},
		{cmd: "PEXPIRETIME k", want: ":4102444700000"},
		{cmd: "EXPIREAT k 4102444800 xx gt", want: ":1"},
		{cmd: "EXPIREAT k 4102444800 nx nx", want: ":0"},
		{cmd: "PERSIST k", want: ":1"},
		{cmd: "PERSIST k", want: ":0"},
		{cmd: "PERSIST nokey", want: ":0"},
		{cmd: "EXPIRETIME k", want: ":-1"},
		{cmd: "PEXPIRETIME nokey", want: ":-2"},
		{cmd: "TTL nokey", want: ":-2"},
		{cmd: "PTTL nokey", want: ":-2"},
		{cmd: "PTTL k", want: ":-1"},
		{cmd: "EXPIREAT k 4102444800 nx", want: ":1"},
		{cmd: "EXPIRE", want: "-ERR wrong number of arguments for 'expire' command"},
		{cmd: "PEXPIREAT k", want: "-ERR wrong number of arguments for 'pexpireat' command"},
		{cmd: "TTL", want: "-ERR wrong number of arguments for 'ttl' command"},
		{cmd: "PERSIST a b", want: "-ERR wrong number of arguments for 'persist' command"},
	})
}

func TestKeysExpireInThePastDeletes(t *testing.T) {
	c, _ := keysClient(t)
	runSteps(t, c, []step{
		{cmd: "SET a v", want: "+OK"},
		{cmd: "SET b v", want: "+OK"},
		{cmd: "SET c v", want: "+OK"},
		{cmd: "SET d v", want: "+OK"},
		{cmd: "EXPIRE a -1", want: ":1"},
		{cmd: "EXPIREAT b 0", want: ":1"},
		{cmd: "PEXPIRE c 0", want: ":1"},
		{cmd: "PEXPIREAT d 1 lt", want: ":1"},
		{cmd: "EXISTS a b c d", want: ":0"},
		{cmd: "DBSIZE", want: ":0"},
		{cmd: "SET e v", want: "+OK"},
		{cmd: "EXPIRE e -1 gt", want: ":0"},
		{cmd: "EXISTS e", want: ":1"},
	})
}

func TestKeysTTLCountsDown(t *testing.T) {
	c, _ := keysClient(t)
	runSteps(t, c, []step{
		{cmd: "SET k v", want: "+OK"},
		{cmd: "EXPIRE k 100", want: ":1"},
	})
	// Only bounds: the exact value depends on how long the call took.
	if ttl := keysInt(t, c.Do("TTL", "k")); ttl < 1 || ttl > 100 {
		t.Errorf("TTL after EXPIRE 100 = %d", ttl)
	}
	if pttl := keysInt(t, c.Do("PTTL", "k")); pttl < 1 || pttl > 100000 {
		t.Errorf("PTTL after EXPIRE 100 = %d", pttl)
	}
	now := time.Now().Unix()
	if at := keysInt(t, c.Do("EXPIRETIME", "k")); at < now || at > now+101 {
		t.Errorf("EXPIRETIME = %d, now %d", at, now)
	}
}

func TestKeysShortTTLExpires(t *testing.T) {
	c, _ := keysClient(t)
	runSteps(t, c, []step{
		{cmd: "SET gone v PX 1", want: "+OK"},
		{cmd: "SET kept v", want: "+OK"},
	})
	deadline := time.Now().Add(10 * time.Second)
	for c.Do("EXISTS", "gone") != ":0" {
		if time.Now().After(deadline) {
			t.Fatal("a key with a 1 ms TTL still exists after 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	runSteps(t, c, []step{
		{cmd: "TTL gone", want: ":-2"},
		{cmd: "GET gone", want: "nil"},
		{cmd: "EXPIRE gone 10", want: ":0"},
		{cmd: "RENAME gone x", want: "-ERR no such key"},
		{cmd: "DBSIZE", want: ":1"},
	})
}

func TestKeysRename(t *testing.T) {
	c, srv := keysClient(t)
	runSteps(t, c, []step{
		{cmd: "RENAME nokey x", want: "-ERR no such key"},
		{cmd: "RENAME nokey nokey", want: "-ERR no such key"},
		{cmd: "RENAMENX nokey nokey", want: "-ERR no such key"},
		{cmd: "SET k v", want: "+OK"},
		{cmd: "PEXPIREAT k 4102444800123", want: ":1"},
		{cmd: "RENAME k k", want: "+OK"},
		{cmd: "RENAMENX k k", want: ":0"},
		{cmd: "RENAME k k2", want: "+OK"},
		{cmd: "EXISTS k", want: ":0"},
		{cmd: "GET k2", want: `"v"`},
		{cmd: "PEXPIRETIME k2", want: ":4102444800123"},
		{cmd: "SET n a-longer-value", want: "+OK"},
		{cmd: "RENAMENX k2 n", want: ":0"},
		{cmd: "RENAME n k2", want: "+OK"},
		{cmd: "GET k2", want: `"a-longer-value"`},
		{cmd: "PTTL k2", want: ":-1"},
		{cmd: "RENAMENX k2 fresh", want: ":1"},
		{cmd: "GET fresh", want: `"a-longer-value"`},
		{cmd: "DBSIZE", want: ":1"},
		{cmd: "RENAME a", want: "-ERR wrong number of arguments for 'rename' command"},
		{cmd: "RENAMENX a b c", want: "-ERR wrong number of arguments for 'renamenx' command"},
	})
	if srv != nil {
		ns := srv.DBs[0]
		if ns.Keys() != 1 || ns.Bytes() != engine.KeyCharge+int64(len("fresh")+len("a-longer-value")) || ns.Expires() != 0 {
			t.Errorf("after renames: %d keys, %d bytes, %d expires", ns.Keys(), ns.Bytes(), ns.Expires())
		}
	}
}

func TestKeysCopy(t *testing.T) {
	c, _ := keysClient(t)
	runSteps(t, c, []step{
		{cmd: "COPY nokey x", want: ":0"},
		{cmd: "COPY nokey nokey", want: "-ERR source and destination objects are the same"},
		{cmd: "SET k v", want: "+OK"},
		{cmd: "PEXPIREAT k 4102444800777", want: ":1"},
		{cmd: "COPY k c", want: ":1"},
		{cmd: "PEXPIRETIME c", want: ":4102444800777"},
		{cmd: "SET c other", want: "+OK"},
		{cmd: "COPY k c", want: ":0"},
		{cmd: "GET c", want: `"other"`},
		{cmd: "COPY k c REPLACE", want: ":1"},
		{cmd: "GET c", want: `"v"`},
		{cmd: "PEXPIRETIME c", want: ":4102444800777"},
		{cmd: "COPY k k", want: "-ERR source and destination objects are the same"},
		{cmd: "COPY k k db 0", want: "-ERR source and destination objects are the same"},
		{cmd: "COPY k k db 1", want: ":1"},
		{cmd: "COPY k k DB 1", want: ":0"},
		{cmd: "COPY k k db 1 replace", want: ":1"},
		{cmd: "COPY k x db 16", want: "-ERR DB index is out of range"},
		{cmd: "COPY k x db -1", want: "-ERR DB index is out of range"},
		{cmd: "COPY k x db abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "COPY k x db 99999999999", want: "-ERR value is out of range, value must between -2147483648 and 2147483647"},
		{cmd: "COPY k x db", want: "-ERR syntax error"},
		{cmd: "COPY k x foo", want: "-ERR syntax error"},
		{cmd: "COPY nokey x db 99", want: "-ERR DB index is out of range"},
		{cmd: "COPY k y replace db 2 db 3", want: ":1"},
		{cmd: "COPY k", want: "-ERR wrong number of arguments for 'copy' command"},
		{cmd: "DBSIZE", want: ":2"},
		{cmd: "SELECT 1", want: "+OK"},
		{cmd: "GET k", want: `"v"`},
		{cmd: "PEXPIRETIME k", want: ":4102444800777"},
		{cmd: "DBSIZE", want: ":1"},
		{cmd: "SELECT 2", want: "+OK"},
		{cmd: "DBSIZE", want: ":0"},
		{cmd: "SELECT 3", want: "+OK"},
		{cmd: "GET y", want: `"v"`},
		// The copy is independent of its source.
		{cmd: "APPEND y !", want: ":2"},
		{cmd: "SELECT 0", want: "+OK"},
		{cmd: "GET k", want: `"v"`},
	})
}

func TestKeysMove(t *testing.T) {
	c, _ := keysClient(t)
	runSteps(t, c, []step{
		{cmd: "MOVE nokey 0", want: "-ERR source and destination objects are the same"},
		{cmd: "MOVE nokey 1", want: ":0"},
		{cmd: "SET k v", want: "+OK"},
		{cmd: "PEXPIREAT k 4102444800999", want: ":1"},
		{cmd: "MOVE k 0", want: "-ERR source and destination objects are the same"},
		{cmd: "MOVE k 16", want: "-ERR DB index is out of range"},
		{cmd: "MOVE k -1", want: "-ERR DB index is out of range"},
		{cmd: "MOVE k abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "MOVE k 1.5", want: "-ERR value is not an integer or out of range"},
		{cmd: "MOVE k 99999999999", want: "-ERR value is out of range, value must between -2147483648 and 2147483647"},
		{cmd: "MOVE k 1", want: ":1"},
		{cmd: "EXISTS k", want: ":0"},
		{cmd: "SET k again", want: "+OK"},
		{cmd: "MOVE k 1", want: ":0"},
		{cmd: "GET k", want: `"again"`},
		{cmd: "SELECT 1", want: "+OK"},
		{cmd: "GET k", want: `"v"`},
		{cmd: "PEXPIRETIME k", want: ":4102444800999"},
		{cmd: "MOVE k 0", want: ":0"},
		{cmd: "MOVE k", want: "-ERR wrong number of arguments for 'move' command"},
	})
}

func TestKeysKeysAndScan(t *testing.T) {
	c, _ := keysClient(t)
	var want []string
	for i := range 30 {
		k := "user:" + strconv.Itoa(i)
		want = append(want, k)
		if got := c.Do("SET", k, "v"); got != "+OK" {
			t.Fatal(got)
		}
	}
	runSteps(t, c, []step{
		{cmd: "SET other v", want: "+OK"},
		{cmd: "SELECT 1", want: "+OK"},
		{cmd: "SET user:x v", want: "+OK"},
		{cmd: "SELECT 0", want: "+OK"},
		{cmd: "KEYS nomatch*", want: "[]"},
		{cmd: "KEYS", want: "-ERR wrong number of arguments for 'keys' command"},
		{cmd: "KEYS a b", want: "-ERR wrong number of arguments for 'keys' command"},
	})
	// KEYS order is unspecified: compare sorted.
	slices.Sort(want)
	if got := keysList(t, c.Do("KEYS", "user:*")); !slices.Equal(got, want) {
		t.Errorf("KEYS user:* = %v", got)
	}
	if got := keysList(t, c.Do("KEYS", "user:2?")); !slices.Equal(got, []string{"user:20", "user:21",
		"user:22", "user:23", "user:24", "user:25", "user:26", "user:27", "user:28", "user:29"}) {
		t.Errorf("KEYS user:2? = %v", got)
	}
	if got := keysList(t, c.Do("KEYS", "*")); len(got) != 31 {
		t.Errorf("KEYS * returned %d keys, want 31", len(got))
	}

	scanAll := func(args ...string) []string {
		var out []string
		cursor := "0"
		for calls := 0; ; calls++ {
			if calls > 1000 {
				t.Fatalf("SCAN %v never returned cursor 0", args)
			}
			reply := c.Do(append([]string{"SCAN", cursor}, args...)...)
			// ["<cursor>" [keys...]]
			head, rest, ok := strings.Cut(strings.TrimPrefix(reply, "["), " ")
			if !ok || !strings.HasSuffix(rest, "]") {
				t.Fatalf("SCAN reply %s", reply)
			}
			var err error
			if cursor, err = strconv.Unquote(head); err != nil {
				t.Fatalf("SCAN cursor in %s", reply)
			}
			out = append(out, keysList(t, rest[:len(rest)-1])...)
			if cursor == "0" {
				slices.Sort(out)
				return out
			}
		}
	}
	if got := scanAll("MATCH", "user:*", "COUNT", "3"); !slices.Equal(got, want) {
		t.Errorf("SCAN MATCH user:* = %v", got)
	}
	if got := scanAll("COUNT", "1", "MATCH", "*"); len(got) != 31 {
		t.Errorf("SCAN COUNT 1 returned %d keys, want 31", len(got))
	}
	if got := scanAll("TYPE", "STRING", "MATCH", "oth*"); !slices.Equal(got, []string{"other"}) {
		t.Errorf("SCAN TYPE STRING MATCH oth* = %v", got)
	}
	if got := scanAll("TYPE", "list"); len(got) != 0 {
		t.Errorf("SCAN TYPE list = %v", got)
	}
	if got := scanAll("TYPE", "nosuchtype"); len(got) != 0 {
		t.Errorf("SCAN TYPE nosuchtype = %v", got)
	}
	runSteps(t, c, []step{
		{cmd: "SCAN abc", want: "-ERR invalid cursor"},
		{args: []string{"SCAN", " 1"}, want: "-ERR invalid cursor"},
		{args: []string{"SCAN", "1 "}, want: "-ERR invalid cursor"},
		{cmd: "SCAN 18446744073709551616", want: "-ERR invalid cursor"},
		{cmd: "SCAN -", want: "-ERR invalid cursor"},
		{cmd: "SCAN 0x1", want: "-ERR invalid cursor"},
		{cmd: "SCAN abc COUNT 0", want: "-ERR invalid cursor"},
		{cmd: "SCAN 0 COUNT 0", want: "-ERR syntax error"},
		{cmd: "SCAN 0 COUNT -1", want: "-ERR syntax error"},
		{cmd: "SCAN 0 COUNT abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "SCAN 0 COUNT", want: "-ERR syntax error"},
		{cmd: "SCAN 0 MATCH", want: "-ERR syntax error"},
		{cmd: "SCAN 0 TYPE", want: "-ERR syntax error"},
		{cmd: "SCAN 0 foo bar", want: "-ERR syntax error"},
		{cmd: "SCAN 0 MATCH nomatch COUNT 1000", want: `["0" []]`},
		{args: []string{"SCAN", "0", "MATCH", "", "COUNT", "1000"}, want: `["0" []]`},
		{args: []string{"SCAN", "0", "TYPE", "", "COUNT", "1000"}, want: `["0" []]`},
		{args: []string{"KEYS", ""}, want: "[]"},
		{cmd: "SCAN", want: "-ERR wrong number of arguments for 'scan' command"},
	})
	// Cursors are parsed like strtoul: signs and an empty string are accepted.
	for _, cur := range []string{"", "+0", "00", "-0"} {
		if got := c.Do("SCAN", cur, "MATCH", "other"); !strings.HasPrefix(got, `["`) {
			t.Errorf("SCAN %q: %s", cur, got)
		}
	}
	if got := c.Do("SCAN", "-1"); !strings.HasPrefix(got, `["`) {
		t.Errorf("SCAN -1: %s", got)
	}
}

func TestKeysScanCursorArg(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"", 0, true}, {"0", 0, true}, {"007", 7, true}, {"+5", 5, true},
		{"-1", 1<<64 - 1, true}, {"-18446744073709551615", 1, true},
		{"18446744073709551615", 1<<64 - 1, true}, {"18446744073709551616", 0, false},
		{"-", 0, false}, {"+", 0, false}, {"--1", 0, false}, {" 1", 0, false},
		{"1 ", 0, false}, {"1a", 0, false},
	} {
		got, ok := scanCursorArg([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("scanCursorArg(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestKeysRandomKey(t *testing.T) {
	c, _ := keysClient(t)
	runSteps(t, c, []step{
		{cmd: "RANDOMKEY", want: "nil"},
		{cmd: "SET only v", want: "+OK"},
		{cmd: "RANDOMKEY", want: `"only"`},
		{cmd: "SELECT 1", want: "+OK"},
		{cmd: "RANDOMKEY", want: "nil"},
		{cmd: "SELECT 0", want: "+OK"},
		{cmd: "SET two v", want: "+OK"},
		{cmd: "RANDOMKEY x", want: "-ERR wrong number of arguments for 'randomkey' command"},
	})
	for range 20 {
		if got := c.Do("RANDOMKEY"); got != `"only"` && got != `"two"` {
			t.Fatalf("RANDOMKEY = %s", got)
		}
	}
	if got := c.Do("HELLO", "3"); !strings.HasPrefix(got, "{") {
		t.Fatal(got)
	}
	runSteps(t, c, []step{
		{cmd: "FLUSHDB", want: "+OK"},
		{cmd: "RANDOMKEY", want: "null"},
	})
}

func TestKeysFlush(t *testing.T) {
	c, _ := keysClient(t)
	runSteps(t, c, []step{
		{cmd: "SET a v", want: "+OK"},
		{cmd: "SELECT 1", want: "+OK"},
		{cmd: "SET b v", want: "+OK"},
		{cmd: "SET c v EX 100", want: "+OK"},
		{cmd: "FLUSHDB foo", want: "-ERR syntax error"},
		{cmd: "FLUSHDB sync async", want: "-ERR syntax error"},
		{cmd: "FLUSHDB ASYNC", want: "+OK"},
		{cmd: "DBSIZE", want: ":0"},
		{cmd: "SELECT 0", want: "+OK"},
		{cmd: "DBSIZE", want: ":1"},
		{cmd: "SET b v", want: "+OK"},
		{cmd: "FLUSHDB sync", want: "+OK"},
		{cmd: "DBSIZE", want: ":0"},
		{cmd: "SET a v", want: "+OK"},
		{cmd: "SELECT 15", want: "+OK"},
		{cmd: "SET z v", want: "+OK"},
		{cmd: "FLUSHALL foo", want: "-ERR syntax error"},
		{cmd: "FLUSHALL SYNC", want: "+OK"},
		{cmd: "DBSIZE", want: ":0"},
		{cmd: "SELECT 0", want: "+OK"},
		{cmd: "DBSIZE", want: ":0"},
		{cmd: "SET a v", want: "+OK"},
		{cmd: "FLUSHALL async", want: "+OK"},
		{cmd: "FLUSHALL", want: "+OK"},
		{cmd: "EXISTS a", want: ":0"},
	})
}

func TestKeysObject(t *testing.T) {
	c, _ := keysClient(t)
	long := strings.Repeat("x", 45)
	runSteps(t, c, []step{
		{cmd: "SET i 12345", want: "+OK"},
		{cmd: "SET neg -9223372036854775808", want: "+OK"},
		{cmd: "SET big 12345678901234567890", want: "+OK"},
		{cmd: "SET lead 0123", want: "+OK"},
		{cmd: "SET plus +5", want: "+OK"},
		{cmd: "SET e44 " + long[:44], want: "+OK"},
		{cmd: "SET r45 " + long, want: "+OK"},
		{args: []string{"SET", "empty", ""}, want: "+OK"},
		{cmd: "OBJECT ENCODING i", want: `"int"`},
		{cmd: "OBJECT ENCODING neg", want: `"int"`},
		{cmd: "OBJECT encoding big", want: `"embstr"`},
		{cmd: "OBJECT ENCODING lead", want: `"embstr"`},
		{cmd: "OBJECT ENCODING plus", want: `"embstr"`},
		{cmd: "OBJECT ENCODING e44", want: `"embstr"`},
		{cmd: "OBJECT ENCODING r45", want: `"raw"`},
		{cmd: "OBJECT ENCODING empty", want: `"embstr"`},
		{cmd: "OBJECT ENCODING nokey", want: "nil"},
		{cmd: "OBJECT REFCOUNT r45", want: ":1"},
		{cmd: "OBJECT REFCOUNT nokey", want: "nil"},
		{cmd: "OBJECT IDLETIME nokey", want: "nil"},
		{cmd: "OBJECT FREQ nokey", want: "nil"},
		{cmd: "OBJECT FREQ i", want: "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."},
		{cmd: "OBJECT", want: "-ERR wrong number of arguments for 'object' command"},
		{cmd: "OBJECT foo", want: "-ERR unknown subcommand 'foo'. Try OBJECT HELP."},
		{cmd: "OBJECT ENCODING", want: "-ERR wrong number of arguments for 'object|encoding' command"},
		{cmd: "OBJECT ENCODING a b", want: "-ERR wrong number of arguments for 'object|encoding' command"},
		{cmd: "OBJECT HELP x", want: "-ERR wrong number of arguments for 'object|help' command"},
	})
	if idle := keysInt(t, c.Do("OBJECT", "IDLETIME", "i")); idle < 0 || idle > 60 {
		t.Errorf("OBJECT IDLETIME of a fresh key = %d", idle)
	}
	help := c.Do("OBJECT", "HELP")
	for _, part := range []string{"[+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are: +ENCODING <key> ",
		"+FREQ <key>", "+IDLETIME <key>", "+REFCOUNT <key>", "+HELP "} {
		if !strings.Contains(help, part) {
			t.Errorf("OBJECT HELP lacks %q: %s", part, help)
		}
	}
}

// keysFakeHash stands in for a collection type in tests.
type keysFakeHash struct{ fields []string }

func (h *keysFakeHash) Size() int64 {
	n := 0
	for _, f := range h.fields {
		n += len(f)
	}
	return int64(n)
}
func (h *keysFakeHash) Encoding() string { return "listpack" }
func (h *keysFakeHash) Clone() engine.Object {
	return &keysFakeHash{fields: slices.Clone(h.fields)}
}

func TestKeysOtherKinds(t *testing.T) {
	keysSynapOnly(t)
	srv := startServer(t)
	c := dial(t, srv)
	tx := srv.Eng.NewTx()
	tx.Begin(srv.DBs[0], [][]byte{[]byte("h")}, true)
	tx.Put([]byte("h"), engine.NewObject(engine.KindHash, &keysFakeHash{fields: []string{"f", "v"}}))
	tx.End()
	runSteps(t, c, []step{
		{cmd: "TYPE h", want: "+hash"},
		{cmd: "OBJECT ENCODING h", want: `"listpack"`},
		{cmd: "SCAN 0 TYPE hash", want: `["0" ["h"]]`},
		{cmd: "SCAN 0 TYPE string", want: `["0" []]`},
		{cmd: "COPY h h2", want: ":1"},
		{cmd: "COPY h h db 4", want: ":1"},
		{cmd: "TYPE h2", want: "+hash"},
		{cmd: "RENAME h2 h3", want: "+OK"},
		{cmd: "OBJECT ENCODING h3", want: `"listpack"`},
		{cmd: "SET s v", want: "+OK"},
		{cmd: "RENAME s h", want: "+OK"},
		{cmd: "TYPE h", want: "+string"},
	})
	tx.Begin(srv.DBs[0], [][]byte{[]byte("h3")}, false)
	h3 := tx.Get([]byte("h3")).Obj().(*keysFakeHash)
	tx.End()
	tx.Begin(srv.DBs[4], [][]byte{[]byte("h")}, false)
	h4 := tx.Get([]byte("h")).Obj().(*keysFakeHash)
	tx.End()
	if h3 == h4 {
		t.Error("COPY shared the value instead of cloning it")
	}
	if got, want := srv.DBs[0].Bytes(), 2*engine.KeyCharge+int64(len("h")+len("v")+len("h3")+2); got != want {
		t.Errorf("db 0 accounts %d bytes, want %d", got, want)
	}
	if got, want := srv.DBs[4].Bytes(), engine.KeyCharge+int64(len("h")+2); got != want {
		t.Errorf("db 4 accounts %d bytes, want %d", got, want)
	}
}

func TestKeysStats(t *testing.T) {
	keysSynapOnly(t)
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET a v", want: "+OK"},
		{cmd: "EXISTS a nokey a", want: ":2"},
		{cmd: "TYPE nokey", want: "+none"},
		{cmd: "TTL a", want: ":-1"},
	})
	if h, m := srv.Stats.KeyspaceHits.Load(), srv.Stats.KeyspaceMisses.Load(); h != 3 || m != 2 {
		t.Errorf("keyspace hits %d misses %d, want 3 and 2", h, m)
	}
}

// TestKeysTableRows pins the rows to what Redis 7's COMMAND INFO reports.
func TestKeysTableRows(t *testing.T) {
	keysSynapOnly(t)
	tab := NewTable()
	for _, r := range []struct {
		name, info string
	}{
		{"del", "-2 [write] 1 -1 1 [keyspace write slow]"},
		{"unlink", "-2 [write fast] 1 -1 1 [keyspace write fast]"},
		{"exists", "-2 [readonly fast] 1 -1 1 [keyspace read fast]"},
		{"touch", "-2 [readonly fast] 1 -1 1 [keyspace read fast]"},
		{"type", "2 [readonly fast] 1 1 1 [keyspace read fast]"},
		{"expire", "-3 [write fast] 1 1 1 [keyspace write fast]"},
		{"pexpireat", "-3 [write fast] 1 1 1 [keyspace write fast]"},
		{"pttl", "2 [readonly fast] 1 1 1 [keyspace read fast]"},
		{"expiretime", "2 [readonly fast] 1 1 1 [keyspace read fast]"},
		{"persist", "2 [write fast] 1 1 1 [keyspace write fast]"},
		{"rename", "3 [write] 1 2 1 [keyspace write slow]"},
		{"renamenx", "3 [write fast] 1 2 1 [keyspace write fast]"},
		{"copy", "-3 [write denyoom] 1 2 1 [keyspace write slow]"},
		{"move", "3 [write fast] 1 1 1 [keyspace write fast]"},
		{"keys", "2 [readonly] 0 0 0 [keyspace read slow dangerous]"},
		{"scan", "-2 [readonly] 0 0 0 [keyspace read slow]"},
		{"randomkey", "1 [readonly] 0 0 0 [keyspace read slow]"},
		{"dbsize", "1 [readonly fast] 0 0 0 [keyspace read fast]"},
		{"flushdb", "-1 [write] 0 0 0 [keyspace write slow dangerous]"},
		{"flushall", "-1 [write] 0 0 0 [keyspace write slow dangerous]"},
		{"object", "-2 [] 0 0 0 [slow]"},
		{"object|encoding", "3 [readonly] 2 2 1 [keyspace read slow]"},
		{"object|freq", "3 [readonly] 2 2 1 [keyspace read slow]"},
		{"object|help", "2 [loading stale] 0 0 0 [keyspace slow]"},
	} {
		parent, sub, _ := strings.Cut(r.name, "|")
		cmd := tab.Lookup([]byte(parent))
		if cmd != nil && sub != "" {
			cmd = cmd.Sub([]byte(sub))
		}
		if cmd == nil {
			t.Errorf("%s: not in the table", r.name)
			continue
		}
		names := cmd.Flags.Names()
		if names == nil {
			names = []string{}
		}
		got := strings.Join([]string{strconv.Itoa(cmd.Arity), "[" + strings.Join(names, " ") + "]",
			strconv.Itoa(cmd.FirstKey), strconv.Itoa(cmd.LastKey), strconv.Itoa(cmd.Step),
			"[" + strings.Join(cmd.ACL, " ") + "]"}, " ")
		if got != r.info {
			t.Errorf("%s: %s, want %s", r.name, got, r.info)
		}
		if cmd.Summary == "" || cmd.Since == "" || cmd.Group == "" {
			t.Errorf("%s: missing docs", r.name)
		}
	}
	for name, want := range map[string]tenant.Need{"del": tenant.NeedDelete, "unlink": tenant.NeedDelete,
		"flushdb": tenant.NeedAdmin, "flushall": tenant.NeedAdmin, "scan": tenant.NeedRead, "copy": tenant.NeedWrite} {
		if got := tab.Lookup([]byte(name)).Need; got != want {
			t.Errorf("%s needs %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{"keys", "scan", "randomkey", "flushdb", "flushall"} {
		if tab.Lookup([]byte(name)).Flags&FlagKeyspace == 0 {
			t.Errorf("%s lacks FlagKeyspace", name)
		}
	}
}

// COPY keeps a string's "raw" encoding, as Redis's dupStringObject does
// (found by the differential test).
func TestKeysCopyKeepsRawEncoding(t *testing.T) {
	srv := startServer(t)
	runSteps(t, dial(t, srv), []step{
		{cmd: "SET k abc", want: "+OK"},
		{cmd: "APPEND k d", want: ":4"},
		{cmd: "COPY k k2", want: ":1"},
		{cmd: "OBJECT ENCODING k2", want: `"raw"`},
		{cmd: "SET n 12", want: "+OK"},
		{cmd: "COPY n n2", want: ":1"},
		{cmd: "OBJECT ENCODING n2", want: `"int"`},
	})
}
