package engine

import (
	"container/heap"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
)

// Point-in-time snapshots without fork and without stalling writers.
//
// Values are changed in place, so copying the trees at the cut would not
// freeze them. Instead (as Dragonfly does) a snapshot walks each shard in
// tree-id order in small batches, and a writer that is about to change a
// chain the walk has not reached yet first encodes that chain as it was
// (its pre-image) into the shard's side buffer and marks its id done, so
// the walk skips it. Every chain is thus encoded exactly once, as it was at
// the cut: by the walk if nobody touched it first, by its first writer
// otherwise. A key created after the cut lands on an id the writer marked
// done (its pre-image is empty), so it is not in the snapshot.
//
// The cut itself locks every shard (write) once: O(shards). With no
// snapshot running a write pays one atomic load (Engine.snap).
//
// Where writes are caught: every key a write-locked transaction addresses
// goes through Tx.locate, which pre-images its chain; a walk under a write
// lock (Flush, EXEC of a keyspace command) pre-images each chain before
// handing it out; active expiry pre-images before reclaiming. The engine
// then checks every change (insert, unlink, TTL, Updated) against the
// snapshot's progress while one runs: a change to an id neither done nor
// passed would put post-cut data in the snapshot, so it marks the snapshot
// failed (Snapshot.Err) rather than let a wrong file be written.
//
// Memory: a pre-image is held in its shard's side buffer until the walk
// reaches that shard (or the serializer's next batch there) and is written
// out. Each chain is encoded once, so the side buffers never hold more
// than the snapshot's own encoded size, and a writer never waits for the
// disk: it pays only the encoding of the chain it touches first.

// SnapshotEncoder appends the encoding of en, a key of ns, to dst. It runs
// under the key's shard lock (the walk's or a writer's), so it must not
// take shard locks and must not keep en.
type SnapshotEncoder func(dst []byte, ns *Namespace, en *Entry) []byte

// ErrSnapshotRunning is returned by BeginSnapshot while another runs.
var ErrSnapshotRunning = errors.New("engine: a snapshot is already running")

// errSnapshotEscaped marks a snapshot a write got past (a bug: see above).
var errSnapshotEscaped = errors.New("engine: a write changed a key the snapshot had not captured yet; snapshot abandoned")

// Snapshot is a running point-in-time snapshot: Next hands out its
// encoded entries shard by shard; End finishes or abandons it.
type Snapshot struct {
	e      *Engine
	enc    SnapshotEncoder
	shards []snapShard
	errMu  sync.Mutex
	err    error
	// pending is the bytes waiting in side buffers, over every shard.
	pending atomic.Int64
}

// snapShard is a snapshot's progress in one shard, guarded by the shard's
// lock.
type snapShard struct {
	next     uint64              // the walk has encoded every id below next
	done     map[uint64]struct{} // ids >= next already pre-imaged
	side     []byte              // pre-images not handed out yet
	finished bool
	keys     int64 // entries encoded (walk and pre-images)
	pre      int64 // entries encoded by writers (pre-images)
}

// snapBatch is how many chains the walk encodes under one hold of a
// shard's lock: a writer waits for at most that much encoding.
const snapBatch = 128

// BeginSnapshot starts a snapshot at this instant: it locks every shard
// exclusively, runs cut (if not nil) while they are held, so nothing
// changes between the cut and what cut observes (the write hook's
// sequence), and lets go. A flush walk that took its place in the order
// of writes before the cut is waited for first (flushGate), so the cut is
// never inside one.
func (e *Engine) BeginSnapshot(enc SnapshotEncoder, cut func()) (*Snapshot, error) {
	s := &Snapshot{e: e, enc: enc, shards: make([]snapShard, len(e.shards))}
	for i := range s.shards {
		s.shards[i].done = map[uint64]struct{}{}
	}
	e.flushGate.Lock()
	defer e.flushGate.Unlock()
	for i := range e.shards {
		e.shards[i].mu.Lock()
	}
	defer func() {
		for i := len(e.shards) - 1; i >= 0; i-- {
			e.shards[i].mu.Unlock()
		}
	}()
	if e.snap.Load() != nil {
		return nil, ErrSnapshotRunning
	}
	e.snap.Store(s)
	if cut != nil {
		cut()
	}
	return s, nil
}

// Shards is the number of shards Next walks.
func (s *Snapshot) Shards() int { return len(s.shards) }

