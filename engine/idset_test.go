package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/tidwall/btree"
)

// checkIDSet verifies the blocks against a sorted model: order, firsts,
// sizes, and that Ascend from any pivot yields the model's tail.
func checkIDSet(t *testing.T, s *idSet, model []uint64, rng *rand.Rand) {
	t.Helper()
	if s.Len() != len(model) {
		t.Fatalf("Len %d, model %d", s.Len(), len(model))
	}
	var all []uint64
	for i, b := range s.blocks {
		if len(b) == 0 || len(b) > idBlockMax || s.firsts[i] != b[0] {
			t.Fatalf("block %d: len %d first %d/%d", i, len(b), s.firsts[i], b[0])
		}
		all = append(all, b...)
	}
	if len(s.firsts) != len(s.blocks) || !slices.Equal(all, model) {
		t.Fatalf("blocks hold %d ids, model %d (equal %v)", len(all), len(model), slices.Equal(all, model))
	}
	for range 20 {
		var pivot uint64
		if len(model) > 0 && rng.IntN(2) == 0 {
			pivot = model[rng.IntN(len(model))] + uint64(rng.IntN(3)) - 1
		} else {
			pivot = rng.Uint64()
		}
		i, _ := slices.BinarySearch(model, pivot)
		want := model[i:]
		limit := rng.IntN(len(want) + 2)
		var got []uint64
		s.Ascend(pivot, func(id uint64) bool {
			got = append(got, id)
			return len(got) < limit
		})
		if limit == 0 {
			limit = 1
		}
		if exp := want[:min(limit, len(want))]; !slices.Equal(got, exp) {
			t.Fatalf("Ascend(%d) limit %d: got %v, want %v", pivot, limit, got, exp)
		}
	}
}

func TestIDSetModel(t *testing.T) {
	for _, span := range []uint64{50, 2000, 1 << 40} {
		rng := rand.New(rand.NewPCG(3, span))
		var s idSet
		var model []uint64
		for step := range 60000 {
			id := rng.Uint64N(span) << 20 // ids far apart, as one shard's are
			i, found := slices.BinarySearch(model, id)
			// Grow for the first half, then shrink to nothing.
			if (step < 30000) == (rng.IntN(4) != 0) {
				s.Insert(id)
				if !found {
					model = slices.Insert(model, i, id)
				}
			} else {
				s.Delete(id)
				if found {
					model = slices.Delete(model, i, i+1)
				}
			}
			if step%997 == 0 {
				checkIDSet(t, &s, model, rng)
			}
		}
		for _, id := range slices.Clone(model) {
			s.Delete(id)
		}
		checkIDSet(t, &s, nil, rng)
		if s.blocks != nil {
			t.Fatalf("an empty set keeps %d blocks", len(s.blocks))
		}
	}
}

// A load in id order fills whole blocks instead of halves, and a random
// one about three quarters of each; either way an id takes about 9-12
// bytes, where the tree took 14.7.
func TestIDSetFill(t *testing.T) {
	for _, inOrder := range []bool{true, false} {
		var s idSet
		rng := rand.New(rand.NewPCG(1, 1))
		for i := range 100000 {
			id := uint64(i) << 8
			if !inOrder {
				id = rng.Uint64()
			}
			s.Insert(id)
		}
		bytes := 24*cap(s.blocks) + 8*cap(s.firsts)
		for _, b := range s.blocks {
			bytes += 8 * cap(b)
		}
		perID := float64(bytes) / float64(s.Len())
		if perID > 12 {
			t.Errorf("in order %v: %.1f bytes an id", inOrder, perID)
		}
		t.Logf("in order %v: %.1f bytes an id over %d blocks", inOrder, perID, len(s.blocks))
	}
}

// The ordered set against the tree it replaced, at a shard's size under
// 1M keys (4k ids): a new key (insert), a removed one (delete) and a walk
// of 100 ids from a random pivot.
func BenchmarkIDSet(b *testing.B) {
	ids := randomIDs(1, 2*4096)
	b.Run("blocks", func(b *testing.B) { benchOrderedIDs(b, &idSet{}, ids) })
	b.Run("btree", func(b *testing.B) { benchOrderedIDs(b, &btree.Set[uint64]{}, ids) })
}

// randomIDs returns n ids from a generator seeded with seed.
func randomIDs(seed uint64, n int) []uint64 {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = rng.Uint64()
	}
	return ids
}

// orderedIDs is what a shard needs of its ordered ids: the blocks and
// the tree they replaced both have it.
type orderedIDs interface {
	Insert(id uint64)
	Delete(id uint64)
	Ascend(pivot uint64, fn func(id uint64) bool)
}

// benchOrderedIDs fills s with the first half of ids, then per op adds
// one, removes one and walks 100 from a pivot.
func benchOrderedIDs(b *testing.B, s orderedIDs, ids []uint64) {
	n := len(ids) / 2
	for _, id := range ids[:n] {
		s.Insert(id)
	}
	b.ResetTimer()
	for i := range b.N {
		a, d := ids[n+i%n], ids[i%n]
		if i/n%2 == 1 {
			a, d = d, a
		}
		s.Insert(a)
		s.Delete(d)
		k := 0
		s.Ascend(ids[(i*7)%len(ids)], func(uint64) bool { k++; return k < 100 })
	}
}

// After compact the blocks share one array and keep their ids; later
// inserts and deletes work on them as on any block (a block that fills
// its room moves out to an array of its own).
func TestIDSetCompact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var s idSet
	var model []uint64
	add := func(id uint64) {
		s.Insert(id)
		if i, found := slices.BinarySearch(model, id); !found {
			model = slices.Insert(model, i, id)
		}
	}
	for range 5000 {
		add(rng.Uint64())
	}
	s.compact()
	checkIDSet(t, &s, model, rng)
	// A few shared arrays of up to 4,096 ids: each block starts where the
	// previous one's room ends, but where an array ends.
	breaks := 0
	for i := 1; i < len(s.blocks); i++ {
		prev, b := s.blocks[i-1], s.blocks[i]
		if uintptr(unsafe.Pointer(&b[0])) != uintptr(unsafe.Pointer(&prev[0]))+8*uintptr(cap(prev)) {
			breaks++
		}
	}
	if limit := len(model)*17/16/4096 + 1; breaks > limit {
		t.Fatalf("%d blocks in %d arrays after compact, want at most %d", len(s.blocks), breaks+1, limit+1)
	}
	for step := range 20000 {
		if step%3 == 0 && len(model) > 0 {
			id := model[rng.IntN(len(model))]
			s.Delete(id)
			i, _ := slices.BinarySearch(model, id)
			model = slices.Delete(model, i, i+1)
		} else {
			add(rng.Uint64())
		}
		if step%2000 == 0 {
			checkIDSet(t, &s, model, rng)
			s.compact()
		}
	}
	checkIDSet(t, &s, model, rng)
}
