package engine

import "math/bits"

// idTable maps a shard's tree ids to the heads of their key chains: the
// point-lookup index beside the ordered tree.
//
// It is open addressing with linear probing over one array of {id, entry}
// pairs, so a lookup usually costs the one cache line holding the home slot
// and its neighbours, and the address of that line is known from the id
// alone: Tx.Warm can load the slots of a whole pipelined batch at once,
// which a Go map does not allow. It is also a little faster than a map for
// single lookups (BenchmarkTxGet).
//
// Deletion shifts later members of the run back instead of leaving
// tombstones, so probe runs never grow with churn.
type idTable struct {
	slots []idSlot // len is a power of two, or 0
	shift uint8    // 64 - log2(len(slots))
	n     int
}

type idSlot struct {
	id uint64
	en *Entry // nil: the slot is free
}

const idTableMin = 8

// home is the slot an id hashes to. Fibonacci hashing spreads ids whose low
// bits repeat (one shard's hashes share their top bits, and the namespace
// sits above them).
func (t *idTable) home(id uint64) uint64 {
	return (id * 0x9E3779B97F4A7C15) >> t.shift
}

func (t *idTable) get(id uint64) *Entry {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(id); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.en == nil {
			return nil
		}
		if s.id == id {
			return s.en
		}
	}
}

// set makes en the head stored for id, adding id when absent. The table
// grows at 3/4 full and shrinks below 1/8.
func (t *idTable) set(id uint64, en *Entry) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(idTableMin, 2*len(t.slots)))
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(id); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.en == nil {
			*s = idSlot{id, en}
			t.n++
			return
		}
		if s.id == id {
			s.en = en
			return
		}
	}
}

func (t *idTable) delete(id uint64) {
	if t.n == 0 {
		return
	}
	mask := uint64(len(t.slots) - 1)
	i := t.home(id)
	for ; t.slots[i].id != id || t.slots[i].en == nil; i = (i + 1) & mask {
		if t.slots[i].en == nil {
			return
		}
	}
	// Move back every later member of the run that may fill the hole: one
	// whose home is not cyclically within (hole, j].
	hole := i
	for j := (i + 1) & mask; t.slots[j].en != nil; j = (j + 1) & mask {
		h := t.home(t.slots[j].id)
		if (j-h)&mask >= (j-hole)&mask {
			t.slots[hole] = t.slots[j]
			hole = j
		}
	}
	t.slots[hole] = idSlot{}
	t.n--
	if len(t.slots) > idTableMin && t.n*8 < len(t.slots) {
		t.resize(len(t.slots) / 2)
	}
}

func (t *idTable) resize(size int) {
	old := t.slots
	t.slots = make([]idSlot, size)
	t.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	mask := uint64(size - 1)
	for _, s := range old {
		if s.en == nil {
			continue
		}
		i := t.home(s.id)
		for t.slots[i].en != nil {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

func (t *idTable) len() int { return t.n }

// touch reads id's home slot, to bring it into the cache.
func (t *idTable) touch(id uint64) uint64 {
	if t.n == 0 {
		return 0
	}
	return t.slots[t.home(id)].id
}
