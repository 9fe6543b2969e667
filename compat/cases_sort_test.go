package compat

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

const errSortScore = "ERR One or more scores can't be converted into double"

var sortCases = []testCase{
	{name: "sort_list", needs: []string{"rpush", "lrange"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.RPush(ctx, "l", 3, 1, 2, 10, -5, 1.5))
		want(t, rdb.Sort(ctx, "l", &redis.Sort{}), []string{"-5", "1", "1.5", "2", "3", "10"})
		want(t, rdb.Sort(ctx, "l", &redis.Sort{Order: "DESC"}), []string{"10", "3", "2", "1.5", "1", "-5"})
		want(t, rdb.Sort(ctx, "l", &redis.Sort{Alpha: true}), []string{"-5", "1", "1.5", "10", "2", "3"})
		want(t, rdb.SortRO(ctx, "l", &redis.Sort{Offset: 1, Count: 2}), []string{"1", "1.5"})
		want(t, rdb.Sort(ctx, "l", &redis.Sort{Offset: -3, Count: 2, Order: "desc"}), []string{"10", "3"})
		want(t, rdb.Sort(ctx, "l", &redis.Sort{Offset: 4, Count: -1}), []string{"3", "10"})
		want(t, rdb.Sort(ctx, "l", &redis.Sort{Offset: 6, Count: 1}), []string{})
		want(t, rdb.Sort(ctx, "missing", &redis.Sort{}), []string{})
		want(t, rdb.LRange(ctx, "l", 0, -1), []string{"3", "1", "2", "10", "-5", "1.5"})
		// Weights are read as strtod reads them.
		setup(t, rdb.RPush(ctx, "n", " 2", "0x10", "1e1", "-inf", "", ".5"))
		want(t, rdb.Sort(ctx, "n", &redis.Sort{}), []string{"-inf", "", ".5", " 2", "1e1", "0x10"})
	}},
	{name: "sort_by_get", needs: []string{"rpush", "hset"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.RPush(ctx, "u", "a", "b", "c", "d"))
		setup(t, rdb.MSet(ctx, "w_a", 3, "w_b", 1, "w_c", 2, "o_a", "A", "o_b", "B"))
		setup(t, rdb.HSet(ctx, "h_a", "f", 30, "g", "x"))
		setup(t, rdb.HSet(ctx, "h_b", "f", 10))
		want(t, rdb.Sort(ctx, "u", &redis.Sort{By: "w_*"}), []string{"d", "b", "c", "a"})
		want(t, rdb.SortInterfaces(ctx, "u", &redis.Sort{By: "w_*", Order: "DESC", Get: []string{"o_*", "#"}}),
			[]interface{}{"A", "a", nil, "c", "B", "b", nil, "d"})
		want(t, rdb.SortInterfaces(ctx, "u", &redis.Sort{By: "h_*->f", Get: []string{"h_*->g", "h_*->f"}}),
			[]interface{}{nil, nil, nil, nil, nil, "10", "x", "30"})
		want(t, rdb.SortRO(ctx, "u", &redis.Sort{By: "h_*->f", Order: "DESC"}), []string{"a", "b", "d", "c"})
		// A BY pattern without '*' keeps the list's own order.
		want(t, rdb.Sort(ctx, "u", &redis.Sort{By: "nosort", Order: "DESC"}), []string{"d", "c", "b", "a"})
		want(t, rdb.Sort(ctx, "u", &redis.Sort{By: "nosort", Offset: 1, Count: 2}), []string{"b", "c"})
		want(t, rdb.SortInterfaces(ctx, "u", &redis.Sort{By: "nosort", Get: []string{"o_a", "w_*->f"}}),
			[]interface{}{nil, nil, nil, nil, nil, nil, nil, nil})
		setup(t, rdb.MSet(ctx, "x_a", "pear", "x_b", "apple", "x_c", "fig"))
		want(t, rdb.Sort(ctx, "u", &redis.Sort{By: "x_*", Alpha: true}), []string{"d", "b", "c", "a"})
		wantErr(t, rdb.Sort(ctx, "u", &redis.Sort{By: "x_*"}), errSortScore)
	}},
	{name: "sort_store", needs: []string{"rpush", "lrange"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.RPush(ctx, "l", 3, 1, 2))
		setup(t, rdb.MSet(ctx, "o_1", "one", "o_3", "three"))
		want(t, rdb.SortStore(ctx, "l", "dst", &redis.Sort{}), int64(3))
		want(t, rdb.LRange(ctx, "dst", 0, -1), []string{"1", "2", "3"})
		want(t, rdb.Type(ctx, "dst"), "list")
		want(t, rdb.SortStore(ctx, "l", "dst", &redis.Sort{Get: []string{"o_*", "#"}, Order: "DESC"}), int64(6))
		want(t, rdb.LRange(ctx, "dst", 0, -1), []string{"three", "3", "", "2", "one", "1"})
		setup(t, rdb.Set(ctx, "str", "x", 0))
		want(t, rdb.SortStore(ctx, "l", "str", &redis.Sort{Offset: 0, Count: 1}), int64(1))
		want(t, rdb.LRange(ctx, "str", 0, -1), []string{"1"})
		// An empty result deletes the destination.
		want(t, rdb.SortStore(ctx, "missing", "dst", &redis.Sort{}), int64(0))
		want(t, rdb.Exists(ctx, "dst"), int64(0))
		want(t, rdb.Do(ctx, "SORT", "l", "STORE", "d1", "STORE", "d2"), any(int64(3)))
		want(t, rdb.Exists(ctx, "d1", "d2"), int64(1))
	}},
	{name: "sort_sets_and_sorted_sets", needs: []string{"sadd", "zadd", "lrange"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.SAdd(ctx, "s", 5, 3, 10, 1))
		want(t, rdb.Sort(ctx, "s", &redis.Sort{}), []string{"1", "3", "5", "10"})
		want(t, rdb.Sort(ctx, "s", &redis.Sort{Alpha: true, Order: "DESC"}), []string{"5", "3", "10", "1"})
		// Stored, a set is sorted alphabetically rather than in its own order.
		want(t, rdb.SortStore(ctx, "s", "dst", &redis.Sort{By: "nosort"}), int64(4))
		want(t, rdb.LRange(ctx, "dst", 0, -1), []string{"1", "10", "3", "5"})
		setup(t, rdb.ZAdd(ctx, "z", redis.Z{Score: 3, Member: "a"}, redis.Z{Score: 1, Member: "b"},
			redis.Z{Score: 2, Member: "c"}, redis.Z{Score: 2, Member: "d"}))
		want(t, rdb.Sort(ctx, "z", &redis.Sort{Alpha: true}), []string{"a", "b", "c", "d"})
		want(t, rdb.Sort(ctx, "z", &redis.Sort{By: "nosort"}), []string{"b", "c", "d", "a"})
		want(t, rdb.Sort(ctx, "z", &redis.Sort{By: "nosort", Order: "DESC", Offset: 1, Count: 2}), []string{"d", "c"})
		setup(t, rdb.MSet(ctx, "w_a", 1, "w_b", 4, "w_c", 3, "w_d", 2))
		want(t, rdb.Sort(ctx, "z", &redis.Sort{By: "w_*", Get: []string{"w_*"}}), []string{"1", "2", "3", "4"})
		wantErr(t, rdb.Sort(ctx, "z", &redis.Sort{}), errSortScore)
	}},
	{name: "sort_errors", needs: []string{"rpush"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.RPush(ctx, "l", "a", "1"))
		setup(t, rdb.Set(ctx, "s", "x", 0))
		wantErr(t, rdb.Sort(ctx, "l", &redis.Sort{}), errSortScore)
		wantErr(t, rdb.SortStore(ctx, "l", "dst", &redis.Sort{}), errSortScore)
		want(t, rdb.Exists(ctx, "dst"), int64(0))
		want(t, rdb.Sort(ctx, "l", &redis.Sort{Alpha: true}), []string{"1", "a"})
		wantErr(t, rdb.Sort(ctx, "s", &redis.Sort{}), errWrongType)
		wantErr(t, rdb.SortRO(ctx, "s", &redis.Sort{}), errWrongType)
		wantErr(t, rdb.Do(ctx, "SORT", "s", "foo"), "ERR syntax error")
		wantErr(t, rdb.Do(ctx, "SORT", "l", "LIMIT", "1"), "ERR syntax error")
		wantErr(t, rdb.Do(ctx, "SORT", "l", "LIMIT", "x", "1"), "ERR value is not an integer or out of range")
		wantErr(t, rdb.Do(ctx, "SORT_RO", "l", "STORE", "dst"), "ERR syntax error")
		wantErr(t, rdb.Do(ctx, "SORT", "l", "GET"), "ERR syntax error")
		wantErr(t, rdb.Do(ctx, "SORT"), errArity("sort"))
		wantErr(t, rdb.Do(ctx, "SORT_RO"), errArity("sort_ro"))
	}},
}
