package compat

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	errZsetNaN       = "ERR resulting score is not a number (NaN)"
	errZsetMinMax    = "ERR min or max is not a float"
	errZsetLex       = "ERR min or max not valid string range item"
	errZsetPositive  = "ERR value is out of range, must be positive"
	errZsetLimitRank = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
)

// zsetZ builds go-redis members from member, score pairs.
func zsetZ(pairs ...any) []redis.Z {
	var out []redis.Z
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, redis.Z{Member: pairs[i], Score: pairs[i+1].(float64)})
	}
	return out
}

// zsetScore is how a raw reply carries a score: a bulk string in RESP2, a
// double in RESP3.
func zsetScore(tg *target, resp2 string) any {
	f, _ := strconv.ParseFloat(resp2, 64)
	return byProto[any](tg, resp2, f)
}

var zsetCases = []testCase{
	{name: "zadd_options", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.ZAdd(ctx, "z", zsetZ("a", 1.0, "b", 2.0)...), int64(2))
		want(t, rdb.ZAdd(ctx, "z", zsetZ("a", 5.0, "c", 3.0)...), int64(1))
		want(t, rdb.ZAddNX(ctx, "z", zsetZ("a", 9.0, "d", 4.0)...), int64(1))
		want(t, rdb.ZScore(ctx, "z", "a"), 5.0)
		want(t, rdb.ZAddXX(ctx, "z", zsetZ("a", 6.0, "e", 1.0)...), int64(0))
		want(t, rdb.ZScore(ctx, "z", "a"), 6.0)
		wantNil(t, rdb.ZScore(ctx, "z", "e"))
		want(t, rdb.ZAddArgs(ctx, "z", redis.ZAddArgs{GT: true, Ch: true, Members: zsetZ("a", 1.0, "b", 7.0, "f", 0.0)}), int64(2))
		want(t, rdb.ZAddArgs(ctx, "z", redis.ZAddArgs{LT: true, Ch: true, Members: zsetZ("a", 1.0, "b", 8.0)}), int64(1))
		want(t, rdb.ZAddArgs(ctx, "z", redis.ZAddArgs{XX: true, GT: true, Members: zsetZ("a", 0.5)}), int64(0))
		want(t, rdb.ZScore(ctx, "z", "a"), 1.0)
		want(t, rdb.ZAddArgsIncr(ctx, "z", redis.ZAddArgs{Members: zsetZ("a", 2.5)}), 3.5)
		wantNil(t, rdb.ZAddArgsIncr(ctx, "z", redis.ZAddArgs{GT: true, Members: zsetZ("a", -1.0)}))
		wantNil(t, rdb.ZAddArgsIncr(ctx, "z", redis.ZAddArgs{NX: true, Members: zsetZ("a", 1.0)}))
		wantNil(t, rdb.ZAddArgsIncr(ctx, "nokey", redis.ZAddArgs{XX: true, Members: zsetZ("a", 1.0)}))
		want(t, rdb.Exists(ctx, "nokey"), int64(0))
		want(t, rdb.ZCard(ctx, "z"), int64(5))

		wantErr(t, rdb.Do(ctx, "ZADD", "z", "NX", "XX", "1", "a"), "ERR XX and NX options at the same time are not compatible")
		wantErr(t, rdb.Do(ctx, "ZADD", "z", "GT", "LT", "1", "a"), "ERR GT, LT, and/or NX options at the same time are not compatible")
		wantErr(t, rdb.Do(ctx, "ZADD", "z", "NX", "GT", "1", "a"), "ERR GT, LT, and/or NX options at the same time are not compatible")
		wantErr(t, rdb.Do(ctx, "ZADD", "z", "INCR", "1", "a", "2", "b"), "ERR INCR option supports a single increment-element pair")
		wantErr(t, rdb.Do(ctx, "ZADD", "z", "1", "a", "2"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZADD", "z", "1", "a", "NX"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZADD", "z", "nan", "a"), errNotFloat)
		wantErr(t, rdb.Do(ctx, "ZADD", "z", "1", "a", "x", "b"), errNotFloat)
		wantErr(t, rdb.Do(ctx, "ZADD", "z", "1"), errArity("zadd"))
		want(t, rdb.ZCard(ctx, "z"), int64(5))
	}},
	{name: "zincrby_inf_nan", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.ZIncrBy(ctx, "z", 1.5, "a"), 1.5)
		want(t, rdb.ZIncrBy(ctx, "z", 0.1, "a"), 1.6)
		want(t, rdb.Do(ctx, "ZINCRBY", "z", "0.2", "b"), zsetScore(tg, "0.20000000000000001"))
		want(t, rdb.ZIncrBy(ctx, "z", math.Inf(1), "a"), math.Inf(1))
		wantErr(t, rdb.ZIncrBy(ctx, "z", math.Inf(-1), "a"), errZsetNaN)
		wantErr(t, rdb.Do(ctx, "ZADD", "z", "INCR", "-inf", "a"), errZsetNaN)
		want(t, rdb.ZScore(ctx, "z", "a"), math.Inf(1))
		want(t, rdb.Do(ctx, "ZSCORE", "z", "a"), zsetScore(tg, "inf"))
		wantErr(t, rdb.Do(ctx, "ZINCRBY", "z", "nan", "a"), errNotFloat)
		wantErr(t, rdb.Do(ctx, "ZINCRBY", "z", "1e400", "a"), errNotFloat)
		want(t, rdb.Do(ctx, "ZADD", "z", "-inf", "low", "0x10", "hex", "1e20", "big"), any(int64(3)))
		want(t, rdb.Do(ctx, "ZRANGE", "z", "0", "-1", "WITHSCORES"), byProto[any](tg,
			[]any{"low", "-inf", "b", "0.20000000000000001", "hex", "16", "big", "1e+20", "a", "inf"},
			[]any{[]any{"low", math.Inf(-1)}, []any{"b", 0.2}, []any{"hex", 16.0}, []any{"big", 1e20}, []any{"a", math.Inf(1)}}))
		want(t, rdb.ZMScore(ctx, "z", "a", "nope", "hex"), []float64{math.Inf(1), 0, 16})
	}},
	{name: "zrem_zcard_empty_key", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.ZAdd(ctx, "z", zsetZ("a", 1.0, "b", 2.0)...))
		want(t, rdb.ZRem(ctx, "z", "a", "nope"), int64(1))
		want(t, rdb.ZRem(ctx, "missing", "a"), int64(0))
		want(t, rdb.ZRem(ctx, "z", "b"), int64(1))
		want(t, rdb.Exists(ctx, "z"), int64(0))
		want(t, rdb.ZCard(ctx, "z"), int64(0))
		setup(t, rdb.Set(ctx, "s", "v", 0))
		for _, c := range []errer{
			rdb.ZAdd(ctx, "s", zsetZ("a", 1.0)...), rdb.ZRem(ctx, "s", "a"), rdb.ZCard(ctx, "s"),
			rdb.ZScore(ctx, "s", "a"), rdb.ZRange(ctx, "s", 0, -1), rdb.ZIncrBy(ctx, "s", 1, "a"),
			rdb.ZPopMin(ctx, "s"), rdb.ZRank(ctx, "s", "a"), rdb.ZCount(ctx, "s", "-inf", "+inf"),
			rdb.ZUnion(ctx, redis.ZStore{Keys: []string{"missing", "s"}}), rdb.ZRandMember(ctx, "s", 1),
			rdb.ZScan(ctx, "s", 0, "", 0), rdb.ZMPop(ctx, "min", 1, "missing", "s"),
		} {
			wantErr(t, c, errWrongType)
		}
	}},
	{name: "zrank_zcount_zlexcount", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.ZAdd(ctx, "z", zsetZ("a", 1.0, "b", 2.0, "c", 3.0, "d", 3.0)...))
		want(t, rdb.ZRank(ctx, "z", "c"), int64(2))
		want(t, rdb.ZRevRank(ctx, "z", "c"), int64(1))
		wantNil(t, rdb.ZRank(ctx, "z", "nope"))
		wantNil(t, rdb.ZRank(ctx, "missing", "a"))
		want(t, rdb.ZCount(ctx, "z", "(1", "3"), int64(3))
		want(t, rdb.ZCount(ctx, "z", "-inf", "(3"), int64(2))
		want(t, rdb.ZCount(ctx, "z", "3", "1"), int64(0))
		wantErr(t, rdb.ZCount(ctx, "z", "x", "1"), errZsetMinMax)
		setup(t, rdb.ZAdd(ctx, "lex", zsetZ("a", 0.0, "b", 0.0, "c", 0.0, "d", 0.0)...))
		want(t, rdb.ZLexCount(ctx, "lex", "[b", "(d"), int64(2))
		want(t, rdb.ZLexCount(ctx, "lex", "-", "+"), int64(4))
		want(t, rdb.ZLexCount(ctx, "lex", "+", "-"), int64(0))
		wantErr(t, rdb.ZLexCount(ctx, "lex", "b", "+"), errZsetLex)
	}},
	{name: "zrank_withscore", synapOnly: "WITHSCORE arrived in Redis 7.2", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.ZAdd(ctx, "z", zsetZ("a", 1.5, "b", 2.0)...))
		want(t, rdb.ZRankWithScore(ctx, "z", "a"), redis.RankScore{Rank: 0, Score: 1.5})
		want(t, rdb.ZRevRankWithScore(ctx, "z", "a"), redis.RankScore{Rank: 1, Score: 1.5})
		wantNil(t, rdb.ZRankWithScore(ctx, "z", "nope"))
		wantNil(t, rdb.ZRankWithScore(ctx, "missing", "a"))
		wantErr(t, rdb.Do(ctx, "ZRANK", "z", "a", "WITHSCORES"), errSyntax)
	}},
	{name: "zrange_forms", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.ZAdd(ctx, "z", zsetZ("a", 1.0, "b", 2.0, "c", 3.0, "d", 4.0, "e", 5.0)...))
		want(t, rdb.ZRange(ctx, "z", 1, -2), []string{"b", "c", "d"})
		want(t, rdb.ZRange(ctx, "z", -100, 100), []string{"a", "b", "c", "d", "e"})
		want(t, rdb.ZRange(ctx, "z", 3, 1), []string{})
		want(t, rdb.ZRevRange(ctx, "z", 0, 1), []string{"e", "d"})
		want(t, rdb.ZRangeWithScores(ctx, "z", 0, 1), zsetZ("a", 1.0, "b", 2.0))
		want(t, rdb.ZRangeByScore(ctx, "z", &redis.ZRangeBy{Min: "(1", Max: "4", Offset: 1, Count: 2}), []string{"c", "d"})
		want(t, rdb.ZRevRangeByScore(ctx, "z", &redis.ZRangeBy{Min: "2", Max: "+inf"}), []string{"e", "d", "c", "b"})
		want(t, rdb.ZRangeByScoreWithScores(ctx, "z", &redis.ZRangeBy{Min: "-inf", Max: "(2"}), zsetZ("a", 1.0))
		want(t, rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: "z", Start: 5, Stop: "(2", ByScore: true, Rev: true, Offset: 1, Count: -1}), []string{"d", "c"})
		want(t, rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: "z", Start: 0, Stop: 1, Rev: true}), zsetZ("e", 5.0, "d", 4.0))
		want(t, rdb.ZRangeByScore(ctx, "z", &redis.ZRangeBy{Min: "1", Max: "5", Offset: -1, Count: 2}), []string{})
		want(t, rdb.ZRangeByScore(ctx, "z", &redis.ZRangeBy{Min: "1", Max: "5", Offset: 10, Count: 2}), []string{})

		setup(t, rdb.ZAdd(ctx, "lex", zsetZ("a", 0.0, "b", 0.0, "c", 0.0, "d", 0.0)...))
		want(t, rdb.ZRangeByLex(ctx, "lex", &redis.ZRangeBy{Min: "(a", Max: "[c"}), []string{"b", "c"})
		want(t, rdb.ZRevRangeByLex(ctx, "lex", &redis.ZRangeBy{Min: "-", Max: "+", Offset: 1, Count: 2}), []string{"c", "b"})
		want(t, rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: "lex", Start: "[b", Stop: "+", ByLex: true}), []string{"b", "c", "d"})

		wantErr(t, rdb.Do(ctx, "ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"), errZsetLimitRank)
		wantErr(t, rdb.Do(ctx, "ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES"), "ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		wantErr(t, rdb.Do(ctx, "ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZRANGEBYSCORE", "z", "0", "1", "REV"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZRANGE", "z", "a", "1"), errNotInt)
		wantErr(t, rdb.Do(ctx, "ZRANGE", "z", "(a", "1", "BYSCORE"), errZsetMinMax)
		wantErr(t, rdb.Do(ctx, "ZRANGE", "z", "a", "+", "BYLEX"), errZsetLex)
		want(t, rdb.ZRange(ctx, "missing", 0, -1), []string{})
	}},
	{name: "zrangestore", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.ZAdd(ctx, "z", zsetZ("a", 1.0, "b", 2.0, "c", 3.0)...))
		setup(t, rdb.Set(ctx, "dst", "string", 0))
		want(t, rdb.ZRangeStore(ctx, "dst", redis.ZRangeArgs{Key: "z", Start: "(1", Stop: "+inf", ByScore: true}), int64(2))
		want(t, rdb.Type(ctx, "dst"), "zset")
		want(t, rdb.ZRangeWithScores(ctx, "dst", 0, -1), zsetZ("b", 2.0, "c", 3.0))
		want(t, rdb.ZRangeStore(ctx, "dst", redis.ZRangeArgs{Key: "z", Start: 10, Stop: 20}), int64(0))
		want(t, rdb.Exists(ctx, "dst"), int64(0))
		want(t, rdb.ZRangeStore(ctx, "z", redis.ZRangeArgs{Key: "z", Start: 0, Stop: 0}), int64(1))
		want(t, rdb.ZRange(ctx, "z", 0, -1), []string{"a"})
		wantErr(t, rdb.Do(ctx, "ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"), errSyntax)
	}},
	{name: "zremrange", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.ZAdd(ctx, "z", zsetZ("a", 1.0, "b", 2.0, "c", 3.0, "d", 4.0, "e", 5.0)...))
		want(t, rdb.ZRemRangeByRank(ctx, "z", 0, 0), int64(1))
		want(t, rdb.ZRemRangeByScore(ctx, "z", "(2", "3"), int64(1))
		want(t, rdb.ZRange(ctx, "z", 0, -1), []string{"b", "d", "e"})
		want(t, rdb.ZRemRangeByRank(ctx, "z", -1, 100), int64(1))
		wantErr(t, rdb.ZRemRangeByScore(ctx, "z", "x", "1"), errZsetMinMax)
		setup(t, rdb.ZAdd(ctx, "lex", zsetZ("a", 0.0, "b", 0.0, "c", 0.0)...))
		want(t, rdb.ZRemRangeByLex(ctx, "lex", "[b", "+"), int64(2))
		want(t, rdb.ZRemRangeByLex(ctx, "lex", "-", "+"), int64(1))
		want(t, rdb.Exists(ctx, "lex"), int64(0))
		want(t, rdb.ZRemRangeByRank(ctx, "missing", 0, -1), int64(0))
	}},
	{name: "zpop_zmpop", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.ZAdd(ctx, "z", zsetZ("a", 1.0, "b", 2.0, "c", 3.0, "d", 4.0)...))
		want(t, rdb.ZPopMin(ctx, "z"), zsetZ("a", 1.0))
		want(t, rdb.ZPopMax(ctx, "z", 2), zsetZ("d", 4.0, "c", 3.0))
		want(t, rdb.Do(ctx, "ZPOPMIN", "z"), byProto[any](tg, []any{"b", "2"}, []any{"b", 2.0}))
		want(t, rdb.Exists(ctx, "z"), int64(0))
		want(t, rdb.ZPopMin(ctx, "missing", 3), []redis.Z{})
		wantErr(t, rdb.Do(ctx, "ZPOPMIN", "z", "-1"), errZsetPositive)
		wantErr(t, rdb.Do(ctx, "ZPOPMIN", "z", "1", "2"), errSyntax)

		setup(t, rdb.ZAdd(ctx, "z2", zsetZ("x", 1.0, "y", 2.0, "w", 3.0)...))
		key, zs, err := rdb.ZMPop(ctx, "max", 2, "missing", "z2").Result()
		if err != nil || key != "z2" || !slices.Equal(zs, zsetZ("w", 3.0, "y", 2.0)) {
			t.Errorf("ZMPOP: %q %v %v", key, zs, err)
		}
		want(t, rdb.Do(ctx, "ZMPOP", "1", "z2", "MIN"), byProto[any](tg, []any{"z2", []any{[]any{"x", "1"}}}, []any{"z2", []any{[]any{"x", 1.0}}}))
		wantNil(t, rdb.ZMPop(ctx, "min", 1, "z2", "missing"))
		wantErr(t, rdb.Do(ctx, "ZMPOP", "0", "z2", "MIN"), "ERR numkeys should be greater than 0")
		wantErr(t, rdb.Do(ctx, "ZMPOP", "1", "z2", "MIN", "COUNT", "0"), "ERR count should be greater than 0")
		wantErr(t, rdb.Do(ctx, "ZMPOP", "2", "z2", "MIN"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZMPOP", "1", "z2", "MIDDLE"), errSyntax)
	}},
	{name: "set_operations", needs: []string{"sadd"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.ZAdd(ctx, "a", zsetZ("x", 1.0, "y", 2.0, "z", 3.0)...))
		setup(t, rdb.ZAdd(ctx, "b", zsetZ("y", 10.0, "z", 20.0, "w", 30.0)...))
		setup(t, rdb.SAdd(ctx, "plain", "x", "y"))
		want(t, rdb.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"a", "b"}}), zsetZ("x", 1.0, "y", 12.0, "z", 23.0, "w", 30.0))
		want(t, rdb.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"a", "b"}, Weights: []float64{1, 2}, Aggregate: "MAX"}),
			zsetZ("x", 1.0, "y", 20.0, "z", 40.0, "w", 60.0))
		want(t, rdb.ZInterWithScores(ctx, &redis.ZStore{Keys: []string{"a", "b"}, Aggregate: "MIN"}), zsetZ("y", 2.0, "z", 3.0))
		want(t, rdb.ZInter(ctx, &redis.ZStore{Keys: []string{"a", "plain"}}), []string{"x", "y"})
		want(t, rdb.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"a", "plain"}}), zsetZ("x", 2.0, "y", 3.0, "z", 3.0))
		want(t, rdb.ZDiffWithScores(ctx, "a", "b"), zsetZ("x", 1.0))
		want(t, rdb.ZDiff(ctx, "a", "missing"), []string{"x", "y", "z"})
		want(t, rdb.ZInterCard(ctx, 0, "a", "b", "plain"), int64(1))
		want(t, rdb.ZInterCard(ctx, 1, "a", "b"), int64(1))
		want(t, rdb.ZUnionStore(ctx, "dst", &redis.ZStore{Keys: []string{"a", "b"}, Weights: []float64{2, 1}}), int64(4))
		want(t, rdb.ZRangeWithScores(ctx, "dst", 0, -1), zsetZ("x", 2.0, "y", 14.0, "z", 26.0, "w", 30.0))
		want(t, rdb.ZInterStore(ctx, "dst", &redis.ZStore{Keys: []string{"a", "missing"}}), int64(0))
		want(t, rdb.Exists(ctx, "dst"), int64(0))
		want(t, rdb.ZDiffStore(ctx, "dst", "b", "a"), int64(1))
		want(t, rdb.ZRangeWithScores(ctx, "dst", 0, -1), zsetZ("w", 30.0))
		// inf weights: inf*0 and inf + -inf count as 0.
		setup(t, rdb.ZAdd(ctx, "zero", zsetZ("m", 0.0)...))
		want(t, rdb.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"zero"}, Weights: []float64{math.Inf(1)}}), zsetZ("m", 0.0))
		want(t, rdb.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"a", "a"}, Weights: []float64{math.Inf(1), math.Inf(-1)}}), zsetZ("x", 0.0, "y", 0.0, "z", 0.0))

		wantErr(t, rdb.Do(ctx, "ZUNION", "0", "a"), "ERR at least 1 input key is needed for 'zunion' command")
		wantErr(t, rdb.Do(ctx, "ZUNIONSTORE", "d", "0", "a"), "ERR at least 1 input key is needed for 'zunionstore' command")
		wantErr(t, rdb.Do(ctx, "ZUNION", "3", "a", "b"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZUNION", "2", "a", "b", "WEIGHTS", "1"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"), "ERR weight value is not a float")
		wantErr(t, rdb.Do(ctx, "ZUNION", "1", "a", "AGGREGATE", "avg"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZUNIONSTORE", "d", "1", "a", "WITHSCORES"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZINTERCARD", "1", "a", "LIMIT", "-1"), "ERR LIMIT can't be negative")
		setup(t, rdb.Set(ctx, "str", "v", 0))
		// The keys' types are checked before the options are read.
		wantErr(t, rdb.Do(ctx, "ZUNION", "2", "a", "str", "WEIGHTS", "1", "x"), errWrongType)
	}},
	{name: "zrandmember", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.ZAdd(ctx, "z", zsetZ("a", 1.0, "b", 2.0, "c", 3.0)...))
		got := must(t, rdb.ZRandMember(ctx, "z", 2))
		if len(got) != 2 || got[0] == got[1] {
			t.Errorf("ZRANDMEMBER z 2: %q", got)
		}
		whole := must(t, rdb.ZRandMember(ctx, "z", 3))
		if again := must(t, rdb.ZRandMember(ctx, "z", 5)); len(whole) != 3 || !slices.Equal(whole, again) {
			t.Errorf("ZRANDMEMBER of the whole set: %q, then %q", whole, again)
		}
		if got := must(t, rdb.ZRandMember(ctx, "z", -7)); len(got) != 7 {
			t.Errorf("ZRANDMEMBER z -7: %q", got)
		}
		for _, z := range must(t, rdb.ZRandMemberWithScores(ctx, "z", -5)) {
			if want := map[string]float64{"a": 1, "b": 2, "c": 3}[z.Member.(string)]; z.Score != want {
				t.Errorf("ZRANDMEMBER WITHSCORES: %v", z)
			}
		}
		want(t, rdb.ZRandMember(ctx, "missing", 3), []string{})
		wantNil(t, rdb.Do(ctx, "ZRANDMEMBER", "missing"))
		wantErr(t, rdb.Do(ctx, "ZRANDMEMBER", "z", "x"), errNotInt)
		wantErr(t, rdb.Do(ctx, "ZRANDMEMBER", "z", "1", "WITHSCORE"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZRANDMEMBER", "z", "-9223372036854775808"),
			"ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		wantErr(t, rdb.Do(ctx, "ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"), "ERR value is out of range")
	}},
	{name: "zscan", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.ZAdd(ctx, "small", zsetZ("a", 1.5, "b", 1e17, "c", math.Inf(1))...))
		keys, cursor, err := rdb.ZScan(ctx, "small", 0, "", 0).Result()
		if err != nil || cursor != 0 || !slices.Equal(keys, []string{"a", "1.5", "b", "100000000000000000", "c", "inf"}) {
			t.Errorf("ZSCAN small: %q %d %v", keys, cursor, err)
		}
		var members []redis.Z
		for i := 0; i < 300; i++ {
			members = append(members, redis.Z{Member: "m" + strconv.Itoa(i), Score: float64(i)})
		}
		setup(t, rdb.ZAdd(ctx, "big", members...))
		seen := map[string]string{}
		cursor = 0
		for calls := 0; ; calls++ {
			if calls > 1000 {
				t.Fatal("ZSCAN big did not finish")
			}
			keys, next, err := rdb.ZScan(ctx, "big", cursor, "m1*", 20).Result()
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(keys); i += 2 {
				seen[keys[i]] = keys[i+1]
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
		if len(seen) != 111 || seen["m150"] != "150" {
			t.Errorf("ZSCAN big MATCH m1*: %d members, m150=%q", len(seen), seen["m150"])
		}
		wantErr(t, rdb.Do(ctx, "ZSCAN", "big", "x"), "ERR invalid cursor")
		wantErr(t, rdb.Do(ctx, "ZSCAN", "big", "0", "COUNT", "0"), errSyntax)
		wantErr(t, rdb.Do(ctx, "ZSCAN", "big", "0", "TYPE", "zset"), errSyntax)
		want(t, rdb.Do(ctx, "ZSCAN", "missing", "0", "COUNT", "0"), any([]any{"0", []any{}}))
	}},
	{name: "encoding", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		var members []redis.Z
		for i := 0; i < 128; i++ {
			members = append(members, redis.Z{Member: strconv.Itoa(i), Score: float64(i)})
		}
		setup(t, rdb.ZAdd(ctx, "z", members...))
		want(t, rdb.ObjectEncoding(ctx, "z"), "listpack")
		setup(t, rdb.ZAdd(ctx, "z", zsetZ("one-more", 1.0)...))
		want(t, rdb.ObjectEncoding(ctx, "z"), "skiplist")
		want(t, rdb.ZRemRangeByRank(ctx, "z", 2, -1), int64(127))
		want(t, rdb.ObjectEncoding(ctx, "z"), "skiplist")
		want(t, rdb.ZUnionStore(ctx, "u", &redis.ZStore{Keys: []string{"z"}}), int64(2))
		want(t, rdb.ObjectEncoding(ctx, "u"), "listpack")
		setup(t, rdb.ZAdd(ctx, "long", zsetZ(string(make([]byte, 65)), 1.0)...))
		want(t, rdb.ObjectEncoding(ctx, "long"), "skiplist")
	}},
	{name: "blocking_pops", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.ZAdd(ctx, "z", zsetZ("a", 1.0, "b", 2.0, "c", 3.0)...))
		want(t, rdb.BZPopMin(ctx, time.Second, "missing", "z"), &redis.ZWithKey{Key: "z", Z: redis.Z{Member: "a", Score: 1}})
		want(t, rdb.BZPopMax(ctx, 0, "z"), &redis.ZWithKey{Key: "z", Z: redis.Z{Member: "c", Score: 3}})
		key, zs, err := rdb.BZMPop(ctx, 0, "min", 5, "z").Result()
		if err != nil || key != "z" || !slices.Equal(zs, zsetZ("b", 2.0)) {
			t.Errorf("BZMPOP: %q %v %v", key, zs, err)
		}
		// go-redis rounds timeouts up to whole seconds; the raw form keeps 10 ms.
		wantNil(t, rdb.Do(ctx, "BZPOPMIN", "z", "0.01"))
		wantNil(t, rdb.Do(ctx, "BZMPOP", "0.01", "1", "z", "MAX"))
		wantErr(t, rdb.Do(ctx, "BZPOPMIN", "z", "-1"), "ERR timeout is negative")
		wantErr(t, rdb.Do(ctx, "BZPOPMIN", "z", "x"), "ERR timeout is not a float or out of range")
		wantErr(t, rdb.Do(ctx, "BZMPOP", "0", "0", "z", "MIN"), "ERR numkeys should be greater than 0")
		setup(t, rdb.Set(ctx, "str", "v", 0))
		wantErr(t, rdb.BZPopMin(ctx, 0, "str"), errWrongType)

		// A waiter is served by another client's ZADD.
		other := tg.client(t, nil)
		done := make(chan *redis.ZWithKeyCmd, 1)
		go func() { done <- rdb.BZPopMax(ctx, 0, "w1", "w2") }()
		for i := 0; ; i++ {
			clients := must(t, other.ClientList(ctx))
			if zsetWaiting(clients) {
				break
			}
			if i > 500 {
				t.Fatal("BZPOPMAX never blocked")
			}
			time.Sleep(10 * time.Millisecond)
		}
		setup(t, other.ZAdd(ctx, "w2", zsetZ("p", 1.0, "q", 2.0)...))
		want(t, <-done, &redis.ZWithKey{Key: "w2", Z: redis.Z{Member: "q", Score: 2}})
		want(t, other.ZRange(ctx, "w2", 0, -1), []string{"p"})
	}},
	{name: "zset_command_info", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		rd := []string{"@read", "@sortedset", "@fast"}
		rdSlow := []string{"@read", "@sortedset", "@slow"}
		wr := []string{"@write", "@sortedset", "@fast"}
		wrSlow := []string{"@write", "@sortedset", "@slow"}
		one := func(arity int8, flags []string, acl []string) redis.CommandInfo {
			return redis.CommandInfo{Arity: arity, Flags: flags, FirstKeyPos: 1, LastKeyPos: 1, StepCount: 1, ACLFlags: acl}
		}
		movable := func(arity int8, flags []string, acl []string) redis.CommandInfo {
			return redis.CommandInfo{Arity: arity, Flags: flags, ACLFlags: acl}
		}
		roFast, ro := []string{"readonly", "fast"}, []string{"readonly"}
		// ZRANK and ZREVRANK are left out: Synap has 7.2's WITHSCORE, so their
		// arity is -3 where 7.0 says 3.
		for name, exp := range map[string]redis.CommandInfo{
			"zadd":             one(-4, []string{"write", "denyoom", "fast"}, wr),
			"zincrby":          one(4, []string{"write", "denyoom", "fast"}, wr),
			"zrem":             one(-3, []string{"write", "fast"}, wr),
			"zcard":            one(2, roFast, rd),
			"zcount":           one(4, roFast, rd),
			"zlexcount":        one(4, roFast, rd),
			"zscore":           one(3, roFast, rd),
			"zmscore":          one(-3, roFast, rd),
			"zrange":           one(-4, ro, rdSlow),
			"zrangestore":      {Arity: -5, Flags: []string{"write", "denyoom"}, FirstKeyPos: 1, LastKeyPos: 2, StepCount: 1, ACLFlags: wrSlow},
			"zrevrange":        one(-4, ro, rdSlow),
			"zrangebyscore":    one(-4, ro, rdSlow),
			"zrevrangebyscore": one(-4, ro, rdSlow),
			"zrangebylex":      one(-4, ro, rdSlow),
			"zrevrangebylex":   one(-4, ro, rdSlow),
			"zremrangebyrank":  one(4, []string{"write"}, wrSlow),
			"zremrangebyscore": one(4, []string{"write"}, wrSlow),
			"zremrangebylex":   one(4, []string{"write"}, wrSlow),
			"zpopmin":          one(-2, []string{"write", "fast"}, wr),
			"zpopmax":          one(-2, []string{"write", "fast"}, wr),
			"zmpop":            movable(-4, []string{"write", "movablekeys"}, wrSlow),
			"zrandmember":      one(-2, ro, rdSlow),
			"zunion":           movable(-3, []string{"readonly", "movablekeys"}, rdSlow),
			"zinter":           movable(-3, []string{"readonly", "movablekeys"}, rdSlow),
			"zdiff":            movable(-3, []string{"readonly", "movablekeys"}, rdSlow),
			"zintercard":       movable(-3, []string{"readonly", "movablekeys"}, rdSlow),
			"zunionstore":      one(-4, []string{"write", "denyoom", "movablekeys"}, wrSlow),
			"zinterstore":      one(-4, []string{"write", "denyoom", "movablekeys"}, wrSlow),
			"zdiffstore":       one(-4, []string{"write", "denyoom", "movablekeys"}, wrSlow),
			"zscan":            one(-3, ro, rdSlow),
			"bzpopmin":         {Arity: -3, Flags: []string{"write", "noscript", "blocking", "fast"}, FirstKeyPos: 1, LastKeyPos: -2, StepCount: 1, ACLFlags: []string{"@write", "@sortedset", "@fast", "@blocking"}},
			"bzpopmax":         {Arity: -3, Flags: []string{"write", "noscript", "blocking", "fast"}, FirstKeyPos: 1, LastKeyPos: -2, StepCount: 1, ACLFlags: []string{"@write", "@sortedset", "@fast", "@blocking"}},
			"bzmpop":           movable(-5, []string{"write", "blocking", "movablekeys"}, []string{"@write", "@sortedset", "@slow", "@blocking"}),
		} {
			if got, ok := commandInfoOf(ctx, t, rdb, name); !ok {
				t.Errorf("COMMAND INFO %s: no entry", name)
			} else {
				checkCommandInfo(t, name, got, exp)
			}
		}
		want(t, rdb.CommandGetKeys(ctx, "zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"), []string{"d", "a", "b"})
		want(t, rdb.CommandGetKeys(ctx, "zinter", "2", "a", "b"), []string{"a", "b"})
		want(t, rdb.CommandGetKeys(ctx, "zmpop", "2", "a", "b", "MIN"), []string{"a", "b"})
		want(t, rdb.CommandGetKeys(ctx, "bzmpop", "0", "2", "a", "b", "MIN"), []string{"a", "b"})
		want(t, rdb.CommandGetKeys(ctx, "bzpopmin", "a", "b", "0"), []string{"a", "b"})
		want(t, rdb.CommandGetKeys(ctx, "zrangestore", "d", "s", "0", "-1"), []string{"d", "s"})
	}},
}

// zsetWaiting reports whether a CLIENT LIST shows a connection whose
// command is a BZPOPMAX: the waiter the case is about.
func zsetWaiting(list string) bool {
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, "cmd=bzpopmax") {
			return true
		}
	}
	return false
}
