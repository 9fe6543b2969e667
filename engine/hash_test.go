package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// hashFields lists h's fields in position order.
func hashFields(h *Hash) []string {
	var out []string
	h.Each(func(f, _ string) bool {
		out = append(out, f)
		return true
	})
	return out
}

// hashCheck verifies the invariants: Size equals a recount, the index (when
// present) maps every field to its position and nothing else.
func hashCheck(t *testing.T, h *Hash, when string) {
	t.Helper()
	if got, want := h.Size(), h.ComputeSize(); got != want {
		t.Fatalf("%s: Size %d, ComputeSize %d", when, got, want)
	}
	if h.hashTable != nil && h.index != nil {
		if len(h.index) != len(h.entries) {
			t.Fatalf("%s: index has %d fields, hash %d", when, len(h.index), len(h.entries))
		}
		for i, e := range h.entries {
			if j, ok := h.index[e.field]; !ok || int(j) != i {
				t.Fatalf("%s: field %q at %d, index says %d (%v)", when, e.field, i, j, ok)
			}
		}
	}
}

func TestHashListpackOrderAndValues(t *testing.T) {
	h := NewHash()
	for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}} {
		if !h.Set([]byte(kv[0]), []byte(kv[1])) {
			t.Fatalf("Set %s: not reported new", kv[0])
		}
	}
	if !h.Delete([]byte("b")) || h.Delete([]byte("b")) {
		t.Fatal("Delete b: want true then false")
	}
	for _, kv := range [][2]string{{"b", "5"}, {"e", "6"}, {"a", "7"}} {
		h.Set([]byte(kv[0]), []byte(kv[1]))
	}
	// Redis's listpack: arrival order, updates in place, removals close the gap.
	if got := strings.Join(hashFields(h), " "); got != "a c d b e" {
		t.Errorf("order %q, want %q", got, "a c d b e")
	}
	if v, ok := h.Get([]byte("a")); !ok || v != "7" {
		t.Errorf("Get a = %q %v, want 7", v, ok)
	}
	if _, ok := h.Get([]byte("zz")); ok || h.Has([]byte("zz")) {
		t.Error("zz found in a hash without it")
	}
	if h.Len() != 5 || h.Size() != 10 || h.Encoding() != "listpack" {
		t.Errorf("Len %d Size %d Encoding %s, want 5 10 listpack", h.Len(), h.Size(), h.Encoding())
	}
	hashCheck(t, h, "after updates")
}

func TestHashEncodingThresholds(t *testing.T) {
	long := strings.Repeat("x", HashMaxListpackValue)
	cases := []struct {
		name  string
		build func(h *Hash)
		want  string
	}{
		{"value of the limit", func(h *Hash) { h.Set([]byte("f"), []byte(long)) }, "listpack"},
		{"field of the limit", func(h *Hash) { h.Set([]byte(long), []byte("v")) }, "listpack"},
		{"longer value", func(h *Hash) { h.Set([]byte("f"), []byte(long+"y")) }, "hashtable"},
		{"longer field", func(h *Hash) { h.Set([]byte(long+"y"), []byte("v")) }, "hashtable"},
		{"entries of the limit", func(h *Hash) {
			for i := range HashMaxListpackEntries {
				h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"))
			}
		}, "listpack"},
		{"one entry more", func(h *Hash) {
			for i := range HashMaxListpackEntries + 1 {
				h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"))
			}
		}, "hashtable"},
		// Conversions are one-way, as in Redis.
		{"shrunk back", func(h *Hash) {
			h.Set([]byte("f"), []byte(long+"y"))
			h.Set([]byte("f"), []byte("short"))
			h.Set([]byte("g"), []byte("v"))
			h.Delete([]byte("g"))
		}, "hashtable"},
	}
	for _, c := range cases {
		h := NewHash()
		c.build(h)
		if got := h.Encoding(); got != c.want {
			t.Errorf("%s: encoding %s, want %s", c.name, got, c.want)
		}
		hashCheck(t, h, c.name)
	}
}

func TestHashCloneIsIndependent(t *testing.T) {
	for _, n := range []int{3, 40, HashMaxListpackEntries + 5} {
		h := NewHash()
		for i := range n {
			h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"+strconv.Itoa(i)))
		}
		c := h.Clone().(*Hash)
		c.Set([]byte("f0"), []byte("changed"))
		c.Set([]byte("new"), []byte("x"))
		c.Delete([]byte("f1"))
		if v, _ := h.Get([]byte("f0")); v != "v0" {
			t.Errorf("n=%d: original f0 = %q after changing the clone", n, v)
		}
		if !h.Has([]byte("f1")) || h.Has([]byte("new")) || h.Len() != n {
			t.Errorf("n=%d: original changed with its clone", n)
		}
		if c.Encoding() != h.Encoding() {
			t.Errorf("n=%d: clone encoding %s, original %s", n, c.Encoding(), h.Encoding())
		}
		hashCheck(t, h, "original")
		hashCheck(t, c, "clone")
	}
}