// Next appends to dst the pre-images shard i holds and the next batch of
// chains of its walk, and reports whether the shard is complete (nothing
// more will come from it). It takes the shard's lock for one batch.
func (s *Snapshot) Next(i int, dst []byte) ([]byte, bool) {
	sh := &s.e.shards[i]
	ss := &s.shards[i]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	dst = s.takeSide(ss, dst)
	if ss.finished {
		return dst, true
	}
	byID := *s.e.byID.Load()
	n, more := 0, false
	sh.ascend(ss.next, func(id uint64, head *Entry) bool {
		if n == snapBatch {
			more = true
			return false
		}
		n++
		ss.next = id + 1
		if _, ok := ss.done[id]; ok {
			delete(ss.done, id)
			return true
		}
		ns := byID[nsOf(id)]
		for en := head; en != nil; en = sh.next(en) {
			dst = s.enc(dst, ns, en)
			ss.keys++
		}
		return ss.next != 0 // id was the largest possible
	})
	if !more {
		ss.finished, ss.done = true, nil
	}
	return dst, !more
}

// takeSide appends a shard's pre-images to dst and empties its side
// buffer; the caller holds the shard's lock.
func (s *Snapshot) takeSide(ss *snapShard, dst []byte) []byte {
	if len(ss.side) == 0 {
		return dst
	}
	dst = append(dst, ss.side...)
	s.pending.Add(-int64(len(ss.side)))
	ss.side = recycle(ss.side)
	return dst
}

// Pending is the bytes of pre-images waiting in side buffers.
func (s *Snapshot) Pending() int64 { return s.pending.Load() }

// Drain appends the pre-images shard i holds to dst, without walking:
// the serializer empties every shard's side buffer when they hold much,
// so they never wait for the walk to reach their shard.
func (s *Snapshot) Drain(i int, dst []byte) []byte {
	sh := &s.e.shards[i]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return s.takeSide(&s.shards[i], dst)
}

// recycle empties a side buffer, keeping a small one for reuse.
func recycle(b []byte) []byte {
	if cap(b) > 1<<20 {
		return nil
	}
	return b[:0]
}

// Keys is how many entries the snapshot has encoded so far (expired ones
// not reclaimed at the cut included).
func (s *Snapshot) Keys() int64 { return s.sum(func(ss *snapShard) int64 { return ss.keys }) }

// Preimaged is how many of the entries encoded were encoded by writers
// ahead of the walk.
func (s *Snapshot) Preimaged() int64 { return s.sum(func(ss *snapShard) int64 { return ss.pre }) }

// sum adds a per-shard count, each read under its shard's lock (writers
// change them as they take pre-images).
func (s *Snapshot) sum(count func(*snapShard) int64) int64 {
	var n int64
	for i := range s.shards {
		sh := &s.e.shards[i]
		sh.mu.RLock()
		n += count(&s.shards[i])
		sh.mu.RUnlock()
	}
	return n
}

// Err reports a write that escaped the protocol; the snapshot must then
// not be used.
func (s *Snapshot) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// End stops the snapshot (complete or not): writers stop pre-imaging.
func (s *Snapshot) End() {
	for i := range s.shards {
		sh := &s.e.shards[i]
		sh.mu.Lock()
		s.shards[i].finished, s.shards[i].done, s.shards[i].side = true, nil, nil
		sh.mu.Unlock()
	}
	s.e.snap.CompareAndSwap(s, nil)
}

// preimage encodes the chain at id in shard i as it is now, unless the
// snapshot has it already. The caller holds shard i's lock exclusively
// and is about to (possibly) change the chain.
func (e *Engine) preimage(i int, id uint64) {
	s, ss := e.uncaptured(i, id)
	if ss == nil {
		return
	}
	ss.done[id] = struct{}{}
	before := len(ss.side)
	var ns *Namespace
	for en := e.shards[i].index.get(id); en != nil; en = e.shards[i].next(en) {
		if ns == nil {
			ns = (*e.byID.Load())[nsOf(id)]
		}
		ss.side = s.enc(ss.side, ns, en)
		ss.keys++
		ss.pre++
	}
	if n := len(ss.side) - before; n > 0 {
		s.pending.Add(int64(n))
	}
}

// uncaptured returns the running snapshot and shard i's state in it when
// the chain at id is neither walked nor pre-imaged yet; nil otherwise.
// The caller holds shard i's lock.
func (e *Engine) uncaptured(i int, id uint64) (*Snapshot, *snapShard) {
	s := e.snap.Load()
	if s == nil {
		return nil, nil
	}
	ss := &s.shards[i]
	if ss.finished || id < ss.next {
		return nil, nil
	}
	if _, ok := ss.done[id]; ok {
		return nil, nil
	}
	return s, ss
}

