package commands

import (
	"math"
	"testing"
)

// ParseFloat follows strtod as Redis uses it; every expectation here was
// checked against redis-server 7.0.15 (ZADD/ZSCORE).
func TestParseFloatLikeStrtod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1.5", 1.5, true},
		{"-0.25", -0.25, true},
		{"0x10", 16, true},
		{"-0x1p-2", -0.25, true},
		{"0x1.8", 1.5, true},
		{"1.5e-310", 1.5e-310, true}, // denormal: kept
		{"0e5", 0, true},
		{"inf", math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true},
		{"1e-400", 0, false}, // underflow
		{"1e400", 0, false},  // overflow
		{"0x", 0, false},
		{"1_0", 0, false},
		{"0x1_0", 0, false},
		{"nan", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"", 0, false},
	} {
		got, ok := ParseFloat([]byte(tc.in))
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
