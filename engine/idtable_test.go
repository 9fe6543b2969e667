package engine

import (
	"math/rand/v2"
	"testing"
)

// The table must agree with a map through growth, shrinking and deletions
// that shift runs back, including runs that wrap around the array's end.
func TestIDTableMatchesMap(t *testing.T) {
	for _, span := range []uint64{16, 300, 5000} {
		rng := rand.New(rand.NewPCG(1, span))
		var tab idTable
		model := map[uint64]*Entry{}
		for step := range 200000 {
			id := rng.Uint64N(span) * 0x100000001 // ids that share their low bits, as one shard's do
			if rng.IntN(3) < 2 || step > 150000 {
				if step > 150000 { // drain, so the table shrinks too
					for k := range model {
						id = k
						break
					}
					tab.delete(id)
					delete(model, id)
				} else {
					en := &Entry{}
					tab.set(id, en)
					model[id] = en
				}
			} else {
				tab.delete(id)
				delete(model, id)
			}
			if tab.len() != len(model) {
				t.Fatalf("span %d step %d: len %d, want %d", span, step, tab.len(), len(model))
			}
			probe := rng.Uint64N(span) * 0x100000001
			if got := tab.get(probe); got != model[probe] {
				t.Fatalf("span %d step %d: get(%#x) = %p, want %p", span, step, probe, got, model[probe])
			}
			if step%1000 == 0 {
				checkIDTable(t, &tab, model)
			}
		}
		if len(tab.slots) > idTableMin {
			t.Fatalf("span %d: empty table kept %d slots", span, len(tab.slots))
		}
	}
}

// checkIDTable verifies every member is found and reachable from its home
// without crossing a free slot.
func checkIDTable(t *testing.T, tab *idTable, model map[uint64]*Entry) {
	t.Helper()
	for id, en := range model {
		if got := tab.get(id); got != en {
			t.Fatalf("get(%#x) = %p, want %p", id, got, en)
		}
	}
	if n := len(tab.slots); n > idTableMin && (tab.len()*10 > n*idFillMax || tab.len()*10 < n*idFillMin) {
		t.Fatalf("%d ids in %d slots: outside 40%% to 90%% full", tab.len(), n)
	}
	for i, s := range tab.slots {
		if s.en == nil {
			continue
		}
		for j := tab.home(s.id); j != uint64(i); j = tab.next(j) {
			if tab.slots[j].en == nil {
				t.Fatalf("id %#x at %d is cut off from its home by a free slot at %d", s.id, i, j)
			}
		}
		// Robin Hood's order: a member is never farther from its home
		// than the one after it is from that one's, plus one.
		if nx := tab.next(uint64(i)); tab.slots[nx].en != nil {
			d := tab.dist(uint64(i), tab.home(s.id))
			if dn := tab.dist(nx, tab.home(tab.slots[nx].id)); dn > d+1 {
				t.Fatalf("slot %d is %d from its home, slot %d %d from its own", i, d, nx, dn)
			}
		}
	}
}

// TestIDTableFill: whatever the number of ids, the table is 80% to 90%
// full once past its first sizes (doubling left a million keys over 256
// shards at 48%, growing by a quarter at 3/4 full 60-75%).
func TestIDTableFill(t *testing.T) {
	for _, n := range []int{100, 1000, 3906, 4000, 5000, 20000} {
		var tab idTable
		for i := range n {
			tab.set(uint64(i)*0x100000001, &Entry{})
		}
		if fill := float64(n) / float64(len(tab.slots)); fill < 0.8 || fill > 0.9 {
			t.Errorf("%d ids in %d slots: %.0f%% full", n, len(tab.slots), 100*fill)
		}
	}
}
