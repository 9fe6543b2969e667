package compat

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

const (
	errHashNotInt   = "ERR hash value is not an integer"
	errHashNotFloat = "ERR hash value is not a float"
)

// hashFill gives key n fields "f0".."f<n-1>" holding "v0"...
func hashFill(ctx context.Context, t *testing.T, rdb *redis.Client, key string, n int) {
	t.Helper()
	args := make([]interface{}, 0, 2*n)
	for i := range n {
		args = append(args, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	setup(t, rdb.HSet(ctx, key, args...))
}

// hashScanAll runs HSCAN to completion, calling between after every call
// that does not end it, and counts how often each field came back.
func hashScanAll(ctx context.Context, t *testing.T, rdb *redis.Client, key, match string, count int64, between func()) map[string]int {
	t.Helper()
	seen := map[string]int{}
	var cursor uint64
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatalf("HSCAN %s did not finish", key)
		}
		kv, next := must2(t, rdb.HScan(ctx, key, cursor, match, count))
		if len(kv)%2 != 0 {
			t.Fatalf("HSCAN %s: odd reply %q", key, kv)
		}
		for j := 0; j < len(kv); j += 2 {
			seen[kv[j]]++
		}
		if next == 0 {
			return seen
		}
		cursor = next
		if between != nil {
			between()
		}
	}
}

