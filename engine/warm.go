package engine

// MaxWarm is the most keys one Warm call handles.
const MaxWarm = 32

// Warm brings the index slots and entries of keys into the CPU cache, so
// that the commands about to run on them find them there.
//
// A point lookup costs two cache misses (the index slot, then the entry),
// and on a server with more keys than the cache holds they are most of a
// GET's or an INCR's time. One at a time, each command waits for its misses
// in turn. A pipelined batch is known in advance, though: Warm issues the
// slot loads of all its keys back to back, so the CPU has them in flight
// together, then the entry loads likewise. Sixteen commands then wait about
// as long as two.
//
// It only reads, under read locks; nothing it does is visible.
func (tx *Tx) Warm(ns *Namespace, keys [][]byte) {
	if len(keys) > MaxWarm {
		keys = keys[:MaxWarm]
	}
	if len(keys) == 0 || tx.n != 0 {
		return
	}
	var ids [MaxWarm]uint64
	var shards [MaxWarm]*shard
	tx.ns, tx.write, tx.all = ns, false, false
	for i, k := range keys {
		h := tx.e.hash(k)
		s := tx.e.shardOf(h)
		tx.set[s>>6] |= 1 << (s & 63)
		ids[i], shards[i] = treeID(ns.ID, h), &tx.e.shards[s]
	}
	tx.lockSet()
	// The loops are kept short and their loads independent of each other,
	// so they fit the CPU's reorder window together.
	var sink uint64
	for i := range keys {
		sink += shards[i].index.touch(ids[i])
	}
	for i := range keys {
		if en := shards[i].index.get(ids[i]); en != nil && en.klen > 0 {
			// The key's bytes: for most keys they share the entry's
			// allocation, on its second cache line, with a short value.
			sink += uint64(en.keyString()[en.klen-1])
		}
	}
	tx.sink += sink
	tx.unlockSet()
	tx.n = 0
}
