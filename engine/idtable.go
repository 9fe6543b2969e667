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
	slots []idSlot // any length, or 0
	n     int
}

type idSlot struct {
	id uint64
	en *Entry // nil: the slot is free
}

// The table grows by a quarter when 3/4 full, so it is 60 to 75% full
// whatever the number of keys: doubling left it anywhere from 37.5%, and a
// million keys over 256 shards sat at 48% (34 bytes of table a key instead
// of 23). Each id then moves about five times over the table's growth
// instead of once: a few tens of nanoseconds a key, in resizes of at most a
// few thousand slots a shard. It shrinks by half below 1/8.
const (
	idTableMin = 8
	idGrowNum  = 5 // new length = old * idGrowNum / idGrowDen
	idGrowDen  = 4
)

// home is the slot an id hashes to: the id mixed by a Fibonacci multiply
// (one shard's ids share their top bits, the namespace sits above them),
// then mapped onto the table's length by a multiply-shift, which needs no
// power of two.
func (t *idTable) home(id uint64) uint64 {
	hi, _ := bits.Mul64(id*0x9E3779B97F4A7C15, uint64(len(t.slots)))
	return hi
}

// next is the slot after i, wrapping at the end.
func (t *idTable) next(i uint64) uint64 {
	if i++; i == uint64(len(t.slots)) {
		return 0
	}
	return i
}

// dist is how far slot j is past slot h, cyclically.
func (t *idTable) dist(j, h uint64) uint64 {
	if j >= h {
		return j - h
	}
	return j + uint64(len(t.slots)) - h
}

func (t *idTable) get(id uint64) *Entry {
	if t.n == 0 {
		return nil
	}
	for i := t.home(id); ; i = t.next(i) {
		s := &t.slots[i]
		if s.en == nil {
			return nil
		}
		if s.id == id {
			return s.en
		}
	}
}

// set makes en the head stored for id, adding id when absent.
func (t *idTable) set(id uint64, en *Entry) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(idTableMin, len(t.slots)*idGrowNum/idGrowDen))
	}
	for i := t.home(id); ; i = t.next(i) {
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
	i := t.home(id)
	for ; t.slots[i].id != id || t.slots[i].en == nil; i = t.next(i) {
		if t.slots[i].en == nil {
			return
		}
	}
	// Move back every later member of the run that may fill the hole: one
	// whose home is not cyclically within (hole, j].
	hole := i
	for j := t.next(i); t.slots[j].en != nil; j = t.next(j) {
		h := t.home(t.slots[j].id)
		if t.dist(j, h) >= t.dist(j, hole) {
			t.slots[hole] = t.slots[j]
			hole = j
		}
	}
	t.slots[hole] = idSlot{}
	t.n--
	if len(t.slots) > idTableMin && t.n*8 < len(t.slots) {
		t.resize(max(idTableMin, len(t.slots)/2))
	}
}

func (t *idTable) resize(size int) {
	old := t.slots
	t.slots = make([]idSlot, size)
	for _, s := range old {
		if s.en == nil {
			continue
		}
		i := t.home(s.id)
		for t.slots[i].en != nil {
			i = t.next(i)
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