var hashCases = []testCase{
	{name: "hset_hget", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.HSet(ctx, "h", "f1", "v1", "f2", "v2"), int64(2))
		want(t, rdb.HSet(ctx, "h", map[string]interface{}{"f1": "v1b", "f3": 3}), int64(1))
		want(t, rdb.Type(ctx, "h"), "hash")
		want(t, rdb.HGet(ctx, "h", "f1"), "v1b")
		want(t, rdb.HGet(ctx, "h", "f3"), "3")
		wantNil(t, rdb.HGet(ctx, "h", "nope"))
		wantNil(t, rdb.HGet(ctx, "missing", "f"))
		want(t, rdb.HMGet(ctx, "h", "f1", "nope", "f2"), []interface{}{"v1b", nil, "v2"})
		want(t, rdb.HMGet(ctx, "missing", "a", "b"), []interface{}{nil, nil})
		want(t, rdb.HLen(ctx, "h"), int64(3))
		want(t, rdb.HLen(ctx, "missing"), int64(0))
		want(t, rdb.HExists(ctx, "h", "f2"), true)
		want(t, rdb.HExists(ctx, "h", "nope"), false)
		want(t, rdb.HStrLen(ctx, "h", "f1"), int64(3))
		want(t, rdb.HStrLen(ctx, "h", "nope"), int64(0))
		// A small hash replies in arrival order; an update keeps its place.
		want(t, rdb.HKeys(ctx, "h"), []string{"f1", "f2", "f3"})
		want(t, rdb.HVals(ctx, "h"), []string{"v1b", "v2", "3"})
		want(t, rdb.HGetAll(ctx, "h"), map[string]string{"f1": "v1b", "f2": "v2", "f3": "3"})
		want(t, rdb.HKeys(ctx, "missing"), []string{})
		want(t, rdb.HGetAll(ctx, "missing"), map[string]string{})
		want(t, rdb.HSetNX(ctx, "h", "f1", "x"), false)
		want(t, rdb.HSetNX(ctx, "h", "f4", "v4"), true)
		want(t, rdb.HMSet(ctx, "h", "f5", "v5", "f1", "v1c"), true)
		want(t, rdb.Do(ctx, "HMSET", "h", "f6", "v6"), any("OK"))
		want(t, rdb.HDel(ctx, "h", "f2", "nope", "f2"), int64(1))
		want(t, rdb.HSet(ctx, "h", "f2", "back"), int64(1))
		want(t, rdb.HKeys(ctx, "h"), []string{"f1", "f3", "f4", "f5", "f6", "f2"})
		want(t, rdb.HSet(ctx, "dup", "a", "1", "a", "2"), int64(1))
		want(t, rdb.HGet(ctx, "dup", "a"), "2")
		// Removing the last field removes the key.
		want(t, rdb.HDel(ctx, "dup", "a"), int64(1))
		want(t, rdb.Exists(ctx, "dup"), int64(0))
		want(t, rdb.HDel(ctx, "missing", "a"), int64(0))
		bin := "a\x00b\r\n\xff"
		want(t, rdb.HSet(ctx, "bin", bin, bin, "", ""), int64(2))
		want(t, rdb.HGet(ctx, "bin", bin), bin)
		want(t, rdb.HGet(ctx, "bin", ""), "")
		want(t, rdb.HGetAll(ctx, "bin"), map[string]string{bin: bin, "": ""})
	}},
	{name: "hash_reply_shapes", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.HSet(ctx, "h", "f1", "v1", "f2", "v2"))
		want(t, rdb.Do(ctx, "HGETALL", "h"), any(byProto[any](tg,
			[]interface{}{"f1", "v1", "f2", "v2"},
			map[interface{}]interface{}{"f1": "v1", "f2": "v2"})))
		want(t, rdb.Do(ctx, "HGETALL", "missing"), any(byProto[any](tg, []interface{}{}, map[interface{}]interface{}{})))
		want(t, rdb.Do(ctx, "HKEYS", "missing"), any([]interface{}{}))
		want(t, rdb.Do(ctx, "HVALS", "h"), any([]interface{}{"v1", "v2"}))
		want(t, rdb.Do(ctx, "HMGET", "h", "f1", "x"), any([]interface{}{"v1", nil}))
		want(t, rdb.Do(ctx, "HEXISTS", "h", "f1"), any(int64(1)))
		want(t, rdb.Do(ctx, "HSCAN", "h", "0"), any([]interface{}{"0", []interface{}{"f1", "v1", "f2", "v2"}}))
		want(t, rdb.Do(ctx, "HSCAN", "missing", "0"), any([]interface{}{"0", []interface{}{}}))
	}},
	{name: "hash_errors", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.Set(ctx, "s", "x", 0))
		wantErr(t, rdb.HSet(ctx, "s", "f", "v"), errWrongType)
		wantErr(t, rdb.HSetNX(ctx, "s", "f", "v"), errWrongType)
		wantErr(t, rdb.HMSet(ctx, "s", "f", "v"), errWrongType)
		wantErr(t, rdb.HGet(ctx, "s", "f"), errWrongType)
		wantErr(t, rdb.HMGet(ctx, "s", "f"), errWrongType)
		wantErr(t, rdb.HDel(ctx, "s", "f"), errWrongType)
		wantErr(t, rdb.HExists(ctx, "s", "f"), errWrongType)
		wantErr(t, rdb.HLen(ctx, "s"), errWrongType)
		wantErr(t, rdb.HStrLen(ctx, "s", "f"), errWrongType)
		wantErr(t, rdb.HKeys(ctx, "s"), errWrongType)
		wantErr(t, rdb.HVals(ctx, "s"), errWrongType)
		wantErr(t, rdb.HGetAll(ctx, "s"), errWrongType)
		wantErr(t, rdb.HIncrBy(ctx, "s", "f", 1), errWrongType)
		wantErr(t, rdb.HIncrByFloat(ctx, "s", "f", 1), errWrongType)
		wantErr(t, rdb.HRandField(ctx, "s", 1), errWrongType)
		wantErr(t, rdb.Do(ctx, "HRANDFIELD", "s"), errWrongType)
		wantErr(t, rdb.HScan(ctx, "s", 0, "", 0), errWrongType)
		want(t, rdb.Get(ctx, "s"), "x")

		wantErr(t, rdb.Do(ctx, "HSET", "h", "f"), errArity("hset"))
		wantErr(t, rdb.Do(ctx, "HSET", "h", "f", "v", "g"), errArity("hset"))
		wantErr(t, rdb.Do(ctx, "HSET", "s", "f", "v", "g"), errArity("hset"))
		wantErr(t, rdb.Do(ctx, "HMSET", "h", "f", "v", "g"), errArity("hmset"))
		wantErr(t, rdb.Do(ctx, "HSETNX", "h", "f"), errArity("hsetnx"))
		wantErr(t, rdb.Do(ctx, "HGET", "h"), errArity("hget"))
		wantErr(t, rdb.Do(ctx, "HDEL", "h"), errArity("hdel"))
		wantErr(t, rdb.Do(ctx, "HGETALL", "h", "x"), errArity("hgetall"))
		wantErr(t, rdb.Do(ctx, "HINCRBY", "h", "f"), errArity("hincrby"))
		wantErr(t, rdb.Do(ctx, "HRANDFIELD"), errArity("hrandfield"))
		wantErr(t, rdb.Do(ctx, "HSCAN", "h"), errArity("hscan"))
		want(t, rdb.Exists(ctx, "h"), int64(0))
	}},
	{name: "hincrby", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.HIncrBy(ctx, "c", "n", 5), int64(5))
		want(t, rdb.HIncrBy(ctx, "c", "n", -7), int64(-2))
		want(t, rdb.HGet(ctx, "c", "n"), "-2")
		wantErr(t, rdb.Do(ctx, "HINCRBY", "c", "n", "abc"), errNotInt)
		wantErr(t, rdb.Do(ctx, "HINCRBY", "c", "n", "1.5"), errNotInt)
		wantErr(t, rdb.Do(ctx, "HINCRBY", "missing", "n", "abc"), errNotInt)
		setup(t, rdb.HSet(ctx, "c", "s", "abc", "sp", " 1", "max", "9223372036854775807"))
		wantErr(t, rdb.HIncrBy(ctx, "c", "s", 1), errHashNotInt)
		wantErr(t, rdb.HIncrBy(ctx, "c", "sp", 1), errHashNotInt)
		wantErr(t, rdb.HIncrBy(ctx, "c", "max", 1), errOverflow)
		want(t, rdb.HIncrBy(ctx, "c", "max", -9223372036854775807), int64(0))
		want(t, rdb.HIncrBy(ctx, "c", "min", -9223372036854775808), int64(-9223372036854775808))
		wantErr(t, rdb.HIncrBy(ctx, "c", "min", -1), errOverflow)
	}},
	{name: "hincrbyfloat", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.HIncrByFloat(ctx, "c", "x", 1.5), 1.5)
		want(t, rdb.HIncrByFloat(ctx, "c", "x", 10), 11.5)
		// The sum is computed in long double and printed as INCRBYFLOAT prints it.
		for _, w := range []string{"0.1", "0.2", "0.3"} {
			want(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "t", "0.1"), any(w))
		}
		want(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "hex", "0x10"), any("16"))
		want(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "e", "3.0e3"), any("3000"))
		want(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "z", "-0"), any("0"))
		want(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "one", "1"), any("1"))
		want(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "one", "1e-20"), any("1"))
		setup(t, rdb.HSet(ctx, "c", "n", "9223372036854775807", "s", "abc", "inf", "inf"))
		want(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "n", "1"), any("9223372036854775808"))
		wantErr(t, rdb.HIncrBy(ctx, "c", "n", 1), errHashNotInt)
		big := must[any](t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "big", "1e308")).(string)
		if len(big) != 308 || !strings.HasPrefix(big, "999999999999999999966858796558456456605600998474155672077970479949217348688380618721") {
			t.Errorf("HINCRBYFLOAT 1e308 = %q", big)
		}
		want(t, rdb.ObjectEncoding(ctx, "c"), "hashtable")
		wantErr(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "x", "abc"), errNotFloat)
		wantErr(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "x", "nan"), errNotFloat)
		wantErr(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "x", "1e5000"), errNotFloat)
		wantErr(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "x", "inf"), "ERR value is NaN or Infinity")
		wantErr(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "s", "1"), errHashNotFloat)
		wantErr(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "inf", "1"), "ERR increment would produce NaN or Infinity")
		setup(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "huge", "1e4932"))
		wantErr(t, rdb.Do(ctx, "HINCRBYFLOAT", "c", "huge", "1e4932"), "ERR increment would produce NaN or Infinity")
		want(t, rdb.HGet(ctx, "c", "x"), "11.5")
	}},
	{name: "hrandfield", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.HSet(ctx, "h", "a", "1", "b", "2", "c", "3"))
		setup(t, rdb.HSet(ctx, "one", "f", "v"))
		wantNil(t, rdb.Do(ctx, "HRANDFIELD", "missing"))
		want(t, rdb.HRandField(ctx, "missing", 3), []string{})
		want(t, rdb.HRandField(ctx, "h", 0), []string{})
		want(t, rdb.HRandField(ctx, "h", 3), []string{"a", "b", "c"})
		want(t, rdb.HRandFieldWithValues(ctx, "h", 10), []redis.KeyValue{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "c", Value: "3"}})
		want(t, rdb.HRandField(ctx, "one", -3), []string{"f", "f", "f"})
		want(t, rdb.HRandFieldWithValues(ctx, "one", -2), []redis.KeyValue{{Key: "f", Value: "v"}, {Key: "f", Value: "v"}})
		want(t, rdb.Do(ctx, "HRANDFIELD", "one"), any("f"))
		want(t, rdb.Do(ctx, "HRANDFIELD", "one", "-2", "WITHVALUES"), any(byProto[any](tg,
			[]interface{}{"f", "v", "f", "v"},
			[]interface{}{[]interface{}{"f", "v"}, []interface{}{"f", "v"}})))
		wantErr(t, rdb.Do(ctx, "HRANDFIELD", "h", "3", "x"), errSyntax)
		wantErr(t, rdb.Do(ctx, "HRANDFIELD", "h", "abc"), errNotInt)
		wantErr(t, rdb.Do(ctx, "HRANDFIELD", "h", "-9223372036854775808"),
			"ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		wantErr(t, rdb.Do(ctx, "HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"), "ERR value is out of range")

		hashFill(ctx, t, rdb, "big", 100)
		for _, n := range []int{1, 30, 70, 99} {
			got := must(t, rdb.HRandFieldWithValues(ctx, "big", n))
			seen := map[string]bool{}
			for _, kv := range got {
				if seen[kv.Key] || kv.Value != "v"+strings.TrimPrefix(kv.Key, "f") {
					t.Errorf("HRANDFIELD big %d WITHVALUES: repeated or wrong pair %v", n, kv)
				}
				seen[kv.Key] = true
			}
			if len(got) != n {
				t.Errorf("HRANDFIELD big %d WITHVALUES: %d pairs", n, len(got))
			}
		}
		// 3000 picks miss a given one of 100 fields with probability 0.99^3000 < 1e-13.
		picks := must(t, rdb.HRandField(ctx, "big", -3000))
		seen := map[string]bool{}
		for _, f := range picks {
			seen[f] = true
		}
		if len(picks) != 3000 || len(seen) != 100 {
			t.Errorf("HRANDFIELD big -3000: %d picks, %d distinct; want 3000 and 100", len(picks), len(seen))
		}
	}},
	{name: "hscan", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.HSet(ctx, "h", "a", "1", "b", "2", "c", "3", "ab", "4"))
		// A small hash comes whole in one call, in order, whatever COUNT says.
		kv, cursor := must2(t, rdb.HScan(ctx, "h", 0, "", 1))
		if cursor != 0 || strings.Join(kv, ",") != "a,1,b,2,c,3,ab,4" {
			t.Errorf("HSCAN h 0 COUNT 1 = %q cursor %d", kv, cursor)
		}
		kv, cursor = must2(t, rdb.HScan(ctx, "h", 0, "a*", 0))
		if cursor != 0 || strings.Join(kv, ",") != "a,1,ab,4" {
			t.Errorf("HSCAN h 0 MATCH a* = %q cursor %d", kv, cursor)
		}
		kv, cursor = must2(t, rdb.HScan(ctx, "missing", 0, "", 0))
		if cursor != 0 || len(kv) != 0 {
			t.Errorf("HSCAN missing 0 = %q cursor %d", kv, cursor)
		}
		wantErr(t, rdb.Do(ctx, "HSCAN", "h", "abc"), "ERR invalid cursor")
		wantErr(t, rdb.Do(ctx, "HSCAN", "h", "0", "COUNT", "0"), errSyntax)
		wantErr(t, rdb.Do(ctx, "HSCAN", "h", "0", "TYPE", "hash"), errSyntax)
		wantErr(t, rdb.Do(ctx, "HSCAN", "h", "0", "MATCH"), errSyntax)
		want(t, rdb.Do(ctx, "HSCAN", "missing", "0", "COUNT", "0"), any([]interface{}{"0", []interface{}{}}))

		// A large hash is walked in steps; a field present for the whole
		// scan comes back even while others are added and removed.
		hashFill(ctx, t, rdb, "big", 2000)
		seen := hashScanAll(ctx, t, rdb, "big", "", 20, nil)
		if len(seen) != 2000 {
			t.Errorf("a full HSCAN returned %d fields of 2000", len(seen))
		}
		if got := hashScanAll(ctx, t, rdb, "big", "f1??", 100, nil); len(got) != 100 {
			t.Errorf("HSCAN MATCH f1?? returned %d fields, want 100", len(got))
		}
		removed := map[string]bool{}
		next, i := 2000, 0
		seen = hashScanAll(ctx, t, rdb, "big", "", 15, func() {
			i++
			f := "f" + strconv.Itoa((i*37)%2000)
			setup(t, rdb.HDel(ctx, "big", f))
			removed[f] = true
			setup(t, rdb.HSet(ctx, "big", "f"+strconv.Itoa(next), "new"))
			next++
		})
		for j := range 2000 {
			if f := "f" + strconv.Itoa(j); !removed[f] && seen[f] == 0 {
				t.Errorf("HSCAN under churn missed %s, present throughout", f)
			}
		}
	}},
	{name: "hash_encoding", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		v64, v65 := strings.Repeat("v", 64), strings.Repeat("v", 65)
		setup(t, rdb.HSet(ctx, "a", "f", v64, v64, "x"))
		want(t, rdb.ObjectEncoding(ctx, "a"), "listpack")
		want(t, rdb.HSetNX(ctx, "a", "f", v65), false)
		want(t, rdb.ObjectEncoding(ctx, "a"), "listpack")
		setup(t, rdb.HSet(ctx, "a", "f", v65))
		want(t, rdb.ObjectEncoding(ctx, "a"), "hashtable")
		setup(t, rdb.HSet(ctx, "a", "f", "short"))
		want(t, rdb.ObjectEncoding(ctx, "a"), "hashtable")
		setup(t, rdb.HIncrBy(ctx, "b", v65, 1))
		want(t, rdb.ObjectEncoding(ctx, "b"), "hashtable")
		hashFill(ctx, t, rdb, "n", 512)
		want(t, rdb.ObjectEncoding(ctx, "n"), "listpack")
		setup(t, rdb.HSet(ctx, "n", "f512", "v"))
		want(t, rdb.ObjectEncoding(ctx, "n"), "hashtable")
		setup(t, rdb.HDel(ctx, "n", "f512", "f0"))
		want(t, rdb.ObjectEncoding(ctx, "n"), "hashtable")
		want(t, rdb.HLen(ctx, "n"), int64(511))
	}},
}
