package engine

import (
	"slices"
	"sort"
)

// idSet is a shard's ordered set of chain ids: the order walks (SCAN,
// KEYS, snapshots, eviction's samples) follow, beside the id table that
// point lookups use.
//
// It is a list of sorted blocks of at most idBlockMax ids, each block's
// array sized to one of Go's size classes a little above its length, so an
// id costs about 9 bytes. The tree library it replaces grew its nodes'
// arrays by append's doubling and split full leaves in half: 14.7 bytes an
// id over 1M random ids, plus the holes its discarded arrays left in the
// heap. A block is found by a binary search over the blocks' first ids
// (one small array), then within the block: walks and inserts are as
// quick as the tree's at the sizes a shard holds.
type idSet struct {
	firsts []uint64   // firsts[i] == blocks[i][0]
	blocks [][]uint64 // each sorted and non-empty; all of block i < all of block i+1
	n      int
}

const (
	idBlockMax   = 256 // ids: 2 KB, the largest block; a full one splits in two
	idBlockMerge = 64  // a block shorter than this merges with a neighbour when both fit in 3/4 of a block
)

// idClasses are the lengths of []uint64 arrays that fill one of Go's size
// classes (8 bytes to 32 KB) exactly.
var idClasses = [...]int{1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 28, 32, 36, 40, 44, 48, 52, 56,
	60, 64, 72, 80, 88, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 336, 384, 400, 432,
	512, 608, 672, 768, 816, 848, 864, 1024, 1184, 1216, 1280, 1360, 1536, 1696, 1792, 2048, 2304, 2384,
	2560, 2720, 3072, 3408, 3584, 4096}

// allocWords is the number of 8-byte words an allocation of at least n
// words really takes: its size class up to 32 KB, whole 8 KB pages above.
func allocWords(n int) int {
	if i := sort.SearchInts(idClasses[:], n); i < len(idClasses) {
		return idClasses[i]
	}
	return (n + 1023) / 1024 * 1024
}

// idCap is the capacity given to a block array of n ids: about an eighth
// more, rounded up to a size class, so a block grows a few times on its
// way to idBlockMax, each time copying at most 2 KB.
func idCap(n int) int { return min(allocWords(n+n/8+1), idBlockMax) }

// block is the index of the block that holds id or would: the last whose
// first id is at most id, or 0.
func (s *idSet) block(id uint64) int {
	i := sort.Search(len(s.firsts), func(i int) bool { return s.firsts[i] > id })
	return max(i-1, 0)
}

func (s *idSet) Len() int { return s.n }

// Insert adds id (nothing when present).
func (s *idSet) Insert(id uint64) {
	if len(s.blocks) == 0 {
		b := make([]uint64, 1, idCap(1))
		b[0] = id
		s.blocks, s.firsts = [][]uint64{b}, []uint64{id}
		s.n = 1
		return
	}
	bi := s.block(id)
	b := s.blocks[bi]
	j, found := slices.BinarySearch(b, id)
	if found {
		return
	}
	s.n++
	if len(b) == idBlockMax {
		// Split in two halves, each in an array of its own size class; an
		// insertion past the set's last id (a load in id order) leaves the
		// full block as it is and starts a new one instead.
		if bi == len(s.blocks)-1 && j == len(b) {
			nb := make([]uint64, 1, idCap(1))
			nb[0] = id
			s.blocks = slices.Insert(s.blocks, bi+1, nb)
			s.firsts = slices.Insert(s.firsts, bi+1, id)
			return
		}
		h := idBlockMax / 2
		left := append(make([]uint64, 0, idCap(h+1)), b[:h]...)
		right := append(make([]uint64, 0, idCap(h+1)), b[h:]...)
		s.blocks[bi] = left
		s.blocks = slices.Insert(s.blocks, bi+1, right)
		s.firsts = slices.Insert(s.firsts, bi+1, right[0])
		if j > h {
			bi, b, j = bi+1, right, j-h
		} else {
			b = left
		}
	}
	if len(b) == cap(b) {
		nb := make([]uint64, len(b), idCap(len(b)+1))
		copy(nb, b)
		b = nb
	}
	b = slices.Insert(b, j, id)
	s.blocks[bi] = b
	s.firsts[bi] = b[0]
}

