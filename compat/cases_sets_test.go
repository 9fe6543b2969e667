package compat

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const errSetPositive = "ERR value is out of range, must be positive"

// wantSorted checks a list of members whose order is the server's own (a
// hashtable's): the same members, compared sorted.
func wantSorted(t *testing.T, c resulter[[]string], expected ...string) {
	t.Helper()
	got, err := c.Result()
	if err != nil {
		t.Errorf("%v: error %q, want %q", c.Args(), err, expected)
		return
	}
	got = slices.Clone(got)
	slices.Sort(got)
	expected = slices.Clone(expected)
	slices.Sort(expected)
	if !slices.Equal(got, expected) && !(len(got) == 0 && len(expected) == 0) {
		t.Errorf("%v: got %q (sorted), want %q", c.Args(), got, expected)
	}
}

// setScanAll runs SSCAN to completion, calling between after every call
// that does not end it, and counts how often each member came back.
func setScanAll(ctx context.Context, t *testing.T, rdb *redis.Client, key, match string, count int64, between func()) map[string]int {
	t.Helper()
	seen := map[string]int{}
	var cursor uint64
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatalf("SSCAN %s did not finish", key)
		}
		members, next := must2(t, rdb.SScan(ctx, key, cursor, match, count))
		for _, m := range members {
			seen[m]++
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

// setInts returns "0".."n-1".
func setInts(n int) []interface{} {
	out := make([]interface{}, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

var setCases = []testCase{
	{name: "sadd_smembers", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.SAdd(ctx, "s", 3, 1, 2, -5, 10, 2), int64(5))
		want(t, rdb.SAdd(ctx, "s", "1", "3"), int64(0))
		want(t, rdb.Type(ctx, "s"), "set")
		// A set of integers is an intset, listed in ascending order.
		want(t, rdb.SMembers(ctx, "s"), []string{"-5", "1", "2", "3", "10"})
		want(t, rdb.ObjectEncoding(ctx, "s"), "intset")
		want(t, rdb.SCard(ctx, "s"), int64(5))
		want(t, rdb.SIsMember(ctx, "s", 10), true)
		want(t, rdb.SIsMember(ctx, "s", "010"), false)
		want(t, rdb.SMIsMember(ctx, "s", 1, "x", 10), []bool{true, false, true})
		want(t, rdb.SMembersMap(ctx, "s"), map[string]struct{}{"-5": {}, "1": {}, "2": {}, "3": {}, "10": {}})
		want(t, rdb.SRem(ctx, "s", 1, "x", 10, 10), int64(2))
		want(t, rdb.SMembers(ctx, "s"), []string{"-5", "2", "3"})
		want(t, rdb.SRem(ctx, "s", -5, 2, 3), int64(3))
		want(t, rdb.Exists(ctx, "s"), int64(0))

		want(t, rdb.SMembers(ctx, "missing"), []string{})
		want(t, rdb.SCard(ctx, "missing"), int64(0))
		want(t, rdb.SIsMember(ctx, "missing", "a"), false)
		want(t, rdb.SMIsMember(ctx, "missing", "a", "b"), []bool{false, false})
		want(t, rdb.SRem(ctx, "missing", "a"), int64(0))

		// Anything but a canonical integer makes a hashtable, for good.
		want(t, rdb.SAdd(ctx, "h", "b", "a", "", "a\x00b\r\n", "1"), int64(5))
		want(t, rdb.ObjectEncoding(ctx, "h"), "hashtable")
		wantSorted(t, rdb.SMembers(ctx, "h"), "", "1", "a", "a\x00b\r\n", "b")
		want(t, rdb.SIsMember(ctx, "h", ""), true)
		want(t, rdb.SRem(ctx, "h", "a", "b", "", "a\x00b\r\n"), int64(4))
		want(t, rdb.ObjectEncoding(ctx, "h"), "hashtable")
		for _, m := range []string{"+1", "-0", "01", "1.0", "9223372036854775808"} {
			setup(t, rdb.Del(ctx, "e"))
			want(t, rdb.SAdd(ctx, "e", m), int64(1))
			want(t, rdb.ObjectEncoding(ctx, "e"), "hashtable")
		}
		want(t, rdb.SAdd(ctx, "x", "9223372036854775807", "-9223372036854775808"), int64(2))
		want(t, rdb.ObjectEncoding(ctx, "x"), "intset")

		// set-max-intset-entries is 512.
		want(t, rdb.SAdd(ctx, "big", setInts(512)...), int64(512))
		want(t, rdb.ObjectEncoding(ctx, "big"), "intset")
		want(t, rdb.SAdd(ctx, "big", 511), int64(0))
		want(t, rdb.ObjectEncoding(ctx, "big"), "intset")
		want(t, rdb.SAdd(ctx, "big", 512), int64(1))
		want(t, rdb.ObjectEncoding(ctx, "big"), "hashtable")
		want(t, rdb.SCard(ctx, "big"), int64(513))

		wantErr(t, rdb.Do(ctx, "SADD", "s"), errArity("sadd"))
		wantErr(t, rdb.Do(ctx, "SREM", "s"), errArity("srem"))
		wantErr(t, rdb.Do(ctx, "SMISMEMBER", "s"), errArity("smismember"))
		wantErr(t, rdb.Do(ctx, "SISMEMBER", "s"), errArity("sismember"))
		wantErr(t, rdb.Do(ctx, "SMEMBERS", "a", "b"), errArity("smembers"))
	}},
	{name: "wrongtype", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.Set(ctx, "str", "x", 0))
		setup(t, rdb.SAdd(ctx, "s", "a", "b"))
		for _, args := range [][]interface{}{
			{"SADD", "str", "a"}, {"SREM", "str", "a"}, {"SMEMBERS", "str"}, {"SISMEMBER", "str", "a"},
			{"SMISMEMBER", "str", "a"}, {"SCARD", "str"}, {"SPOP", "str"}, {"SPOP", "str", "0"},
			{"SRANDMEMBER", "str"}, {"SRANDMEMBER", "str", "-2"}, {"SMOVE", "str", "s", "a"},
			{"SMOVE", "s", "str", "a"}, {"SMOVE", "s", "str", "nosuch"}, {"SINTER", "missing", "str"},
			{"SUNION", "s", "str"}, {"SDIFF", "missing", "str"}, {"SDIFF", "str", "missing"},
			{"SINTERCARD", "2", "missing", "str"}, {"SINTERSTORE", "d", "missing", "str"},
			{"SUNIONSTORE", "d", "s", "str"}, {"SDIFFSTORE", "d", "s", "str"}, {"SSCAN", "str", "0"},
		} {
			wantErr(t, rdb.Do(ctx, args...), errWrongType)
		}
		want(t, rdb.Exists(ctx, "d"), int64(0))
		want(t, rdb.Get(ctx, "str"), "x")
		want(t, rdb.SCard(ctx, "s"), int64(2))
		// A missing source answers before the destination's type is read.
		want(t, rdb.SMove(ctx, "missing", "str", "a"), false)
	}},
	{name: "spop_srandmember", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.SAdd(ctx, "s", 1, 2, 3))
		// The whole set, in its order: an intset's is ascending.
		want(t, rdb.SRandMemberN(ctx, "s", 3), []string{"1", "2", "3"})
		want(t, rdb.SRandMemberN(ctx, "s", 100), []string{"1", "2", "3"})
		want(t, rdb.SRandMemberN(ctx, "s", 0), []string{})
		want(t, rdb.SRandMemberN(ctx, "missing", 5), []string{})
		want(t, rdb.SRandMemberN(ctx, "missing", -5), []string{})
		wantNil(t, rdb.SRandMember(ctx, "missing"))
		wantNil(t, rdb.SPop(ctx, "missing"))
		want(t, rdb.SPopN(ctx, "missing", 3), []string{})
		want(t, rdb.SPopN(ctx, "s", 0), []string{})
		want(t, rdb.SCard(ctx, "s"), int64(3))

		setup(t, rdb.SAdd(ctx, "h", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"))
		all := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
		for range 20 {
			got := must(t, rdb.SRandMemberN(ctx, "h", 4))
			if len(got) != 4 || len(uniq(got)) != 4 || !subset(got, all) {
				t.Fatalf("SRANDMEMBER h 4 = %q: want 4 distinct members", got)
			}
			got = must(t, rdb.SRandMemberN(ctx, "h", -25))
			if len(got) != 25 || !subset(got, all) {
				t.Fatalf("SRANDMEMBER h -25 = %q: want 25 members", got)
			}
			if m := must(t, rdb.SRandMember(ctx, "h")); !slices.Contains(all, m) {
				t.Fatalf("SRANDMEMBER h = %q", m)
			}
		}
		wantSorted(t, rdb.SRandMemberN(ctx, "h", 10), all...)
		want(t, rdb.SRandMemberN(ctx, "one", -3), []string{})
		setup(t, rdb.SAdd(ctx, "one", "x"))
		want(t, rdb.SRandMemberN(ctx, "one", -3), []string{"x", "x", "x"})

		popped := must(t, rdb.SPopN(ctx, "h", 3))
		m := must(t, rdb.SPop(ctx, "h"))
		popped = append(popped, m)
		rest := must(t, rdb.SMembers(ctx, "h"))
		if len(uniq(popped)) != 4 || len(rest) != 6 || !subset(popped, all) || !subset(rest, all) || len(uniq(append(popped, rest...))) != 10 {
			t.Fatalf("SPOP gave %q, %q is left", popped, rest)
		}
		wantSorted(t, rdb.SPopN(ctx, "h", 100), rest...)
		want(t, rdb.Exists(ctx, "h"), int64(0))
		want(t, rdb.SPop(ctx, "one"), "x")
		want(t, rdb.Exists(ctx, "one"), int64(0))

		// A pop that leaves few members rebuilds the set from them, as
		// Redis does: integers left in a hashtable make an intset again.
		for range 20 {
			setup(t, rdb.Del(ctx, "r"))
			setup(t, rdb.SAdd(ctx, "r", "a", 1, 2, 3, 4, 5, 6, 7, 8, 9))
			setup(t, rdb.SPopN(ctx, "r", 9))
			left := must(t, rdb.SMembers(ctx, "r"))
			enc := must(t, rdb.ObjectEncoding(ctx, "r"))
			if len(left) != 1 || (left[0] == "a") != (enc == "hashtable") {
				t.Fatalf("after SPOP r 9: %q left, encoded %s", left, enc)
			}
		}

		wantErr(t, rdb.Do(ctx, "SPOP", "s", "-1"), errSetPositive)
		wantErr(t, rdb.Do(ctx, "SPOP", "s", "x"), errSetPositive)
		wantErr(t, rdb.Do(ctx, "SPOP", "missing", "-1"), errSetPositive)
		wantErr(t, rdb.Do(ctx, "SPOP", "s", "1", "2"), errSyntax)
		wantErr(t, rdb.Do(ctx, "SRANDMEMBER", "s", "1", "2"), errSyntax)
		wantErr(t, rdb.Do(ctx, "SRANDMEMBER", "s", "x"), errNotInt)
		wantErr(t, rdb.Do(ctx, "SRANDMEMBER", "s", "-9223372036854775808"),
			"ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		wantErr(t, rdb.Do(ctx, "SPOP"), errArity("spop"))
		wantErr(t, rdb.Do(ctx, "SRANDMEMBER"), errArity("srandmember"))
	}},
	{name: "smove", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.SAdd(ctx, "src", 1, 2, "a"))
		setup(t, rdb.SAdd(ctx, "dst", 5))
		want(t, rdb.SMove(ctx, "src", "dst", 1), true)
		want(t, rdb.SMembers(ctx, "dst"), []string{"1", "5"})
		want(t, rdb.SMove(ctx, "src", "dst", 1), false)
		want(t, rdb.SMove(ctx, "src", "dst", "a"), true)
		want(t, rdb.ObjectEncoding(ctx, "dst"), "hashtable")
		setup(t, rdb.SAdd(ctx, "dst", 2))
		want(t, rdb.SMove(ctx, "src", "dst", 2), true)
		want(t, rdb.Exists(ctx, "src"), int64(0))
		wantSorted(t, rdb.SMembers(ctx, "dst"), "1", "2", "5", "a")
		want(t, rdb.SMove(ctx, "dst", "dst", 5), true)
		want(t, rdb.SMove(ctx, "dst", "dst", 6), false)
		want(t, rdb.SMove(ctx, "dst", "new", 5), true)
		want(t, rdb.ObjectEncoding(ctx, "new"), "intset")
		want(t, rdb.SMove(ctx, "missing", "new", 5), false)
		want(t, rdb.SCard(ctx, "dst"), int64(3))
	}},
	{name: "inter_union_diff", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.SAdd(ctx, "a", 1, 2, 3, 4, 5))
		setup(t, rdb.SAdd(ctx, "b", 4, 5, 6, 7))
		setup(t, rdb.SAdd(ctx, "c", 5, 7, 9))
		want(t, rdb.SInter(ctx, "a", "b"), []string{"4", "5"})
		want(t, rdb.SInter(ctx, "a", "b", "c"), []string{"5"})
		want(t, rdb.SInter(ctx, "a", "missing"), []string{})
		want(t, rdb.SUnion(ctx, "a", "b"), []string{"1", "2", "3", "4", "5", "6", "7"})
		want(t, rdb.SUnion(ctx, "missing"), []string{})
		want(t, rdb.SDiff(ctx, "a", "b", "c"), []string{"1", "2", "3"})
		want(t, rdb.SDiff(ctx, "b", "a"), []string{"6", "7"})
		want(t, rdb.SDiff(ctx, "missing", "a"), []string{})
		want(t, rdb.SDiff(ctx, "a", "b", "a"), []string{})
		want(t, rdb.SInterCard(ctx, 0, "a", "b"), int64(2))
		want(t, rdb.SInterCard(ctx, 3, "a"), int64(3))
		want(t, rdb.SInterCard(ctx, 0, "a", "missing"), int64(0))

		setup(t, rdb.Set(ctx, "d", "x", 0))
		setup(t, rdb.Expire(ctx, "d", 100*time.Second))
		want(t, rdb.SInterStore(ctx, "d", "a", "b"), int64(2))
		want(t, rdb.TTL(ctx, "d"), time.Duration(-1)) // the stored result has no TTL
		want(t, rdb.SMembers(ctx, "d"), []string{"4", "5"})
		want(t, rdb.SInterStore(ctx, "d", "a", "missing"), int64(0))
		want(t, rdb.Exists(ctx, "d"), int64(0))
		want(t, rdb.SUnionStore(ctx, "d", "a", "c"), int64(7))
		want(t, rdb.SMembers(ctx, "d"), []string{"1", "2", "3", "4", "5", "7", "9"})
		want(t, rdb.SDiffStore(ctx, "d", "a", "b"), int64(3))
		want(t, rdb.SMembers(ctx, "d"), []string{"1", "2", "3"})
		want(t, rdb.SDiffStore(ctx, "d", "a", "a"), int64(0))
		want(t, rdb.Exists(ctx, "d"), int64(0))
		want(t, rdb.SUnionStore(ctx, "a", "a", "c"), int64(7))
		want(t, rdb.SInterStore(ctx, "a", "a", "b"), int64(3))
		want(t, rdb.SMembers(ctx, "a"), []string{"4", "5", "7"})

		setup(t, rdb.SAdd(ctx, "h1", "a", "b", "c", "d"))
		setup(t, rdb.SAdd(ctx, "h2", "c", "d", "e"))
		wantSorted(t, rdb.SInter(ctx, "h1", "h2"), "c", "d")
		wantSorted(t, rdb.SUnion(ctx, "h1", "h2"), "a", "b", "c", "d", "e")
		wantSorted(t, rdb.SDiff(ctx, "h1", "h2"), "a", "b")

		// How Redis builds a difference shows in its encoding.
		setup(t, rdb.SAdd(ctx, "p", append([]interface{}{"a"}, setInts(20)[1:]...)...))
		setup(t, rdb.SAdd(ctx, "q", "a"))
		setup(t, rdb.SAdd(ctx, "r", "x"))
		want(t, rdb.SDiffStore(ctx, "d", "p", "q"), int64(19))
		want(t, rdb.ObjectEncoding(ctx, "d"), "intset")
		want(t, rdb.SDiffStore(ctx, "d", "p", "q", "r"), int64(19))
		want(t, rdb.ObjectEncoding(ctx, "d"), "hashtable")

		wantErr(t, rdb.Do(ctx, "SINTERCARD", "0", "a"), "ERR numkeys should be greater than 0")
		wantErr(t, rdb.Do(ctx, "SINTERCARD", "x", "a"), "ERR numkeys should be greater than 0")
		wantErr(t, rdb.Do(ctx, "SINTERCARD", "3", "a", "b"), "ERR Number of keys can't be greater than number of args")
		wantErr(t, rdb.Do(ctx, "SINTERCARD", "2", "a", "b", "LIMIT", "-1"), "ERR LIMIT can't be negative")
		wantErr(t, rdb.Do(ctx, "SINTERCARD", "2", "a", "b", "LIMIT"), errSyntax)
		wantErr(t, rdb.Do(ctx, "SINTERCARD", "1", "a", "b"), errSyntax)
		wantErr(t, rdb.Do(ctx, "SINTERSTORE", "d"), errArity("sinterstore"))
		wantErr(t, rdb.Do(ctx, "SUNION"), errArity("sunion"))
	}},
	{name: "sscan", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.SAdd(ctx, "i", 1, 2, 3, 10, 20))
		// An intset comes whole in one call, whatever the count.
		members, cursor := must2(t, rdb.SScan(ctx, "i", 0, "", 1))
		if cursor != 0 || !slices.Equal(members, []string{"1", "2", "3", "10", "20"}) {
			t.Errorf("SSCAN i 0 COUNT 1 = %q, %d", members, cursor)
		}
		members, cursor = must2(t, rdb.SScan(ctx, "i", 0, "1*", 0))
		if cursor != 0 || !slices.Equal(members, []string{"1", "10"}) {
			t.Errorf("SSCAN i 0 MATCH 1* = %q, %d", members, cursor)
		}
		members, cursor = must2(t, rdb.SScan(ctx, "missing", 0, "", 0))
		if cursor != 0 || len(members) != 0 {
			t.Errorf("SSCAN missing 0 = %q, %d", members, cursor)
		}

		// A hashtable scanned to the end while members come and go: every
		// member there for the whole scan comes back.
		var args []interface{}
		for i := range 1000 {
			args = append(args, "m"+strconv.Itoa(i))
		}
		setup(t, rdb.SAdd(ctx, "h", args...))
		next := 1000
		removed := map[string]bool{}
		seen := setScanAll(ctx, t, rdb, "h", "", 20, func() {
			for _, m := range must(t, rdb.SPopN(ctx, "h", 3)) {
				removed[m] = true
			}
			setup(t, rdb.SAdd(ctx, "h", "m"+strconv.Itoa(next), "m"+strconv.Itoa(next+1)))
			next += 2
		})
		for i := range 1000 {
			if m := "m" + strconv.Itoa(i); !removed[m] && seen[m] == 0 {
				t.Fatalf("%s was in h for the whole scan but SSCAN never returned it", m)
			}
		}
		seen = setScanAll(ctx, t, rdb, "h", "m1?", 7, nil)
		if len(seen) != 10-countPrefix(removed, 10) {
			t.Errorf("SSCAN h MATCH m1? found %d members: %v", len(seen), seen)
		}

		wantErr(t, rdb.Do(ctx, "SSCAN", "h", "x"), "ERR invalid cursor")
		wantErr(t, rdb.Do(ctx, "SSCAN", "h", "18446744073709551616"), "ERR invalid cursor")
		wantErr(t, rdb.Do(ctx, "SSCAN", "h", "0", "COUNT", "0"), errSyntax)
		wantErr(t, rdb.Do(ctx, "SSCAN", "h", "0", "COUNT", "x"), errNotInt)
		wantErr(t, rdb.Do(ctx, "SSCAN", "h", "0", "TYPE", "set"), errSyntax)
		wantErr(t, rdb.Do(ctx, "SSCAN", "h", "0", "MATCH"), errSyntax)
		want(t, rdb.Do(ctx, "SSCAN", "missing", "0", "COUNT", "0"), any([]interface{}{"0", []interface{}{}}))
	}},
	{name: "resp_shapes", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		c := tg.raw(t)
		if tg.proto == 3 {
			if got := c.Do("HELLO", "3"); !strings.HasPrefix(got, "{") {
				t.Fatalf("HELLO 3: %s", got)
			}
		}
		set := byProto(tg, "", "~")
		rawSteps(t, c, []rawStep{
			{args: []string{"SADD", "n", "5", "3", "1"}, want: ":3"},
			{args: []string{"SADD", "m", "3"}, want: ":1"},
			{args: []string{"SMEMBERS", "n"}, want: set + `["1" "3" "5"]`},
			{args: []string{"SMEMBERS", "missing"}, want: set + `[]`},
			{args: []string{"SINTER", "n", "m"}, want: set + `["3"]`},
			{args: []string{"SUNION", "n", "m"}, want: set + `["1" "3" "5"]`},
			{args: []string{"SDIFF", "n", "m"}, want: set + `["1" "5"]`},
			{args: []string{"SMISMEMBER", "n", "1", "2"}, want: "[:1 :0]"},
			{args: []string{"SRANDMEMBER", "n", "5"}, want: `["1" "3" "5"]`},
			{args: []string{"SRANDMEMBER", "missing", "5"}, want: "[]"},
			{args: []string{"SPOP", "missing", "2"}, want: set + "[]"},
			{args: []string{"SPOP", "missing"}, want: byProto(tg, "nil", "null")},
			{args: []string{"SSCAN", "n", "0"}, want: `["0" ["1" "3" "5"]]`},
			{args: []string{"SPOP", "n", "3"}, want: set + `["1" "3" "5"]`},
		})
	}},
}

// uniq returns the distinct strings of ss.
func uniq(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// subset reports whether every string of ss is in of.
func subset(ss, of []string) bool {
	for _, s := range ss {
		if !slices.Contains(of, s) {
			return false
		}
	}
	return true
}

// countPrefix counts the removed members among m10..m19.
func countPrefix(removed map[string]bool, n int) int {
	k := 0
	for i := range n {
		if removed["m1"+strconv.Itoa(i)] {
			k++
		}
	}
	return k
}
