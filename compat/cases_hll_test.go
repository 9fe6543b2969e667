package compat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

const (
	errNotHLL     = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errCorruptHLL = "INVALIDOBJ Corrupted HLL object detected"
)

// hllFill adds prefix0 ... prefix<n-1> to key.
func hllFill(ctx context.Context, t *testing.T, rdb *redis.Client, key, prefix string, n int) {
	t.Helper()
	for i := 0; i < n; i += 5000 {
		els := make([]interface{}, 0, 5000)
		for j := i; j < min(n, i+5000); j++ {
			els = append(els, prefix+strconv.Itoa(j))
		}
		setup(t, rdb.PFAdd(ctx, key, els...))
	}
}

// hllDense encodes registers in Redis's dense layout, written here from
// the format's description: a 16-byte header, then 6-bit registers packed
// least significant bit first.
func hllDense(regs []uint8) string {
	b := make([]byte, 16+12288)
	copy(b, "HYLL")
	b[15] = 0x80 // no cached cardinality
	for i, v := range regs {
		bit := i * 6
		for k := 0; k < 6; k++ {
			if v&(1<<k) != 0 {
				b[16+(bit+k)/8] |= 1 << ((bit + k) % 8)
			}
		}
	}
	return string(b)
}

var hllCases = []testCase{
	{name: "pfadd_pfcount_pfmerge", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.PFAdd(ctx, "h", "a", "b", "c"), int64(1))
		want(t, rdb.PFAdd(ctx, "h", "a", "b"), int64(0))
		want(t, rdb.PFAdd(ctx, "h", "d"), int64(1))
		want(t, rdb.PFCount(ctx, "h"), int64(4))
		want(t, rdb.PFAdd(ctx, "empty"), int64(1))
		want(t, rdb.PFAdd(ctx, "empty"), int64(0))
		want(t, rdb.PFCount(ctx, "empty"), int64(0))
		want(t, rdb.PFCount(ctx, "missing"), int64(0))
		want(t, rdb.PFAdd(ctx, "g", "c", "d", "e"), int64(1))
		want(t, rdb.PFCount(ctx, "h", "g", "missing"), int64(5))
		want(t, rdb.PFMerge(ctx, "u", "h", "g"), "OK")
		want(t, rdb.PFCount(ctx, "u"), int64(5))
		want(t, rdb.PFMerge(ctx, "u2", "missing"), "OK")
		want(t, rdb.Exists(ctx, "u2"), int64(1))
		want(t, rdb.PFCount(ctx, "u2"), int64(0))
		want(t, rdb.Type(ctx, "u"), "string")
		wantErr(t, rdb.Do(ctx, "PFADD"), errArity("pfadd"))
		wantErr(t, rdb.Do(ctx, "PFCOUNT"), errArity("pfcount"))
		wantErr(t, rdb.Do(ctx, "PFMERGE"), errArity("pfmerge"))
	}},
	{name: "not_hll", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.Set(ctx, "s", "hello", 0))
		setup(t, rdb.PFAdd(ctx, "h", "a"))
		wantErr(t, rdb.PFAdd(ctx, "s", "a"), errNotHLL)
		wantErr(t, rdb.PFCount(ctx, "s"), errNotHLL)
		wantErr(t, rdb.PFCount(ctx, "h", "s"), errNotHLL)
		wantErr(t, rdb.PFMerge(ctx, "d", "h", "s"), errNotHLL)
		want(t, rdb.Exists(ctx, "d"), int64(0))
		// A header that passes but registers that do not add up.
		setup(t, rdb.Set(ctx, "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe", 0))
		wantErr(t, rdb.PFCount(ctx, "bad"), errCorruptHLL)
		wantErr(t, rdb.PFMerge(ctx, "d", "bad"), errCorruptHLL)
		// A dense value must have the dense size.
		setup(t, rdb.Set(ctx, "short", "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00", 0))
		wantErr(t, rdb.PFCount(ctx, "short"), errNotHLL)
	}},
	{name: "wrongtype", needs: []string{"rpush"}, fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.RPush(ctx, "l", "x"))
		wantErr(t, rdb.PFAdd(ctx, "l", "a"), errWrongType)
		wantErr(t, rdb.PFCount(ctx, "l"), errWrongType)
		wantErr(t, rdb.PFMerge(ctx, "d", "l"), errWrongType)
	}},
	// Values are Redis's own bytes, sparse and dense, so one written by
	// Synap reads in Redis and back.
	{name: "layout", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		setup(t, rdb.PFAdd(ctx, "s", "x", "y", "z"))
		want(t, rdb.Get(ctx, "s"), "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80a\x84\x80X\xcd\x88E\xa0\x84\x08")
		hllFill(ctx, t, rdb, "d", "el:", 10000)
		v := must(t, rdb.Get(ctx, "d"))
		if sum := sha256.Sum256([]byte(v)); hex.EncodeToString(sum[:]) != "9a2e8282973a5e94600de60b0eb9c3a6b6bf70766bc2bfe73eb75007147bf2e6" {
			t.Errorf("the dense value of 10000 elements differs (%d bytes)", len(v))
		}
		want(t, rdb.PFCount(ctx, "d"), int64(10019))
		// A value from elsewhere, and one built here from registers.
		setup(t, rdb.Set(ctx, "copy", v, 0))
		want(t, rdb.PFCount(ctx, "copy"), int64(10019))
		regs := make([]uint8, 16384)
		for i := range regs {
			regs[i] = uint8(i*7%5 + i%3)
		}
		setup(t, rdb.Set(ctx, "built", hllDense(regs), 0))
		want(t, rdb.PFCount(ctx, "built"), int64(51257))
		want(t, rdb.PFAdd(ctx, "built", "new"), int64(0))
		want(t, rdb.PFMerge(ctx, "m", "s", "built"), "OK")
		want(t, rdb.StrLen(ctx, "m"), int64(12304))
		want(t, rdb.PFCount(ctx, "m"), int64(51257))
	}},
	// The same elements give Redis's estimates, up to where the value
	// turns dense and beyond.
	{name: "estimates", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		for _, tc := range []struct {
			n      int
			count  int64
			strlen int64
		}{{10, 10, 48}, {1000, 999, 1892}, {1703, 0, 2999}, {1704, 0, 12304}, {100000, 98893, 12304}} {
			key := "h" + strconv.Itoa(tc.n)
			hllFill(ctx, t, rdb, key, "el:", tc.n)
			if tc.strlen != 0 {
				want(t, rdb.StrLen(ctx, key), tc.strlen)
			}
			if tc.count != 0 {
				want(t, rdb.PFCount(ctx, key), tc.count)
			}
		}
		want(t, rdb.PFCount(ctx, "h10", "h1000", "h100000"), int64(98893))
	}},
}
