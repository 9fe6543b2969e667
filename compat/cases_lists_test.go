package compat

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const errListRankZero = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"

// listWantKV checks an LMPOP/BLMPOP reply: the key popped from and its elements.
func listWantKV(t *testing.T, c *redis.KeyValuesCmd, key string, vals []string) {
	t.Helper()
	k, v, err := c.Result()
	if err != nil || k != key || !reflect.DeepEqual(v, vals) {
		t.Errorf("%v: got %q %q %v, want %q %q", c.Args(), k, v, err, key, vals)
	}
}

// listAwaitBlocked waits until n clients of the server are parked in a
// blocking command (INFO's blocked_clients), a condition rather than a
// guess at how long the blocking call takes to arrive.
func listAwaitBlocked(ctx context.Context, t *testing.T, rdb *redis.Client, n int) {
	t.Helper()
	want := "blocked_clients:" + strconv.Itoa(n) + "\r\n"
	for {
		info, err := rdb.Info(ctx, "clients").Result()
		if err != nil {
			t.Fatalf("INFO clients: %v", err)
		}
		if strings.Contains(info, want) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %d blocked clients: %s", n, info)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// listBlocked runs fn on a connection of its own in the background; the
// returned function waits for it and gives its result.
func listBlocked[T any](t *testing.T, tg *target, fn func(rdb *redis.Client) T) func() T {
	rdb := tg.client(t, nil)
	done := make(chan T, 1)
	go func() { done <- fn(rdb) }()
	return func() T { return <-done }
}

type listPopResult struct {
	vals []string
	err  error
}

var listCases = []testCase{
	{name: "push_pop", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.LPush(ctx, "l", "a", "b", "c"), int64(3))
		want(t, rdb.RPush(ctx, "l", "d", 5), int64(5))
		want(t, rdb.LRange(ctx, "l", 0, -1), []string{"c", "b", "a", "d", "5"})
		want(t, rdb.Type(ctx, "l"), "list")
		want(t, rdb.ObjectEncoding(ctx, "l"), "quicklist") // Redis 7.0 has no listpack lists
		want(t, rdb.LPushX(ctx, "missing", "a"), int64(0))
		want(t, rdb.RPushX(ctx, "missing", "a", "b"), int64(0))
		want(t, rdb.Exists(ctx, "missing"), int64(0))
		want(t, rdb.LPushX(ctx, "l", "x"), int64(6))
		want(t, rdb.RPushX(ctx, "l", "y", "z"), int64(8))
		want(t, rdb.LPop(ctx, "l"), "x")
		want(t, rdb.RPop(ctx, "l"), "z")
		want(t, rdb.LPopCount(ctx, "l", 2), []string{"c", "b"})
		want(t, rdb.RPopCount(ctx, "l", 2), []string{"y", "5"})
		want(t, rdb.LPopCount(ctx, "l", 0), []string{})
		want(t, rdb.LPopCount(ctx, "l", 10), []string{"a", "d"})
		want(t, rdb.Exists(ctx, "l"), int64(0)) // emptied lists are removed
		wantNil(t, rdb.LPop(ctx, "l"))
		wantNil(t, rdb.RPopCount(ctx, "l", 2))
		wantNil(t, rdb.LPopCount(ctx, "l", 0))
		wantErr(t, rdb.LPopCount(ctx, "l", -1), "ERR value is out of range, must be positive")
		wantErr(t, rdb.Do(ctx, "LPOP", "l", "abc"), "ERR value is out of range, must be positive")
		wantErr(t, rdb.Do(ctx, "LPOP", "l", "1", "2"), errArity("lpop"))
		wantErr(t, rdb.Do(ctx, "RPUSH", "l"), errArity("rpush"))
		bin := "a\x00b\r\n\xff"
		want(t, rdb.RPush(ctx, "bin", "", bin), int64(2))
		want(t, rdb.LRange(ctx, "bin", 0, -1), []string{"", bin})
		want(t, rdb.LLen(ctx, "bin"), int64(2))
		want(t, rdb.LLen(ctx, "missing"), int64(0))
	}},
	{name: "range_index_set", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.LRange(ctx, "missing", 0, -1), []string{})
		setup(t, rdb.RPush(ctx, "l", "a", "b", "c", "d", "e"))
		want(t, rdb.LRange(ctx, "l", 1, 2), []string{"b", "c"})
		want(t, rdb.LRange(ctx, "l", -2, -1), []string{"d", "e"})
		want(t, rdb.LRange(ctx, "l", -100, 100), []string{"a", "b", "c", "d", "e"})
		want(t, rdb.LRange(ctx, "l", 3, 1), []string{})
		want(t, rdb.LRange(ctx, "l", 5, 10), []string{})
		want(t, rdb.Do(ctx, "LRANGE", "l", "-9223372036854775808", "9223372036854775807"), any([]interface{}{"a", "b", "c", "d", "e"}))
		wantErr(t, rdb.Do(ctx, "LRANGE", "l", "0", "x"), "ERR value is not an integer or out of range")
		want(t, rdb.LIndex(ctx, "l", 0), "a")
		want(t, rdb.LIndex(ctx, "l", -1), "e")
		wantNil(t, rdb.LIndex(ctx, "l", 5))
		wantNil(t, rdb.LIndex(ctx, "l", -6))
		wantNil(t, rdb.Do(ctx, "LINDEX", "missing", "x")) // the key is looked up before the index
		wantErr(t, rdb.Do(ctx, "LINDEX", "l", "x"), "ERR value is not an integer or out of range")
		want(t, rdb.LSet(ctx, "l", 0, "A"), "OK")
		want(t, rdb.LSet(ctx, "l", -1, "E"), "OK")
		wantErr(t, rdb.LSet(ctx, "l", 5, "x"), "ERR index out of range")
		wantErr(t, rdb.LSet(ctx, "l", -6, "x"), "ERR index out of range")
		wantErr(t, rdb.LSet(ctx, "missing", 0, "x"), "ERR no such key")
		wantErr(t, rdb.Do(ctx, "LSET", "missing", "x", "v"), "ERR no such key")
		want(t, rdb.LRange(ctx, "l", 0, -1), []string{"A", "b", "c", "d", "E"})
	}},
	{name: "insert_rem_trim", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.LInsertBefore(ctx, "missing", "a", "b"), int64(0))
		wantErr(t, rdb.LInsert(ctx, "missing", "MIDDLE", "a", "b"), "ERR syntax error")
		setup(t, rdb.RPush(ctx, "l", "a", "b", "c"))
		want(t, rdb.LInsertBefore(ctx, "l", "z", "y"), int64(-1))
		want(t, rdb.LInsertBefore(ctx, "l", "a", "0"), int64(4))
		want(t, rdb.LInsertAfter(ctx, "l", "c", "d"), int64(5))
		want(t, rdb.LInsert(ctx, "l", "aFtEr", "b", "b2"), int64(6))
		want(t, rdb.LRange(ctx, "l", 0, -1), []string{"0", "a", "b", "b2", "c", "d"})

		setup(t, rdb.RPush(ctx, "r", "a", "b", "a", "c", "a", "d", "a"))
		want(t, rdb.LRem(ctx, "r", 2, "a"), int64(2))
		want(t, rdb.LRange(ctx, "r", 0, -1), []string{"b", "c", "a", "d", "a"})
		want(t, rdb.LRem(ctx, "r", -1, "a"), int64(1))
		want(t, rdb.LRange(ctx, "r", 0, -1), []string{"b", "c", "a", "d"})
		want(t, rdb.LRem(ctx, "r", 0, "zz"), int64(0))
		want(t, rdb.LRem(ctx, "missing", 0, "a"), int64(0))
		wantErr(t, rdb.Do(ctx, "LREM", "r", "x", "a"), "ERR value is not an integer or out of range")
		want(t, rdb.Do(ctx, "LREM", "r", "-9223372036854775808", "a"), any(int64(1)))
		for _, v := range []string{"b", "c", "d"} {
			want(t, rdb.LRem(ctx, "r", 0, v), int64(1))
		}
		want(t, rdb.Exists(ctx, "r"), int64(0))

		want(t, rdb.LTrim(ctx, "missing", 0, 1), "OK")
		setup(t, rdb.RPush(ctx, "t", "a", "b", "c", "d", "e"))
		want(t, rdb.LTrim(ctx, "t", 1, -2), "OK")
		want(t, rdb.LRange(ctx, "t", 0, -1), []string{"b", "c", "d"})
		want(t, rdb.LTrim(ctx, "t", -100, 100), "OK")
		want(t, rdb.LRange(ctx, "t", 0, -1), []string{"b", "c", "d"})
		want(t, rdb.LTrim(ctx, "t", 2, 1), "OK")
		want(t, rdb.Exists(ctx, "t"), int64(0))
		wantErr(t, rdb.Do(ctx, "LTRIM", "t", "a", "1"), "ERR value is not an integer or out of range")
	}},
	{name: "lpos", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.RPush(ctx, "l", "a", "b", "c", "1", "2", "3", "c", "c"))
		want(t, rdb.LPos(ctx, "l", "c", redis.LPosArgs{}), int64(2))
		want(t, rdb.LPos(ctx, "l", "c", redis.LPosArgs{Rank: 2}), int64(6))
		want(t, rdb.LPos(ctx, "l", "c", redis.LPosArgs{Rank: -1}), int64(7))
		want(t, rdb.LPos(ctx, "l", "c", redis.LPosArgs{MaxLen: 3}), int64(2))
		wantNil(t, rdb.LPos(ctx, "l", "c", redis.LPosArgs{MaxLen: 2}))
		wantNil(t, rdb.LPos(ctx, "l", "z", redis.LPosArgs{}))
		wantNil(t, rdb.LPos(ctx, "missing", "z", redis.LPosArgs{}))
		want(t, rdb.LPosCount(ctx, "l", "c", 0, redis.LPosArgs{}), []int64{2, 6, 7})
		want(t, rdb.LPosCount(ctx, "l", "c", 2, redis.LPosArgs{Rank: 2}), []int64{6, 7})
		want(t, rdb.LPosCount(ctx, "l", "c", 0, redis.LPosArgs{Rank: -2}), []int64{6, 2})
		want(t, rdb.LPosCount(ctx, "l", "c", 0, redis.LPosArgs{MaxLen: 7}), []int64{2, 6})
		want(t, rdb.LPosCount(ctx, "l", "z", 0, redis.LPosArgs{}), []int64{})
		want(t, rdb.LPosCount(ctx, "missing", "z", 1, redis.LPosArgs{}), []int64{})
		want(t, rdb.Do(ctx, "LPOS", "l", "c", "RANK", "-9223372036854775808", "COUNT", "1"), any([]interface{}{int64(7), int64(6), int64(2)}))
		wantErr(t, rdb.Do(ctx, "LPOS", "l", "c", "RANK", "0"), errListRankZero)
		wantErr(t, rdb.Do(ctx, "LPOS", "missing", "c", "RANK", "0"), errListRankZero)
		wantErr(t, rdb.Do(ctx, "LPOS", "l", "c", "COUNT", "-1"), "ERR COUNT can't be negative")
		wantErr(t, rdb.Do(ctx, "LPOS", "l", "c", "COUNT", "x"), "ERR COUNT can't be negative")
		wantErr(t, rdb.Do(ctx, "LPOS", "l", "c", "MAXLEN", "-1"), "ERR MAXLEN can't be negative")
		wantErr(t, rdb.Do(ctx, "LPOS", "l", "c", "RANK", "x"), "ERR value is not an integer or out of range")
		wantErr(t, rdb.Do(ctx, "LPOS", "l", "c", "RANK"), "ERR syntax error")
		wantErr(t, rdb.Do(ctx, "LPOS", "l", "c", "FOO", "1"), "ERR syntax error")
	}},
	{name: "move", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.Set(ctx, "s", "x", 0))
		wantErr(t, rdb.LMove(ctx, "missing", "d", "UP", "LEFT"), "ERR syntax error")
		wantNil(t, rdb.LMove(ctx, "missing", "s", "LEFT", "LEFT"))
		wantErr(t, rdb.LMove(ctx, "s", "d", "LEFT", "LEFT"), errWrongType)
		setup(t, rdb.RPush(ctx, "l", "a", "b", "c"))
		wantErr(t, rdb.LMove(ctx, "l", "s", "LEFT", "LEFT"), errWrongType)
		want(t, rdb.LMove(ctx, "l", "d", "LEFT", "RIGHT"), "a")
		want(t, rdb.LMove(ctx, "l", "d", "right", "left"), "c")
		want(t, rdb.LRange(ctx, "d", 0, -1), []string{"c", "a"})
		want(t, rdb.LMove(ctx, "l", "l", "LEFT", "RIGHT"), "b")
		want(t, rdb.RPopLPush(ctx, "l", "l"), "b")
		want(t, rdb.LRange(ctx, "l", 0, -1), []string{"b"})
		wantErr(t, rdb.RPopLPush(ctx, "l", "s"), errWrongType)
		want(t, rdb.RPopLPush(ctx, "l", "other"), "b")
		want(t, rdb.Exists(ctx, "l"), int64(0))
		want(t, rdb.LRange(ctx, "other", 0, -1), []string{"b"})
		wantNil(t, rdb.RPopLPush(ctx, "missing", "other"))
	}},
	{name: "lmpop", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.Set(ctx, "s", "x", 0))
		wantErr(t, rdb.Do(ctx, "LMPOP", "0", "l", "LEFT"), "ERR numkeys should be greater than 0")
		wantErr(t, rdb.Do(ctx, "LMPOP", "x", "l", "LEFT"), "ERR numkeys should be greater than 0")
		wantErr(t, rdb.Do(ctx, "LMPOP", "2", "l", "LEFT"), "ERR syntax error")
		wantErr(t, rdb.Do(ctx, "LMPOP", "1", "l", "UP"), "ERR syntax error")
		wantErr(t, rdb.Do(ctx, "LMPOP", "1", "l", "LEFT", "COUNT"), "ERR syntax error")
		wantErr(t, rdb.Do(ctx, "LMPOP", "1", "l", "LEFT", "COUNT", "0"), "ERR count should be greater than 0")
		wantErr(t, rdb.Do(ctx, "LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2"), "ERR syntax error")
		wantNil(t, rdb.LMPop(ctx, "left", 1, "l"))
		wantErr(t, rdb.LMPop(ctx, "left", 1, "missing", "s"), errWrongType)
		setup(t, rdb.RPush(ctx, "l", "a", "b", "c"))
		wantErr(t, rdb.LMPop(ctx, "left", 1, "s", "l"), errWrongType) // keys are taken in order
		listWantKV(t, rdb.LMPop(ctx, "left", 1, "l", "s"), "l", []string{"a"})
		listWantKV(t, rdb.LMPop(ctx, "right", 5, "missing", "l"), "l", []string{"c", "b"})
		want(t, rdb.Exists(ctx, "l"), int64(0))
	}},
	{name: "wrongtype", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.Set(ctx, "s", "x", 0))
		for _, args := range [][]interface{}{
			{"LPUSH", "s", "a"}, {"RPUSHX", "s", "a"}, {"LPOP", "s"}, {"RPOP", "s", "0"}, {"LLEN", "s"},
			{"LRANGE", "s", "0", "-1"}, {"LINDEX", "s", "x"}, {"LSET", "s", "x", "v"}, {"LINSERT", "s", "BEFORE", "a", "b"},
			{"LREM", "s", "0", "a"}, {"LTRIM", "s", "0", "1"}, {"LPOS", "s", "a"}, {"LMOVE", "s", "d", "LEFT", "LEFT"},
			{"RPOPLPUSH", "s", "d"}, {"LMPOP", "1", "s", "LEFT"}, {"BLPOP", "missing", "s", "0"}, {"BRPOP", "s", "0"},
			{"BLMOVE", "s", "d", "LEFT", "LEFT", "0"}, {"BRPOPLPUSH", "s", "d", "0"}, {"BLMPOP", "0", "1", "s", "LEFT"},
		} {
			wantErr(t, rdb.Do(ctx, args...), errWrongType)
		}
		// Argument errors come first where Redis checks them first.
		wantErr(t, rdb.Do(ctx, "LPOP", "s", "-1"), "ERR value is out of range, must be positive")
		wantErr(t, rdb.Do(ctx, "BLPOP", "s", "abc"), "ERR timeout is not a float or out of range")
		wantErr(t, rdb.Do(ctx, "BRPOP", "s", "-1"), "ERR timeout is negative")
		wantErr(t, rdb.Do(ctx, "BLMPOP", "-1", "1", "s", "LEFT"), "ERR timeout is negative")
		wantErr(t, rdb.Do(ctx, "BLMPOP", "x", "0", "s", "LEFT"), "ERR numkeys should be greater than 0")
		wantErr(t, rdb.Do(ctx, "BLMOVE", "s", "d", "UP", "LEFT", "x"), "ERR syntax error")
		want(t, rdb.Get(ctx, "s"), "x")
	}},
	{name: "blocking_timeout", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		// go-redis rounds timeouts up to whole seconds; fractions go raw.
		wantNil(t, rdb.Do(ctx, "BLPOP", "k", "0.1"))
		wantNil(t, rdb.Do(ctx, "BRPOP", "k", "k2", ".05"))
		wantNil(t, rdb.Do(ctx, "BLMOVE", "k", "d", "LEFT", "LEFT", "0.1"))
		wantNil(t, rdb.Do(ctx, "BRPOPLPUSH", "k", "d", "0.01"))
		wantNil(t, rdb.Do(ctx, "BLMPOP", "0.1", "2", "k", "k2", "RIGHT", "COUNT", "3"))
		wantNil(t, rdb.BLPop(ctx, time.Second, "k"))
		want(t, rdb.Exists(ctx, "k", "k2", "d"), int64(0))
		// With an element there, nothing waits.
		setup(t, rdb.RPush(ctx, "k", "a", "b", "c", "d"))
		want(t, rdb.BLPop(ctx, 0, "missing", "k"), []string{"k", "a"})
		want(t, rdb.BRPop(ctx, 0, "k"), []string{"k", "d"})
		want(t, rdb.BLMove(ctx, "k", "d", "LEFT", "RIGHT", 0), "b")
		listWantKV(t, rdb.BLMPop(ctx, 0, "left", 5, "k"), "k", []string{"c"})
		want(t, rdb.Exists(ctx, "k"), int64(0))
	}},
	{name: "blocking_wake_in_order", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		first := listBlocked(t, tg, func(c *redis.Client) listPopResult {
			v, err := c.BLPop(ctx, 0, "k").Result()
			return listPopResult{v, err}
		})
		listAwaitBlocked(ctx, t, rdb, 1)
		second := listBlocked(t, tg, func(c *redis.Client) listPopResult {
			v, err := c.BRPop(ctx, 0, "other", "k").Result()
			return listPopResult{v, err}
		})
		listAwaitBlocked(ctx, t, rdb, 2)
		third := listBlocked(t, tg, func(c *redis.Client) listPopResult {
			k, v, err := c.BLMPop(ctx, 0, "left", 2, "k").Result()
			return listPopResult{append([]string{k}, v...), err}
		})
		listAwaitBlocked(ctx, t, rdb, 3)
		want(t, rdb.RPush(ctx, "k", "x", "y", "z", "w", "v"), int64(5))
		for i, c := range []struct {
			got  listPopResult
			want []string
		}{{first(), []string{"k", "x"}}, {second(), []string{"k", "v"}}, {third(), []string{"k", "y", "z"}}} {
			if c.got.err != nil || !reflect.DeepEqual(c.got.vals, c.want) {
				t.Errorf("waiter %d: got %q %v, want %q", i+1, c.got.vals, c.got.err, c.want)
			}
		}
		want(t, rdb.LRange(ctx, "k", 0, -1), []string{"w"})

		mover := listBlocked(t, tg, func(c *redis.Client) listPopResult {
			v, err := c.BLMove(ctx, "src", "dst", "RIGHT", "LEFT", 0).Result()
			return listPopResult{[]string{v}, err}
		})
		listAwaitBlocked(ctx, t, rdb, 1)
		want(t, rdb.RPush(ctx, "src", "m1", "m2"), int64(2))
		if got := mover(); got.err != nil || got.vals[0] != "m2" {
			t.Errorf("BLMOVE: got %q %v, want m2", got.vals, got.err)
		}
		want(t, rdb.LRange(ctx, "dst", 0, -1), []string{"m2"})
	}},
	{name: "blocking_key_changes", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		waiter := listBlocked(t, tg, func(c *redis.Client) listPopResult {
			v, err := c.BLPop(ctx, 0, "k").Result()
			return listPopResult{v, err}
		})
		listAwaitBlocked(ctx, t, rdb, 1)
		// Replaced by a string, pushed then deleted in one transaction:
		// nothing to serve, the client keeps waiting.
		want(t, rdb.Set(ctx, "k", "str", 0), "OK")
		_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, "k")
			p.RPush(ctx, "k", "gone")
			p.Del(ctx, "k")
			return nil
		})
		if err != nil {
			t.Fatalf("transaction: %v", err)
		}
		listAwaitBlocked(ctx, t, rdb, 1)
		// A list renamed onto the key serves it.
		setup(t, rdb.RPush(ctx, "src", "renamed"))
		want(t, rdb.Rename(ctx, "src", "k"), "OK")
		if got := waiter(); got.err != nil || !reflect.DeepEqual(got.vals, []string{"k", "renamed"}) {
			t.Errorf("waiter: got %q %v, want [k renamed]", got.vals, got.err)
		}
		want(t, rdb.Exists(ctx, "k", "src"), int64(0))

		// A BLMOVE whose destination became another kind ends with WRONGTYPE
		// and leaves the element where it was.
		setup(t, rdb.Set(ctx, "dst", "str", 0))
		mover := listBlocked(t, tg, func(c *redis.Client) error {
			return c.BLMove(ctx, "src", "dst", "LEFT", "LEFT", 0).Err()
		})
		listAwaitBlocked(ctx, t, rdb, 1)
		want(t, rdb.RPush(ctx, "src", "v"), int64(1))
		if err := mover(); err == nil || err.Error() != errWrongType {
			t.Errorf("BLMOVE onto a string: %v, want %s", err, errWrongType)
		}
		want(t, rdb.LRange(ctx, "src", 0, -1), []string{"v"})
	}},
	{name: "blocking_in_multi", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		var pops [4]redis.Cmder
		_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			pops[0] = p.BLPop(ctx, 0, "k")
			pops[1] = p.BLMove(ctx, "k", "d", "LEFT", "LEFT", 0)
			pops[2] = p.BLMPop(ctx, 0, "left", 1, "k")
			pops[3] = p.BRPopLPush(ctx, "k", "d", 0)
			return nil
		})
		if !errors.Is(err, redis.Nil) {
			t.Errorf("EXEC of blocking pops on an empty list: %v, want nil replies", err)
		}
		for _, c := range pops {
			wantNil(t, c)
		}
	}},
	{name: "blocking_killed", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		blocker := tg.client(t, nil)
		id := must(t, blocker.ClientID(ctx))
		done := make(chan error, 1)
		go func() { done <- blocker.BLPop(ctx, 0, "k").Err() }()
		listAwaitBlocked(ctx, t, rdb, 1)
		want(t, rdb.ClientKillByFilter(ctx, "ID", strconv.FormatInt(id, 10)), int64(1))
		if err := <-done; err == nil {
			t.Errorf("killed BLPOP returned no error")
		}
		listAwaitBlocked(ctx, t, rdb, 0)
		want(t, rdb.RPush(ctx, "k", "kept"), int64(1))
		want(t, rdb.LRange(ctx, "k", 0, -1), []string{"kept"})
	}},
}