// Random mutations keep Size exact and the index consistent, in both
// encodings; the hash agrees with a plain map, and while it is a listpack
// its order is Redis's listpack order (arrival, gaps closed).
func TestHashRandomMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 10 {
		h := NewHash()
		model := map[string]string{}
		var order []string
		fields := 10 + rng.IntN(800)
		for step := range 3000 {
			f := "f" + strconv.Itoa(rng.IntN(fields))
			switch rng.IntN(3) {
			case 0, 1:
				n := rng.IntN(HashMaxListpackValue + 1)
				if rng.IntN(6000) == 0 {
					n = HashMaxListpackValue + 1
				}
				v := strings.Repeat("v", n)
				_, had := model[f]
				if created := h.Set([]byte(f), []byte(v)); created == had {
					t.Fatalf("round %d step %d: Set %s created=%v, model had it: %v", round, step, f, created, had)
				}
				if !had {
					order = append(order, f)
				}
				model[f] = v
			case 2:
				_, had := model[f]
				if got := h.Delete([]byte(f)); got != had {
					t.Fatalf("round %d step %d: Delete %s = %v, want %v", round, step, f, got, had)
				}
				delete(model, f)
				order = slices.DeleteFunc(order, func(o string) bool { return o == f })
			}
			when := fmt.Sprintf("round %d step %d", round, step)
			hashCheck(t, h, when)
			if h.Encoding() == "listpack" && !slices.Equal(hashFields(h), order) {
				t.Fatalf("%s: listpack order %q, want %q", when, hashFields(h), order)
			}
		}
		if h.Len() != len(model) {
			t.Fatalf("round %d: Len %d, model %d", round, h.Len(), len(model))
		}
		for f, v := range model {
			if got, ok := h.Get([]byte(f)); !ok || got != v {
				t.Fatalf("round %d: %s = %q %v, model %q", round, f, got, ok, v)
			}
		}
	}
}

// The HSCAN guarantee, tested at random: while fields are added, updated
// and removed between calls, every field present for the whole scan is
// returned, and nothing that never existed is.
func TestHashScanNeverMissesStableFields(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 300 {
		h := NewHash()
		next := 0
		add := func() {
			f := "f" + strconv.Itoa(next)
			next++
			h.Set([]byte(f), []byte("v"))
		}
		for range HashMaxListpackEntries + 1 + rng.IntN(2000) {
			add()
		}
		if h.Encoding() != "hashtable" {
			t.Fatalf("round %d: setup is %s", round, h.Encoding())
		}
		present := map[string]bool{} // present at the start and not removed since
		h.Each(func(f, _ string) bool {
			present[f] = true
			return true
		})
		seen := map[string]bool{}
		cursor := uint64(0)
		for calls := 0; ; calls++ {
			count := 1 + rng.IntN(50)
			cursor = h.Scan(cursor, count, func(f, _ string) {
				seen[f] = true
				if !h.Has([]byte(f)) {
					t.Fatalf("round %d: scan returned %q, not in the hash", round, f)
				}
			})
			if cursor == 0 {
				break
			}
			if calls > 1_000_000 {
				t.Fatalf("round %d: scan does not end", round)
			}
			// Churn between calls: removals (of any field), additions, updates.
			for range rng.IntN(60) {
				switch op := rng.IntN(10); {
				case op < 4 && h.Len() > 1:
					f, _ := h.At(rng.IntN(h.Len()))
					h.Delete([]byte(f))
					delete(present, f)
				case op < 8:
					add()
				default:
					f, _ := h.At(rng.IntN(h.Len()))
					h.Set([]byte(f), []byte("updated"))
				}
			}
		}
		for f := range present {
			if !seen[f] {
				t.Fatalf("round %d: field %q present for the whole scan was never returned", round, f)
			}
		}
	}
}

func TestHashScanListpackIsOneCall(t *testing.T) {
	h := NewHash()
	for _, f := range []string{"c", "a", "b"} {
		h.Set([]byte(f), []byte("v"))
	}
	var got []string
	if next := h.Scan(7, 1, func(f, _ string) { got = append(got, f) }); next != 0 {
		t.Errorf("listpack scan cursor %d, want 0", next)
	}
	if !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Errorf("listpack scan %q, want every field in order", got)
	}
}

func TestHashScanCursorWalksDown(t *testing.T) {
	h := NewHash()
	for i := range HashMaxListpackEntries + 10 {
		h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"))
	}
	total := 0
	cursor := uint64(0)
	for {
		n := 0
		cursor = h.Scan(cursor, 100, func(string, string) { n++ })
		total += n
		if cursor == 0 {
			break
		}
		if n != 100 {
			t.Fatalf("a call before the end visited %d fields, want 100", n)
		}
	}
	if total != h.Len() {
		t.Errorf("a full scan visited %d fields of %d", total, h.Len())
	}
	// A cursor past the end (the hash shrank) starts from the top.
	n := 0
	if next := h.Scan(1<<40, 5, func(string, string) { n++ }); n != 5 || next != uint64(h.Len()-5) {
		t.Errorf("oversized cursor: visited %d, next %d", n, next)
	}
}
