package engine

import (
	"fmt"
	"testing"
)

// A packed sorted set's charges cover the heap it holds, whatever its
// member count and member length: members added in ascending order (each
// appended, the slice grown by a quarter when full, the most slack it
// keeps) and in descending order (each insert builds a new slice), from 1
// to ZSetListpackEntries members of up to ZSetListpackValue bytes, with the
// key's own charge covering the entry.
func TestChargesCoverPackedZSets(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a few hundred MB of heap")
	}
	const keys = 1 << 12
	e := engineNew(t, 256)
	counts := []int{1, 2, 3, 4, 5, 7, 9, 12, 17, 23, 28, 33, 47, 64, 65, 90, 100, 113, ZSetListpackEntries}
	for _, l := range []int{0, 1, 6, 8, 17, 33, ZSetListpackValue} {
		for _, n := range counts {
			if l < 6 && n > 1 {
				break // members must be distinct
			}
			for _, desc := range []bool{false, true} {
				ns := e.Namespace(fmt.Sprintf("zpacked/%d/%d/%v", n, l, desc))
				before := liveHeap()
				engineWrite(e, ns, func(tx *Tx) {
					for k := range keys {
						z := NewZSet(0, 0)
						for i := range n {
							s := float64(i)
							if desc {
								s = -s
							}
							z.Set(chargeMember(i, max(l, 6))[:l], s)
						}
						if !z.Packed() {
							t.Fatalf("%d members of %d bytes: not packed", n, l)
						}
						tx.Put(chargeMember(k, 16), NewObject(KindZSet, z))
					}
				})
				heap := liveHeap() - before
				if heap > ns.Bytes() {
					t.Errorf("%d members of %d bytes (descending %v): %.1f bytes of heap per key, %.1f accounted",
						n, l, desc, float64(heap)/keys, float64(ns.Bytes())/keys)
				}
				t.Logf("%3d members %2d bytes desc %-5v: heap %8.1f, accounted %8.1f per key, %5.1f over per member",
					n, l, desc, float64(heap)/keys, float64(ns.Bytes())/keys, float64(ns.Bytes()-heap)/keys/float64(n))
				engineWrite(e, ns, func(tx *Tx) { tx.Flush() })
			}
		}
	}
}
