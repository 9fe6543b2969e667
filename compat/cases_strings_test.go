package compat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	errWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNotFloat  = "ERR value is not a valid float"
	errOverflow  = "ERR increment or decrement would overflow"
)

func errExpire(cmd string) string { return "ERR invalid expire time in '" + cmd + "' command" }

// hourAhead is a whole-second unix time an hour from now, for EXAT-style
// options whose result is exact.
func hourAhead() time.Time { return time.Unix(time.Now().Add(time.Hour).Unix(), 0) }

var stringCases = []testCase{
	{name: "get_set", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		wantNil(t, rdb.Get(ctx, "k"))
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		want(t, rdb.Get(ctx, "k"), "v")
		want(t, rdb.Set(ctx, "k", "v2", 0), "OK")
		want(t, rdb.Get(ctx, "k"), "v2")
		bin := "a\x00b\r\nc\xff"
		want(t, rdb.Set(ctx, "bin\x00key", bin, 0), "OK")
		want(t, rdb.Get(ctx, "bin\x00key"), bin)
		want(t, rdb.Set(ctx, "empty", "", 0), "OK")
		want(t, rdb.Get(ctx, "empty"), "")
		want(t, rdb.Exists(ctx, "empty"), int64(1))
		big := strings.Repeat("x", 1<<20)
		want(t, rdb.Set(ctx, "big", big, 0), "OK")
		want(t, rdb.StrLen(ctx, "big"), int64(1<<20))
		if got := must(t, rdb.Get(ctx, "big")); got != big {
			t.Errorf("GET big: %d bytes back, want %d", len(got), len(big))
		}
		want(t, rdb.Set(ctx, "n", 42, 0), "OK")
		want(t, rdb.Get(ctx, "n"), "42")
		// Raw reply types: a bulk string, and a null that go-redis maps to Nil.
		want(t, rdb.Do(ctx, "GET", "k"), any("v2"))
		wantNil(t, rdb.Do(ctx, "GET", "missing"))
		wantErr(t, rdb.Do(ctx, "GET"), errArity("get"))
		wantErr(t, rdb.Do(ctx, "GET", "a", "b"), errArity("get"))
		wantErr(t, rdb.Do(ctx, "SET", "k"), errArity("set"))
	}},
	{name: "set_expire_options", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "ex", "v", 100*time.Second), "OK")
		wantBetween(t, rdb.TTL(ctx, "ex"), 99*time.Second, 100*time.Second)
		want(t, rdb.Set(ctx, "px", "v", 1500*time.Millisecond), "OK")
		wantBetween(t, rdb.PTTL(ctx, "px"), 1000*time.Millisecond, 1500*time.Millisecond)
		want(t, rdb.Do(ctx, "SET", "ex2", "v", "ex", "100"), any("OK"))
		wantBetween(t, rdb.TTL(ctx, "ex2"), 99*time.Second, 100*time.Second)
		want(t, rdb.Do(ctx, "SET", "px2", "v", "PX", "100000"), any("OK"))
		wantBetween(t, rdb.PTTL(ctx, "px2"), 99*time.Second, 100*time.Second)

		at := hourAhead()
		want(t, rdb.SetArgs(ctx, "exat", "v", redis.SetArgs{ExpireAt: at}), "OK")
		want(t, rdb.ExpireTime(ctx, "exat"), time.Duration(at.Unix())*time.Second)
		atMs := at.Add(123 * time.Millisecond)
		want(t, rdb.SetArgs(ctx, "pxat", "v", redis.SetArgs{ExpireAt: atMs}), "OK")
		want(t, rdb.PExpireTime(ctx, "pxat"), time.Duration(atMs.UnixMilli())*time.Millisecond)
		want(t, rdb.Do(ctx, "SET", "exat2", "v", "EXAT", itoa(at.Unix())), any("OK"))
		want(t, rdb.Do(ctx, "EXPIRETIME", "exat2"), any(at.Unix()))
		want(t, rdb.Do(ctx, "SET", "pxat2", "v", "PXAT", itoa(atMs.UnixMilli())), any("OK"))
		want(t, rdb.Do(ctx, "PEXPIRETIME", "pxat2"), any(atMs.UnixMilli()))

		// A plain SET drops the TTL; KEEPTTL keeps it.
		want(t, rdb.Set(ctx, "exat", "v2", redis.KeepTTL), "OK")
		want(t, rdb.ExpireTime(ctx, "exat"), time.Duration(at.Unix())*time.Second)
		want(t, rdb.Get(ctx, "exat"), "v2")
		want(t, rdb.Set(ctx, "exat", "v3", 0), "OK")
		want(t, rdb.TTL(ctx, "exat"), time.Duration(-1))
		// KEEPTTL on a missing key just sets it.
		want(t, rdb.Do(ctx, "SET", "fresh", "v", "KEEPTTL"), any("OK"))
		want(t, rdb.TTL(ctx, "fresh"), time.Duration(-1))

		// A time already in the past stores nothing (the key is gone at once).
		want(t, rdb.Set(ctx, "old", "v", 0), "OK")
		want(t, rdb.Do(ctx, "SET", "old", "v", "EXAT", "1"), any("OK"))
		want(t, rdb.Exists(ctx, "old"), int64(0))
		want(t, rdb.Do(ctx, "SET", "old", "v", "PXAT", "1000"), any("OK"))
		wantNil(t, rdb.Get(ctx, "old"))
		// The largest relative times that still fit are accepted.
		want(t, rdb.Do(ctx, "SET", "far", "v", "EX", "4611686018427387"), any("OK"))
		want(t, rdb.Exists(ctx, "far"), int64(1))
	}},
	{name: "set_expire_errors", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "k", "keep", 0), "OK")
		for _, args := range [][]interface{}{
			{"SET", "k", "v", "EX", "0"},
			{"SET", "k", "v", "EX", "-1"},
			{"SET", "k", "v", "PX", "0"},
			{"SET", "k", "v", "PX", "-100"},
			{"SET", "k", "v", "EXAT", "0"},
			{"SET", "k", "v", "PXAT", "-1"},
			{"SET", "k", "v", "EX", "9223372036854775807"},
			{"SET", "k", "v", "PX", "9223372036854775807"},
			{"SET", "k", "v", "EX", "9223372036854775"},
			{"SET", "k", "v", "EXAT", "99999999999999999"},
		} {
			wantErr(t, rdb.Do(ctx, args...), errExpire("set"))
		}
		for _, args := range [][]interface{}{
			{"SET", "k", "v", "EX", "abc"},
			{"SET", "k", "v", "EX", "1.5"},
			{"SET", "k", "v", "PX", ""},
			{"SET", "k", "v", "EX", "9223372036854775808"},
		} {
			wantErr(t, rdb.Do(ctx, args...), errNotInt)
		}
		for _, args := range [][]interface{}{
			{"SET", "k", "v", "EX"},
			{"SET", "k", "v", "EX", "10", "PX", "10000"},
			{"SET", "k", "v", "KEEPTTL", "EX", "10"},
			{"SET", "k", "v", "PXAT", "1", "KEEPTTL"},
			{"SET", "k", "v", "NX", "XX"},
			{"SET", "k", "v", "FOO"},
			{"SET", "k", "v", "GET", "GET", "FOO"},
			{"SET", "k", "v", "10"},
		} {
			wantErr(t, rdb.Do(ctx, args...), errSyntax)
		}
		// Failed SETs change nothing.
		want(t, rdb.Get(ctx, "k"), "keep")
		want(t, rdb.TTL(ctx, "k"), time.Duration(-1))
		// Repeating the same option is accepted.
		wantNil(t, rdb.Do(ctx, "SET", "k", "v", "EX", "10", "EX", "100", "NX", "NX"))
		want(t, rdb.Do(ctx, "SET", "k", "v", "EX", "10", "EX", "100", "XX", "XX"), any("OK"))
		wantBetween(t, rdb.TTL(ctx, "k"), 99*time.Second, 100*time.Second)
	}},
	{name: "set_nx_xx_get", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.SetXX(ctx, "k", "v", 0), false)
		want(t, rdb.Exists(ctx, "k"), int64(0))
		want(t, rdb.SetNX(ctx, "k", "v1", 0), true)
		want(t, rdb.SetNX(ctx, "k", "v2", 0), false)
		want(t, rdb.Get(ctx, "k"), "v1")
		want(t, rdb.SetXX(ctx, "k", "v3", 0), true)
		want(t, rdb.Get(ctx, "k"), "v3")
		// Raw: a refused NX/XX is a null reply, not an error.
		wantNil(t, rdb.Do(ctx, "SET", "k", "v", "NX"))
		wantNil(t, rdb.Do(ctx, "SET", "missing", "v", "XX"))
		want(t, rdb.Do(ctx, "SET", "k", "v4", "xx"), any("OK"))
		// NX/XX with an expiry.
		want(t, rdb.SetNX(ctx, "nxex", "v", 100*time.Second), true)
		wantBetween(t, rdb.TTL(ctx, "nxex"), 99*time.Second, 100*time.Second)
		want(t, rdb.SetXX(ctx, "nxex", "w", 50*time.Second), true)
		wantBetween(t, rdb.TTL(ctx, "nxex"), 49*time.Second, 50*time.Second)

		// GET returns the old value (nil when there was none).
		wantNil(t, rdb.SetArgs(ctx, "g", "first", redis.SetArgs{Get: true}))
		want(t, rdb.SetArgs(ctx, "g", "second", redis.SetArgs{Get: true}), "first")
		want(t, rdb.Get(ctx, "g"), "second")
		want(t, rdb.Do(ctx, "SET", "g", "third", "GET"), any("second"))
		// NX and XX combine with GET (since 7.0): the old value comes back
		// whether or not the write happened.
		want(t, rdb.SetArgs(ctx, "g", "nope", redis.SetArgs{Mode: "NX", Get: true}), "third")
		want(t, rdb.Get(ctx, "g"), "third")
		wantNil(t, rdb.SetArgs(ctx, "g2", "new", redis.SetArgs{Mode: "NX", Get: true}))
		want(t, rdb.Get(ctx, "g2"), "new")
		want(t, rdb.SetArgs(ctx, "g2", "newer", redis.SetArgs{Mode: "XX", Get: true}), "new")
		wantNil(t, rdb.SetArgs(ctx, "g3", "x", redis.SetArgs{Mode: "XX", Get: true}))
		want(t, rdb.Exists(ctx, "g3"), int64(0))
		// GET with an expiry and KEEPTTL.
		want(t, rdb.SetArgs(ctx, "g", "ttl", redis.SetArgs{Get: true, TTL: 100 * time.Second}), "third")
		wantBetween(t, rdb.TTL(ctx, "g"), 99*time.Second, 100*time.Second)
		want(t, rdb.SetArgs(ctx, "g", "kept", redis.SetArgs{Get: true, KeepTTL: true}), "ttl")
		wantBetween(t, rdb.TTL(ctx, "g"), 99*time.Second, 100*time.Second)
		// Options are case-insensitive and may come in any order.
		wantNil(t, rdb.Do(ctx, "SET", "o", "v", "get", "Px", "100000", "nX"))
		wantBetween(t, rdb.PTTL(ctx, "o"), 99*time.Second, 100*time.Second)
	}},
	{name: "setnx_setex_psetex", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Do(ctx, "SETNX", "k", "v1"), any(int64(1)))
		want(t, rdb.Do(ctx, "SETNX", "k", "v2"), any(int64(0)))
		want(t, rdb.Get(ctx, "k"), "v1")
		wantErr(t, rdb.Do(ctx, "SETNX", "k"), errArity("setnx"))

		want(t, rdb.SetEx(ctx, "se", "v", 100*time.Second), "OK")
		want(t, rdb.Get(ctx, "se"), "v")
		wantBetween(t, rdb.TTL(ctx, "se"), 99*time.Second, 100*time.Second)
		want(t, rdb.Do(ctx, "PSETEX", "pse", "100000", "v"), any("OK"))
		wantBetween(t, rdb.PTTL(ctx, "pse"), 99*time.Second, 100*time.Second)
		// SETEX replaces any type.
		for _, tc := range []struct {
			args []interface{}
			err  string
		}{
			{[]interface{}{"SETEX", "se", "0", "v"}, errExpire("setex")},
			{[]interface{}{"SETEX", "se", "-5", "v"}, errExpire("setex")},
			{[]interface{}{"SETEX", "se", "9223372036854775807", "v"}, errExpire("setex")},
			{[]interface{}{"SETEX", "se", "abc", "v"}, errNotInt},
			{[]interface{}{"SETEX", "se", "1.5", "v"}, errNotInt},
			{[]interface{}{"PSETEX", "se", "0", "v"}, errExpire("psetex")},
			{[]interface{}{"PSETEX", "se", "-1", "v"}, errExpire("psetex")},
			{[]interface{}{"PSETEX", "se", "9223372036854775807", "v"}, errExpire("psetex")},
			{[]interface{}{"PSETEX", "se", "x", "v"}, errNotInt},
			{[]interface{}{"SETEX", "se", "10"}, errArity("setex")},
			{[]interface{}{"PSETEX", "se", "10", "v", "x"}, errArity("psetex")},
		} {
			wantErr(t, rdb.Do(ctx, tc.args...), tc.err)
		}
		want(t, rdb.Get(ctx, "se"), "v")
	}},
	{name: "mget_mset_msetnx", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.MSet(ctx, "a", "1", "b", "2"), "OK")
		want(t, rdb.MSet(ctx, map[string]interface{}{"c": "3"}), "OK")
		want(t, rdb.MGet(ctx, "a", "b", "missing", "c"), []interface{}{"1", "2", nil, "3"})
		want(t, rdb.MGet(ctx, "missing"), []interface{}{nil})
		// The last of repeated keys wins.
		want(t, rdb.MSet(ctx, "a", "x", "a", "y"), "OK")
		want(t, rdb.Get(ctx, "a"), "y")
		// MSET drops TTLs like SET.
		want(t, rdb.Expire(ctx, "b", time.Hour), true)
		want(t, rdb.MSet(ctx, "b", "22"), "OK")
		want(t, rdb.TTL(ctx, "b"), time.Duration(-1))

		want(t, rdb.MSetNX(ctx, "n1", "1", "n2", "2"), true)
		want(t, rdb.MSetNX(ctx, "n2", "x", "n3", "3"), false)
		want(t, rdb.MGet(ctx, "n1", "n2", "n3"), []interface{}{"1", "2", nil})
		want(t, rdb.Do(ctx, "MSETNX", "n4", "a", "n4", "b"), any(int64(1)))
		want(t, rdb.Get(ctx, "n4"), "b")

		wantErr(t, rdb.Do(ctx, "MSET", "a"), errArity("mset"))
		wantErr(t, rdb.Do(ctx, "MSET", "a", "1", "b"), errArity("mset"))
		wantErr(t, rdb.Do(ctx, "MSETNX", "a", "1", "b"), errArity("msetnx"))
		wantErr(t, rdb.Do(ctx, "MSETNX"), errArity("msetnx"))
		wantErr(t, rdb.Do(ctx, "MGET"), errArity("mget"))
	}},
	{name: "getset_getdel", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		wantNil(t, rdb.GetSet(ctx, "k", "v1"))
		want(t, rdb.GetSet(ctx, "k", "v2"), "v1")
		want(t, rdb.Get(ctx, "k"), "v2")
		// GETSET drops the TTL.
		want(t, rdb.Expire(ctx, "k", time.Hour), true)
		want(t, rdb.GetSet(ctx, "k", "v3"), "v2")
		want(t, rdb.TTL(ctx, "k"), time.Duration(-1))
		wantErr(t, rdb.Do(ctx, "GETSET", "k"), errArity("getset"))

		want(t, rdb.GetDel(ctx, "k"), "v3")
		want(t, rdb.Exists(ctx, "k"), int64(0))
		wantNil(t, rdb.GetDel(ctx, "k"))
		wantErr(t, rdb.Do(ctx, "GETDEL"), errArity("getdel"))
		wantErr(t, rdb.Do(ctx, "GETDEL", "a", "b"), errArity("getdel"))
	}},
	{name: "getex", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		wantNil(t, rdb.GetEx(ctx, "missing", time.Minute))
		want(t, rdb.Exists(ctx, "missing"), int64(0))
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		// Without options it is a GET.
		want(t, rdb.Do(ctx, "GETEX", "k"), any("v"))
		want(t, rdb.TTL(ctx, "k"), time.Duration(-1))
		want(t, rdb.GetEx(ctx, "k", 100*time.Second), "v")
		wantBetween(t, rdb.TTL(ctx, "k"), 99*time.Second, 100*time.Second)
		want(t, rdb.GetEx(ctx, "k", 50500*time.Millisecond), "v")
		wantBetween(t, rdb.PTTL(ctx, "k"), 50*time.Second, 50500*time.Millisecond)
		at := hourAhead()
		want(t, rdb.Do(ctx, "GETEX", "k", "EXAT", itoa(at.Unix())), any("v"))
		want(t, rdb.ExpireTime(ctx, "k"), time.Duration(at.Unix())*time.Second)
		want(t, rdb.Do(ctx, "GETEX", "k", "pxat", itoa(at.UnixMilli()+7)), any("v"))
		want(t, rdb.PExpireTime(ctx, "k"), time.Duration(at.UnixMilli()+7)*time.Millisecond)
		want(t, rdb.GetEx(ctx, "k", 0), "v") // go-redis sends PERSIST
		want(t, rdb.TTL(ctx, "k"), time.Duration(-1))
		// A past time deletes the key but still returns the value.
		want(t, rdb.Do(ctx, "GETEX", "k", "EXAT", "1"), any("v"))
		want(t, rdb.Exists(ctx, "k"), int64(0))

		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		for _, tc := range []struct {
			args []interface{}
			err  string
		}{
			{[]interface{}{"GETEX", "k", "EX", "0"}, errExpire("getex")},
			{[]interface{}{"GETEX", "k", "PX", "-1"}, errExpire("getex")},
			{[]interface{}{"GETEX", "k", "EXAT", "99999999999999999"}, errExpire("getex")},
			{[]interface{}{"GETEX", "k", "EX", "9223372036854775"}, errExpire("getex")},
			{[]interface{}{"GETEX", "k", "EX", "x"}, errNotInt},
			{[]interface{}{"GETEX", "k", "EX"}, errSyntax},
			{[]interface{}{"GETEX", "k", "EX", "10", "PX", "10"}, errSyntax},
			{[]interface{}{"GETEX", "k", "PERSIST", "EX", "10"}, errSyntax},
			{[]interface{}{"GETEX", "k", "FOO"}, errSyntax},
			{[]interface{}{"GETEX"}, errArity("getex")},
		} {
			wantErr(t, rdb.Do(ctx, tc.args...), tc.err)
		}
		want(t, rdb.TTL(ctx, "k"), time.Duration(-1))
	}},
	{name: "append_strlen", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.StrLen(ctx, "k"), int64(0))
		want(t, rdb.Append(ctx, "k", "hello"), int64(5))
		want(t, rdb.Append(ctx, "k", " world"), int64(11))
		want(t, rdb.Get(ctx, "k"), "hello world")
		want(t, rdb.StrLen(ctx, "k"), int64(11))
		want(t, rdb.Append(ctx, "k", ""), int64(11))
		want(t, rdb.Append(ctx, "e", ""), int64(0))
		want(t, rdb.Exists(ctx, "e"), int64(1))
		// Integers are strings too.
		want(t, rdb.Set(ctx, "n", 123, 0), "OK")
		want(t, rdb.StrLen(ctx, "n"), int64(3))
		want(t, rdb.Append(ctx, "n", "45"), int64(5))
		want(t, rdb.Incr(ctx, "n"), int64(12346))
		want(t, rdb.Set(ctx, "neg", -1, 0), "OK")
		want(t, rdb.StrLen(ctx, "neg"), int64(2))
		// APPEND keeps the TTL.
		want(t, rdb.Set(ctx, "t", "a", time.Hour), "OK")
		want(t, rdb.Append(ctx, "t", "b"), int64(2))
		wantBetween(t, rdb.TTL(ctx, "t"), 3599*time.Second, time.Hour)
		wantErr(t, rdb.Do(ctx, "APPEND", "k"), errArity("append"))
		wantErr(t, rdb.Do(ctx, "STRLEN"), errArity("strlen"))
	}},
	{name: "getrange_substr", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "k", "This is a string", 0), "OK")
		for _, tc := range []struct {
			start, end int64
			want       string
		}{
			{0, 3, "This"}, {-3, -1, "ing"}, {0, -1, "This is a string"}, {10, 100, "string"},
			{-100, 3, "This"}, {5, 1, ""}, {-1, -5, ""}, {100, 200, ""}, {15, 15, "g"}, {0, 0, "T"},
			{-100, -100, "T"}, {3, -100, ""},
		} {
			want(t, rdb.GetRange(ctx, "k", tc.start, tc.end), tc.want)
		}
		want(t, rdb.GetRange(ctx, "missing", 0, -1), "")
		want(t, rdb.Set(ctx, "n", 12345, 0), "OK")
		want(t, rdb.GetRange(ctx, "n", 1, 2), "23")
		want(t, rdb.Do(ctx, "SUBSTR", "k", "0", "3"), any("This"))
		want(t, rdb.Do(ctx, "substr", "k", "-6", "-1"), any("string"))
		want(t, rdb.Do(ctx, "SUBSTR", "missing", "0", "-1"), any(""))
		wantErr(t, rdb.Do(ctx, "GETRANGE", "k", "a", "1"), errNotInt)
		wantErr(t, rdb.Do(ctx, "GETRANGE", "k", "0", "1.5"), errNotInt)
		wantErr(t, rdb.Do(ctx, "GETRANGE", "k", "0"), errArity("getrange"))
		wantErr(t, rdb.Do(ctx, "SUBSTR", "k", "x", "1"), errNotInt)
		wantErr(t, rdb.Do(ctx, "SUBSTR", "k", "1"), errArity("substr"))
	}},
	{name: "setrange", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "k", "Hello World", 0), "OK")
		want(t, rdb.SetRange(ctx, "k", 6, "Redis"), int64(11))
		want(t, rdb.Get(ctx, "k"), "Hello Redis")
		want(t, rdb.SetRange(ctx, "k", 11, "!!"), int64(13))
		want(t, rdb.Get(ctx, "k"), "Hello Redis!!")
		want(t, rdb.SetRange(ctx, "k", 0, ""), int64(13))
		// Gaps are filled with zero bytes.
		want(t, rdb.SetRange(ctx, "pad", 3, "ab"), int64(5))
		want(t, rdb.Get(ctx, "pad"), "\x00\x00\x00ab")
		want(t, rdb.SetRange(ctx, "pad", 10, ""), int64(5))
		// An empty value on a missing key creates nothing.
		want(t, rdb.SetRange(ctx, "missing", 0, ""), int64(0))
		want(t, rdb.SetRange(ctx, "missing", 5, ""), int64(0))
		want(t, rdb.Exists(ctx, "missing"), int64(0))
		want(t, rdb.Set(ctx, "n", 100, 0), "OK")
		want(t, rdb.SetRange(ctx, "n", 1, "5"), int64(3))
		want(t, rdb.Incr(ctx, "n"), int64(151))
		// SETRANGE keeps the TTL.
		want(t, rdb.Set(ctx, "t", "abc", time.Hour), "OK")
		want(t, rdb.SetRange(ctx, "t", 1, "X"), int64(3))
		wantBetween(t, rdb.TTL(ctx, "t"), 3599*time.Second, time.Hour)

		wantErr(t, rdb.SetRange(ctx, "k", -1, "x"), "ERR offset is out of range")
		wantErr(t, rdb.SetRange(ctx, "k", 536870912, "x"), "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
		wantErr(t, rdb.SetRange(ctx, "k", 536870911, "xy"), "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
		// Checks happen even when nothing would be written.
		want(t, rdb.SetRange(ctx, "k", 536870911, ""), int64(13))
		wantErr(t, rdb.SetRange(ctx, "missing", -1, ""), "ERR offset is out of range")
		wantErr(t, rdb.Do(ctx, "SETRANGE", "k", "x", "v"), errNotInt)
		wantErr(t, rdb.Do(ctx, "SETRANGE", "k", "0"), errArity("setrange"))
	}},
	{name: "incr_decr", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Incr(ctx, "n"), int64(1))
		want(t, rdb.Incr(ctx, "n"), int64(2))
		want(t, rdb.IncrBy(ctx, "n", 10), int64(12))
		want(t, rdb.IncrBy(ctx, "n", -20), int64(-8))
		want(t, rdb.Decr(ctx, "n"), int64(-9))
		want(t, rdb.DecrBy(ctx, "n", -9), int64(0))
		want(t, rdb.DecrBy(ctx, "d", 5), int64(-5))
		want(t, rdb.Get(ctx, "n"), "0")
		want(t, rdb.Set(ctx, "s", "-1", 0), "OK")
		want(t, rdb.Incr(ctx, "s"), int64(0))
		want(t, rdb.Set(ctx, "max", "9223372036854775806", 0), "OK")
		want(t, rdb.Incr(ctx, "max"), int64(9223372036854775807))
		want(t, rdb.Set(ctx, "min", "-9223372036854775807", 0), "OK")
		want(t, rdb.Decr(ctx, "min"), int64(-9223372036854775808))
		// INCR keeps the TTL.
		want(t, rdb.Set(ctx, "t", "5", time.Hour), "OK")
		want(t, rdb.Incr(ctx, "t"), int64(6))
		wantBetween(t, rdb.TTL(ctx, "t"), 3599*time.Second, time.Hour)
		want(t, rdb.Do(ctx, "INCRBY", "big", "9223372036854775807"), any(int64(9223372036854775807)))
		want(t, rdb.Do(ctx, "DECRBY", "small", "-9223372036854775807"), any(int64(9223372036854775807)))
		want(t, rdb.Do(ctx, "INCRBY", "neg", "-9223372036854775808"), any(int64(-9223372036854775808)))
	}},
	{name: "incr_errors", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		// Only canonical integers count: no sign, spaces, leading zeros or decimals.
		for _, v := range []string{"abc", "", " 1", "1 ", "+1", "01", "-0", "1.0", "1e3", "0x10", "9223372036854775808"} {
			want(t, rdb.Set(ctx, "s", v, 0), "OK")
			wantErr(t, rdb.Incr(ctx, "s"), errNotInt)
			wantErr(t, rdb.DecrBy(ctx, "s", 2), errNotInt)
			want(t, rdb.Get(ctx, "s"), v)
		}
		want(t, rdb.Set(ctx, "max", "9223372036854775807", 0), "OK")
		wantErr(t, rdb.Incr(ctx, "max"), errOverflow)
		wantErr(t, rdb.IncrBy(ctx, "max", 1), errOverflow)
		want(t, rdb.Set(ctx, "min", "-9223372036854775808", 0), "OK")
		wantErr(t, rdb.Decr(ctx, "min"), errOverflow)
		wantErr(t, rdb.IncrBy(ctx, "min", -1), errOverflow)
		want(t, rdb.Set(ctx, "n", "10", 0), "OK")
		wantErr(t, rdb.IncrBy(ctx, "n", 9223372036854775807), errOverflow)
		// DECRBY cannot negate the smallest integer.
		wantErr(t, rdb.Do(ctx, "DECRBY", "n", "-9223372036854775808"), "ERR decrement would overflow")
		for _, by := range []string{"abc", "1.5", "", "9223372036854775808", " 1"} {
			wantErr(t, rdb.Do(ctx, "INCRBY", "n", by), errNotInt)
			wantErr(t, rdb.Do(ctx, "DECRBY", "n", by), errNotInt)
		}
		want(t, rdb.Get(ctx, "n"), "10")
		wantErr(t, rdb.Do(ctx, "INCR"), errArity("incr"))
		wantErr(t, rdb.Do(ctx, "INCR", "a", "b"), errArity("incr"))
		wantErr(t, rdb.Do(ctx, "INCRBY", "n"), errArity("incrby"))
		wantErr(t, rdb.Do(ctx, "DECR"), errArity("decr"))
		wantErr(t, rdb.Do(ctx, "DECRBY", "n"), errArity("decrby"))
	}},
	{name: "incrbyfloat", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.IncrByFloat(ctx, "f", 10.5), 10.5)
		want(t, rdb.IncrByFloat(ctx, "f", 0.1), 10.6)
		want(t, rdb.Get(ctx, "f"), "10.6")
		want(t, rdb.IncrByFloat(ctx, "f", -5), 5.6)
		// The reply is a bulk string in both protocols, trailing zeros trimmed.
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "g", "3.0e3"), any("3000"))
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "g", "-3000"), any("0"))
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "g", "1e-5"), any("0.00001"))
		want(t, rdb.Set(ctx, "i", "10.50", 0), "OK")
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "i", "0"), any("10.5"))
		want(t, rdb.Set(ctx, "i", "3", 0), "OK")
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "i", "1.1e1"), any("14"))
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "i", "-14"), any("0"))
		want(t, rdb.Set(ctx, "i", "1.0", 0), "OK")
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "i", "1"), any("2"))
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "i", "-2.5"), any("-0.5"))
		want(t, rdb.Set(ctx, "i", "5.0e3", 0), "OK")
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "i", "0"), any("5000"))
		// The huge result is printed in full, not in exponent form.
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "h", "1e20"), any("100000000000000000000"))
		// INCRBYFLOAT keeps the TTL.
		want(t, rdb.Set(ctx, "t", "1", time.Hour), "OK")
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "t", "0.5"), any("1.5"))
		wantBetween(t, rdb.TTL(ctx, "t"), 3599*time.Second, time.Hour)

		want(t, rdb.Set(ctx, "s", "abc", 0), "OK")
		wantErr(t, rdb.IncrByFloat(ctx, "s", 1), errNotFloat)
		want(t, rdb.Set(ctx, "s", " 1", 0), "OK")
		wantErr(t, rdb.IncrByFloat(ctx, "s", 1), errNotFloat)
		want(t, rdb.Set(ctx, "n", "1", 0), "OK")
		for _, by := range []string{"abc", "", " 1", "1 ", "1.5.5"} {
			wantErr(t, rdb.Do(ctx, "INCRBYFLOAT", "n", by), errNotFloat)
		}
		wantErr(t, rdb.Do(ctx, "INCRBYFLOAT", "n", "inf"), "ERR increment would produce NaN or Infinity")
		wantErr(t, rdb.Do(ctx, "INCRBYFLOAT", "n", "-inf"), "ERR increment would produce NaN or Infinity")
		want(t, rdb.Get(ctx, "n"), "1")
		wantErr(t, rdb.Do(ctx, "INCRBYFLOAT", "n"), errArity("incrbyfloat"))
	}},
	{name: "incrbyfloat_long_double", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		// Redis adds in long double and prints 17 decimals, so a sum that is
		// not exact in binary shows its rounding; a float64 gives 1500.1.
		want(t, rdb.Set(ctx, "f", "1.5e3", 0), "OK")
		want(t, rdb.Do(ctx, "INCRBYFLOAT", "f", "0.1"), any("1500.09999999999999998"))
	}},
	{name: "lcs", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.MSet(ctx, "k1", "ohmytext", "k2", "mynewtext"), "OK")
		want(t, rdb.LCS(ctx, &redis.LCSQuery{Key1: "k1", Key2: "k2"}), &redis.LCSMatch{MatchString: "mytext"})
		want(t, rdb.LCS(ctx, &redis.LCSQuery{Key1: "k1", Key2: "k2", Len: true}), &redis.LCSMatch{Len: 6})
		pos := func(a, b, c, d int64) redis.LCSMatchedPosition {
			return redis.LCSMatchedPosition{Key1: redis.LCSPosition{Start: a, End: b}, Key2: redis.LCSPosition{Start: c, End: d}}
		}
		want(t, rdb.LCS(ctx, &redis.LCSQuery{Key1: "k1", Key2: "k2", Idx: true}), &redis.LCSMatch{
			Matches: []redis.LCSMatchedPosition{pos(4, 7, 5, 8), pos(2, 3, 0, 1)}, Len: 6,
		})
		long := pos(4, 7, 5, 8)
		long.MatchLen = 4
		want(t, rdb.LCS(ctx, &redis.LCSQuery{Key1: "k1", Key2: "k2", Idx: true, MinMatchLen: 4, WithMatchLen: true}), &redis.LCSMatch{
			Matches: []redis.LCSMatchedPosition{long}, Len: 6,
		})
		// Raw shapes: IDX is a map in RESP3 and a flat array in RESP2.
		want(t, rdb.Do(ctx, "LCS", "k1", "k2", "IDX", "MINMATCHLEN", "3"), any(byProto[any](tg,
			[]interface{}{"matches", []interface{}{
				[]interface{}{[]interface{}{int64(4), int64(7)}, []interface{}{int64(5), int64(8)}},
			}, "len", int64(6)},
			map[interface{}]interface{}{"matches": []interface{}{
				[]interface{}{[]interface{}{int64(4), int64(7)}, []interface{}{int64(5), int64(8)}},
			}, "len": int64(6)},
		)))
		// Missing keys are empty strings; a negative MINMATCHLEN is 0.
		want(t, rdb.Do(ctx, "LCS", "k1", "missing"), any(""))
		want(t, rdb.Do(ctx, "LCS", "missing", "other", "LEN"), any(int64(0)))
		want(t, rdb.Do(ctx, "LCS", "k1", "k2", "MINMATCHLEN", "-1"), any("mytext"))
		wantErr(t, rdb.Do(ctx, "LCS", "k1", "k2", "LEN", "IDX"), "ERR If you want both the length and indexes, please just use IDX.")
		wantErr(t, rdb.Do(ctx, "LCS", "k1", "k2", "FOO"), errSyntax)
		wantErr(t, rdb.Do(ctx, "LCS", "k1", "k2", "MINMATCHLEN"), errSyntax)
		wantErr(t, rdb.Do(ctx, "LCS", "k1", "k2", "MINMATCHLEN", "x"), errNotInt)
		wantErr(t, rdb.Do(ctx, "LCS", "k1"), errArity("lcs"))
	}},
	{name: "wrongtype", needs: []string{"rpush"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		// Every string command refuses a key of another type; SET replaces it.
		setup(t, rdb.RPush(ctx, "l", "a"))
		want(t, rdb.Set(ctx, "s", "abc", 0), "OK")
		for _, args := range [][]interface{}{
			{"GET", "l"}, {"GETSET", "l", "x"}, {"GETDEL", "l"}, {"GETEX", "l"}, {"GETEX", "l", "EX", "10"},
			{"APPEND", "l", "x"}, {"STRLEN", "l"}, {"GETRANGE", "l", "0", "1"}, {"SUBSTR", "l", "0", "1"},
			{"SETRANGE", "l", "0", "x"}, {"INCR", "l"}, {"DECR", "l"}, {"INCRBY", "l", "1"},
			{"DECRBY", "l", "1"}, {"INCRBYFLOAT", "l", "1"}, {"SET", "l", "v", "GET"},
		} {
			wantErr(t, rdb.Do(ctx, args...), errWrongType)
		}
		wantErr(t, rdb.Do(ctx, "LCS", "s", "l"), "ERR The specified keys must contain string values")
		// MGET answers nil for keys of other types.
		want(t, rdb.MGet(ctx, "s", "l"), []interface{}{"abc", nil})
		// SETNX/MSETNX see an existing key of any type.
		want(t, rdb.SetNX(ctx, "l", "v", 0), false)
		want(t, rdb.MSetNX(ctx, "l", "v", "other", "v"), false)
		want(t, rdb.Type(ctx, "l"), "list")
		want(t, rdb.Set(ctx, "l", "now a string", 0), "OK")
		want(t, rdb.Type(ctx, "l"), "string")
		want(t, rdb.Get(ctx, "l"), "now a string")
	}},
}
