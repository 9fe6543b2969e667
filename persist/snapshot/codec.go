package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"synap/engine"
)

// The encoding of one key (a record of a data block):
//
//	kind byte, namespace uvarint (an index of the header's table), key,
//	deadline varint (unix ms, 0: none), then the value by kind.
//
// Strings are a uvarint length and the bytes; counts are uvarints; each
// value keeps what a user can observe of it (order, encoding, counters).

// appendStr appends a length-prefixed string.
func appendStr(b []byte, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendID(b []byte, id engine.StreamID) []byte {
	b = binary.AppendUvarint(b, id.Ms)
	return binary.AppendUvarint(b, id.Seq)
}

// Value encodings of sets, hashes and sorted sets: which of the engine's
// representations the value is in (OBJECT ENCODING, and for hashes the
// packed form, which decides their accounting).
const (
	setIntset    = 0
	setHashtable = 1

	hashPacked    = 0
	hashListpack  = 1
	hashHashtable = 2

	zsetListpack = 0
	zsetSkiplist = 1

	strRaw = 1 // a string grown in place: OBJECT ENCODING says "raw"
)

// encodeEntry appends the record of en (a key of namespace ns) to dst.
func encodeEntry(dst []byte, ns uint32, en *engine.Entry) []byte {
	dst = append(dst, byte(en.Kind))
	dst = binary.AppendUvarint(dst, uint64(ns))
	dst = appendString(dst, en.Key())
	dst = binary.AppendVarint(dst, en.ExpireAt())
	switch o := en.Obj().(type) {
	case nil:
		flags := byte(0)
		if en.Raw {
			flags |= strRaw
		}
		dst = append(dst, flags)
		dst = appendStr(dst, en.Str())
	case *engine.List:
		dst = binary.AppendUvarint(dst, uint64(o.Len()))
		o.Range(0, o.Len()-1, func(_ int, v []byte) bool {
			dst = appendStr(dst, v)
			return true
		})
	case *engine.Set:
		enc := byte(setIntset)
		if o.IsHashtable() {
			enc = setHashtable
		}
		dst = append(dst, enc)
		dst = binary.AppendUvarint(dst, uint64(o.Len()))
		o.Each(func(m []byte) bool {
			dst = appendStr(dst, m)
			return true
		})
	case *engine.Hash:
		enc := byte(hashPacked)
		switch {
		case o.Encoding() == "hashtable":
			enc = hashHashtable
		case o.Unpacked():
			enc = hashListpack
		}
		dst = append(dst, enc)
		dst = binary.AppendUvarint(dst, uint64(o.Len()))
		o.Each(func(f, v string) bool {
			dst = appendString(dst, f)
			dst = appendString(dst, v)
			return true
		})
	case *engine.ZSet:
		enc := byte(zsetListpack)
		if o.Encoding() == "skiplist" {
			enc = zsetSkiplist
		}
		dst = append(dst, enc)
		dst = binary.AppendUvarint(dst, uint64(o.Len()))
		o.Each(func(m string, s float64) bool {
			dst = appendString(dst, m)
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s))
			return true
		})
	case *engine.Stream:
		dst = encodeStream(dst, o)
	case *engine.Queue:
		dst = encodeQueue(dst, o)
	default:
		// A kind this codec does not know would be lost silently: the
		// build must not get this far (TestEveryKindEncodes).
		panic(fmt.Sprintf("snapshot: no encoding for %T", o))
	}
	return dst
}