// Delete removes id (nothing when absent).
func (s *idSet) Delete(id uint64) {
	if s.n == 0 {
		return
	}
	bi := s.block(id)
	b := s.blocks[bi]
	j, found := slices.BinarySearch(b, id)
	if !found {
		return
	}
	s.n--
	b = slices.Delete(b, j, j+1)
	if len(b) == 0 {
		s.blocks = slices.Delete(s.blocks, bi, bi+1)
		s.firsts = slices.Delete(s.firsts, bi, bi+1)
		if len(s.blocks) == 0 {
			s.blocks, s.firsts = nil, nil
		}
		return
	}
	s.blocks[bi], s.firsts[bi] = b, b[0]
	if len(b) < idBlockMerge {
		// Merge with the smaller neighbour when both fit in 3/4 of a block,
		// so deletions cannot leave many near-empty blocks.
		o := -1
		if bi > 0 {
			o = bi - 1
		}
		if bi+1 < len(s.blocks) && (o < 0 || len(s.blocks[bi+1]) < len(s.blocks[o])) {
			o = bi + 1
		}
		if o >= 0 && len(b)+len(s.blocks[o]) <= idBlockMax*3/4 {
			lo := min(bi, o)
			a, c := s.blocks[lo], s.blocks[lo+1]
			m := append(make([]uint64, 0, idCap(len(a)+len(c))), a...)
			m = append(m, c...)
			s.blocks[lo] = m
			s.blocks = slices.Delete(s.blocks, lo+1, lo+2)
			s.firsts = slices.Delete(s.firsts, lo+1, lo+2)
			return
		}
	}
	if cap(b) > 2*idCap(len(b)) {
		// Given back once under about half full.
		s.blocks[bi] = append(make([]uint64, 0, idCap(len(b))), b...)
	}
}

// Ascend calls fn for the ids from pivot on, in order, until fn returns
// false. fn must not change the set.
func (s *idSet) Ascend(pivot uint64, fn func(id uint64) bool) {
	if s.n == 0 {
		return
	}
	bi := s.block(pivot)
	j, _ := slices.BinarySearch(s.blocks[bi], pivot)
	for ; bi < len(s.blocks); bi, j = bi+1, 0 {
		for _, id := range s.blocks[bi][j:] {
			if !fn(id) {
				return
			}
		}
	}
}

// compact moves the blocks into a few shared arrays of at most 32 KB (a
// larger one would be rounded up to whole pages), each block keeping a
// sixteenth of its length as spare room, the last of an array whatever
// its size class adds. Blocks grow and split into arrays of their own size
// classes, and the arrays they leave behind are holes among the live ones
// (after a load of 1M keys the heap's partly free spans held 6.1 MB;
// packed, 3.7); copied together, the old arrays are all garbage and their spans
// free. A block that outgrows its room moves to an array of its own again,
// so until the next compaction a shared array may stay alive for a few
// blocks: at most the set's size once more.
func (s *idSet) compact() {
	if s.n == 0 {
		return
	}
	const chunk = 4096 // ids: 32 KB, the largest size class
	room := func(b []uint64) int { return len(b) + len(b)/16 }
	for i := 0; i < len(s.blocks); {
		need, j := 0, i
		for j < len(s.blocks) && need+room(s.blocks[j]) <= chunk {
			need += room(s.blocks[j])
			j++
		}
		arena := make([]uint64, allocWords(need))
		at := 0
		for k := i; k < j; k++ {
			b := s.blocks[k]
			end := at + room(b)
			if k == j-1 {
				end = len(arena)
			}
			copy(arena[at:], b)
			s.blocks[k] = arena[at : at+len(b) : end]
			at = end
		}
		i = j
	}
	s.blocks = slices.Clip(append([][]uint64(nil), s.blocks...))
	s.firsts = slices.Clip(append([]uint64(nil), s.firsts...))
}
