package commands

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"synap/engine"
	"synap/resp/resptest"
	"synap/tenant"
)

// stringsObj is a stand-in value of another kind, for WRONGTYPE cases.
type stringsObj struct{}

func (stringsObj) Size() int64          { return 1 }
func (stringsObj) Encoding() string     { return "listpack" }
func (stringsObj) Clone() engine.Object { return stringsObj{} }

// stringsTx runs fn under the locks of key in database 0, as a command would.
func stringsTx(srv *Server, key string, write bool, fn func(tx *engine.Tx, k []byte)) {
	tx := srv.Eng.NewTx()
	k := []byte(key)
	tx.Begin(srv.DBs[0], [][]byte{k}, write)
	defer tx.End()
	fn(tx, k)
}

// stringsPutList stores a non-string value under key.
func stringsPutList(srv *Server, key string) {
	stringsTx(srv, key, true, func(tx *engine.Tx, k []byte) {
		tx.Put(k, engine.NewObject(engine.KindList, stringsObj{}))
	})
}

// stringsExpireAt is the key's absolute expiry in unix ms: 0 without one, -1 when absent.
func stringsExpireAt(srv *Server, key string) int64 {
	at := int64(-1)
	stringsTx(srv, key, false, func(tx *engine.Tx, k []byte) {
		if en := tx.Peek(k); en != nil {
			at = en.ExpireAt()
		}
	})
	return at
}

func TestStringsGetSet(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "GET k", want: "nil"},
		{cmd: "SET k v", want: "+OK"},
		{cmd: "GET k", want: `"v"`},
		{args: []string{"SET", "bin", "a\x00b\r\n"}, want: "+OK"},
		{cmd: "GET bin", want: `"a\x00b\r\n"`},
		{args: []string{"SET", "empty", ""}, want: "+OK"},
		{cmd: "GET empty", want: `""`},
		{cmd: "GET list", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "SET list v", want: "+OK"}, // SET replaces any kind
		{cmd: "GET list", want: `"v"`},
		{cmd: "GET", want: "-ERR wrong number of arguments for 'get' command"},
		{cmd: "GET a b", want: "-ERR wrong number of arguments for 'get' command"},
		{cmd: "SET k", want: "-ERR wrong number of arguments for 'set' command"},

		// NX / XX, repeated options, case
		{cmd: "SET k v2 NX", want: "nil"},
		{cmd: "SET k v2 nx nx", want: "nil"},
		{cmd: "SET nx1 v NX", want: "+OK"},
		{cmd: "SET xx1 v XX", want: "nil"},
		{cmd: "GET xx1", want: "nil"},
		{cmd: "SET k v3 xX", want: "+OK"},
		{cmd: "GET k", want: `"v3"`},
		{cmd: "SET k v NX XX", want: "-ERR syntax error"},
		{cmd: "SET k v xx nx", want: "-ERR syntax error"},

		// GET option
		{cmd: "SET k v4 GET", want: `"v3"`},
		{cmd: "SET new v GET", want: "nil"},
		{cmd: "SET new v2 get GET", want: `"v"`},
		{cmd: "SET k v5 NX GET", want: `"v4"`},
		{cmd: "GET k", want: `"v4"`},
		{cmd: "SET absent v XX GET", want: "nil"},
		{cmd: "GET absent", want: "nil"},
		{cmd: "SET k v6 XX GET", want: `"v4"`},
		{cmd: "GET k", want: `"v6"`},

		// syntax errors
		{cmd: "SET k v foo", want: "-ERR syntax error"},
		{cmd: "SET k v PERSIST", want: "-ERR syntax error"},
		{cmd: "SET k v EX", want: "-ERR syntax error"},
		{cmd: "SET k v PX", want: "-ERR syntax error"},
		{cmd: "SET k v EXAT", want: "-ERR syntax error"},
		{cmd: "SET k v PXAT", want: "-ERR syntax error"},
		{cmd: "SET k v EX 10 PX 100", want: "-ERR syntax error"},
		{cmd: "SET k v PX 10 EX 100", want: "-ERR syntax error"},
		{cmd: "SET k v EXAT 10 PXAT 100", want: "-ERR syntax error"},
		{cmd: "SET k v KEEPTTL EX 10", want: "-ERR syntax error"},
		{cmd: "SET k v EX 10 KEEPTTL", want: "-ERR syntax error"},
		{cmd: "SET k v PXAT 10 KEEPTTL", want: "-ERR syntax error"},
		{cmd: "SET k v KEEPTTL KEEPTTL", want: "+OK"},
		{cmd: "SET k v EX 10 EX 20", want: "+OK"},

		// expire values
		{cmd: "SET k v EX 0", want: "-ERR invalid expire time in 'set' command"},
		{cmd: "SET k v PX 0", want: "-ERR invalid expire time in 'set' command"},
		{cmd: "SET k v EXAT 0", want: "-ERR invalid expire time in 'set' command"},
		{cmd: "SET k v PXAT 0", want: "-ERR invalid expire time in 'set' command"},
		{cmd: "SET k v EX -1", want: "-ERR invalid expire time in 'set' command"},
		{cmd: "SET k v PX 9223372036854775807", want: "-ERR invalid expire time in 'set' command"},
		{cmd: "SET k v EX 9223372036854775", want: "-ERR invalid expire time in 'set' command"},
		{cmd: "SET k v EXAT 9223372036854776", want: "-ERR invalid expire time in 'set' command"},
		{cmd: "SET k v EXAT 9223372036854775", want: "+OK"},
		{cmd: "SET k v PXAT 9223372036854775807", want: "+OK"},
		{cmd: "SET k v EX abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "SET k v EX 01", want: "-ERR value is not an integer or out of range"},
		{cmd: "SET k v EX +1", want: "-ERR value is not an integer or out of range"},
		{cmd: "SET k v PXAT 9223372036854775808", want: "-ERR value is not an integer or out of range"},
		// The expire time is checked before the type, the type before storing.
		{cmd: "SET list2 v EX 0 GET", want: "-ERR invalid expire time in 'set' command"},
		{cmd: "SET list2 v GET", want: "nil"},
		{cmd: "GET k", want: `"v"`},

		// an absolute time already past leaves no key
		{cmd: "SET k v EXAT 1", want: "+OK"},
		{cmd: "GET k", want: "nil"},
		{cmd: "SET past v PXAT 1 GET", want: "nil"},
		{cmd: "GET past", want: "nil"},
	})
	stringsPutList(srv, "list3")
	runSteps(t, c, []step{
		{cmd: "SET list3 v GET", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "SET list3 v NX", want: "nil"},
	})
}