// snapCheck verifies, while a snapshot runs, that a change to the chain
// at id of shard i comes after that chain was captured.
func (e *Engine) snapCheck(i int, id uint64) {
	s, ss := e.uncaptured(i, id)
	if ss == nil {
		return
	}
	s.errMu.Lock()
	if s.err == nil {
		s.err = errSnapshotEscaped
	}
	s.errMu.Unlock()
}

// snapCheckKey is snapCheck for a key of the transaction's namespace.
func (tx *Tx) snapCheckKey(key []byte) {
	if tx.e.snap.Load() == nil {
		return
	}
	h := tx.e.hash(key)
	tx.e.snapCheck(tx.e.shardOf(h), treeID(tx.ns.ID, h))
}

// ---- what the codec needs of the value types ----

// SetFromMembers builds a set with the given encoding (intset: false for
// "hashtable") holding members in that order. It reports false when an
// intset was asked for members that are not all canonical integers, or
// when members repeat.
func SetFromMembers(members [][]byte, hashtable bool) (*Set, bool) {
	s := NewSet()
	if hashtable {
		// Packed while the members fit, as SADD would have left them.
		s.form = setPacked
	}
	for _, m := range members {
		if !s.Add(m) {
			return nil, false
		}
	}
	if !hashtable && s.form != setIntset {
		return nil, false
	}
	return s, true
}

// IsHashtable reports whether the set is "hashtable" (not "intset").
func (s *Set) IsHashtable() bool { return s.form != setIntset }

// HashFromFields builds a hash from field-value pairs in order with the
// given state: packed (small, as built), unpacked "listpack", or
// "hashtable". It reports false when a field repeats or the state cannot
// hold the fields (a packed hash of long or many fields).
func HashFromFields(pairs [][]byte, unpacked, table bool) (*Hash, bool) {
	if len(pairs)%2 != 0 || table && !unpacked {
		return nil, false
	}
	h := NewHash()
	if unpacked {
		h.unpack()
	}
	if table {
		h.convert()
	}
	for i := 0; i < len(pairs); i += 2 {
		if !h.Set(pairs[i], pairs[i+1]) {
			return nil, false
		}
	}
	if h.unpacked != unpacked || h.table != table {
		return nil, false
	}
	return h, true
}

// Unpacked reports whether the hash's fields left the packed form.
func (h *Hash) Unpacked() bool { return h.unpacked }

// ZSetWithEncoding returns an empty sorted set whose encoding starts as
// "skiplist" when skiplist, "listpack" otherwise (it may still grow into
// "skiplist" as members are added, as any set does).
func ZSetWithEncoding(skiplist bool) *ZSet {
	z := NewZSet(0, 0)
	if skiplist {
		z.pkUnpack()
	}
	return z
}

// StreamNode is one listpack node of a stream as a snapshot keeps it: its
// master fields, its listpack size as Redis sizes it, and its entries,
// deleted ones included (they decide the node's boundaries).
type StreamNode struct {
	Fields  [][]byte
	LPBytes int
	Entries []StreamEntry
}

// Deleted reports whether the entry is a deleted one kept in its node.
func (e *StreamEntry) Deleted() bool { return e.deleted }

// EachNode calls fn with each node in order; the node's slices alias the
// stream and are valid only during the call.
func (s *Stream) EachNode(fn func(nd StreamNode) bool) {
	s.nodes.Scan(func(nd *streamNode) bool {
		return fn(StreamNode{Fields: nd.fields, LPBytes: nd.lpBytes, Entries: nd.entries})
	})
}

// AddNode appends a node built by EachNode's reader (which keeps the
// slices given). It reports false when the node is empty or without a
// live entry, or its ids are not increasing past the stream's last node.
func (s *Stream) AddNode(nd StreamNode, deleted []bool) bool {
	if len(nd.Entries) == 0 || len(deleted) != len(nd.Entries) || nd.LPBytes < 0 {
		return false
	}
	prev := StreamID{}
	hasPrev := false
	if last, ok := s.nodes.Max(); ok {
		prev, hasPrev = last.lastID(), true
	}
	n := &streamNode{master: nd.Entries[0].ID, fields: nd.Fields, lpBytes: nd.LPBytes, entries: nd.Entries}
	for i := range n.entries {
		e := &n.entries[i]
		if hasPrev && !prev.Less(e.ID) {
			return false
		}
		prev, hasPrev = e.ID, true
		e.deleted = deleted[i]
		if e.deleted {
			e.Fields = nil
			continue
		}
		if len(e.Fields) == 0 || len(e.Fields)%2 != 0 {
			return false
		}
		n.live++
		s.length++
		s.size += fieldsSize(e.Fields)
		s.elems += len(e.Fields)
	}
	if n.live == 0 {
		return false
	}
	s.nodes.Set(n)
	return true
}

