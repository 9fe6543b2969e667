package resp

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"testing"
)

// Issue 10 (noisy neighbours): a reply buffer is released after each flush,
// so every big reply grows again from a few KB. The doublings up to 1 MB
// were unpooled: ~1 MB of garbage per KEYS or SORT reply of any size, which
// on a server holding a big heap paid for GC cycles every tenant waits
// through. Past growToPool they come from the pool.
func TestWriterGrowthRecycled(t *testing.T) {
	if raceOn {
		t.Skip("the race detector drops pooled buffers at random")
	}
	name := bytes.Repeat([]byte{'k'}, 20)
	w := NewWriter()
	w.NoYield = true // the yields' own bookkeeping is not the writer's
	reply := func() {
		w.Bound(32 << 20)
		for range 100_000 { // ~2.7 MB, as KEYS over 100k keys
			w.Bulk(name)
		}
		w.Reset()
		w.Release()
	}
	// 4, 8 and 16 KB, then pooled buffers (before: ~1 MB).
	if per := bytesPerRun(20, reply); per > 64<<10 {
		t.Errorf("%d bytes allocated per reply", per)
	}
}

// bytesPerRun is what one call of f allocates, on average over runs calls
// after a first one that fills the pools, on one P and with no collection.
// A test's heap is a few MB, so the GC would run (and empty the pools)
// every few calls; a server's heap of hundreds of MB is collected far less
// often than that. One P, as the server runs by default: a sync.Pool's
// items put on one P are not all visible from another.
func bytesPerRun(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	// Two collections first empty the pools of what other tests left.
	runtime.GC()
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}