func TestStringsExpiry(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	future := time.Now().Add(time.Hour).UnixMilli()
	fs := strconv.FormatInt(future, 10)
	fsec := strconv.FormatInt(future/1000, 10)
	ttlCases := []struct {
		cmd  string
		want int64 // the exact expiry; -1 for "about an hour from now"
	}{
		{"SET k v PXAT " + fs, future},
		{"SET k v EXAT " + fsec, future / 1000 * 1000},
		{"SET k v EX 3600", -1},
		{"SET k v PX 3600000", -1},
		{"SETEX k 3600 v", -1},
		{"PSETEX k 3600000 v", -1},
	}
	for _, tc := range ttlCases {
		before := time.Now().UnixMilli()
		if got := c.Do(strings.Fields(tc.cmd)...); got != "+OK" {
			t.Fatalf("%s: %s", tc.cmd, got)
		}
		after := time.Now().UnixMilli()
		at := stringsExpireAt(srv, "k")
		if tc.want >= 0 {
			if at != tc.want {
				t.Errorf("%s: expires at %d, want %d", tc.cmd, at, tc.want)
			}
		} else if at < before+3600000 || at > after+3600000 {
			t.Errorf("%s: expires at %d, want within [%d, %d]", tc.cmd, at, before+3600000, after+3600000)
		}
	}

	// What keeps the TTL and what clears it.
	keep := []string{"SET k v2 KEEPTTL", "SET k 10 XX KEEPTTL GET", "INCR k", "DECRBY k 3", "INCRBYFLOAT k 0.5",
		"APPEND k 1", "SETRANGE k 0 7", "GETEX k", "SET k v NX", "SETNX k v", "MSETNX k v other v"}
	for _, cmd := range keep {
		c.Do("SET", "k", "1", "PXAT", fs)
		c.Do(strings.Fields(cmd)...)
		if at := stringsExpireAt(srv, "k"); at != future {
			t.Errorf("%s: expiry %d, want it kept (%d)", cmd, at, future)
		}
	}
	clears := []string{"SET k v", "SET k v GET", "GETSET k v", "MSET k v", "GETEX k PERSIST", "SET k v XX"}
	for _, cmd := range clears {
		c.Do("SET", "k", "1", "PXAT", fs)
		c.Do(strings.Fields(cmd)...)
		if at := stringsExpireAt(srv, "k"); at != 0 {
			t.Errorf("%s: expiry %d, want none", cmd, at)
		}
	}

	runSteps(t, c, []step{
		{cmd: "SET k v", want: "+OK"},
		{cmd: "GETEX k PXAT " + fs, want: `"v"`},
	})
	if at := stringsExpireAt(srv, "k"); at != future {
		t.Errorf("GETEX PXAT: expiry %d, want %d", at, future)
	}
	runSteps(t, c, []step{
		{cmd: "GETEX k EXAT " + fsec, want: `"v"`},
	})
	if at := stringsExpireAt(srv, "k"); at != future/1000*1000 {
		t.Errorf("GETEX EXAT: expiry %d, want %d", at, future/1000*1000)
	}
	before := time.Now().UnixMilli()
	runSteps(t, c, []step{{cmd: "GETEX k EX 100", want: `"v"`}})
	if at := stringsExpireAt(srv, "k"); at < before+100000 || at > time.Now().UnixMilli()+100000 {
		t.Errorf("GETEX EX 100: expiry %d", at)
	}
	before = time.Now().UnixMilli()
	runSteps(t, c, []step{{cmd: "GETEX k PX 5000", want: `"v"`}})
	if at := stringsExpireAt(srv, "k"); at < before+5000 || at > time.Now().UnixMilli()+5000 {
		t.Errorf("GETEX PX 5000: expiry %d", at)
	}
	runSteps(t, c, []step{
		{cmd: "GETEX k PERSIST PERSIST", want: `"v"`},
		{cmd: "GETEX k EXAT 1", want: `"v"`}, // a time already past deletes the key
		{cmd: "GET k", want: "nil"},
		{cmd: "SET k v", want: "+OK"},
		{cmd: "GETEX k PXAT 1", want: `"v"`},
		{cmd: "GETEX k", want: "nil"},
	})
	if at := stringsExpireAt(srv, "k"); at != -1 {
		t.Errorf("key still present after GETEX EXAT in the past")
	}

	// A key whose time passed is absent for every command.
	stringsTx(srv, "old", true, func(tx *engine.Tx, k []byte) {
		tx.PutExpire(k, engine.NewString([]byte("41")), tx.Now+1)
	})
	for time.Now().UnixMilli() <= stringsExpireAt(srv, "old") {
		time.Sleep(time.Millisecond)
	}
	runSteps(t, c, []step{
		{cmd: "GET old", want: "nil"},
		{cmd: "INCR old", want: ":1"},
	})
	if at := stringsExpireAt(srv, "old"); at != 0 {
		t.Errorf("INCR on an expired key kept its old expiry %d", at)
	}
}