func encodeStream(dst []byte, s *engine.Stream) []byte {
	dst = appendID(dst, s.LastID)
	dst = appendID(dst, s.MaxDeletedID)
	dst = binary.AppendVarint(dst, s.EntriesAdded)
	dst = binary.AppendUvarint(dst, uint64(s.Nodes()))
	s.EachNode(func(nd engine.StreamNode) bool {
		dst = binary.AppendUvarint(dst, uint64(nd.LPBytes))
		dst = binary.AppendUvarint(dst, uint64(len(nd.Fields)))
		for _, f := range nd.Fields {
			dst = appendStr(dst, f)
		}
		dst = binary.AppendUvarint(dst, uint64(len(nd.Entries)))
		for i := range nd.Entries {
			e := &nd.Entries[i]
			dst = appendID(dst, e.ID)
			if e.Deleted() {
				dst = append(dst, 1)
				continue
			}
			dst = append(dst, 0)
			dst = binary.AppendUvarint(dst, uint64(len(e.Fields)))
			for _, f := range e.Fields {
				dst = appendStr(dst, f)
			}
		}
		return true
	})
	groups := s.Groups()
	dst = binary.AppendUvarint(dst, uint64(len(groups)))
	for _, g := range groups {
		dst = appendString(dst, g.Name)
		dst = appendID(dst, g.LastID)
		dst = binary.AppendVarint(dst, g.EntriesRead)
		cs := g.Consumers()
		dst = binary.AppendUvarint(dst, uint64(len(cs)))
		for _, c := range cs {
			dst = appendString(dst, c.Name)
			dst = binary.AppendVarint(dst, c.SeenTime)
			dst = binary.AppendUvarint(dst, uint64(c.PEL.Len()))
			c.PEL.Scan(func(p *engine.StreamPending) bool {
				dst = appendID(dst, p.ID)
				dst = binary.AppendVarint(dst, p.DeliveryTime)
				dst = binary.AppendVarint(dst, p.DeliveryCount)
				return true
			})
		}
	}
	return dst
}

func encodeQueue(dst []byte, q *engine.Queue) []byte {
	st := q.State()
	c := st.Config
	dst = binary.AppendVarint(dst, c.MaxDepth)
	dst = binary.AppendVarint(dst, c.AckDeadline)
	dst = binary.AppendVarint(dst, c.MaxRetries)
	dst = appendString(dst, c.DLQ)
	s := st.Stats
	for _, v := range []int64{s.Published, s.Delivered, s.Redelivered, s.Acked, s.Nacked, s.DeadLettered, s.Dropped} {
		dst = binary.AppendVarint(dst, v)
	}
	dst = binary.AppendUvarint(dst, st.Next)
	for _, ms := range [][]*engine.QueueMsg{st.Ready, st.Delayed, st.InFlight, st.Dead} {
		dst = binary.AppendUvarint(dst, uint64(len(ms)))
		for _, m := range ms {
			dst = binary.AppendUvarint(dst, m.ID)
			dst = appendStr(dst, m.Payload)
			dst = append(dst, m.Priority)
			dst = binary.AppendVarint(dst, m.Deliveries)
			dst = appendString(dst, m.Consumer)
			dst = binary.AppendVarint(dst, m.Deadline)
			dst = binary.AppendVarint(dst, m.Due)
		}
	}
	return dst
}

// ---- decoding ----

// errShort is a record that ends before what it announces.
var errShort = errors.New("record ends early")

// reader decodes a data block's payload; every length and count is
// checked against what remains before anything is allocated for it.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.left() < 1 {
		r.err = errShort
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad number")
		return 0
	}
	r.off += n
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad number")
		return 0
	}
	r.off += n
	return v
}

// count reads a number of items each at least minBytes long, refused when
// they could not fit in what remains.
func (r *reader) count(minBytes int) int {
	n := r.uvarint()
	if r.err != nil {
		return 0
	}
	if n > uint64(r.left()/minBytes) {
		r.fail("count %d cannot fit in the %d bytes left", n, r.left())
		return 0
	}
	return int(n)
}

// bytes reads a length-prefixed string, aliasing the block.
func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(r.left()) {
		r.fail("length %d past the end of the block (%d bytes left)", n, r.left())
		return nil
	}
	v := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return v
}

func (r *reader) id() engine.StreamID {
	return engine.StreamID{Ms: r.uvarint(), Seq: r.uvarint()}
}

// record is one decoded key.
type record struct {
	ns  uint64
	key []byte // aliases the block
	at  int64
	en  *engine.Entry // other kinds; nil for a string or an empty aggregate
	// A string is stored from the block by Tx.SetString (key, entry and
	// value in one allocation, as a SET stores it).
	str   []byte // aliases the block
	isStr bool
	raw   bool
}

