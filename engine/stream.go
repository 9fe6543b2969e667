package engine

import (
	"bytes"
	"sort"
	"strconv"

	"github.com/tidwall/btree"

	"synap/rdb"
)

// StreamID is a stream entry id: milliseconds and a sequence number.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the largest id a stream can hold.
var MaxStreamID = StreamID{^uint64(0), ^uint64(0)}

// Compare orders ids: -1, 0 or 1.
func (a StreamID) Compare(b StreamID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// Less reports whether a sorts before b.
func (a StreamID) Less(b StreamID) bool { return a.Compare(b) < 0 }

// IsZero reports whether the id is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Next is the smallest id after a; ok is false at the maximum.
func (a StreamID) Next() (StreamID, bool) {
	switch {
	case a.Seq < ^uint64(0):
		return StreamID{a.Ms, a.Seq + 1}, true
	case a.Ms < ^uint64(0):
		return StreamID{a.Ms + 1, 0}, true
	}
	return a, false
}

// Prev is the largest id before a; ok is false at 0-0.
func (a StreamID) Prev() (StreamID, bool) {
	switch {
	case a.Seq > 0:
		return StreamID{a.Ms, a.Seq - 1}, true
	case a.Ms > 0:
		return StreamID{a.Ms - 1, ^uint64(0)}, true
	}
	return a, false
}

// Append formats the id as "ms-seq".
func (a StreamID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

func (a StreamID) String() string { return string(a.Append(nil)) }

// Redis 7.0 keeps a stream's entries in listpack nodes of a radix tree: a
// node takes new entries until it holds stream-node-max-entries (100,
// deleted ones included) or its listpack would pass stream-node-max-bytes
// (4096). Approximate trimming (MAXLEN ~, MINID ~) removes only whole
// nodes, and XINFO reports the node count, so the nodes are kept here with
// the same boundaries: the listpack's byte size is computed as Redis
// encodes it (streamLPSize), not stored.
const (
	streamNodeMaxEntries = 100
	streamNodeMaxBytes   = 4096
)

// StreamEntry is one entry: its id and its field-value pairs, flat.
type StreamEntry struct {
	ID      StreamID
	Fields  [][]byte
	deleted bool
}

type streamNode struct {
	master  StreamID
	fields  [][]byte // the master entry's fields (of the node's first entry)
	entries []StreamEntry
	live    int
	lpBytes int
}

// lastID is the id of the node's last entry, deleted or not, which is what
// Redis compares with MINID to drop a whole node.
func (n *streamNode) lastID() StreamID { return n.entries[len(n.entries)-1].ID }

// StreamPending is an entry delivered to a consumer and not acknowledged.
type StreamPending struct {
	ID            StreamID
	Consumer      *StreamConsumer
	DeliveryTime  int64 // unix ms
	DeliveryCount int64
}

// StreamConsumer is a consumer of a group, with the entries it holds.
type StreamConsumer struct {
	Name     string
	SeenTime int64 // unix ms of its last read or claim attempt
	PEL      *btree.BTreeG[*StreamPending]
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        string
	LastID      StreamID
	EntriesRead int64 // -1: unknown
	PEL         *btree.BTreeG[*StreamPending]
	consumers   map[string]*StreamConsumer
}

func pendingLess(a, b *StreamPending) bool { return a.ID.Less(b.ID) }

func newPEL() *btree.BTreeG[*StreamPending] {
	return btree.NewBTreeGOptions(pendingLess, btree.Options{NoLocks: true, Degree: 32})
}

// Stream is the value of a stream key (KindStream). Not safe for concurrent
// use: it lives under its key's shard lock.
type Stream struct {
	nodes        *btree.BTreeG[*streamNode]
	length       int
	LastID       StreamID
	MaxDeletedID StreamID
	EntriesAdded int64
	groups       map[string]*StreamGroup

	size      int64 // field, value, group and consumer name bytes
	pending   int   // PEL entries of every group
	consumers int
	elems     int // fields and values of the live entries
}

// Elems is the number of fields and values of the live entries.
func (s *Stream) Elems() int { return s.elems }

func nodeLess(a, b *streamNode) bool { return a.master.Less(b.master) }

// NewStream returns an empty stream.
func NewStream() *Stream {
	return &Stream{nodes: btree.NewBTreeGOptions(nodeLess, btree.Options{NoLocks: true, Degree: 32})}
}

// Len is the number of entries (XLEN).
func (s *Stream) Len() int { return s.length }

// Size is the content bytes: fields and values, group and consumer names.
func (s *Stream) Size() int64 { return s.size }

// Pending is the number of pending entries over every group.
func (s *Stream) Pending() int { return s.pending }

// Encoding is what Redis reports for every stream.
func (*Stream) Encoding() string { return "stream" }

// Nodes is the number of listpack nodes Redis would have (XINFO's
// radix-tree-keys).
func (s *Stream) Nodes() int { return s.nodes.Len() }

// ComputeSize recounts Size from the content.
func (s *Stream) ComputeSize() int64 {
	var n int64
	s.nodes.Scan(func(nd *streamNode) bool {
		for _, e := range nd.entries {
			if !e.deleted {
				n += fieldsSize(e.Fields)
			}
		}
		return true
	})
	for _, g := range s.groups {
		n += int64(len(g.Name))
		for _, c := range g.consumers {
			n += int64(len(c.Name))
		}
	}
	return n
}

func fieldsSize(f [][]byte) int64 {
	n := int64(0)
	for _, b := range f {
		n += int64(len(b))
	}
	return n
}

// Clone returns an independent copy, groups included.
func (s *Stream) Clone() Object {
	c := NewStream()
	c.LastID, c.MaxDeletedID, c.EntriesAdded = s.LastID, s.MaxDeletedID, s.EntriesAdded
	c.length, c.size, c.elems = s.length, s.size, s.elems
	s.nodes.Scan(func(nd *streamNode) bool {
		cp := &streamNode{master: nd.master, fields: copyFields(nd.fields), live: nd.live, lpBytes: nd.lpBytes, entries: make([]StreamEntry, len(nd.entries))}
		for i, e := range nd.entries {
			cp.entries[i] = StreamEntry{ID: e.ID, deleted: e.deleted, Fields: copyFields(e.Fields)}
		}
		c.nodes.Set(cp)
		return true
	})
	for _, g := range s.groups {
		ng := c.CreateGroup(g.Name, g.LastID, g.EntriesRead)
		for _, cs := range g.consumers {
			nc := c.CreateConsumer(ng, cs.Name, cs.SeenTime)
			cs.PEL.Scan(func(p *StreamPending) bool {
				np := &StreamPending{ID: p.ID, Consumer: nc, DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount}
				ng.PEL.Set(np)
				nc.PEL.Set(np)
				c.pending++
				return true
			})
		}
	}
	return c
}

func copyFields(f [][]byte) [][]byte {
	buf := make([]byte, 0, fieldsSize(f))
	out := make([][]byte, len(f))
	for i, b := range f {
		buf = append(buf, b...)
		out[i] = buf[len(buf)-len(b) : len(buf) : len(buf)]
	}
	return out
}

// FirstID is the id of the first entry (0-0 when empty).
func (s *Stream) FirstID() StreamID {
	var id StreamID
	s.Ascend(StreamID{}, func(e *StreamEntry) bool {
		id = e.ID
		return false
	})
	return id
}

// lastEntryID is the id of the last live entry (0-0 when empty).
func (s *Stream) lastEntryID() StreamID {
	var id StreamID
	s.Descend(MaxStreamID, func(e *StreamEntry) bool {
		id = e.ID
		return false
	})
	return id
}

// Add appends an entry; id must be greater than LastID (the caller checks).
func (s *Stream) Add(id StreamID, fields [][]byte) {
	fields = copyFields(fields)
	last, _ := s.nodes.Max()
	if last != nil {
		if last.lpBytes+int(fieldsSize(fields)) >= streamNodeMaxBytes || len(last.entries) >= streamNodeMaxEntries {
			last = nil
		}
	}
	if last == nil {
		last = &streamNode{master: id, fields: fields, lpBytes: lpHeaderBytes + lpMasterBytes(fields)}
		s.nodes.Set(last)
	}
	last.lpBytes += lpEntryBytes(last, id, fields)
	last.entries = append(last.entries, StreamEntry{ID: id, Fields: fields})
	last.live++
	s.length++
	s.size += fieldsSize(fields)
	s.elems += len(fields)
	s.LastID = id
	s.EntriesAdded++
}

// Ascend calls fn for the live entries from start on, in order, until fn
// returns false.
func (s *Stream) Ascend(start StreamID, fn func(e *StreamEntry) bool) {
	// The node holding start is the last one whose master is <= start.
	from := &streamNode{master: start}
	var first *streamNode
	s.nodes.Descend(from, func(nd *streamNode) bool {
		first = nd
		return false
	})
	if first != nil {
		from = first
	}
	s.nodes.Ascend(from, func(nd *streamNode) bool {
		i := sort.Search(len(nd.entries), func(i int) bool { return !nd.entries[i].ID.Less(start) })
		for ; i < len(nd.entries); i++ {
			if e := &nd.entries[i]; !e.deleted && !fn(e) {
				return false
			}
		}
		return true
	})
}

// Descend calls fn for the live entries from start down, in reverse order,
// until fn returns false.
func (s *Stream) Descend(start StreamID, fn func(e *StreamEntry) bool) {
	s.nodes.Descend(&streamNode{master: start}, func(nd *streamNode) bool {
		i := sort.Search(len(nd.entries), func(i int) bool { return start.Less(nd.entries[i].ID) }) - 1
		for ; i >= 0; i-- {
			if e := &nd.entries[i]; !e.deleted && !fn(e) {
				return false
			}
		}
		return true
	})
}

// Get returns the live entry with the id, or nil.
func (s *Stream) Get(id StreamID) *StreamEntry {
	var out *StreamEntry
	s.Ascend(id, func(e *StreamEntry) bool {
		if e.ID == id {
			out = e
		}
		return false
	})
	return out
}

// Delete removes the entry with the id (XDEL) and reports whether it was
// there. A node left with no live entry goes, as in Redis.
func (s *Stream) Delete(id StreamID) bool {
	var nd *streamNode
	s.nodes.Descend(&streamNode{master: id}, func(n *streamNode) bool {
		nd = n
		return false
	})
	if nd == nil {
		return false
	}
	i := sort.Search(len(nd.entries), func(i int) bool { return !nd.entries[i].ID.Less(id) })
	if i == len(nd.entries) || nd.entries[i].ID != id || nd.entries[i].deleted {
		return false
	}
	s.markDeleted(nd, i)
	if nd.live == 0 {
		s.nodes.Delete(nd)
	}
	if s.MaxDeletedID.Less(id) {
		s.MaxDeletedID = id
	}
	return true
}

func (s *Stream) markDeleted(nd *streamNode, i int) {
	e := &nd.entries[i]
	e.deleted = true
	s.size -= fieldsSize(e.Fields)
	s.elems -= len(e.Fields)
	e.Fields = nil
	nd.live--
	s.length--
}

// Trim removes entries from the head as XTRIM and XADD's trimming do: down
// to maxlen entries (byID false) or those below minID. approx removes only
// whole nodes; limit (0: none) bounds the entries removed, node by node.
// It returns the number removed.
func (s *Stream) Trim(byID bool, maxlen int64, minID StreamID, approx bool, limit int64) int64 {
	var deleted int64
	for {
		if !byID && int64(s.length) <= maxlen {
			break
		}
		nd, ok := s.nodes.Min()
		if !ok {
			break
		}
		entries := int64(nd.live)
		if limit > 0 && deleted+entries > limit {
			break
		}
		var whole bool
		if byID {
			whole = nd.lastID().Less(minID)
		} else {
			whole = int64(s.length)-entries >= maxlen
		}
		if whole {
			for _, e := range nd.entries {
				if !e.deleted {
					s.size -= fieldsSize(e.Fields)
					s.elems -= len(e.Fields)
				}
			}
			s.nodes.Delete(nd)
			s.length -= nd.live
			deleted += entries
			continue
		}
		if approx {
			break
		}
		for i := range nd.entries {
			var stop bool
			if byID {
				stop = !nd.entries[i].ID.Less(minID)
			} else {
				stop = int64(s.length) <= maxlen
			}
			if stop {
				break
			}
			if !nd.entries[i].deleted {
				s.markDeleted(nd, i)
				deleted++
			}
		}
		break
	}
	return deleted
}

// Group returns the consumer group of that name, or nil.
func (s *Stream) Group(name []byte) *StreamGroup { return s.groups[string(name)] }

// Groups returns the groups sorted by name, as Redis lists them.
func (s *Stream) Groups() []*StreamGroup {
	out := make([]*StreamGroup, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// GroupCount is the number of groups.
func (s *Stream) GroupCount() int { return len(s.groups) }

// ConsumerCount is the number of consumers over every group.
func (s *Stream) ConsumerCount() int { return s.consumers }

// CreateGroup adds a group, or returns nil when the name is taken.
func (s *Stream) CreateGroup(name string, last StreamID, entriesRead int64) *StreamGroup {
	if _, ok := s.groups[name]; ok {
		return nil
	}
	if s.groups == nil {
		s.groups = map[string]*StreamGroup{}
	}
	g := &StreamGroup{Name: name, LastID: last, EntriesRead: entriesRead, PEL: newPEL(), consumers: map[string]*StreamConsumer{}}
	s.groups[name] = g
	s.size += int64(len(name))
	return g
}

// DestroyGroup removes a group with its consumers and pending entries.
func (s *Stream) DestroyGroup(g *StreamGroup) {
	delete(s.groups, g.Name)
	s.size -= int64(len(g.Name))
	for _, c := range g.consumers {
		s.size -= int64(len(c.Name))
	}
	s.consumers -= len(g.consumers)
	s.pending -= g.PEL.Len()
}

// Consumer returns the group's consumer of that name, or nil.
func (g *StreamGroup) Consumer(name []byte) *StreamConsumer { return g.consumers[string(name)] }

// Consumers returns the group's consumers sorted by name.
func (g *StreamGroup) Consumers() []*StreamConsumer {
	out := make([]*StreamConsumer, 0, len(g.consumers))
	for _, c := range g.consumers {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ConsumerCount is the number of the group's consumers.
func (g *StreamGroup) ConsumerCount() int { return len(g.consumers) }

// CreateConsumer adds a consumer to g, or returns nil when it exists.
func (s *Stream) CreateConsumer(g *StreamGroup, name string, now int64) *StreamConsumer {
	if _, ok := g.consumers[name]; ok {
		return nil
	}
	c := &StreamConsumer{Name: name, SeenTime: now, PEL: newPEL()}
	g.consumers[name] = c
	s.size += int64(len(name))
	s.consumers++
	return c
}

// DeleteConsumer removes a consumer and its pending entries from g's PEL.
func (s *Stream) DeleteConsumer(g *StreamGroup, c *StreamConsumer) {
	c.PEL.Scan(func(p *StreamPending) bool {
		g.PEL.Delete(p)
		return true
	})
	s.pending -= c.PEL.Len()
	delete(g.consumers, c.Name)
	s.size -= int64(len(c.Name))
	s.consumers--
}

// AddPending records id as delivered to c; an entry already pending moves
// to c with a new delivery time (XREADGROUP with NOACK aside, the caller
// decides). It returns the pending entry.
func (s *Stream) AddPending(g *StreamGroup, c *StreamConsumer, id StreamID, now int64, count int64) *StreamPending {
	if p, ok := g.PEL.Get(&StreamPending{ID: id}); ok {
		s.MovePending(p, c)
		p.DeliveryTime, p.DeliveryCount = now, count
		return p
	}
	p := &StreamPending{ID: id, Consumer: c, DeliveryTime: now, DeliveryCount: count}
	g.PEL.Set(p)
	c.PEL.Set(p)
	s.pending++
	return p
}

// MovePending gives a pending entry to another consumer.
func (s *Stream) MovePending(p *StreamPending, to *StreamConsumer) {
	if p.Consumer == to {
		return
	}
	p.Consumer.PEL.Delete(p)
	p.Consumer = to
	to.PEL.Set(p)
}

// Ack removes id from g's PEL and reports whether it was pending.
func (s *Stream) Ack(g *StreamGroup, id StreamID) bool {
	p, ok := g.PEL.Delete(&StreamPending{ID: id})
	if !ok {
		return false
	}
	p.Consumer.PEL.Delete(p)
	s.pending--
	return true
}

// GetPending returns the pending entry of g with the id, or nil.
func (g *StreamGroup) GetPending(id StreamID) *StreamPending {
	p, _ := g.PEL.Get(&StreamPending{ID: id})
	return p
}

// Listpack sizes as Redis 7.0 encodes them (listpack.c), for the node
// boundaries above.
const lpHeaderBytes = 6 + 1 // total bytes and count, then the end byte

func lpStrBytes(b []byte) int {
	// lpStringToInt64 takes Redis's strict integers (string2ll's rules).
	if len(b) <= 20 {
		if v, ok := ParseInt(b); ok {
			return lpIntBytes(v)
		}
	}
	n := len(b)
	var enc int
	switch {
	case n < 64:
		enc = 1 + n
	case n < 4096:
		enc = 2 + n
	default:
		enc = 5 + n
	}
	return enc + rdb.ListpackBacklen(enc)
}

func lpIntBytes(v int64) int {
	var enc int
	switch {
	case v >= 0 && v <= 127:
		enc = 1
	case v >= -4096 && v <= 4095:
		enc = 2
	case v >= -32768 && v <= 32767:
		enc = 3
	case v >= -8388608 && v <= 8388607:
		enc = 4
	case v >= -2147483648 && v <= 2147483647:
		enc = 5
	default:
		enc = 9
	}
	return enc + rdb.ListpackBacklen(enc)
}

// lpMasterBytes is a new node's master entry: count, deleted, the number
// of master fields, the fields, and a 0 terminator.
func lpMasterBytes(fields [][]byte) int {
	n := lpIntBytes(1) + lpIntBytes(0) + lpIntBytes(int64(len(fields)/2)) + lpIntBytes(0)
	for i := 0; i < len(fields); i += 2 {
		n += lpStrBytes(fields[i])
	}
	return n
}

// lpEntryBytes is what appending an entry adds to nd's listpack: flags,
// the id as deltas from the master, the fields (only the values when they
// are the master's), and the lp-count.
func lpEntryBytes(nd *streamNode, id StreamID, fields [][]byte) int {
	same := len(nd.fields) == len(fields)
	if same {
		{
			for i := 0; i < len(fields); i += 2 {
				if !bytes.Equal(nd.fields[i], fields[i]) {
					same = false
					break
				}
			}
		}
	}
	n := lpIntBytes(0) + lpIntBytes(int64(id.Ms-nd.master.Ms)) + lpIntBytes(int64(id.Seq-nd.master.Seq))
	count := 3
	if same {
		for i := 1; i < len(fields); i += 2 {
			n += lpStrBytes(fields[i])
		}
		count += len(fields) / 2
	} else {
		n += lpIntBytes(int64(len(fields) / 2))
		for _, f := range fields {
			n += lpStrBytes(f)
		}
		count += 1 + len(fields)
	}
	return n + lpIntBytes(int64(count))
}