func TestStringsGetexErrors(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET k v", want: "+OK"},
		{cmd: "GETEX", want: "-ERR wrong number of arguments for 'getex' command"},
		{cmd: "GETEX k PERSIST EX 10", want: "-ERR syntax error"},
		{cmd: "GETEX k EX 10 PERSIST", want: "-ERR syntax error"},
		{cmd: "GETEX k PERSIST PX 10", want: "-ERR syntax error"},
		{cmd: "GETEX k EX 10 PX 10", want: "-ERR syntax error"},
		{cmd: "GETEX k NX", want: "-ERR syntax error"},
		{cmd: "GETEX k GET", want: "-ERR syntax error"},
		{cmd: "GETEX k KEEPTTL", want: "-ERR syntax error"},
		{cmd: "GETEX k EX", want: "-ERR syntax error"},
		{cmd: "GETEX nokey foo", want: "-ERR syntax error"},
		{cmd: "GETEX k EX 0", want: "-ERR invalid expire time in 'getex' command"},
		{cmd: "GETEX k EXAT -1", want: "-ERR invalid expire time in 'getex' command"},
		{cmd: "GETEX k PX abc", want: "-ERR value is not an integer or out of range"},
		// A missing key answers nil before the time is checked; a wrong type answers first too.
		{cmd: "GETEX nokey EX 0", want: "nil"},
		{cmd: "GETEX list EX 0", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GETEX list", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GET k", want: `"v"`},

		{cmd: "SETEX k 0 v", want: "-ERR invalid expire time in 'setex' command"},
		{cmd: "SETEX k -5 v", want: "-ERR invalid expire time in 'setex' command"},
		{cmd: "SETEX k 9223372036854775 v", want: "-ERR invalid expire time in 'setex' command"},
		{cmd: "PSETEX k 0 v", want: "-ERR invalid expire time in 'psetex' command"},
		{cmd: "SETEX k abc v", want: "-ERR value is not an integer or out of range"},
		{cmd: "SETEX k 1", want: "-ERR wrong number of arguments for 'setex' command"},
		{cmd: "PSETEX k 1", want: "-ERR wrong number of arguments for 'psetex' command"},
		{cmd: "SETEX k 100 v2", want: "+OK"},
		{cmd: "GET k", want: `"v2"`},
		{cmd: "PSETEX k 100000 v3", want: "+OK"},
		{cmd: "GET k", want: `"v3"`},
		{cmd: "SETEX list 100 v", want: "+OK"},
		{cmd: "GET list", want: `"v"`},
	})
}

func TestStringsMultiAndSwap(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SETNX a 1", want: ":1"},
		{cmd: "SETNX a 2", want: ":0"},
		{cmd: "GET a", want: `"1"`},
		{cmd: "SETNX list 2", want: ":0"},
		{cmd: "SETNX a", want: "-ERR wrong number of arguments for 'setnx' command"},

		{cmd: "MSET a", want: "-ERR wrong number of arguments for 'mset' command"},
		{cmd: "MSET a 1 b", want: "-ERR wrong number of arguments for 'mset' command"},
		{cmd: "MSETNX a 1 b", want: "-ERR wrong number of arguments for 'msetnx' command"},
		{cmd: "MGET", want: "-ERR wrong number of arguments for 'mget' command"},
		{cmd: "MSET a 1 b 2", want: "+OK"},
		{cmd: "MSETNX a 1 c 3", want: ":0"},
		{cmd: "GET c", want: "nil"},
		{cmd: "MSETNX c 3 d 4", want: ":1"},
		{cmd: "MSETNX list 1 z 2", want: ":0"},
		{cmd: "MGET a b c d list nokey", want: `["1" "2" "3" "4" nil nil]`},
		{cmd: "MSET a 1 b 2 a 3", want: "+OK"},
		{cmd: "GET a", want: `"3"`},
		{cmd: "MSETNX x 1 x 2", want: ":1"},
		{cmd: "GET x", want: `"2"`},

		{cmd: "GETSET g 1", want: "nil"},
		{cmd: "GETSET g 2", want: `"1"`},
		{cmd: "GET g", want: `"2"`},
		{cmd: "GETSET list 1", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GETSET g", want: "-ERR wrong number of arguments for 'getset' command"},

		{cmd: "GETDEL g", want: `"2"`},
		{cmd: "GETDEL g", want: "nil"},
		{cmd: "GET g", want: "nil"},
		{cmd: "GETDEL list", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GETDEL", want: "-ERR wrong number of arguments for 'getdel' command"},
	})
	if at := stringsExpireAt(srv, "list"); at != 0 {
		t.Errorf("GETDEL of a list removed it")
	}
}