// QueueState is a queue as a snapshot keeps it: settings, counters, the
// next id, and every message in its state, ready ones in delivery order.
type QueueState struct {
	Config   QueueConfig
	Stats    QueueStats
	Next     uint64
	Ready    []*QueueMsg // delivery order: highest priority first, FIFO within
	Delayed  []*QueueMsg // by due time
	InFlight []*QueueMsg // by deadline
	Dead     []*QueueMsg
}

// State returns the queue's state; the messages are the queue's own, valid
// while it is unchanged.
func (q *Queue) State() QueueState {
	st := QueueState{Config: q.Config, Stats: q.Stats, Next: q.next}
	q.EachReady(func(m *QueueMsg) bool {
		st.Ready = append(st.Ready, m)
		return true
	})
	for _, it := range q.delay {
		st.Delayed = append(st.Delayed, it.m)
	}
	slices.SortFunc(st.Delayed, func(a, b *QueueMsg) int {
		if a.Due != b.Due {
			return cmpInt(a.Due, b.Due)
		}
		return cmpInt(int64(a.ID), int64(b.ID))
	})
	st.InFlight = append(st.InFlight, q.dl...)
	slices.SortFunc(st.InFlight, func(a, b *QueueMsg) int {
		if a.Deadline != b.Deadline {
			return cmpInt(a.Deadline, b.Deadline)
		}
		return cmpInt(int64(a.ID), int64(b.ID))
	})
	st.Dead = append(st.Dead, q.dead...)
	return st
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// QueueFromState rebuilds a queue (taking the messages given). Messages
// that were in flight come back as a delivery whose deadline passed does:
// ready again at the head of their priority with their delivery count,
// or dead (dropped without a dead-letter queue) once their retries are
// spent, so after a restart they are delivered again. It reports false
// for a state no queue could be in (ids repeated or not below Next, a
// priority out of range).
func QueueFromState(st QueueState) (*Queue, bool) {
	q := NewQueue(st.Config)
	q.Stats, q.next = st.Stats, st.Next
	seen := make(map[uint64]struct{}, len(st.Ready)+len(st.Delayed)+len(st.InFlight)+len(st.Dead))
	add := func(m *QueueMsg) bool {
		if _, dup := seen[m.ID]; dup || m.ID == 0 || m.ID > st.Next || m.Priority >= QueuePriorities || m.Deliveries < 0 {
			return false
		}
		seen[m.ID] = struct{}{}
		q.n++
		q.size += int64(len(m.Payload))
		m.Consumer, m.Deadline, m.at = "", 0, -1
		return true
	}
	for _, m := range st.Ready {
		if !add(m) {
			return nil, false
		}
		m.Due, m.state = 0, msgReady
		q.ready[m.Priority].push(m)
	}
	for _, m := range st.Delayed {
		if !add(m) {
			return nil, false
		}
		m.state = msgDelayed
		heap.Push(&q.delay, heapItem{m.Due, m.ID, m})
	}
	// In flight stays in flight until its deadline, as after a replay of
	// the log: a consumer that finished a message while the server was
	// down can still ack it, and one that did not gets it again when the
	// deadline passes (the sweeper is told, commands.LoadedQueue).
	for _, m := range st.InFlight {
		consumer, deadline := m.Consumer, m.Deadline
		if !add(m) || deadline <= 0 {
			return nil, false
		}
		m.Due, m.state, m.Consumer, m.Deadline = 0, msgInFlight, consumer, deadline
		q.size += int64(len(consumer))
		q.flight[m.ID] = m
		heap.Push(&q.dl, m)
	}
	q.flightPeak = len(q.flight)
	for _, m := range st.Dead {
		if !add(m) {
			return nil, false
		}
		m.Due, m.state = 0, msgDead
		q.dead = append(q.dead, m)
	}
	return q, true
}

// snapCheckID is snapCheck for a chain the transaction changes (an id's
// low 32 bits are its hash, which names its shard).
func (tx *Tx) snapCheckID(_ *shard, id uint64) {
	if tx.e.snap.Load() == nil {
		return
	}
	tx.e.snapCheck(tx.e.shardOf(uint32(id)), id)
}

// Key is the key the entry is stored under ("" for an entry not stored).
func (e *Entry) Key() string { return e.keyString() }
