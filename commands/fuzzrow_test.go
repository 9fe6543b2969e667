package commands

import "testing"

// Every row is reachable by two bytes that are not line breaks, whatever
// the table's length: a length that is a multiple of 256 once left one row
// unreachable and sent the seeding into an endless loop.
func TestFuzzRowsAllReachable(t *testing.T) {
	for _, n := range []int{1, 255, 256, 257, 512, 65025, len(fuzzRows())} {
		for i := 0; i < n; i++ {
			hi, lo := rowBytes(i)
			if hi == '\n' || lo == '\n' || rowOf(hi, lo, n) != i {
				t.Fatalf("n=%d row %d: bytes %d %d", n, i, hi, lo)
			}
		}
	}
}