func TestStringsAppendRange(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "APPEND s hello", want: ":5"},
		{args: []string{"APPEND", "s", " world"}, want: ":11"},
		{args: []string{"APPEND", "s", ""}, want: ":11"},
		{cmd: "GET s", want: `"hello world"`},
		{args: []string{"APPEND", "e", ""}, want: ":0"},
		{cmd: "GET e", want: `""`},
		{cmd: "APPEND list x", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "APPEND s", want: "-ERR wrong number of arguments for 'append' command"},

		{cmd: "STRLEN s", want: ":11"},
		{cmd: "STRLEN e", want: ":0"},
		{cmd: "STRLEN nokey", want: ":0"},
		{cmd: "STRLEN list", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},

		{cmd: "SETRANGE r -1 x", want: "-ERR offset is out of range"},
		{cmd: "SETRANGE r abc x", want: "-ERR value is not an integer or out of range"},
		{args: []string{"SETRANGE", "r", "5", ""}, want: ":0"},
		{cmd: "GET r", want: "nil"}, // writing nothing creates nothing
		{cmd: "SETRANGE r 3 ab", want: ":5"},
		{cmd: "GET r", want: `"\x00\x00\x00ab"`},
		{args: []string{"SETRANGE", "r", "0", ""}, want: ":5"},
		{args: []string{"SETRANGE", "r", "9223372036854775807", ""}, want: ":5"},
		{cmd: "SETRANGE r 1 Z", want: ":5"},
		{cmd: "SETRANGE r 8 end", want: ":11"},
		{cmd: "GET r", want: `"\x00Z\x00ab\x00\x00\x00end"`},
		{cmd: "SETRANGE list 0 a", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{args: []string{"SETRANGE", "list", "0", ""}, want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "SETRANGE s 536870911 ab", want: "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
		{cmd: "SETRANGE s 9223372036854775807 ab", want: "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
		// A value reusing a longer string's buffer must not show its old bytes.
		{cmd: "SET z abcdefgh", want: "+OK"},
		{cmd: "SET z ab", want: "+OK"},
		{cmd: "SETRANGE z 5 X", want: ":6"},
		{cmd: "GET z", want: `"ab\x00\x00\x00X"`},
		{cmd: "SET z abcdefgh", want: "+OK"},
		{cmd: "SET z ab", want: "+OK"},
		{cmd: "APPEND z c", want: ":3"},
		{cmd: "GET z", want: `"abc"`},

		{cmd: "SET g Hello_World", want: "+OK"},
		{cmd: "GETRANGE g 0 4", want: `"Hello"`},
		{cmd: "GETRANGE g -5 -1", want: `"World"`},
		{cmd: "GETRANGE g -1 -5", want: `""`},
		{cmd: "GETRANGE g 5 1", want: `""`},
		{cmd: "GETRANGE g 0 100", want: `"Hello_World"`},
		{cmd: "GETRANGE g -100 -50", want: `"H"`},
		{cmd: "GETRANGE g -100 2", want: `"Hel"`},
		{cmd: "GETRANGE g 0 -100", want: `"H"`},
		{cmd: "GETRANGE g 100 200", want: `""`},
		{cmd: "GETRANGE g 3 3", want: `"l"`},
		{cmd: "GETRANGE g 10 10", want: `"d"`},
		{cmd: "GETRANGE g 11 11", want: `""`},
		{cmd: "GETRANGE g -9223372036854775808 9223372036854775807", want: `"Hello_World"`},
		{cmd: "GETRANGE g a 1", want: "-ERR value is not an integer or out of range"},
		{cmd: "GETRANGE g 1 a", want: "-ERR value is not an integer or out of range"},
		{cmd: "GETRANGE nokey 0 1", want: `""`},
		{cmd: "GETRANGE nokey a 1", want: "-ERR value is not an integer or out of range"},
		{cmd: "GETRANGE e 0 -1", want: `""`},
		{cmd: "GETRANGE e -1 0", want: `""`},
		{cmd: "GETRANGE list 0 1", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "GETRANGE g 0", want: "-ERR wrong number of arguments for 'getrange' command"},
		{cmd: "SUBSTR g 0 4", want: `"Hello"`},
		{cmd: "SUBSTR g -5 -1", want: `"World"`},
		{cmd: "SUBSTR g 0", want: "-ERR wrong number of arguments for 'substr' command"},
	})
}

func TestStringsMaxBulkLen(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.ProtoMaxBulkLen = 64 })
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET s " + strings.Repeat("a", 60), want: "+OK"},
		{cmd: "APPEND s bbbb", want: ":64"},
		{cmd: "APPEND s c", want: "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
		{cmd: "STRLEN s", want: ":64"},
		{cmd: "SETRANGE s 63 d", want: ":64"},
		{cmd: "SETRANGE s 63 dd", want: "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
		{cmd: "SETRANGE n 64 x", want: "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
		{cmd: "GET n", want: "nil"},
		// LCS's table for two 3-byte strings is 4*4 cells of 4 bytes: 64 fits, 80 does not.
		{cmd: "MSET a abc b abc c abcd", want: "+OK"},
		{cmd: "LCS a b LEN", want: ":3"},
		{cmd: "LCS a c LEN", want: "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"},
	})
}

