package engine

import (
	"testing"
	"unsafe"
)

// Each inline class must fill one of Go's size classes exactly; a class
// that rounds up wastes bytes in every key of that size.
func TestInlineClassesFillSizeClasses(t *testing.T) {
	goClasses := map[uintptr]bool{48: true, 64: true, 80: true, 96: true, 112: true, 128: true, 144: true, 160: true, 176: true, 192: true, 208: true, 224: true, 240: true, 256: true}
	for _, sz := range []uintptr{
		unsafe.Sizeof(entry16{}), unsafe.Sizeof(entry32{}), unsafe.Sizeof(entry48{}), unsafe.Sizeof(entry64{}), unsafe.Sizeof(entry80{}), unsafe.Sizeof(entry96{}), unsafe.Sizeof(entry112{}), unsafe.Sizeof(entry128{}), unsafe.Sizeof(entry144{}), unsafe.Sizeof(entry160{}), unsafe.Sizeof(entry176{}), unsafe.Sizeof(entry192{}), unsafe.Sizeof(entry208{}), unsafe.Sizeof(entry224{}),
	} {
		if !goClasses[sz] {
			t.Errorf("an inline entry class is %d bytes, not one of Go's size classes", sz)
		}
	}
	// A counter under a 20-byte key (redis-benchmark's counter:__rand_int__)
	// lands in the 80-byte class, with the rest of its buffer as room.
	en := newInline(make([]byte, 20), []byte("1"), MaxIntLen)
	if cap(en.Str()) != 28 || len(en.Str()) != 1 {
		t.Fatalf("counter value: len %d cap %d", len(en.Str()), cap(en.Str()))
	}
	if got := unsafe.Sizeof(entry48{}); got != 80 {
		t.Fatalf("entry48 is %d bytes, want 80", got)
	}
	// The memory benchmark's 12-byte key with a 16-byte value: 64 bytes.
	en = newInline(make([]byte, 12), make([]byte, 16), 0)
	if len(en.Str()) != 16 || cap(en.Str()) != 20 || len(en.keyString()) != 12 {
		t.Fatalf("string key: len %d cap %d key %d", len(en.Str()), cap(en.Str()), len(en.keyString()))
	}
}
