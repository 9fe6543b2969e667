package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Streams, as Redis 7.0 serializes them (RDB_TYPE_STREAM_LISTPACKS_2;
// Redis 5 to 6.2's RDB_TYPE_STREAM_LISTPACKS is read too): the entries in
// listpack nodes keyed by their master id, the stream's counters, then the
// consumer groups with their pending entries and consumers.
const (
	TypeStreamListpacks  = 15
	TypeStreamListpacks2 = 19
)

// StreamID is an entry id.
type StreamID struct{ Ms, Seq uint64 }

func (a StreamID) less(b StreamID) bool { return a.Ms < b.Ms || a.Ms == b.Ms && a.Seq < b.Seq }

// StreamEntry is one entry: its fields and values alternating.
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// StreamNack is a group's pending entry: delivered, not acknowledged.
type StreamNack struct {
	ID            StreamID
	DeliveryTime  int64 // unix ms
	DeliveryCount uint64
}

// StreamConsumer is a group's consumer and the ids it holds (each one of
// its group's pending entries).
type StreamConsumer struct {
	Name     []byte
	SeenTime int64 // unix ms
	Pending  []StreamID
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64 // -1: unknown
	Pending     []StreamNack
	Consumers   []StreamConsumer
}

// Stream is a decoded stream, or one to encode. Entries are the live ones,
// in id order.
type Stream struct {
	Entries      []StreamEntry
	LastID       StreamID
	FirstID      StreamID
	MaxDeletedID StreamID
	EntriesAdded uint64
	Groups       []StreamGroup
}

// Listpack entry flags of a stream node (t_stream.c).
const (
	streamDeleted    = 1
	streamSameFields = 2
)

// streamNodeEntries is how many entries DumpStream puts in a node, as
// Redis's stream-node-max-entries does by default.
const streamNodeEntries = 100

// DumpStream is the payload of a stream in Redis 7.0's encoding.
func DumpStream(s *Stream) []byte {
	b := []byte{TypeStreamListpacks2}
	nodes := (len(s.Entries) + streamNodeEntries - 1) / streamNodeEntries
	b = AppendLen(b, uint64(nodes))
	for i := 0; i < len(s.Entries); i += streamNodeEntries {
		node := s.Entries[i:min(i+streamNodeEntries, len(s.Entries))]
		master := node[0].ID
		var key [16]byte
		binary.BigEndian.PutUint64(key[:8], master.Ms)
		binary.BigEndian.PutUint64(key[8:], master.Seq)
		b = AppendString(b, key[:])
		b = AppendString(b, streamListpack(master, node))
	}
	for _, n := range []uint64{uint64(len(s.Entries)), s.LastID.Ms, s.LastID.Seq, s.FirstID.Ms, s.FirstID.Seq,
		s.MaxDeletedID.Ms, s.MaxDeletedID.Seq, s.EntriesAdded, uint64(len(s.Groups))} {
		b = AppendLen(b, n)
	}
	for _, g := range s.Groups {
		b = AppendString(b, g.Name)
		b = AppendLen(b, g.LastID.Ms)
		b = AppendLen(b, g.LastID.Seq)
		b = AppendLen(b, uint64(g.EntriesRead)) // -1 as Redis writes it: all ones
		b = AppendLen(b, uint64(len(g.Pending)))
		for _, p := range g.Pending {
			b = appendRawID(b, p.ID)
			b = binary.LittleEndian.AppendUint64(b, uint64(p.DeliveryTime))
			b = AppendLen(b, p.DeliveryCount)
		}
		b = AppendLen(b, uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			b = AppendString(b, c.Name)
			b = binary.LittleEndian.AppendUint64(b, uint64(c.SeenTime))
			b = AppendLen(b, uint64(len(c.Pending)))
			for _, id := range c.Pending {
				b = appendRawID(b, id)
			}
		}
	}
	return seal(b)
}

func appendRawID(b []byte, id StreamID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

// streamListpack encodes a node: the master entry (live count, deleted
// count, the first entry's field names, a zero), then each entry with its
// id relative to the master, its values alone when its field names are
// the master's, and the count of its listpack elements.
func streamListpack(master StreamID, node []StreamEntry) []byte {
	var w lpWriter
	w.start()
	mf := node[0].Fields
	w.int(int64(len(node)))
	w.int(0)
	w.int(int64(len(mf) / 2))
	for i := 0; i < len(mf); i += 2 {
		w.str(mf[i])
	}
	w.int(0)
	for _, e := range node {
		same := len(e.Fields) == len(mf)
		for i := 0; same && i < len(mf); i += 2 {
			same = string(e.Fields[i]) == string(mf[i])
		}
		n := int64(len(e.Fields) / 2)
		if same {
			w.int(streamSameFields)
		} else {
			w.int(0)
		}
		w.int(int64(e.ID.Ms - master.Ms))
		w.int(int64(e.ID.Seq - master.Seq))
		if same {
			for i := 1; i < len(e.Fields); i += 2 {
				w.str(e.Fields[i])
			}
			w.int(n + 3)
		} else {
			w.int(n)
			for _, f := range e.Fields {
				w.str(f)
			}
			w.int(2*n + 4)
		}
	}
	return w.finish()
}

// lpWriter builds a listpack as Redis's listpack.c encodes one.
type lpWriter struct {
	b []byte
	n int
}

func (w *lpWriter) start() { w.b = make([]byte, 6, 256) }

// str appends s, as an integer when it is one in canonical form (Redis's
// lpAppend stores those so).
func (w *lpWriter) str(s []byte) {
	if len(s) > 0 && len(s) <= 20 {
		if v, err := strconv.ParseInt(string(s), 10, 64); err == nil && strconv.FormatInt(v, 10) == string(s) {
			w.int(v)
			return
		}
	}
	start := len(w.b)
	switch n := len(s); {
	case n < 1<<6:
		w.b = append(w.b, 0x80|byte(n))
	case n < 1<<12:
		w.b = append(w.b, 0xe0|byte(n>>8), byte(n))
	default:
		w.b = binary.LittleEndian.AppendUint32(append(w.b, 0xf0), uint32(n))
	}
	w.b = append(w.b, s...)
	w.backlen(len(w.b) - start)
}

func (w *lpWriter) int(v int64) {
	start := len(w.b)
	switch {
	case v >= 0 && v <= 127:
		w.b = append(w.b, byte(v))
	case v >= -4096 && v < 4096:
		u := uint64(v) & 0x1fff
		w.b = append(w.b, 0xc0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		w.b = binary.LittleEndian.AppendUint16(append(w.b, 0xf1), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		u := uint32(v)
		w.b = append(w.b, 0xf2, byte(u), byte(u>>8), byte(u>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		w.b = binary.LittleEndian.AppendUint32(append(w.b, 0xf3), uint32(v))
	default:
		w.b = binary.LittleEndian.AppendUint64(append(w.b, 0xf4), uint64(v))
	}
	w.backlen(len(w.b) - start)
}

// backlen appends an element's size for walking back (lpEncodeBacklen).
func (w *lpWriter) backlen(l int) {
	n := ListpackBacklen(l)
	for i := n - 1; i >= 0; i-- {
		c := byte(l>>(7*i)) & 127
		if i != n-1 {
			c |= 128
		}
		w.b = append(w.b, c)
	}
	w.n++
}

// ListpackBacklen is the bytes of the back-length of a listpack element
// whose encoding and data take l bytes, by Redis's bounds (one short of
// each power of 128 takes the next size). The engine sizes its stream
// nodes with it, as Redis does.
func ListpackBacklen(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func (w *lpWriter) finish() []byte {
	w.b = append(w.b, 0xff)
	binary.LittleEndian.PutUint32(w.b, uint32(len(w.b)))
	binary.LittleEndian.PutUint16(w.b[4:], uint16(min(w.n, 65535)))
	return w.b
}

// stream decodes a stream's body (v2: Redis 7.0's, with the counters it
// added). Everything Redis would load is checked to hang together: ids in
// order and within the last id, each node's counts, every pending entry of
// a group held by one of its consumers and no other.
func (r *Reader) stream(v2 bool) (*Stream, error) {
	nodes, err := r.count(2)
	if err != nil {
		return nil, err
	}
	s := &Stream{}
	for range nodes {
		key, err := r.String()
		if err != nil || len(key) != 16 {
			return nil, ErrFormat
		}
		blob, err := r.String()
		if err != nil {
			return nil, ErrFormat
		}
		items, err := listpack(blob)
		if err != nil || len(items) == 0 {
			return nil, ErrFormat
		}
		master := StreamID{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}
		if s.Entries, err = streamNode(master, items, s.Entries); err != nil {
			return nil, err
		}
	}
	var n [8]uint64
	want := 3
	if v2 {
		want = 8
	}
	for i := range want {
		if n[i], err = r.Len(); err != nil {
			return nil, ErrFormat
		}
	}
	if n[0] != uint64(len(s.Entries)) {
		return nil, ErrFormat
	}
	s.LastID = StreamID{n[1], n[2]}
	if len(s.Entries) > 0 && s.LastID.less(s.Entries[len(s.Entries)-1].ID) {
		return nil, ErrFormat
	}
	if v2 {
		s.FirstID, s.MaxDeletedID, s.EntriesAdded = StreamID{n[3], n[4]}, StreamID{n[5], n[6]}, n[7]
		if s.EntriesAdded < uint64(len(s.Entries)) {
			return nil, ErrFormat
		}
	} else {
		// Redis 7.0 loading an older stream: the first entry's id, and
		// every entry counted as added.
		s.EntriesAdded = uint64(len(s.Entries))
		if len(s.Entries) > 0 {
			s.FirstID = s.Entries[0].ID
		}
	}
	groups, err := r.count(5)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for range groups {
		g, err := r.streamGroup(s, v2)
		if err != nil {
			return nil, err
		}
		if seen[string(g.Name)] {
			return nil, ErrFormat
		}
		seen[string(g.Name)] = true
		s.Groups = append(s.Groups, g)
	}
	return s, nil
}

func (r *Reader) streamGroup(s *Stream, v2 bool) (StreamGroup, error) {
	var g StreamGroup
	var err error
	if g.Name, err = r.String(); err != nil {
		return g, ErrFormat
	}
	ms, err1 := r.Len()
	seq, err2 := r.Len()
	if err1 != nil || err2 != nil {
		return g, ErrFormat
	}
	g.LastID = StreamID{ms, seq}
	switch {
	case v2:
		read, err := r.Len()
		if err != nil {
			return g, ErrFormat
		}
		g.EntriesRead = int64(read)
		if g.EntriesRead < -1 {
			return g, ErrFormat
		}
	case g.LastID == s.LastID:
		// As Redis 7.0 estimates it for an older stream: known only for
		// a group that has read everything.
		g.EntriesRead = int64(s.EntriesAdded)
	default:
		g.EntriesRead = -1
	}
	pending, err := r.count(16 + 8 + 1)
	if err != nil {
		return g, err
	}
	owner := make(map[StreamID]bool, pending)
	for range pending {
		raw, err := r.take(16 + 8)
		if err != nil {
			return g, ErrFormat
		}
		p := StreamNack{ID: StreamID{binary.BigEndian.Uint64(raw), binary.BigEndian.Uint64(raw[8:])},
			DeliveryTime: int64(binary.LittleEndian.Uint64(raw[16:]))}
		if p.DeliveryCount, err = r.Len(); err != nil {
			return g, ErrFormat
		}
		if _, dup := owner[p.ID]; dup || len(g.Pending) > 0 && !g.Pending[len(g.Pending)-1].ID.less(p.ID) {
			return g, ErrFormat
		}
		owner[p.ID] = false
		g.Pending = append(g.Pending, p)
	}
	consumers, err := r.count(1 + 8 + 1)
	if err != nil {
		return g, err
	}
	names := map[string]bool{}
	for range consumers {
		var c StreamConsumer
		if c.Name, err = r.String(); err != nil || names[string(c.Name)] {
			return g, ErrFormat
		}
		names[string(c.Name)] = true
		raw, err := r.take(8)
		if err != nil {
			return g, ErrFormat
		}
		c.SeenTime = int64(binary.LittleEndian.Uint64(raw))
		held, err := r.count(16)
		if err != nil {
			return g, err
		}
		for range held {
			raw, err := r.take(16)
			if err != nil {
				return g, ErrFormat
			}
			id := StreamID{binary.BigEndian.Uint64(raw), binary.BigEndian.Uint64(raw[8:])}
			// Redis: "Consumer entry not found in group global PEL", or
			// held by two consumers.
			if taken, ok := owner[id]; !ok || taken {
				return g, ErrFormat
			}
			owner[id] = true
			c.Pending = append(c.Pending, id)
		}
		g.Consumers = append(g.Consumers, c)
	}
	for _, taken := range owner {
		if !taken {
			return g, ErrFormat // a pending entry with no consumer
		}
	}
	return g, nil
}

// streamNode decodes one node's listpack elements onto entries.
func streamNode(master StreamID, items [][]byte, entries []StreamEntry) ([]StreamEntry, error) {
	p := 0
	bad := false
	next := func() []byte {
		if p >= len(items) {
			bad = true
			return nil
		}
		p++
		return items[p-1]
	}
	num := func() int64 {
		v, err := strconv.ParseInt(string(next()), 10, 64)
		if err != nil {
			bad = true
		}
		return v
	}
	count, deleted, nf := num(), num(), num()
	if bad || count < 0 || deleted < 0 || nf < 0 || nf > int64(len(items)-p) {
		return nil, ErrFormat
	}
	mf := items[p : p+int(nf)]
	p += int(nf)
	if num() != 0 || bad {
		return nil, ErrFormat
	}
	var live, gone int64
	var prev StreamID
	have := len(entries) > 0
	if have {
		prev = entries[len(entries)-1].ID
	}
	for p < len(items) {
		flags, msd, seqd := num(), num(), num()
		if bad || flags&^(streamDeleted|streamSameFields) != 0 {
			return nil, ErrFormat
		}
		id := StreamID{master.Ms + uint64(msd), master.Seq + uint64(seqd)}
		var fields [][]byte
		var lpCount int64
		if flags&streamSameFields != 0 {
			if nf > int64(len(items)-p) {
				return nil, ErrFormat
			}
			fields = make([][]byte, 0, 2*nf)
			for i := range mf {
				fields = append(fields, mf[i], items[p+i])
			}
			p += int(nf)
			lpCount = nf + 3
		} else {
			n := num()
			if bad || n < 0 || n > int64(len(items)-p)/2 {
				return nil, ErrFormat
			}
			fields = items[p : p+2*int(n)]
			p += 2 * int(n)
			lpCount = 2*n + 4
		}
		if num() != lpCount || bad {
			return nil, ErrFormat
		}
		if have && !prev.less(id) {
			return nil, ErrFormat
		}
		prev, have = id, true
		if flags&streamDeleted != 0 {
			gone++
			continue
		}
		live++
		entries = append(entries, StreamEntry{ID: id, Fields: fields})
	}
	if live != count || gone != deleted || live+gone == 0 {
		return nil, ErrFormat
	}
	return entries, nil
}