func TestStringsCounters(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	steps := []step{
		{cmd: "INCR n", want: ":1"},
		{cmd: "INCR n", want: ":2"},
		{cmd: "DECR n", want: ":1"},
		{cmd: "DECR m", want: ":-1"},
		{cmd: "INCRBY n 10", want: ":11"},
		{cmd: "INCRBY n -20", want: ":-9"},
		{cmd: "DECRBY n -9", want: ":0"},
		{cmd: "DECRBY q 5", want: ":-5"},
		{cmd: "GET n", want: `"0"`},
		{cmd: "SET n 9223372036854775806", want: "+OK"},
		{cmd: "INCR n", want: ":9223372036854775807"},
		{cmd: "INCR n", want: "-ERR increment or decrement would overflow"},
		{cmd: "INCRBY n 1", want: "-ERR increment or decrement would overflow"},
		{cmd: "DECRBY n -1", want: "-ERR increment or decrement would overflow"},
		{cmd: "GET n", want: `"9223372036854775807"`},
		{cmd: "SET n -9223372036854775807", want: "+OK"},
		{cmd: "DECR n", want: ":-9223372036854775808"},
		{cmd: "DECR n", want: "-ERR increment or decrement would overflow"},
		{cmd: "INCRBY n -1", want: "-ERR increment or decrement would overflow"},
		{cmd: "INCRBY n 9223372036854775807", want: ":-1"},
		{cmd: "DECRBY n -9223372036854775808", want: "-ERR decrement would overflow"},
		{cmd: "DECRBY n 9223372036854775807", want: ":-9223372036854775808"},
		{cmd: "INCRBY n 9223372036854775808", want: "-ERR value is not an integer or out of range"},
		{cmd: "INCRBY n abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "DECRBY n 1.5", want: "-ERR value is not an integer or out of range"},
		{cmd: "INCRBY list abc", want: "-ERR value is not an integer or out of range"}, // the argument is checked first
		{cmd: "INCR list", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "DECRBY list 1", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "INCR", want: "-ERR wrong number of arguments for 'incr' command"},
		{cmd: "INCRBY n", want: "-ERR wrong number of arguments for 'incrby' command"},
		{cmd: "DECRBY n", want: "-ERR wrong number of arguments for 'decrby' command"},
		{cmd: "DECR n 1", want: "-ERR wrong number of arguments for 'decr' command"},
	}
	for _, v := range []string{" 1", "1 ", "01", "+1", "-0", "1.0", "", "1a", "0x10", "100000000000000000000",
		"123456789012345678901", "9223372036854775808", "-9223372036854775809"} {
		steps = append(steps,
			step{args: []string{"SET", "bad", v}, want: "+OK"},
			step{args: []string{"INCR", "bad"}, want: "-ERR value is not an integer or out of range"},
			step{args: []string{"INCRBY", "x", v}, want: "-ERR value is not an integer or out of range"})
	}
	steps = append(steps,
		step{cmd: "GET bad", want: `"-9223372036854775809"`},
		step{cmd: "SET z 00000000000000000000", want: "+OK"}, // reuses a longer buffer
		step{cmd: "INCR z", want: "-ERR value is not an integer or out of range"},
		step{cmd: "SET z 9223372036854775807", want: "+OK"},
		step{cmd: "DECRBY z 9223372036854775806", want: ":1"},
		step{cmd: "GET z", want: `"1"`},
		step{cmd: "STRLEN z", want: ":1"},
	)
	runSteps(t, c, steps)
}

func TestStringsIncrByFloat(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	// Every reply here was checked against redis-server 7.0.
	runSteps(t, c, []step{
		{cmd: "SET f 0.1", want: "+OK"},
		{cmd: "INCRBYFLOAT f 0.2", want: `"0.3"`},
		{cmd: "SET f 1.1", want: "+OK"},
		{cmd: "INCRBYFLOAT f 2.2", want: `"3.3"`},
		{cmd: "INCRBYFLOAT f 3.3", want: `"6.6"`},
		{cmd: "SET f 10.50", want: "+OK"},
		{cmd: "INCRBYFLOAT f 0.1", want: `"10.6"`},
		{cmd: "INCRBYFLOAT f -5.0e3", want: `"-4989.39999999999999991"`},
		{cmd: "SET f 5.0e3", want: "+OK"},
		{cmd: "INCRBYFLOAT f 2.0e2", want: `"5200"`},
		{cmd: "GET f", want: `"5200"`},
		{cmd: "INCRBYFLOAT new 1.0e3", want: `"1000"`},
		{cmd: "INCRBYFLOAT new -1000", want: `"0"`},
		{cmd: "INCRBYFLOAT new -0.000000000000000001", want: `"0"`}, // "-0" is written "0"
		{cmd: "INCRBYFLOAT new 0.000000000000000015", want: `"0.00000000000000002"`},
		{cmd: "INCRBYFLOAT n2 1.5e-5", want: `"0.000015"`},
		{cmd: "INCRBYFLOAT n2 0x10", want: `"16.000015"`},
		{cmd: "INCRBYFLOAT n2 0x1p3", want: `"24.000015"`},
		{cmd: "INCRBYFLOAT n2 0X1.8P1", want: `"27.000015"`},
		{cmd: "INCRBYFLOAT n2 0x1e3", want: `"510.00001499999999999"`},
		{cmd: "INCRBYFLOAT n2 .5", want: `"510.50001499999999999"`},
		{cmd: "INCRBYFLOAT n2 5.", want: `"515.50001499999999999"`},
		{cmd: "INCRBYFLOAT n2 +.5", want: `"516.00001499999999999"`},
		{cmd: "INCRBYFLOAT n2 -.5e1", want: `"511.00001499999999999"`},
		{cmd: "INCRBYFLOAT n3 1.23456789012345678901234567890", want: `"1.23456789012345679"`},
		{cmd: "INCRBYFLOAT n4 12345678901234567890123", want: `"12345678901234567889920"`},
		{cmd: "INCRBYFLOAT n4 0.1", want: `"12345678901234567889920"`},
		{cmd: "INCRBYFLOAT n5 9007199254740993", want: `"9007199254740993"`},
		{cmd: "INCRBYFLOAT n5 0.3333333333333333333333333", want: `"9007199254740993.3330078125"`},
		{cmd: "INCRBYFLOAT n6 4.9999999999999999e-18", want: `"0"`},
		{cmd: "INCRBYFLOAT n7 5.0000000000000001e-18", want: `"0.00000000000000001"`},
		{cmd: "INCRBYFLOAT n8 3.6e-4951", want: `"0"`}, // a long double denormal
		{cmd: "INCRBYFLOAT n9 1e-4951", want: "-ERR value is not a valid float"},
		{cmd: "INCRBYFLOAT n9 1e4933", want: "-ERR value is not a valid float"},
		{cmd: "SET big 1e4932", want: "+OK"},
		{cmd: "INCRBYFLOAT big 1e4932", want: "-ERR increment would produce NaN or Infinity"},
		{cmd: "INCRBYFLOAT f inf", want: "-ERR increment would produce NaN or Infinity"},
		{cmd: "INCRBYFLOAT f -Infinity", want: "-ERR increment would produce NaN or Infinity"},
		{cmd: "SET f inf", want: "+OK"},
		{cmd: "INCRBYFLOAT f 1", want: "-ERR increment would produce NaN or Infinity"},
		{cmd: "INCRBYFLOAT f abc", want: "-ERR value is not a valid float"},
		{cmd: "SET f abc", want: "+OK"},
		{cmd: "INCRBYFLOAT f 1", want: "-ERR value is not a valid float"},
		{cmd: "INCRBYFLOAT list 1", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "INCRBYFLOAT list abc", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "INCRBYFLOAT f", want: "-ERR wrong number of arguments for 'incrbyfloat' command"},
	})
	var steps []step
	for _, v := range []string{"", " 1", "1 ", "1\x00", "nan", "NaN", "-nan", "0x", "0b101", "0o17", "1_000", "1p3",
		".", "1e", "1e+", "1..2", "--1", "+", "infx", "\t1", strings.Repeat("0", 5119) + "1"} {
		steps = append(steps, step{args: []string{"INCRBYFLOAT", "g", v}, want: "-ERR value is not a valid float"})
	}
	steps = append(steps,
		step{cmd: "GET g", want: "nil"},
		step{args: []string{"INCRBYFLOAT", "g", strings.Repeat("0", 5118) + "1"}, want: `"1"`})
	runSteps(t, c, steps)
}

func TestStringsLCS(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	lcs := []step{
		{cmd: "MSET key1 ohmytext key2 mynewtext", want: "+OK"},
		{cmd: "LCS key1 key2", want: `"mytext"`},
		{cmd: "LCS key1 key2 LEN", want: ":6"},
		{cmd: "LCS key1 key2 WITHMATCHLEN", want: `"mytext"`},
		{cmd: "LCS key1 key2 len WITHMATCHLEN", want: ":6"},
		{cmd: "LCS key1 key2 IDX LEN", want: "-ERR If you want both the length and indexes, please just use IDX."},
		{cmd: "LCS key1 key2 LEN IDX", want: "-ERR If you want both the length and indexes, please just use IDX."},
		{cmd: "LCS key1 key2 foo", want: "-ERR syntax error"},
		{cmd: "LCS key1 key2 MINMATCHLEN", want: "-ERR syntax error"},
		{cmd: "LCS key1 key2 MINMATCHLEN x", want: "-ERR value is not an integer or out of range"},
		{cmd: "LCS key1 list", want: "-ERR The specified keys must contain string values"},
		{cmd: "LCS list key1 foo", want: "-ERR The specified keys must contain string values"},
		{cmd: "LCS nokey key1", want: `""`},
		{cmd: "LCS key1 nokey LEN", want: ":0"},
		{cmd: "LCS key1", want: "-ERR wrong number of arguments for 'lcs' command"},
		{cmd: "MSET a rosettacode b raisethysword", want: "+OK"},
		{cmd: "LCS a b", want: `"rsetod"`},
	}
	runSteps(t, c, lcs)
	// IDX is an array in RESP2 and a map in RESP3; the rest does not change.
	idx := []struct{ cmd, resp2, resp3 string }{
		{"LCS key1 key2 IDX",
			`["matches" [[[:4 :7] [:5 :8]] [[:2 :3] [:0 :1]]] "len" :6]`,
			`{"matches":[[[:4 :7] [:5 :8]] [[:2 :3] [:0 :1]]] "len"::6}`},
		{"LCS key1 key2 IDX MINMATCHLEN 4",
			`["matches" [[[:4 :7] [:5 :8]]] "len" :6]`,
			`{"matches":[[[:4 :7] [:5 :8]]] "len"::6}`},
		{"LCS key1 key2 idx minmatchlen 4 withmatchlen",
			`["matches" [[[:4 :7] [:5 :8] :4]] "len" :6]`,
			`{"matches":[[[:4 :7] [:5 :8] :4]] "len"::6}`},
		{"LCS key1 key2 MINMATCHLEN -5 IDX WITHMATCHLEN",
			`["matches" [[[:4 :7] [:5 :8] :4] [[:2 :3] [:0 :1] :2]] "len" :6]`,
			`{"matches":[[[:4 :7] [:5 :8] :4] [[:2 :3] [:0 :1] :2]] "len"::6}`},
		{"LCS nokey key1 IDX", `["matches" [] "len" :0]`, `{"matches":[] "len"::0}`},
		{"LCS key1 key1 IDX WITHMATCHLEN",
			`["matches" [[[:0 :7] [:0 :7] :8]] "len" :8]`,
			`{"matches":[[[:0 :7] [:0 :7] :8]] "len"::8}`},
		{"LCS a b IDX WITHMATCHLEN",
			`["matches" [[[:9 :9] [:12 :12] :1] [[:8 :8] [:10 :10] :1] [[:5 :5] [:5 :5] :1] [[:2 :3] [:3 :4] :2] [[:0 :0] [:0 :0] :1]] "len" :6]`,
			`{"matches":[[[:9 :9] [:12 :12] :1] [[:8 :8] [:10 :10] :1] [[:5 :5] [:5 :5] :1] [[:2 :3] [:3 :4] :2] [[:0 :0] [:0 :0] :1]] "len"::6}`},
		{"LCS b a IDX",
			`["matches" [[[:12 :12] [:9 :9]] [[:10 :10] [:8 :8]] [[:3 :5] [:2 :4]] [[:0 :0] [:0 :0]]] "len" :6]`,
			`{"matches":[[[:12 :12] [:9 :9]] [[:10 :10] [:8 :8]] [[:3 :5] [:2 :4]] [[:0 :0] [:0 :0]]] "len"::6}`},
	}
	for _, tc := range idx {
		if got := c.Do(strings.Fields(tc.cmd)...); got != tc.resp2 {
			t.Errorf("RESP2 %s: got %s, want %s", tc.cmd, got, tc.resp2)
		}
	}
	if got := c.Do("HELLO", "3"); !strings.Contains(got, `"proto"::3`) {
		t.Fatalf("HELLO 3: %s", got)
	}
	for _, tc := range idx {
		if got := c.Do(strings.Fields(tc.cmd)...); got != tc.resp3 {
			t.Errorf("RESP3 %s: got %s, want %s", tc.cmd, got, tc.resp3)
		}
	}
	runSteps(t, c, lcs)
}

// stringsRaw sends one command and returns the first line of the reply as sent.
func stringsRaw(t *testing.T, c *resptest.Client, args ...string) string {
	t.Helper()
	if err := c.Send(string(resptest.Encode(args...))); err != nil {
		t.Fatal(err)
	}
	_ = c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := c.R.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return line
}

func TestStringsNullsByProtocol(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	// Each run uses fresh key names: a null reply leaves nothing else to read.
	run := func(sfx, want string) {
		t.Helper()
		c.Do("SET", "k", "v")
		for _, args := range [][]string{{"GET", "no" + sfx}, {"SET", "k", "v", "NX"}, {"SET", "a" + sfx, "v", "GET"},
			{"GETDEL", "no" + sfx}, {"GETEX", "no" + sfx}, {"GETSET", "b" + sfx, "v"}, {"SET", "c" + sfx, "v", "XX"}} {
			if got := stringsRaw(t, c, args...); got != want {
				t.Errorf("%v: got %q, want %q", args, got, want)
			}
		}
		if got := stringsRaw(t, c, "MGET", "no"+sfx); got != "*1\r\n" {
			t.Errorf("MGET header %q", got)
		}
		if got, _ := c.R.ReadString('\n'); got != want {
			t.Errorf("MGET element %q, want %q", got, want)
		}
	}
	run("2", "$-1\r\n")
	c.Do("HELLO", "3")
	run("3", "_\r\n")
}

func TestStringsKeyspaceStats(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	// The same sequence gives keyspace_hits:10 and keyspace_misses:10 on
	// redis-server: writing commands count neither.
	for _, cmd := range []string{"SET a 1", "GET a", "GET nokey", "MGET a b c", "SET a 2 GET", "SET zz 2 GET",
		"GETSET a 3", "GETSET yy 3", "GETDEL a", "GETDEL a", "GETEX yy", "GETEX nokey", "STRLEN yy", "STRLEN nokey",
		"GETRANGE yy 0 1", "GETRANGE nokey 0 1", "SUBSTR yy 0 1", "LCS yy nokey", "INCR cnt", "INCRBYFLOAT cnt 1",
		"APPEND cnt 1", "SETRANGE cnt 0 1", "SETNX cnt 1", "MSETNX q 1 r 2", "MSET q 1", "SET q 1 NX", "SET q 1 XX"} {
		if got := c.Do(strings.Fields(cmd)...); strings.HasPrefix(got, "-") {
			t.Fatalf("%s: %s", cmd, got)
		}
	}
	if h, m := srv.Stats.KeyspaceHits.Load(), srv.Stats.KeyspaceMisses.Load(); h != 10 || m != 10 {
		t.Errorf("hits %d misses %d, want 10 and 10", h, m)
	}
}

func TestStringsAccounting(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for _, cmd := range []string{
		"SET a hello", "SET b x", "APPEND b yz", "APPEND c 123", "SETRANGE c 10 end", "SETRANGE d 2 zz",
		"SET a hello_world_longer", "SET a hi", "MSET e 1 f 22 g 333", "INCR e", "INCRBY e 999", "INCRBYFLOAT f 0.5",
		"GETSET g 4", "SETNX h 1", "MSETNX i 1 j 2", "SET k v EX 100", "GETEX k PERSIST", "SET l vv KEEPTTL",
		"SET tmp value", "GETDEL tmp", "SET gone v", "SET gone v PXAT 1", "SET x 1", "GETEX x EXAT 1",
		"SET y abcdef", "SETRANGE y 1 Z", "SET y abc GET", "APPEND y defghijk", "SET y a",
	} {
		if got := c.Do(strings.Fields(cmd)...); strings.HasPrefix(got, "-") {
			t.Fatalf("%s: %s", cmd, got)
		}
	}
	want := map[string]string{
		"a": "hi", "b": "xyz", "c": "123\x00\x00\x00\x00\x00\x00\x00end", "d": "\x00\x00zz", "e": "1001", "f": "22.5",
		"g": "4", "h": "1", "i": "1", "j": "2", "k": "v", "l": "vv", "y": "a",
	}
	var sum int64
	for k, v := range want {
		if got := c.Do("GET", k); got != strconv.Quote(v) {
			t.Errorf("GET %s: %s, want %q", k, got, v)
		}
		sum += int64(len(k)+len(v)) + engine.KeyCharge
	}
	db := srv.DBs[0]
	if db.Bytes() != sum || db.Keys() != int64(len(want)) {
		t.Errorf("accounted %d bytes in %d keys, want %d in %d", db.Bytes(), db.Keys(), sum, len(want))
	}
}

func TestStringsConcurrentCounters(t *testing.T) {
	srv := startServer(t)
	const clients, each = 4, 200
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		c := dial(t, srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				c.Do("INCR", "n")
				c.Do("APPEND", "s", "x")
				c.Do("INCRBYFLOAT", "f", "0.5")
			}
		}()
	}
	wg.Wait()
	runSteps(t, dial(t, srv), []step{
		{cmd: "GET n", want: `"800"`},
		{cmd: "STRLEN s", want: ":800"},
		{cmd: "GET f", want: `"400"`},
	})
}

