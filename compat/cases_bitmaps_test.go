package compat

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

const errBitOffset = "ERR bit offset is not an integer or out of range"

var bitmapCases = []testCase{
	{name: "setbit_getbit", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.SetBit(ctx, "b", 7, 1), int64(0))
		want(t, rdb.SetBit(ctx, "b", 7, 1), int64(1))
		want(t, rdb.SetBit(ctx, "b", 17, 1), int64(0))
		want(t, rdb.Get(ctx, "b"), "\x01\x00\x40")
		want(t, rdb.GetBit(ctx, "b", 7), int64(1))
		want(t, rdb.GetBit(ctx, "b", 8), int64(0))
		want(t, rdb.GetBit(ctx, "b", 1000), int64(0))
		want(t, rdb.GetBit(ctx, "missing", 3), int64(0))
		want(t, rdb.SetBit(ctx, "b", 7, 0), int64(1))
		want(t, rdb.Get(ctx, "b"), "\x00\x00\x40")
		setup(t, rdb.Set(ctx, "s", "a", 0))
		want(t, rdb.SetBit(ctx, "s", 6, 1), int64(0))
		want(t, rdb.Get(ctx, "s"), "c")
		wantErr(t, rdb.Do(ctx, "SETBIT", "b", "4294967296", "1"), errBitOffset)
		wantErr(t, rdb.Do(ctx, "SETBIT", "b", "-1", "1"), errBitOffset)
		wantErr(t, rdb.Do(ctx, "SETBIT", "b", "0", "2"), "ERR bit is not an integer or out of range")
		wantErr(t, rdb.Do(ctx, "GETBIT", "b", "x"), errBitOffset)
		wantErr(t, rdb.Do(ctx, "SETBIT", "b", "1"), errArity("setbit"))
	}},
	{name: "bitcount_bitpos", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.Set(ctx, "s", "foobar", 0))
		want(t, rdb.BitCount(ctx, "s", nil), int64(26))
		want(t, rdb.BitCount(ctx, "s", &redis.BitCount{Start: 1, End: 1}), int64(6))
		want(t, rdb.BitCount(ctx, "s", &redis.BitCount{Start: 5, End: 30, Unit: redis.BitCountIndexBit}), int64(17))
		want(t, rdb.BitCount(ctx, "s", &redis.BitCount{Start: -2, End: -1, Unit: redis.BitCountIndexByte}), int64(7))
		want(t, rdb.BitCount(ctx, "missing", nil), int64(0))
		wantErr(t, rdb.Do(ctx, "BITCOUNT", "s", "0"), "ERR syntax error")
		wantErr(t, rdb.Do(ctx, "BITCOUNT", "s", "0", "1", "WORD"), "ERR syntax error")

		setup(t, rdb.Set(ctx, "p", "\xff\xf0\x00", 0))
		want(t, rdb.BitPos(ctx, "p", 0), int64(12))
		want(t, rdb.BitPos(ctx, "p", 1, 2), int64(-1))
		want(t, rdb.BitPos(ctx, "p", 0, 2, -1), int64(16))
		want(t, rdb.BitPosSpan(ctx, "p", 1, 7, 15, "bit"), int64(7))
		want(t, rdb.BitPosSpan(ctx, "p", 0, 7, 11, "bit"), int64(-1))
		setup(t, rdb.Set(ctx, "ones", "\xff\xff", 0))
		want(t, rdb.BitPos(ctx, "ones", 0), int64(16))
		want(t, rdb.BitPos(ctx, "ones", 0, 0, -1), int64(-1))
		want(t, rdb.BitPos(ctx, "missing", 1), int64(-1))
		want(t, rdb.BitPos(ctx, "missing", 0), int64(0))
		wantErr(t, rdb.BitPos(ctx, "p", 2), "ERR The bit argument must be 1 or 0.")
	}},
	{name: "bitop", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.Set(ctx, "a", "abcdef", 0))
		setup(t, rdb.Set(ctx, "b", "xyz", 0))
		want(t, rdb.BitOpAnd(ctx, "d", "a", "b"), int64(6))
		want(t, rdb.Get(ctx, "d"), "``b\x00\x00\x00")
		want(t, rdb.BitOpOr(ctx, "d", "a", "b"), int64(6))
		want(t, rdb.Get(ctx, "d"), "y{{def")
		want(t, rdb.BitOpXor(ctx, "d", "a", "b", "missing"), int64(6))
		want(t, rdb.Get(ctx, "d"), "\x19\x1b\x19def")
		want(t, rdb.BitOpNot(ctx, "d", "b"), int64(3))
		want(t, rdb.Get(ctx, "d"), "\x87\x86\x85")
		want(t, rdb.BitOpOr(ctx, "d", "missing"), int64(0))
		want(t, rdb.Exists(ctx, "d"), int64(0))
		wantErr(t, rdb.Do(ctx, "BITOP", "NOT", "d", "a", "b"), "ERR BITOP NOT must be called with a single source key.")
		wantErr(t, rdb.Do(ctx, "BITOP", "NAND", "d", "a"), "ERR syntax error")
	}},
	{name: "bitfield", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.BitField(ctx, "f", "SET", "i8", 0, -100, "GET", "u8", 0, "GET", "i4", 0, "INCRBY", "u4", 4, 3), []int64{0, 156, -7, 15})
		want(t, rdb.Get(ctx, "f"), "\x9f")
		want(t, rdb.BitField(ctx, "f", "SET", "u8", "#1", 255, "GET", "u16", 4), []int64{0, 65520})
		want(t, rdb.BitField(ctx, "o", "SET", "u8", 0, 255, "INCRBY", "u8", 0, 10), []int64{0, 9})
		want(t, rdb.BitField(ctx, "o", "OVERFLOW", "SAT", "INCRBY", "u8", 0, 1000, "INCRBY", "u8", 0, -1000), []int64{255, 0})
		want(t, rdb.BitField(ctx, "o", "OVERFLOW", "SAT", "SET", "i8", 0, 200, "GET", "i8", 0), []int64{0, 127})
		// FAIL answers a null in place of the value.
		want(t, rdb.Do(ctx, "BITFIELD", "o", "OVERFLOW", "FAIL", "INCRBY", "i8", 0, 1, "INCRBY", "i8", 0, -1), any([]interface{}{nil, int64(126)}))
		want(t, rdb.BitFieldRO(ctx, "f", "u8", 8, "i16", "#1"), []int64{255, 0})
		want(t, rdb.BitField(ctx, "missing", "GET", "u8", 0), []int64{0})
		want(t, rdb.Exists(ctx, "missing"), int64(0))
		wantErr(t, rdb.Do(ctx, "BITFIELD_RO", "f", "SET", "u8", 0, 1), "ERR BITFIELD_RO only supports the GET subcommand")
		wantErr(t, rdb.Do(ctx, "BITFIELD", "f", "GET", "u64", 0), "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
		wantErr(t, rdb.Do(ctx, "BITFIELD", "f", "OVERFLOW", "BOUNCE"), "ERR Invalid OVERFLOW type specified")
		wantErr(t, rdb.Do(ctx, "BITFIELD", "f", "GET", "u8", "#-1"), errBitOffset)
	}},
	{name: "wrongtype", needs: []string{"rpush"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.RPush(ctx, "l", "x"))
		wantErr(t, rdb.SetBit(ctx, "l", 0, 1), errWrongType)
		wantErr(t, rdb.GetBit(ctx, "l", 0), errWrongType)
		wantErr(t, rdb.BitCount(ctx, "l", nil), errWrongType)
		wantErr(t, rdb.BitPos(ctx, "l", 1), errWrongType)
		wantErr(t, rdb.BitOpOr(ctx, "d", "l"), errWrongType)
		wantErr(t, rdb.BitField(ctx, "l", "GET", "u8", 0), errWrongType)
		// The destination of BITOP is replaced whatever it held.
		setup(t, rdb.Set(ctx, "s", "v", 0))
		want(t, rdb.BitOpOr(ctx, "l", "s"), int64(1))
		want(t, rdb.Type(ctx, "l"), "string")
	}},
}
