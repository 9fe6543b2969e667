package hyperloglog

import (
	"math"
	"strconv"
	"testing"
)

// The estimator's standard error, measured directly as the RMS relative
// error over independent sets of a million distinct elements each, is
// within the 1.04/sqrt(16384) = 0.81% the design promises (measured: 0.50%).
// The inputs are fixed, so the figure is the same on every run.
func TestHLLStandardError(t *testing.T) {
	const sets, n = 16, 1_000_000
	var sumSq float64
	var buf []byte
	for s := range sets {
		var regs [Registers]uint8
		for i := range n {
			buf = strconv.AppendInt(append(strconv.AppendInt(append(buf[:0], "set"...), int64(s), 10), ':'), int64(i), 10)
			idx, count := Pattern(buf)
			regs[idx] = max(regs[idx], count)
		}
		rel := (float64(CountRegisters(&regs)) - n) / n
		sumSq += rel * rel
	}
	rms := math.Sqrt(sumSq / sets)
	t.Logf("RMS relative error over %d sets of %d: %.4f%%", sets, n, 100*rms)
	if rms > 0.0081 {
		t.Errorf("RMS error %.4f%%, want about 0.81%%", 100*rms)
	}
}

// The bytes of a value are Redis's: these are what redis-server 7.0.15
// stores for PFADD h a b c, before and after PFCOUNT caches the count.
func TestRedisBytes(t *testing.T) {
	const regs = "`\xf3\x80P\xb1\x84K\xfb\x80BZ"
	s := New()
	changed := 0
	for _, e := range []string{"a", "b", "c"} {
		var r int
		s, r = Add(s, []byte(e))
		changed += r
	}
	Invalidate(s)
	for _, tc := range []struct{ what, got, want string }{
		{"after PFADD", string(s), "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80" + regs},
		{"PFDEBUG DECODE", string(Decode(s)), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.what, tc.got, tc.want)
		}
	}
	if changed != 3 || !Valid(s) || Dense(s) {
		t.Fatalf("changed %d registers, valid %v, dense %v", changed, Valid(s), Dense(s))
	}
	if _, ok := Cached(s); ok {
		t.Fatal("cached count fresh after a change")
	}
	n, ok := Count(s)
	if n != 3 || !ok {
		t.Fatalf("Count = %d, %v", n, ok)
	}
	SetCached(s, n)
	if want := "HYLL\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00" + regs; string(s) != want {
		t.Errorf("after PFCOUNT: %q, want %q", s, want)
	}
	d, ok := ToDense(s)
	if !ok || !Dense(d) || len(d) != DenseSize || Register(d, 8436) != 1 || Register(d, 8436+1+4274) != 2 {
		t.Errorf("ToDense: ok %v, dense %v, %d bytes, registers %d %d", ok, Dense(d), len(d), Register(d, 8436), Register(d, 8436+1+4274))
	}
	if Valid([]byte("HYLL\x00")) || Valid(append([]byte(nil), d[:len(d)-1]...)) {
		t.Error("a cut value is valid")
	}
}

// BenchmarkAdd offers distinct elements to one value, sparse then dense,
// as PFADD does.
func BenchmarkAdd(b *testing.B) {
	s := New()
	var buf []byte
	for i := range b.N {
		buf = strconv.AppendInt(buf[:0], int64(i), 10)
		s, _ = Add(s, buf)
	}
}