func TestStringsTableRows(t *testing.T) {
	tbl := NewTable()
	// Arity, flags, key positions and ACL categories as COMMAND INFO of redis-server 7.0 gives them.
	rows := []struct {
		name, info string
	}{
		{"get", "2 readonly,fast 1 1 1 read,string,fast"},
		{"set", "-3 write,denyoom 1 1 1 write,string,slow"},
		{"setnx", "3 write,denyoom,fast 1 1 1 write,string,fast"},
		{"setex", "4 write,denyoom 1 1 1 write,string,slow"},
		{"psetex", "4 write,denyoom 1 1 1 write,string,slow"},
		{"mget", "-2 readonly,fast 1 -1 1 read,string,fast"},
		{"mset", "-3 write,denyoom 1 -1 2 write,string,slow"},
		{"msetnx", "-3 write,denyoom 1 -1 2 write,string,slow"},
		{"getset", "3 write,denyoom,fast 1 1 1 write,string,fast"},
		{"getdel", "2 write,fast 1 1 1 write,string,fast"},
		{"getex", "-2 write,fast 1 1 1 write,string,fast"},
		{"append", "3 write,denyoom,fast 1 1 1 write,string,fast"},
		{"strlen", "2 readonly,fast 1 1 1 read,string,fast"},
		{"getrange", "4 readonly 1 1 1 read,string,slow"},
		{"setrange", "4 write,denyoom 1 1 1 write,string,slow"},
		{"substr", "4 readonly 1 1 1 read,string,slow"},
		{"incr", "2 write,denyoom,fast 1 1 1 write,string,fast"},
		{"decr", "2 write,denyoom,fast 1 1 1 write,string,fast"},
		{"incrby", "3 write,denyoom,fast 1 1 1 write,string,fast"},
		{"decrby", "3 write,denyoom,fast 1 1 1 write,string,fast"},
		{"incrbyfloat", "3 write,denyoom,fast 1 1 1 write,string,fast"},
		{"lcs", "-3 readonly 1 2 1 read,string,slow"},
	}
	for _, r := range rows {
		cmd := tbl.Lookup([]byte(r.name))
		if cmd == nil {
			t.Errorf("%s: not in the table", r.name)
			continue
		}
		got := strconv.Itoa(cmd.Arity) + " " + strings.Join(cmd.Flags.Names(), ",") + " " +
			strconv.Itoa(cmd.FirstKey) + " " + strconv.Itoa(cmd.LastKey) + " " + strconv.Itoa(cmd.Step) + " " +
			strings.Join(cmd.ACL, ",")
		if got != r.info {
			t.Errorf("%s: %s, want %s", r.name, got, r.info)
		}
		want := tenant.NeedWrite
		switch {
		case r.name == "getdel":
			want = tenant.NeedDelete
		case cmd.Flags&FlagReadOnly != 0:
			want = tenant.NeedRead
		}
		if cmd.Need != want {
			t.Errorf("%s: needs %s, want %s", r.name, cmd.Need, want)
		}
		if cmd.Summary == "" || cmd.Since == "" || cmd.Complexity == "" || cmd.Group != "string" {
			t.Errorf("%s: docs incomplete", r.name)
		}
	}
}

// The hot path of the benchmark allocates nothing once a key exists.
func TestStringsHotPathAllocs(t *testing.T) {
	srv := startServer(t)
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	c := srv.newClient(p1)
	exec := func(args ...string) [][]byte {
		b := make([][]byte, len(args))
		for i, a := range args {
			b[i] = []byte(a)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		args [][]byte
	}{
		{"GET", exec("GET", "key:000001")},
		{"GET missing", exec("GET", "nokey")},
		{"SET overwrite", exec("SET", "key:000001", "xxx")},
		{"SET overwrite with options", exec("SET", "key:000001", "yyy", "XX", "GET")},
		{"INCR", exec("INCR", "counter:000001")},
	} {
		srv.Exec(nil, c, exec("SET", "key:000001", "abc"))
		srv.Exec(nil, c, exec("SET", "counter:000001", "1"))
		c.W.Reset()
		allocs := testing.AllocsPerRun(100, func() {
			srv.Exec(nil, c, tc.args)
			c.W.Reset()
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per call", tc.name, allocs)
		}
	}
}
