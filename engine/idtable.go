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

// The table is kept 40% to 90% full: at 90% it is rebuilt 80% full, so
// after growth it sits between 80% and 90% (18-20 bytes of table a key;
// growing by a quarter at 3/4 full left it 60-75%, 21-27 bytes). It is
// Robin Hood hashing, so that so full a table stays quick: a member sits
// no farther from its home than any member it passed, so a lookup of an
// absent id stops at the first member closer to its own home (a plain
// linear probe at 90% walks about 50 slots to learn an id is absent; here
// about as many as a hit), and deletion shifts the run after the hole back
// by one until a member at its home or a free slot. Each id moves about
// nine times over the table's growth: a few tens of nanoseconds a key, in
// resizes of at most a few thousand slots a shard. It is rebuilt 80% full
// below 40%.
const (
	idTableMin = 8
	idFillMax  = 9 // tenths: rebuilt past this
	idFillMin  = 4 // tenths: rebuilt under this
)

// idSize is the table length for n ids: 80% full.
func idSize(n int) int { return max(idTableMin, n+n/4) }

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
	i := t.home(id)
	for d := uint64(0); ; d++ {
		s := &t.slots[i]
		if s.en == nil {
			return nil
		}
		if s.id == id {
			return s.en
		}
		if t.dist(i, t.home(s.id)) < d {
			return nil // id would have taken this slot
		}
		i = t.next(i)
	}
}

// set makes en the head stored for id, adding id when absent.
func (t *idTable) set(id uint64, en *Entry) {
	if t.n > 0 {
		i := t.home(id)
		for d := uint64(0); ; d++ {
			s := &t.slots[i]
			if s.en == nil || t.dist(i, t.home(s.id)) < d {
				break
			}
			if s.id == id {
				s.en = en
				return
			}
			i = t.next(i)
		}
	}
	if (t.n+1)*10 > len(t.slots)*idFillMax {
		t.resize(idSize(t.n + 1))
	}
	t.place(idSlot{id, en})
	t.n++
}

// place puts s, whose id is absent, where Robin Hood hashing puts it: it
// takes the first slot whose member is closer to its own home and carries
// that member on.
func (t *idTable) place(s idSlot) {
	i := t.home(s.id)
	for d := uint64(0); ; d++ {
		c := &t.slots[i]
		if c.en == nil {
			*c = s
			return
		}
		if cd := t.dist(i, t.home(c.id)); cd < d {
			*c, s = s, *c
			d = cd
		}
		i = t.next(i)
	}
}

func (t *idTable) delete(id uint64) {
	if t.n == 0 {
		return
	}
	i := t.home(id)
	for d := uint64(0); ; d++ {
		s := &t.slots[i]
		if s.en == nil || t.dist(i, t.home(s.id)) < d {
			return
		}
		if s.id == id {
			break
		}
		i = t.next(i)
	}
	// Shift the rest of the run back by one, up to a free slot or a
	// member at its home.
	for {
		j := t.next(i)
		s := t.slots[j]
		if s.en == nil || t.home(s.id) == j {
			break
		}
		t.slots[i] = s
		i = j
	}
	t.slots[i] = idSlot{}
	t.n--
	if len(t.slots) > idTableMin && t.n*10 < len(t.slots)*idFillMin {
		t.resize(idSize(t.n))
	}
}

func (t *idTable) resize(size int) {
	old := t.slots
	// Whatever its size class or its last page adds is room too: 4 KB a
	// shard on average at 1M keys over 256 shards.
	t.slots = make([]idSlot, allocWords(2*size)/2)
	for _, s := range old {
		if s.en != nil {
			t.place(s)
		}
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
