package engine

import (
	"fmt"
	"strings"
	"testing"
)

// A small hash keeps its fields packed; what it handed out stays valid
// however it changes afterwards, its order is Redis's listpack order, and
// outgrowing the packing (in count or in length) keeps every field.
func TestHashPackedKeepsWhatItHandedOut(t *testing.T) {
	for _, tc := range []struct {
		name string
		grow func(h *Hash)
	}{
		{"past hashPackMax fields", func(h *Hash) {
			for i := range hashPackMax + 1 {
				h.Set([]byte(fmt.Sprintf("g%d", i)), []byte("x"))
			}
		}},
		{"a long value", func(h *Hash) { h.Set([]byte("long"), []byte(strings.Repeat("v", HashMaxListpackValue+1))) }},
		{"nothing", func(*Hash) {}},
	} {
		h := NewHash()
		for i := range 5 {
			h.Set([]byte(fmt.Sprintf("f%d", i)), []byte(fmt.Sprintf("v%d", i)))
		}
		if !h.packed() {
			t.Fatalf("%s: a 5-field hash is not packed", tc.name)
		}
		v2, _ := h.Get([]byte("f2"))
		f3, v3 := h.At(3)
		h.Set([]byte("f2"), []byte("changed"))
		h.Delete([]byte("f1"))
		h.Set([]byte("f1"), []byte("back"))
		tc.grow(h)
		if v2 != "v2" || f3 != "f3" || v3 != "v3" {
			t.Errorf("%s: handed-out strings changed: %q %q %q", tc.name, v2, f3, v3)
		}
		var got []string
		h.Each(func(f, v string) bool {
			if !strings.HasPrefix(f, "g") && f != "long" {
				got = append(got, f+"="+v)
			}
			return true
		})
		if want := "f0=v0 f2=changed f3=v3 f4=v4 f1=back"; strings.Join(got, " ") != want {
			t.Errorf("%s: fields %q, want %q", tc.name, strings.Join(got, " "), want)
		}
		if h.Size() != h.ComputeSize() {
			t.Errorf("%s: size %d, content %d", tc.name, h.Size(), h.ComputeSize())
		}
		c := h.Clone().(*Hash)
		h.Set([]byte("f0"), []byte("after clone"))
		if v, _ := c.Get([]byte("f0")); v != "v0" || c.Len() != h.Len() {
			t.Errorf("%s: clone changed with the original: %q, %d fields of %d", tc.name, v, c.Len(), h.Len())
		}
	}
}
