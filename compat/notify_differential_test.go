package compat

import (
	"strings"
	"testing"

	"synap/resp/resptest"
)

// notifyCommands are run by one connection while another listens to every
// keyspace and keyevent channel; Synap must raise the same events, with
// the same channel names and payloads, in the same order, as redis-server.
var notifyCommands = [][]string{
	{"SET", "s", "v"}, {"SET", "s", "v2", "EX", "100"}, {"SET", "s", "v3", "KEEPTTL"}, {"SETNX", "s", "x"},
	{"SETNX", "s2", "x"}, {"MSET", "a", "1", "b", "2"}, {"APPEND", "a", "x"}, {"SETRANGE", "a", "0", "z"},
	{"INCR", "n"}, {"INCRBY", "n", "5"}, {"DECR", "n"}, {"DECRBY", "n", "2"}, {"INCRBYFLOAT", "n", "1.5"},
	{"GETSET", "a", "g"}, {"GETDEL", "a"}, {"GETEX", "b", "EX", "100"}, {"GETEX", "b", "PERSIST"},
	{"SETEX", "e", "100", "v"}, {"PSETEX", "e", "100000", "v"},
	{"EXPIRE", "b", "100"}, {"PERSIST", "b"}, {"PEXPIRE", "b", "100000"}, {"EXPIRE", "b", "0"},
	{"DEL", "s", "nosuch", "s2"}, {"SET", "r", "1"}, {"RENAME", "r", "r2"}, {"RENAMENX", "r2", "r3"},
	{"COPY", "r3", "r4"}, {"UNLINK", "r3", "r4"},
	{"LPUSH", "l", "a", "b"}, {"RPUSH", "l", "c"}, {"LPUSHX", "nol", "a"}, {"LINSERT", "l", "BEFORE", "a", "x"},
	{"LSET", "l", "0", "y"}, {"LREM", "l", "0", "x"}, {"LTRIM", "l", "0", "10"}, {"LPOP", "l"}, {"RPOP", "l"},
	{"RPOPLPUSH", "l", "l2"}, {"LMOVE", "l", "l2", "LEFT", "RIGHT"}, {"LPOP", "l2", "5"},
	{"HSET", "h", "f", "1", "g", "2"}, {"HSETNX", "h", "f", "3"}, {"HINCRBY", "h", "f", "1"},
	{"HINCRBYFLOAT", "h", "f", "1.5"}, {"HDEL", "h", "f", "g"},
	{"SADD", "st", "a", "b", "c"}, {"SREM", "st", "a"}, {"SMOVE", "st", "st2", "b"}, {"SPOP", "st"},
	{"SADD", "st", "1", "2"}, {"SADD", "st3", "2", "3"}, {"SINTERSTORE", "dst", "st", "st3"}, {"SUNIONSTORE", "dst", "st", "st3"},
	{"SDIFFSTORE", "dst", "st", "st"},
	{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, {"ZADD", "z", "INCR", "1", "a"}, {"ZINCRBY", "z", "1", "a"},
	{"ZREM", "z", "a"}, {"ZPOPMIN", "z"}, {"ZPOPMAX", "z"}, {"ZADD", "z", "1", "a", "2", "b"},
	{"ZREMRANGEBYSCORE", "z", "1", "1"}, {"ZREMRANGEBYRANK", "z", "0", "0"},
	{"ZADD", "z", "1", "a", "2", "b"}, {"ZRANGESTORE", "z2", "z", "0", "-1"}, {"ZUNIONSTORE", "z3", "2", "z", "z2"},
	// Streams: XADD's trim raises "xtrim" after "xadd" only when it removed
	// entries; XTRIM and XDEL that remove nothing raise nothing; a consumer
	// created by XREADGROUP, XCLAIM or XAUTOCLAIM raises
	// "xgroup-createconsumer", an existing one nothing.
	{"XADD", "x", "1-1", "f", "v"}, {"XADD", "x", "2-1", "f", "v"}, {"XADD", "x", "MAXLEN", "1", "3-1", "f", "v"},
	{"XADD", "x", "MAXLEN", "5", "4-1", "f", "v"}, {"XADD", "x", "MINID", "4-1", "4-2", "f", "v"},
	{"XADD", "x", "MINID", "4-2", "4-3", "f", "v"}, {"XTRIM", "x", "MAXLEN", "2"}, {"XTRIM", "x", "MAXLEN", "2"},
	{"XADD", "x", "5-1", "f", "v"}, {"XDEL", "x", "5-1", "9-9"}, {"XDEL", "x", "9-9"}, {"XSETID", "x", "9-9"},
	{"XGROUP", "CREATE", "x", "g", "0"}, {"XGROUP", "CREATE", "xy", "g", "$", "MKSTREAM"},
	{"XGROUP", "CREATECONSUMER", "x", "g", "c1"}, {"XGROUP", "CREATECONSUMER", "x", "g", "c1"},
	{"XREADGROUP", "GROUP", "g", "c0", "STREAMS", "xy", ">"},
	{"XREADGROUP", "GROUP", "g", "c2", "STREAMS", "x", "xy", ">", ">"}, {"XREADGROUP", "GROUP", "g", "c2", "STREAMS", "x", ">"},
	{"XCLAIM", "x", "g", "c3", "0", "4-2"}, {"XCLAIM", "x", "g", "c5", "0", "7-7"}, {"XAUTOCLAIM", "x", "g", "c4", "0", "0"},
	{"XGROUP", "DELCONSUMER", "x", "g", "c3"}, {"XGROUP", "DELCONSUMER", "x", "g", "nosuch"},
	{"XGROUP", "SETID", "x", "g", "0"}, {"XGROUP", "DESTROY", "x", "g"}, {"XGROUP", "DESTROY", "x", "g"},
	{"XADD", "x", "NOMKSTREAM", "10-1", "f", "v"}, {"XADD", "nox", "NOMKSTREAM", "10-1", "f", "v"},
	// Keys written over (or deleted and added again) by one command.
	{"SET", "o1", "1"}, {"SET", "o2", "2"}, {"RENAME", "o1", "o2"}, {"SET", "o1", "1"},
	{"COPY", "o1", "o2", "REPLACE"}, {"SINTERSTORE", "o2", "st", "st3"}, {"SORT", "l2", "ALPHA", "STORE", "o3"},
	{"SORT", "l2", "ALPHA", "STORE", "o3"}, {"MOVE", "o3", "1"}, {"MSET", "m1", "1", "a", "2", "m2", "3"},
}

// The classes A leaves out are compared too: with n, "new" comes before
// the command's own event on a key it created (before rename_from and
// move_from for the destination of RENAME and MOVE).
// notifyMissCommands raise "keymiss" (m) where a read command's lookup
// finds nothing: each missing key, twice for XREAD (Redis 7.0 looks it up
// to resolve the id, then to serve it), none for OBJECT and MEMORY USAGE
// (a command refused before its lookup raises none: commands tests).
var notifyMissCommands = [][]string{
	{"SET", "here", "v"}, {"GET", "m1"}, {"GET", "here"}, {"EXISTS", "m2", "here", "m2"}, {"TYPE", "m3"}, {"TTL", "m4"},
	{"OBJECT", "ENCODING", "m5"}, {"MEMORY", "USAGE", "m6"}, {"PFCOUNT", "m7"}, {"PFCOUNT", "m8", "m9"},
	{"MGET", "m10", "here", "m11"}, {"STRLEN", "m12"}, {"XREAD", "STREAMS", "m13", "m14", "0", "0"},
	{"SUNION", "m15", "m16"}, {"DUMP", "m18"}, {"TOUCH", "m19"},
	{"SINTERCARD", "2", "m20", "m21"}, {"ZUNION", "2", "m22", "m23"}, {"LCS", "m24", "m25"}, {"SORT_RO", "m26"},
	{"HGET", "m27", "f"}, {"GETRANGE", "m28", "0", "1"}, {"EXPIRETIME", "m29"}, {"PTTL", "m30"}, {"LRANGE", "m31", "0", "-1"},
	{"ZSCORE", "m32", "a"}, {"SMEMBERS", "m33"}, {"HGETALL", "m34"}, {"XRANGE", "m35", "-", "+"}, {"GET", "here"},
	// Writes that look keys up as a read does: before their own events.
	{"GETDEL", "a1"}, {"GETEX", "a2"}, {"GETSET", "a3", "v"}, {"GETSET", "a3", "w"}, {"SET", "a4", "v", "GET"},
	{"SET", "a4", "get", "GET"}, {"SET", "a4b", "get"}, {"SDIFFSTORE", "d1", "a5", "a6"}, {"ZUNIONSTORE", "d2", "2", "a7", "a8"},
	{"ZINTERSTORE", "d3", "2", "a9", "a10"}, {"ZDIFFSTORE", "d4", "2", "a11", "a12"}, {"ZRANGESTORE", "d5", "a13", "0", "-1"},
	{"BITOP", "AND", "d6", "a14", "a15"}, {"PFMERGE", "d7", "a16"}, {"COPY", "a17", "d8"},
	{"GEOSEARCHSTORE", "d10", "a19", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"},
	{"GEORADIUS", "a20", "0", "0", "1", "km", "STORE", "d11"}, {"LMOVE", "a21", "d12", "LEFT", "LEFT"},
	{"SMOVE", "a22", "d13", "x"}, {"INCR", "a24"}, {"LPOP", "a25"}, {"SADD", "s1", "x"}, {"SUNIONSTORE", "d14", "s1", "a26"},
	{"GETDEL", "here"},
}

func TestNotifyDifferential(t *testing.T) {
	resptest.NeedRedisServer(t)
	for _, run := range []struct {
		flags, proto string
		cmds         [][]string
	}{{"KEA", "2", notifyCommands}, {"KEA", "3", notifyCommands}, {"KEAn", "2", notifyCommands}, {"KEAmn", "2", notifyMissCommands}} {
		flags, proto, cmds := run.flags, run.proto, run.cmds
		t.Run(flags+"/resp"+proto, func(t *testing.T) {
			want := notifyTranscript(t, startRedis(t).addr, flags, proto, cmds, -1)
			got := notifyTranscript(t, startSynap(t, "").Addr().String(), flags, proto, cmds, len(want))
			for i := range want {
				if i >= len(got) || got[i] != want[i] {
					g := "<missing>"
					if i < len(got) {
						g = got[i]
					}
					t.Fatalf("event %d:\n synap %s\n redis %s", i, g, want[i])
				}
			}
			if len(got) > len(want) {
				t.Fatalf("synap raised more events: %q", got[len(want):])
			}
		})
	}
}

// notifyTranscript runs cmds on addr and returns the events a
// subscriber saw, with the command that raised them. With n < 0 it reads
// until a sync message published after the commands (redis-server, where
// events come before the reply); otherwise n events, then checks that
// nothing else arrives.
func notifyTranscript(t *testing.T, addr, flags, proto string, cmds [][]string, n int) []string {
	t.Helper()
	sub, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	w, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sub.Do("HELLO", proto)
	if got := w.Do("CONFIG", "SET", "notify-keyspace-events", flags); got != "+OK" {
		t.Fatalf("CONFIG SET = %s", got)
	}
	if got := w.Do("CONFIG", "GET", "notify-keyspace-events"); !strings.Contains(got, `"AKE`) {
		t.Errorf("CONFIG GET notify-keyspace-events = %s", got)
	}
	sub.Do("PSUBSCRIBE", "__key*__:*")
	sub.Do("SUBSCRIBE", "sync")
	for _, c := range cmds {
		if got := w.Do(c...); strings.HasPrefix(got, "-") {
			t.Fatalf("%q = %s", c, got)
		}
	}
	var out []string
	if n < 0 {
		w.Do("PUBLISH", "sync", "end")
		for {
			got := sub.Read()
			if strings.Contains(got, `"sync"`) || strings.HasPrefix(got, "ERROR") {
				break
			}
			out = append(out, got)
		}
		return out
	}
	for len(out) < n {
		got := sub.Read()
		if strings.HasPrefix(got, "ERROR") {
			break
		}
		out = append(out, got)
	}
	w.Do("PUBLISH", "sync", "end")
	if got := sub.Read(); !strings.Contains(got, `"sync"`) {
		out = append(out, got)
	}
	return out
}
