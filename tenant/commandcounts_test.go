package tenant

import (
	"sync"
	"testing"
)

// TestCommandCounts: counts per row, totals, rows never called read 0
// without a block allocated for them, and concurrent first calls of one
// block lose no count.
func TestCommandCounts(t *testing.T) {
	c := NewCommandCounts(250)
	if c.Len() != 250 {
		t.Fatalf("Len %d", c.Len())
	}
	c.Add(0, 2)
	c.Add(249, 5)
	c.Add(17, 1)
	for _, tc := range []struct {
		row  int
		want int64
	}{{0, 2}, {249, 5}, {17, 1}, {1, 0}, {100, 0}} {
		if got := c.Load(tc.row); got != tc.want {
			t.Errorf("row %d: %d, want %d", tc.row, got, tc.want)
		}
	}
	if got := c.Total(); got != 8 {
		t.Errorf("Total %d, want 8", got)
	}
	blocks := 0
	for i := range c.blocks {
		if c.blocks[i].Load() != nil {
			blocks++
		}
	}
	if blocks != 3 {
		t.Errorf("%d blocks allocated for 3 rows in 3 blocks", blocks)
	}

	var wg sync.WaitGroup
	d := NewCommandCounts(64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				d.Add((g+i)%64, 1)
			}
		}()
	}
	wg.Wait()
	if got := d.Total(); got != 8000 {
		t.Errorf("concurrent adds: total %d, want 8000", got)
	}
}
