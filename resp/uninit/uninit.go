// Package uninit allocates byte buffers that the runtime does not zero.
//
// A reply or input buffer of megabytes is written before it is read, yet
// make zeroes it first: 32 MB took about 3 ms in one stretch that sched
// cannot break up (the runtime clears large objects in chunks, but yields
// between them only to its own 10 ms preemption), and every other
// tenant's request waited through it (execution trace of a SORT ... GET
// whose reply grew to the tenant's 32 MB bound: 3-5 ms stretches in
// Writer.regrow). Redis's zmalloc does not clear either.
//
// The buffers hold no pointers, so the collector never reads them; what
// they held before is stale bytes of earlier buffers, which callers never
// read past what they wrote (as with the pooled buffers they join).
package uninit

import "unsafe"

// Bytes returns a buffer of length 0 and capacity n whose contents are
// not cleared.
func Bytes(n int) []byte {
	if n <= 0 {
		return nil
	}
	p := mallocgc(uintptr(n), nil, false)
	return unsafe.Slice((*byte)(p), n)[:0]
}

// mallocgc is the runtime's allocator, which the runtime keeps
// linkable with this signature (go.dev/issue/67401): with no type it
// allocates memory the collector does not scan, and needzero false
// leaves a large object as the heap had it.
//
//go:linkname mallocgc runtime.mallocgc
func mallocgc(size uintptr, typ unsafe.Pointer, needzero bool) unsafe.Pointer