// decodeEntry decodes the next record. Values are copied out of the block.
// An empty list, set, hash or sorted set (which Redis never keeps, nor
// does Synap) decodes to no entry rather than an error: a snapshot that
// caught one must still load.
func (r *reader) decodeEntry() (rec record) {
	kind := engine.Kind(r.byte())
	rec.ns = r.uvarint()
	rec.key = r.bytes()
	rec.at = r.varint()
	if r.err != nil {
		return rec
	}
	if rec.at < 0 {
		r.fail("negative deadline")
		return rec
	}
	switch kind {
	case engine.KindString:
		flags := r.byte()
		v := r.bytes()
		if flags&^strRaw != 0 {
			r.fail("unknown string flags %#x", flags)
		}
		rec.str, rec.isStr, rec.raw = v, r.err == nil, flags&strRaw != 0
	case engine.KindList:
		n := r.count(1)
		vals := make([][]byte, 0, n)
		for range n {
			vals = append(vals, r.bytes())
		}
		if r.err == nil && n > 0 {
			rec.en = engine.NewObject(kind, engine.NewListOf(vals))
		}
	case engine.KindSet:
		enc := r.byte()
		n := r.count(1)
		vals := make([][]byte, 0, n)
		for range n {
			vals = append(vals, r.bytes())
		}
		if enc > setHashtable {
			r.fail("unknown set encoding %d", enc)
		}
		if r.err == nil && n > 0 {
			s, ok := engine.SetFromMembers(vals, enc == setHashtable)
			if !ok {
				r.fail("set members repeat or do not fit its encoding")
				return rec
			}
			rec.en = engine.NewObject(kind, s)
		}
	case engine.KindHash:
		enc := r.byte()
		n := r.count(2)
		vals := make([][]byte, 0, 2*n)
		for range 2 * n {
			vals = append(vals, r.bytes())
		}
		if enc > hashHashtable {
			r.fail("unknown hash encoding %d", enc)
		}
		if r.err == nil && n > 0 {
			h, ok := engine.HashFromFields(vals, enc != hashPacked, enc == hashHashtable)
			if !ok {
				r.fail("hash fields repeat or do not fit its encoding")
				return rec
			}
			rec.en = engine.NewObject(kind, h)
		}
	case engine.KindZSet:
		enc := r.byte()
		n := r.count(9)
		if enc > zsetSkiplist {
			r.fail("unknown sorted set encoding %d", enc)
			return rec
		}
		z := engine.ZSetWithEncoding(enc == zsetSkiplist)
		for range n {
			m := r.bytes()
			if r.left() < 8 {
				r.fail("%v", errShort)
			}
			if r.err != nil {
				return rec
			}
			s := math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.off:]))
			r.off += 8
			if math.IsNaN(s) {
				r.fail("NaN score")
				return rec
			}
			if !z.Set(m, s) {
				r.fail("sorted set member repeats")
				return rec
			}
		}
		if n > 0 {
			rec.en = engine.NewObject(kind, z)
		}
	case engine.KindStream:
		if s := r.decodeStream(); r.err == nil {
			rec.en = engine.NewObject(kind, s)
		}
	case engine.KindQueue:
		if q := r.decodeQueue(); r.err == nil {
			rec.en = engine.NewObject(kind, q)
		}
	default:
		r.fail("unknown kind %d", kind)
	}
	return rec
}

// fields reads a count of strings into copies that share one buffer.
func (r *reader) fields(minCount int) [][]byte {
	n := r.count(1)
	if r.err != nil {
		return nil
	}
	if n < minCount {
		r.fail("%d fields", n)
		return nil
	}
	raw := make([][]byte, 0, n)
	total := 0
	for range n {
		v := r.bytes()
		raw = append(raw, v)
		total += len(v)
	}
	if r.err != nil {
		return nil
	}
	buf := make([]byte, 0, total)
	for i, v := range raw {
		buf = append(buf, v...)
		raw[i] = buf[len(buf)-len(v) : len(buf) : len(buf)]
	}
	return raw
}

