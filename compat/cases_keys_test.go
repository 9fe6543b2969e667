package compat

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const errSameObject = "ERR source and destination objects are the same"

var keyCases = []testCase{
	{name: "del_unlink_exists", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.MSet(ctx, "a", 1, "b", 2, "c", 3, "d", 4), "OK")
		want(t, rdb.Exists(ctx, "a"), int64(1))
		// EXISTS counts a key as often as it is named.
		want(t, rdb.Exists(ctx, "a", "a", "b", "missing"), int64(3))
		want(t, rdb.Del(ctx, "a", "missing", "a"), int64(1))
		want(t, rdb.Exists(ctx, "a"), int64(0))
		want(t, rdb.Del(ctx, "a"), int64(0))
		want(t, rdb.Unlink(ctx, "b", "c", "missing"), int64(2))
		want(t, rdb.Exists(ctx, "b", "c", "d"), int64(1))
		want(t, rdb.Do(ctx, "del", "d"), any(int64(1)))
		want(t, rdb.DBSize(ctx), int64(0))
		wantErr(t, rdb.Do(ctx, "DEL"), errArity("del"))
		wantErr(t, rdb.Do(ctx, "UNLINK"), errArity("unlink"))
		wantErr(t, rdb.Do(ctx, "EXISTS"), errArity("exists"))
	}},
	{name: "type", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Type(ctx, "missing"), "none")
		want(t, rdb.Set(ctx, "s", "v", 0), "OK")
		want(t, rdb.Type(ctx, "s"), "string")
		want(t, rdb.Set(ctx, "n", 5, 0), "OK")
		want(t, rdb.Type(ctx, "n"), "string")
		// TYPE replies with a status, not a bulk string.
		want(t, rdb.Do(ctx, "TYPE", "s"), any("string"))
		wantErr(t, rdb.Do(ctx, "TYPE"), errArity("type"))
		wantErr(t, rdb.Do(ctx, "TYPE", "a", "b"), errArity("type"))
	}},
	{name: "type_other_kinds", needs: []string{"rpush", "hset", "sadd", "zadd", "xadd"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		// One key per kind; a kind whose write command is missing is
		// reported on its own and does not hide the others.
		for _, tc := range []struct {
			key, typ string
			create   errer
		}{
			{"l", "list", rdb.RPush(ctx, "l", "a")},
			{"h", "hash", rdb.HSet(ctx, "h", "f", "v")},
			{"st", "set", rdb.SAdd(ctx, "st", "m")},
			{"z", "zset", rdb.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "m"})},
			{"x", "stream", rdb.XAdd(ctx, &redis.XAddArgs{Stream: "x", ID: "1-1", Values: []string{"f", "v"}})},
		} {
			if err := tc.create.Err(); err != nil {
				t.Errorf("creating a %s: %v", tc.typ, err)
				continue
			}
			want(t, rdb.Type(ctx, tc.key), tc.typ)
		}
	}},
	{name: "expire_pexpire", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Expire(ctx, "missing", time.Minute), false)
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		want(t, rdb.Expire(ctx, "k", 100*time.Second), true)
		wantBetween(t, rdb.TTL(ctx, "k"), 99*time.Second, 100*time.Second)
		want(t, rdb.PExpire(ctx, "k", 50500*time.Millisecond), true)
		wantBetween(t, rdb.PTTL(ctx, "k"), 50*time.Second, 50500*time.Millisecond)
		// Raw replies are integers.
		want(t, rdb.Do(ctx, "EXPIRE", "k", "200"), any(int64(1)))
		want(t, rdb.Do(ctx, "PEXPIRE", "missing", "200"), any(int64(0)))
		// Writing the value drops the TTL; renaming keeps it.
		want(t, rdb.Set(ctx, "k", "v2", 0), "OK")
		want(t, rdb.TTL(ctx, "k"), time.Duration(-1))
		// Zero and negative times delete the key.
		want(t, rdb.Do(ctx, "EXPIRE", "k", "0"), any(int64(1)))
		want(t, rdb.Exists(ctx, "k"), int64(0))
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		want(t, rdb.Do(ctx, "PEXPIRE", "k", "-1"), any(int64(1)))
		want(t, rdb.Exists(ctx, "k"), int64(0))
		want(t, rdb.Do(ctx, "EXPIRE", "missing", "-1"), any(int64(0)))
		// The largest times that still fit.
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		want(t, rdb.Do(ctx, "PEXPIRE", "k", "9223372036854775"), any(int64(1)))
		want(t, rdb.Do(ctx, "EXPIRE", "k", "4611686018427387"), any(int64(1)))
		want(t, rdb.Exists(ctx, "k"), int64(1))
	}},
	{name: "expireat_pexpireat", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		at := hourAhead()
		want(t, rdb.ExpireAt(ctx, "missing", at), false)
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		want(t, rdb.ExpireAt(ctx, "k", at), true)
		want(t, rdb.ExpireTime(ctx, "k"), time.Duration(at.Unix())*time.Second)
		want(t, rdb.PExpireTime(ctx, "k"), time.Duration(at.Unix()*1000)*time.Millisecond)
		wantBetween(t, rdb.TTL(ctx, "k"), 3598*time.Second, time.Hour)
		atMs := at.Add(250 * time.Millisecond)
		want(t, rdb.PExpireAt(ctx, "k", atMs), true)
		want(t, rdb.PExpireTime(ctx, "k"), time.Duration(atMs.UnixMilli())*time.Millisecond)
		// EXPIRETIME rounds down to whole seconds.
		want(t, rdb.ExpireTime(ctx, "k"), time.Duration(at.Unix())*time.Second)
		want(t, rdb.Do(ctx, "EXPIRETIME", "k"), any(at.Unix()))
		want(t, rdb.Do(ctx, "PEXPIRETIME", "k"), any(atMs.UnixMilli()))
		// A time in the past deletes the key.
		want(t, rdb.Do(ctx, "EXPIREAT", "k", "1"), any(int64(1)))
		want(t, rdb.Exists(ctx, "k"), int64(0))
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		want(t, rdb.Do(ctx, "PEXPIREAT", "k", "0"), any(int64(1)))
		want(t, rdb.Exists(ctx, "k"), int64(0))
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		want(t, rdb.Do(ctx, "EXPIREAT", "k", "-5"), any(int64(1)))
		want(t, rdb.Exists(ctx, "k"), int64(0))
		// PEXPIREAT takes the very largest time as is.
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		want(t, rdb.Do(ctx, "PEXPIREAT", "k", "9223372036854775807"), any(int64(1)))
		want(t, rdb.Do(ctx, "PEXPIRETIME", "k"), any(int64(math.MaxInt64)))
	}},
	{name: "keys_expire", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "a", "v", 30*time.Millisecond), "OK")
		want(t, rdb.Set(ctx, "b", "v", 0), "OK")
		want(t, rdb.PExpire(ctx, "b", 30*time.Millisecond), true)
		want(t, rdb.Set(ctx, "stays", "v", 0), "OK")
		// Wait for the keys to go (no bound on how fast: only that they do).
		for rdb.Exists(ctx, "a", "b").Val() != 0 {
			if ctx.Err() != nil {
				t.Fatalf("keys with a 30 ms TTL still exist")
			}
			time.Sleep(10 * time.Millisecond)
		}
		wantNil(t, rdb.Get(ctx, "a"))
		want(t, rdb.TTL(ctx, "b"), time.Duration(-2))
		want(t, rdb.Keys(ctx, "*"), []string{"stays"})
		want(t, rdb.Get(ctx, "stays"), "v")
		// An expired key is gone for every command: it can be created anew.
		want(t, rdb.SetNX(ctx, "a", "new", 0), true)
		want(t, rdb.Get(ctx, "a"), "new")
		want(t, rdb.TTL(ctx, "a"), time.Duration(-1))
	}},
	{name: "expire_nx_xx_gt_lt", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		// Without a TTL: XX and GT refuse (no TTL counts as infinite), NX and LT set.
		want(t, rdb.ExpireXX(ctx, "k", 100*time.Second), false)
		want(t, rdb.ExpireGT(ctx, "k", 100*time.Second), false)
		want(t, rdb.TTL(ctx, "k"), time.Duration(-1))
		want(t, rdb.ExpireLT(ctx, "k", 100*time.Second), true)
		wantBetween(t, rdb.TTL(ctx, "k"), 99*time.Second, 100*time.Second)
		want(t, rdb.Persist(ctx, "k"), true)
		want(t, rdb.ExpireNX(ctx, "k", 100*time.Second), true)
		want(t, rdb.ExpireNX(ctx, "k", 50*time.Second), false)
		want(t, rdb.ExpireLT(ctx, "k", 200*time.Second), false)
		want(t, rdb.ExpireGT(ctx, "k", 50*time.Second), false)
		wantBetween(t, rdb.TTL(ctx, "k"), 99*time.Second, 100*time.Second)
		want(t, rdb.ExpireGT(ctx, "k", 200*time.Second), true)
		wantBetween(t, rdb.TTL(ctx, "k"), 199*time.Second, 200*time.Second)
		want(t, rdb.ExpireLT(ctx, "k", 150*time.Second), true)
		want(t, rdb.ExpireXX(ctx, "k", 120*time.Second), true)
		wantBetween(t, rdb.TTL(ctx, "k"), 119*time.Second, 120*time.Second)
		// The options exist on all four commands, in any case.
		at := hourAhead()
		want(t, rdb.Do(ctx, "PEXPIRE", "k", "300000", "gt"), any(int64(1)))
		want(t, rdb.Do(ctx, "EXPIREAT", "k", itoa(at.Unix()), "Nx"), any(int64(0)))
		want(t, rdb.Do(ctx, "EXPIREAT", "k", itoa(at.Unix()), "XX"), any(int64(1)))
		want(t, rdb.Do(ctx, "PEXPIREAT", "k", itoa(at.UnixMilli()-1000), "LT"), any(int64(1)))
		want(t, rdb.Do(ctx, "PEXPIRETIME", "k"), any(at.UnixMilli()-1000))
		// Options on a missing key.
		want(t, rdb.ExpireNX(ctx, "missing", time.Minute), false)
		want(t, rdb.ExpireLT(ctx, "missing", time.Minute), false)
		// An expiry in the past still obeys the condition, then deletes.
		want(t, rdb.Do(ctx, "EXPIRE", "k", "-1", "GT"), any(int64(0)))
		want(t, rdb.Exists(ctx, "k"), int64(1))
		want(t, rdb.Do(ctx, "EXPIRE", "k", "-1", "LT"), any(int64(1)))
		want(t, rdb.Exists(ctx, "k"), int64(0))
	}},
	{name: "expire_errors", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		for _, cmd := range []string{"expire", "pexpire", "expireat", "pexpireat"} {
			for _, tc := range []struct {
				args []interface{}
				err  string
			}{
				{[]interface{}{cmd, "k", "100", "NX", "XX"}, "ERR NX and XX, GT or LT options at the same time are not compatible"},
				{[]interface{}{cmd, "k", "100", "NX", "GT"}, "ERR NX and XX, GT or LT options at the same time are not compatible"},
				{[]interface{}{cmd, "k", "100", "LT", "nx"}, "ERR NX and XX, GT or LT options at the same time are not compatible"},
				{[]interface{}{cmd, "k", "100", "GT", "LT"}, "ERR GT and LT options at the same time are not compatible"},
				{[]interface{}{cmd, "k", "100", "FOO"}, "ERR Unsupported option FOO"},
				{[]interface{}{cmd, "k", "100", "xx", "bar"}, "ERR Unsupported option bar"},
				{[]interface{}{cmd, "k", "abc"}, errNotInt},
				{[]interface{}{cmd, "k", "1.5"}, errNotInt},
				{[]interface{}{cmd, "k", "9223372036854775808"}, errNotInt},
				{[]interface{}{cmd, "k"}, errArity(cmd)},
			} {
				wantErr(t, rdb.Do(ctx, tc.args...), tc.err)
			}
		}
		for _, tc := range []struct {
			args []interface{}
			err  string
		}{
			{[]interface{}{"expire", "k", "9223372036854775807"}, errExpire("expire")},
			{[]interface{}{"expire", "k", "9223372036854775"}, errExpire("expire")},
			{[]interface{}{"expire", "k", "-9223372036854775808"}, errExpire("expire")},
			{[]interface{}{"pexpire", "k", "9223372036854775807"}, errExpire("pexpire")},
			{[]interface{}{"expireat", "k", "9223372036854775807"}, errExpire("expireat")},
			// Even on a missing key the time is checked.
			{[]interface{}{"expire", "missing", "9223372036854775807"}, errExpire("expire")},
		} {
			wantErr(t, rdb.Do(ctx, tc.args...), tc.err)
		}
		want(t, rdb.TTL(ctx, "k"), time.Duration(-1))
	}},
	{name: "ttl_pttl_expiretime_persist", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		// go-redis maps -2 and -1 to these durations.
		want(t, rdb.TTL(ctx, "missing"), time.Duration(-2))
		want(t, rdb.PTTL(ctx, "missing"), time.Duration(-2))
		want(t, rdb.ExpireTime(ctx, "missing"), time.Duration(-2))
		want(t, rdb.PExpireTime(ctx, "missing"), time.Duration(-2))
		for _, c := range []string{"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"} {
			want(t, rdb.Do(ctx, c, "missing"), any(int64(-2)))
		}
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		for _, c := range []string{"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"} {
			want(t, rdb.Do(ctx, c, "k"), any(int64(-1)))
		}
		want(t, rdb.Persist(ctx, "k"), false)
		want(t, rdb.Persist(ctx, "missing"), false)
		want(t, rdb.Set(ctx, "k", "v", 10900*time.Millisecond), "OK")
		// TTL rounds to the nearest second (10.9 s left is 11, not 10).
		want(t, rdb.Do(ctx, "TTL", "k"), any(int64(11)))
		want(t, rdb.Persist(ctx, "k"), true)
		want(t, rdb.Do(ctx, "PTTL", "k"), any(int64(-1)))
		want(t, rdb.Do(ctx, "PERSIST", "k"), any(int64(0)))
		for _, c := range []string{"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"} {
			wantErr(t, rdb.Do(ctx, c), errArity(strings.ToLower(c)))
			wantErr(t, rdb.Do(ctx, c, "a", "b"), errArity(strings.ToLower(c)))
		}
	}},
	{name: "rename_renamenx", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "a", "1", time.Hour), "OK")
		want(t, rdb.Rename(ctx, "a", "b"), "OK")
		want(t, rdb.Exists(ctx, "a"), int64(0))
		want(t, rdb.Get(ctx, "b"), "1")
		// The TTL moves with the value.
		wantBetween(t, rdb.TTL(ctx, "b"), 3599*time.Second, time.Hour)
		// RENAME overwrites, and drops the destination's own TTL.
		want(t, rdb.Set(ctx, "c", "3", 0), "OK")
		want(t, rdb.Set(ctx, "d", "4", time.Hour), "OK")
		want(t, rdb.Rename(ctx, "c", "d"), "OK")
		want(t, rdb.Get(ctx, "d"), "3")
		want(t, rdb.TTL(ctx, "d"), time.Duration(-1))
		// Renaming onto itself is fine when the key exists.
		want(t, rdb.Rename(ctx, "d", "d"), "OK")
		want(t, rdb.Get(ctx, "d"), "3")
		wantErr(t, rdb.Rename(ctx, "missing", "x"), "ERR no such key")
		wantErr(t, rdb.Rename(ctx, "missing", "missing"), "ERR no such key")

		want(t, rdb.RenameNX(ctx, "d", "e"), true)
		want(t, rdb.Get(ctx, "e"), "3")
		want(t, rdb.Set(ctx, "f", "6", 0), "OK")
		want(t, rdb.RenameNX(ctx, "e", "f"), false)
		want(t, rdb.Get(ctx, "f"), "6")
		want(t, rdb.Get(ctx, "e"), "3")
		want(t, rdb.RenameNX(ctx, "e", "e"), false)
		want(t, rdb.Do(ctx, "RENAMENX", "e", "g"), any(int64(1)))
		wantErr(t, rdb.RenameNX(ctx, "missing", "x"), "ERR no such key")
		wantErr(t, rdb.Do(ctx, "RENAME", "a"), errArity("rename"))
		wantErr(t, rdb.Do(ctx, "RENAMENX", "a", "b", "c"), errArity("renamenx"))
	}},
	{name: "keys", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Keys(ctx, "*"), []string{})
		for _, k := range []string{"hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "user:1", "user:2", "other"} {
			want(t, rdb.Set(ctx, k, "v", 0), "OK")
		}
		for _, tc := range []struct {
			pattern string
			want    []string
		}{
			{"*", []string{"h*llo", "h?llo", "hallo", "heeeello", "hello", "hllo", "hxllo", "other", "user:1", "user:2"}},
			{"h?llo", []string{"h*llo", "h?llo", "hallo", "hello", "hxllo"}},
			{"h*llo", []string{"h*llo", "h?llo", "hallo", "heeeello", "hello", "hllo", "hxllo"}},
			{"h[ae]llo", []string{"hallo", "hello"}},
			{"h[^e]llo", []string{"h*llo", "h?llo", "hallo", "hxllo"}},
			{"h[a-b]llo", []string{"hallo"}},
			{`h\*llo`, []string{"h*llo"}},
			{`h\?llo`, []string{"h?llo"}},
			{"user:*", []string{"user:1", "user:2"}},
			{"USER:*", nil},
			{"other", []string{"other"}},
			{"nomatch*", nil},
		} {
			got := must(t, rdb.Keys(ctx, tc.pattern))
			sort.Strings(got)
			if len(got) == 0 && len(tc.want) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("KEYS %q: got %q, want %q", tc.pattern, got, tc.want)
			}
		}
		wantErr(t, rdb.Do(ctx, "KEYS"), errArity("keys"))
		wantErr(t, rdb.Do(ctx, "KEYS", "a", "b"), errArity("keys"))
	}},
	{name: "scan", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		keys, cursor := must2(t, rdb.Scan(ctx, 0, "", 0))
		if len(keys) != 0 || cursor != 0 {
			t.Errorf("SCAN on an empty db: %q cursor %d", keys, cursor)
		}
		var all []string
		pipe := rdb.Pipeline()
		for i := 0; i < 300; i++ {
			k := fmt.Sprintf("key:%03d", i)
			if i%3 == 0 {
				k = fmt.Sprintf("other:%03d", i)
			}
			all = append(all, k)
			pipe.Set(ctx, k, "v", 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		sort.Strings(all)
		var keyOnly []string
		for _, k := range all {
			if k[:4] == "key:" {
				keyOnly = append(keyOnly, k)
			}
		}
		for _, tc := range []struct {
			match string
			count int64
			want  []string
		}{
			{"", 0, all}, {"", 7, all}, {"", 1000, all}, {"key:*", 0, keyOnly}, {"key:*", 5, keyOnly},
			{"other:00?", 10, []string{"other:000", "other:003", "other:006", "other:009"}},
			{"none:*", 50, nil},
		} {
			got := scanAll(ctx, t, func(cur uint64) *redis.ScanCmd { return rdb.Scan(ctx, cur, tc.match, tc.count) })
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SCAN MATCH %q COUNT %d: got %d keys %q, want %d", tc.match, tc.count, len(got), got, len(tc.want))
			}
		}
		// Raw reply: the cursor is a bulk string, then an array of keys.
		raw := must(t, rdb.Do(ctx, "SCAN", "0", "COUNT", "1000"))
		if arr, ok := raw.([]interface{}); !ok || len(arr) != 2 || arr[0] != "0" || len(arr[1].([]interface{})) != 300 {
			t.Errorf("SCAN 0 COUNT 1000 raw: got %#v", raw)
		}
	}},
	{name: "scan_type", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.MSet(ctx, "s1", "v", "s2", "v", "n", 1), "OK")
		for _, tc := range []struct {
			typ, match string
			want       []string
		}{
			{"string", "", []string{"n", "s1", "s2"}}, {"STRING", "*2", []string{"s2"}},
			{"list", "", nil}, {"zset", "", nil}, {"nosuchtype", "", nil},
		} {
			got := scanAll(ctx, t, func(cur uint64) *redis.ScanCmd { return rdb.ScanType(ctx, cur, tc.match, 2, tc.typ) })
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SCAN TYPE %s MATCH %q: got %q, want %q", tc.typ, tc.match, got, tc.want)
			}
		}
	}},
	{name: "scan_type_other_kinds", needs: []string{"rpush", "hset"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "s1", "v", 0), "OK")
		setup(t, rdb.RPush(ctx, "l1", "a"))
		setup(t, rdb.HSet(ctx, "h1", "f", "v"))
		for _, tc := range []struct {
			typ  string
			want []string
		}{
			{"string", []string{"s1"}}, {"list", []string{"l1"}}, {"hash", []string{"h1"}}, {"set", nil},
		} {
			got := scanAll(ctx, t, func(cur uint64) *redis.ScanCmd { return rdb.ScanType(ctx, cur, "", 0, tc.typ) })
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SCAN TYPE %s: got %q, want %q", tc.typ, got, tc.want)
			}
		}
	}},
	{name: "scan_errors", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		for _, tc := range []struct {
			args []interface{}
			err  string
		}{
			{[]interface{}{"SCAN", "abc"}, "ERR invalid cursor"},
			{[]interface{}{"SCAN", "1.5"}, "ERR invalid cursor"},
			{[]interface{}{"SCAN", "18446744073709551616"}, "ERR invalid cursor"},
			{[]interface{}{"SCAN", "0", "COUNT", "0"}, errSyntax},
			{[]interface{}{"SCAN", "0", "COUNT", "-1"}, errSyntax},
			{[]interface{}{"SCAN", "0", "COUNT", "abc"}, errNotInt},
			{[]interface{}{"SCAN", "0", "COUNT"}, errSyntax},
			{[]interface{}{"SCAN", "0", "MATCH"}, errSyntax},
			{[]interface{}{"SCAN", "0", "TYPE"}, errSyntax},
			{[]interface{}{"SCAN", "0", "FOO", "bar"}, errSyntax},
			{[]interface{}{"SCAN"}, errArity("scan")},
		} {
			wantErr(t, rdb.Do(ctx, tc.args...), tc.err)
		}
	}},
	{name: "randomkey", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		wantNil(t, rdb.RandomKey(ctx))
		want(t, rdb.Set(ctx, "only", "v", 0), "OK")
		want(t, rdb.RandomKey(ctx), "only")
		want(t, rdb.MSet(ctx, "a", 1, "b", 2), "OK")
		seen := map[string]bool{}
		for i := 0; i < 20; i++ {
			seen[must(t, rdb.RandomKey(ctx))] = true
		}
		for k := range seen {
			if k != "only" && k != "a" && k != "b" {
				t.Errorf("RANDOMKEY returned %q, not a stored key", k)
			}
		}
		wantErr(t, rdb.Do(ctx, "RANDOMKEY", "x"), errArity("randomkey"))
	}},
	{name: "touch", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.MSet(ctx, "a", 1, "b", 2), "OK")
		want(t, rdb.Touch(ctx, "a", "b", "missing", "a"), int64(3))
		want(t, rdb.Touch(ctx, "missing"), int64(0))
		wantErr(t, rdb.Do(ctx, "TOUCH"), errArity("touch"))
	}},
	{name: "copy", serverWide: "uses COPY ... DB n; a tenant has one database", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "src", "v", time.Hour), "OK")
		want(t, rdb.Copy(ctx, "src", "dst", 0, false), int64(1))
		want(t, rdb.Get(ctx, "dst"), "v")
		wantBetween(t, rdb.TTL(ctx, "dst"), 3599*time.Second, time.Hour)
		// The copy is independent of the source.
		want(t, rdb.Append(ctx, "dst", "2"), int64(2))
		want(t, rdb.Get(ctx, "src"), "v")
		want(t, rdb.Copy(ctx, "src", "dst", 0, false), int64(0))
		want(t, rdb.Get(ctx, "dst"), "v2")
		want(t, rdb.Copy(ctx, "src", "dst", 0, true), int64(1))
		want(t, rdb.Get(ctx, "dst"), "v")
		want(t, rdb.Copy(ctx, "missing", "dst2", 0, false), int64(0))
		want(t, rdb.Exists(ctx, "dst2"), int64(0))
		// Across databases.
		want(t, rdb.Copy(ctx, "src", "src", 3, false), int64(1))
		db3 := tg.client(t, func(o *redis.Options) { o.DB = 3 })
		want(t, db3.Get(ctx, "src"), "v")
		want(t, rdb.Do(ctx, "COPY", "src", "src", "DB", "3"), any(int64(0)))
		want(t, rdb.Do(ctx, "COPY", "src", "src", "replace", "db", "3"), any(int64(1)))
		for _, tc := range []struct {
			args []interface{}
			err  string
		}{
			{[]interface{}{"COPY", "src", "src"}, errSameObject},
			{[]interface{}{"COPY", "src", "src", "DB", "0"}, errSameObject},
			{[]interface{}{"COPY", "src", "x", "DB", "16"}, errDBIndex},
			{[]interface{}{"COPY", "src", "x", "DB", "-1"}, errDBIndex},
			{[]interface{}{"COPY", "src", "x", "DB", "x"}, errNotInt},
			{[]interface{}{"COPY", "src", "x", "DB"}, errSyntax},
			{[]interface{}{"COPY", "src", "x", "FOO"}, errSyntax},
			{[]interface{}{"COPY", "src"}, errArity("copy")},
		} {
			wantErr(t, rdb.Do(ctx, tc.args...), tc.err)
		}
	}},
	{name: "move", serverWide: "MOVE needs a second database; a tenant has one", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		db1 := tg.client(t, func(o *redis.Options) { o.DB = 1 })
		want(t, rdb.Set(ctx, "k", "v", time.Hour), "OK")
		want(t, rdb.Move(ctx, "k", 1), true)
		want(t, rdb.Exists(ctx, "k"), int64(0))
		want(t, db1.Get(ctx, "k"), "v")
		wantBetween(t, db1.TTL(ctx, "k"), 3599*time.Second, time.Hour)
		// An existing key in the target blocks the move.
		want(t, rdb.Set(ctx, "k", "other", 0), "OK")
		want(t, rdb.Move(ctx, "k", 1), false)
		want(t, rdb.Get(ctx, "k"), "other")
		want(t, db1.Get(ctx, "k"), "v")
		want(t, rdb.Move(ctx, "missing", 1), false)
		want(t, rdb.Do(ctx, "MOVE", "missing", "1"), any(int64(0)))
		wantErr(t, rdb.Move(ctx, "k", 0), errSameObject)
		wantErr(t, rdb.Move(ctx, "k", 16), errDBIndex)
		wantErr(t, rdb.Move(ctx, "k", -1), errDBIndex)
		wantErr(t, rdb.Do(ctx, "MOVE", "k", "x"), errNotInt)
		wantErr(t, rdb.Do(ctx, "MOVE", "k"), errArity("move"))
	}},
	{name: "dbsize_flushdb_flushall", serverWide: "uses several databases; a tenant has one", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		db1 := tg.client(t, func(o *redis.Options) { o.DB = 1 })
		fill := func() {
			t.Helper()
			want(t, rdb.MSet(ctx, "a", 1, "b", 2, "c", 3), "OK")
			want(t, db1.Set(ctx, "x", 1, 0), "OK")
		}
		want(t, rdb.DBSize(ctx), int64(0))
		fill()
		want(t, rdb.DBSize(ctx), int64(3))
		want(t, db1.DBSize(ctx), int64(1))
		want(t, rdb.FlushDB(ctx), "OK")
		want(t, rdb.DBSize(ctx), int64(0))
		want(t, db1.DBSize(ctx), int64(1))
		fill()
		want(t, rdb.FlushDBAsync(ctx), "OK")
		want(t, rdb.DBSize(ctx), int64(0))
		fill()
		want(t, rdb.Do(ctx, "FLUSHDB", "sync"), any("OK"))
		want(t, rdb.DBSize(ctx), int64(0))
		want(t, rdb.FlushAll(ctx), "OK")
		want(t, db1.DBSize(ctx), int64(0))
		fill()
		want(t, rdb.FlushAllAsync(ctx), "OK")
		want(t, rdb.DBSize(ctx), int64(0))
		want(t, db1.DBSize(ctx), int64(0))
		fill()
		want(t, rdb.Do(ctx, "FLUSHALL", "SYNC"), any("OK"))
		want(t, db1.DBSize(ctx), int64(0))
		for _, c := range []string{"FLUSHDB", "FLUSHALL"} {
			wantErr(t, rdb.Do(ctx, c, "foo"), errSyntax)
			wantErr(t, rdb.Do(ctx, c, "sync", "async"), errSyntax)
		}
		wantErr(t, rdb.Do(ctx, "DBSIZE", "x"), errArity("dbsize"))
	}},
	{name: "object", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "short", "hello", 0), "OK")
		want(t, rdb.Set(ctx, "int", "12345678", 0), "OK")
		want(t, rdb.Set(ctx, "long", "a-value-longer-than-forty-four-bytes-is-stored-raw", 0), "OK")
		want(t, rdb.Set(ctx, "appended", "a", 0), "OK")
		want(t, rdb.Append(ctx, "appended", "b"), int64(2))
		for key, enc := range map[string]string{"short": "embstr", "int": "int", "long": "raw", "appended": "raw"} {
			want(t, rdb.ObjectEncoding(ctx, key), enc)
		}
		wantNil(t, rdb.ObjectEncoding(ctx, "missing"))
		want(t, rdb.ObjectRefCount(ctx, "short"), int64(1))
		want(t, rdb.ObjectRefCount(ctx, "int"), int64(1))
		// Small integers are shared objects, reported with INT_MAX references.
		want(t, rdb.Set(ctx, "small", "100", 0), "OK")
		want(t, rdb.ObjectRefCount(ctx, "small"), int64(math.MaxInt32))
		wantNil(t, rdb.ObjectRefCount(ctx, "missing"))
		// Just written: idle for 0 s, or 1 s if the server's coarse clock
		// ticked in between.
		wantBetween(t, rdb.ObjectIdleTime(ctx, "short"), 0, time.Second)
		wantNil(t, rdb.ObjectIdleTime(ctx, "missing"))
		wantErr(t, rdb.ObjectFreq(ctx, "short"), "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		wantNil(t, rdb.ObjectFreq(ctx, "missing"))
		wantErr(t, rdb.Do(ctx, "OBJECT", "FOO"), "ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
		wantErr(t, rdb.Do(ctx, "OBJECT", "ENCODING"), errArity("object|encoding"))
		wantErr(t, rdb.Do(ctx, "OBJECT", "ENCODING", "a", "b"), errArity("object|encoding"))
		wantErr(t, rdb.Do(ctx, "OBJECT"), errArity("object"))
	}},
	{name: "object_freq_lfu", redisOnly: "Synap has no eviction policies, so none tracks LFU frequency", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.ConfigSet(ctx, "maxmemory-policy", "allkeys-lfu"), "OK")
		t.Cleanup(func() { rdb.ConfigSet(context.Background(), "maxmemory-policy", "noeviction") })
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		// A new key starts at LFU_INIT_VAL.
		want(t, rdb.ObjectFreq(ctx, "k"), int64(5))
		wantErr(t, rdb.ObjectIdleTime(ctx, "k"), "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
	}},
	{name: "object_help", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		// The shape tools rely on: a header line, then one unindented line
		// per subcommand, each followed by indented text. The explanations
		// themselves are not compared: Synap words its help text itself.
		for _, cmd := range []string{"OBJECT", "object"} {
			lines, ok := must(t, rdb.Do(ctx, cmd, "help")).([]interface{})
			if !ok || len(lines) == 0 || lines[0] != "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" {
				t.Fatalf("%s HELP: %#v", cmd, lines)
			}
			var subs []string
			for _, l := range lines[1:] {
				if s := l.(string); !strings.HasPrefix(s, "    ") {
					subs = append(subs, s)
				}
			}
			wantSubs := []string{"ENCODING <key>", "FREQ <key>", "IDLETIME <key>", "REFCOUNT <key>", "HELP"}
			if !reflect.DeepEqual(subs, wantSubs) {
				t.Errorf("%s HELP subcommands: got %q, want %q", cmd, subs, wantSubs)
			}
		}
		wantErr(t, rdb.Do(ctx, "OBJECT", "HELP", "x"), errArity("object|help"))
	}},
}

// scanAll iterates a SCAN to completion and returns the sorted keys, each
// once; a key seen twice is allowed by SCAN's contract and merged.
func scanAll(ctx context.Context, t *testing.T, next func(cursor uint64) *redis.ScanCmd) []string {
	t.Helper()
	seen := map[string]bool{}
	var cursor uint64
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatalf("SCAN did not finish after 10000 calls")
		}
		keys, c := must2(t, next(cursor))
		for _, k := range keys {
			seen[k] = true
		}
		if c == 0 {
			break
		}
		cursor = c
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// must2 is must for go-redis commands with two results.
func must2[A, B any](t *testing.T, c interface {
	Args() []interface{}
	Result() (A, B, error)
}) (A, B) {
	t.Helper()
	a, b, err := c.Result()
	if err != nil {
		t.Fatalf("%v: unexpected error %q", c.Args(), err)
	}
	return a, b
}