func (r *reader) decodeStream() *engine.Stream {
	s := engine.NewStream()
	s.LastID = r.id()
	s.MaxDeletedID = r.id()
	s.EntriesAdded = r.varint()
	nodes := r.count(3)
	for range nodes {
		lp := r.uvarint()
		master := r.fields(0)
		n := r.count(3)
		if r.err != nil {
			return nil
		}
		if lp > math.MaxInt32 {
			r.fail("node size %d", lp)
			return nil
		}
		nd := engine.StreamNode{Fields: master, LPBytes: int(lp), Entries: make([]engine.StreamEntry, 0, n)}
		deleted := make([]bool, 0, n)
		for range n {
			e := engine.StreamEntry{ID: r.id()}
			switch r.byte() {
			case 0:
				e.Fields = r.fields(2)
				if len(e.Fields)%2 != 0 {
					r.fail("odd field count")
				}
				deleted = append(deleted, false)
			case 1:
				deleted = append(deleted, true)
			default:
				r.fail("bad entry flag")
			}
			if r.err != nil {
				return nil
			}
			nd.Entries = append(nd.Entries, e)
		}
		if !s.AddNode(nd, deleted) {
			r.fail("stream node out of order or without a live entry")
			return nil
		}
	}
	if r.err != nil {
		return nil
	}
	if s.Len() == 0 && nodes != 0 {
		r.fail("empty stream nodes")
	}
	var last engine.StreamID
	s.Descend(engine.MaxStreamID, func(e *engine.StreamEntry) bool {
		last = e.ID
		return false
	})
	if s.LastID.Less(last) || s.EntriesAdded < int64(s.Len()) || s.EntriesAdded < 0 {
		r.fail("stream counters behind its entries")
		return nil
	}
	groups := r.count(3)
	for range groups {
		name := r.bytes()
		last := r.id()
		read := r.varint()
		if r.err != nil {
			return nil
		}
		g := s.CreateGroup(string(name), last, read)
		if g == nil {
			r.fail("consumer group repeats")
			return nil
		}
		consumers := r.count(3)
		for range consumers {
			cname := r.bytes()
			seen := r.varint()
			if r.err != nil {
				return nil
			}
			c := s.CreateConsumer(g, string(cname), seen)
			if c == nil {
				r.fail("consumer repeats")
				return nil
			}
			pending := r.count(4)
			for range pending {
				id := r.id()
				at := r.varint()
				cnt := r.varint()
				if r.err != nil {
					return nil
				}
				if g.GetPending(id) != nil {
					r.fail("pending entry repeats")
					return nil
				}
				s.AddPending(g, c, id, at, cnt)
			}
		}
	}
	return s
}

func (r *reader) decodeQueue() *engine.Queue {
	var st engine.QueueState
	st.Config.MaxDepth = r.varint()
	st.Config.AckDeadline = r.varint()
	st.Config.MaxRetries = r.varint()
	st.Config.DLQ = string(r.bytes())
	s := &st.Stats
	for _, p := range []*int64{&s.Published, &s.Delivered, &s.Redelivered, &s.Acked, &s.Nacked, &s.DeadLettered, &s.Dropped} {
		*p = r.varint()
	}
	st.Next = r.uvarint()
	if r.err != nil {
		return nil
	}
	if st.Config.MaxDepth < 0 || st.Config.AckDeadline < 0 || st.Config.MaxRetries < 0 {
		r.fail("negative queue setting")
		return nil
	}
	lists := []*[]*engine.QueueMsg{&st.Ready, &st.Delayed, &st.InFlight, &st.Dead}
	for _, l := range lists {
		n := r.count(8)
		*l = make([]*engine.QueueMsg, 0, n)
		for range n {
			m := &engine.QueueMsg{ID: r.uvarint()}
			m.Payload = append([]byte(nil), r.bytes()...)
			m.Priority = r.byte()
			m.Deliveries = r.varint()
			m.Consumer = string(r.bytes())
			m.Deadline = r.varint()
			m.Due = r.varint()
			if r.err != nil {
				return nil
			}
			*l = append(*l, m)
		}
	}
	q, ok := engine.QueueFromState(st)
	if !ok {
		r.fail("queue messages repeat or are out of range")
		return nil
	}
	return q
}
