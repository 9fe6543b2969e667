package engine

import (
	"maps"
	"slices"
	"unsafe"
)

// Redis 7.0.15's defaults of hash-max-listpack-entries and
// hash-max-listpack-value: a hash is "listpack" while it has at most
// HashMaxListpackEntries fields and no field or value longer than
// HashMaxListpackValue bytes.
const (
	HashMaxListpackEntries = 512
	HashMaxListpackValue   = 64
)

// hashIndexMin is the number of fields up to which a lookup walks the
// fields instead of keeping a map: cheaper for the many tiny hashes, and a
// map costs more memory than the fields themselves.
const hashIndexMin = 16

type hashEntry struct{ field, value string }

// hashPackMax is the number of fields up to which a small hash keeps them
// packed in one byte slice, each as a length byte and the field's bytes,
// then a length byte and the value's: about what a Redis listpack costs,
// where a slice of string pairs costs 32 bytes a field plus one or two
// allocations. Lookups then walk the bytes, which for so few short fields
// is as quick as comparing strings. Past it (or past HashMaxListpackValue
// bytes in a field or value) the hash unpacks into entries for good.
const hashPackMax = 32

// Hash is the value of a hash key (KindHash). Fields have positions
// 0..Len()-1, the order HGETALL replies in.
//
// Like Redis 7.0 it reports two encodings. While "listpack", the order is
// arrival order, an update keeps a field's place and a removal closes the
// gap, exactly as Redis's listpack behaves, so small hashes reply in the
// same order as Redis. Once "hashtable" (too many fields or a long field or
// value; never back), removing a field moves the last one into its place,
// which keeps removal O(1) and makes Scan safe: it walks positions from the
// top down, additions go past the end, and a removal moves only the last
// field, which is either already visited or stays below the cursor. So a
// field present for a whole scan is always returned.
//
// Fields and values are immutable strings: a reader may keep one after the
// lock is released. A Hash is not safe for concurrent use: it lives under
// its key's shard lock, and its reading methods never modify it, so
// concurrent readers under a shared lock are fine.
//
// While packed (see hashPackMax) the fields live in pk, which is never
// written below its length once a field or value was read from it: the
// strings handed out view it. Adding a field appends past the length;
// replacing or removing one builds a new slice.
type Hash struct {
	// The fields once unpacked, nil while packed: most hashes stay small,
	// and the header a packed hash carries is 32 bytes instead of 80 (the
	// packed bytes' pointer and 32-bit length and capacity instead of a
	// slice header, their size derived from them: 100k small hashes hold
	// 1.6 MB less than with a 48-byte header).
	*hashTable
	pkp      *byte  // the packed bytes (pkb), nil when none
	pkLen    uint32 // at most hashPackMax pairs of hashPackValue bytes
	pkCap    uint32
	pn       int32 // fields in pk
	table    bool  // "hashtable" encoding
	unpacked bool  // fields are in entries, no longer in pk
}

type hashTable struct {
	entries []hashEntry
	index   map[string]int32 // field to position; nil while small
	size    int64            // sum of the lengths of fields and values
}

// pkb is the packed bytes.
func (h *Hash) pkb() []byte {
	if h.pkp == nil {
		return nil
	}
	return unsafe.Slice(h.pkp, h.pkCap)[:h.pkLen]
}

// setPK makes b the packed bytes (a packed hash is at most a few KB).
func (h *Hash) setPK(b []byte) {
	if cap(b) == 0 {
		h.pkp, h.pkLen, h.pkCap = nil, 0, 0
		return
	}
	h.pkp, h.pkLen, h.pkCap = unsafe.SliceData(b), uint32(len(b)), uint32(cap(b))
}

func (h *Hash) packed() bool { return !h.unpacked }

// Packed reports whether the fields are still packed (hashPackMax), which
// decides the charges the hash accounts.
func (h *Hash) Packed() bool { return h.packed() }

// pkView is the string of n bytes at pk[off:], sharing them.
func pkView(pk []byte, off, n int) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&pk[off], n)
}

// pkNext reads the pair at off and returns its field and value offsets
// and lengths and the offset of the next pair.
func pkNext(pk []byte, off int) (fo, fl, vo, vl, next int) {
	fl = int(pk[off])
	fo = off + 1
	vl = int(pk[fo+fl])
	vo = fo + fl + 1
	return fo, fl, vo, vl, vo + vl
}

// pkFind returns the offset of field's pair and of the pair after it, or -1.
func (h *Hash) pkFind(field []byte) (at, next int) {
	pk := h.pkb()
	for off := 0; off < len(pk); {
		fo, fl, _, _, nx := pkNext(pk, off)
		if fl == len(field) && string(pk[fo:fo+fl]) == string(field) {
			return off, nx
		}
		off = nx
	}
	return -1, -1
}

func pkAppend(b, field, value []byte) []byte {
	b = append(b, byte(len(field)))
	b = append(b, field...)
	b = append(b, byte(len(value)))
	return append(b, value...)
}

// unpack moves the packed fields into entries, keeping their order.
func (h *Hash) unpack() {
	h.hashTable = &hashTable{entries: make([]hashEntry, 0, max(int(h.pn)+1, 2*int(h.pn))), size: h.Size()}
	pk := h.pkb()
	for off := 0; off < len(pk); {
		fo, fl, vo, vl, nx := pkNext(pk, off)
		h.entries = append(h.entries, hashEntry{pkView(pk, fo, fl), pkView(pk, vo, vl)})
		off = nx
	}
	h.setPK(nil)
	h.pn, h.unpacked = 0, true
	if len(h.entries) > hashIndexMin {
		h.buildIndex()
	}
}

// Reserve makes room, in an empty packed hash, for fields whose fields
// and values take bytes: an HSET of many pairs then fills one slice of the
// size it needs instead of growing it a quarter at a time (each growth a
// copy, the last one's slack kept). Nothing is reserved past what packing
// holds; repeated fields leave at most what they would have taken.
func (h *Hash) Reserve(fields, bytes int) {
	if !h.packed() || h.pn > 0 || fields > hashPackMax || bytes > fields*2*HashMaxListpackValue {
		return
	}
	if n := bytes + 2*fields; n > cap(h.pkb()) {
		h.setPK(make([]byte, 0, n))
	}
}

// NewHash returns an empty hash.
func NewHash() *Hash { return &Hash{} }

// Len is the number of fields (HLEN).
func (h *Hash) Len() int {
	if h.packed() {
		return int(h.pn)
	}
	return len(h.entries)
}

// Size is the bytes accounted: the lengths of every field and value.
func (h *Hash) Size() int64 {
	if h.packed() {
		// A length byte before each field and each value.
		return int64(h.pkLen) - 2*int64(h.pn)
	}
	return h.size
}

// ComputeSize recounts Size from the content.
func (h *Hash) ComputeSize() int64 {
	var n int64
	h.Each(func(f, v string) bool {
		n += int64(len(f) + len(v))
		return true
	})
	return n
}

// Encoding is what Redis 7.0 reports: "listpack" or "hashtable".
func (h *Hash) Encoding() string {
	if h.table {
		return "hashtable"
	}
	return "listpack"
}

// Clone returns an independent copy with the same encoding and order.
func (h *Hash) Clone() Object {
	if h.packed() {
		c := &Hash{pn: h.pn}
		c.setPK(slices.Clip(slices.Clone(h.pkb())))
		return c
	}
	c := &Hash{hashTable: &hashTable{entries: slices.Clone(h.entries), size: h.size}, table: h.table, unpacked: true}
	if h.index != nil {
		c.index = maps.Clone(h.index)
	}
	return c
}

func (h *Hash) find(field []byte) int {
	if h.index != nil {
		if i, ok := h.index[string(field)]; ok {
			return int(i)
		}
		return -1
	}
	for i := range h.entries {
		if h.entries[i].field == string(field) {
			return i
		}
	}
	return -1
}

// Get returns the value of field (HGET; SORT's BY and GET key->field).
func (h *Hash) Get(field []byte) (value string, ok bool) {
	if h.packed() {
		if at, _ := h.pkFind(field); at >= 0 {
			_, _, vo, vl, _ := pkNext(h.pkb(), at)
			return pkView(h.pkb(), vo, vl), true
		}
		return "", false
	}
	if i := h.find(field); i >= 0 {
		return h.entries[i].value, true
	}
	return "", false
}

// Has reports whether field exists (HEXISTS).
func (h *Hash) Has(field []byte) bool {
	if h.packed() {
		at, _ := h.pkFind(field)
		return at >= 0
	}
	return h.find(field) >= 0
}

// At returns the field and value at position i, 0 <= i < Len().
func (h *Hash) At(i int) (field, value string) {
	if h.packed() {
		if i < 0 || i >= int(h.pn) {
			panic("engine: hash position out of range")
		}
		off := 0
		for ; i > 0; i-- {
			_, _, _, _, off = pkNext(h.pkb(), off)
		}
		fo, fl, vo, vl, _ := pkNext(h.pkb(), off)
		return pkView(h.pkb(), fo, fl), pkView(h.pkb(), vo, vl)
	}
	e := h.entries[i]
	return e.field, e.value
}

// Each calls fn for every field in position order until fn returns false.
func (h *Hash) Each(fn func(field, value string) bool) {
	if h.packed() {
		pk := h.pkb()
		for off := 0; off < len(pk); {
			fo, fl, vo, vl, nx := pkNext(pk, off)
			if !fn(pkView(pk, fo, fl), pkView(pk, vo, vl)) {
				return
			}
			off = nx
		}
		return
	}
	for _, e := range h.entries {
		if !fn(e.field, e.value) {
			return
		}
	}
}

// Set stores a copy of value under a copy of field and reports whether the
// field is new. It converts to "hashtable" as Redis does: a field or value
// longer than HashMaxListpackValue, or more than HashMaxListpackEntries fields.
func (h *Hash) Set(field, value []byte) (created bool) {
	if h.packed() {
		if len(field) <= HashMaxListpackValue && len(value) <= HashMaxListpackValue {
			created = h.pkSet(field, value)
			if h.pn > hashPackMax {
				h.unpack()
			}
			return created
		}
		h.unpack()
	}
	if !h.table && (len(field) > HashMaxListpackValue || len(value) > HashMaxListpackValue) {
		h.convert()
	}
	if i := h.find(field); i >= 0 {
		e := &h.entries[i]
		h.size += int64(len(value) - len(e.value))
		e.value = string(value)
		return false
	}
	f := string(field)
	h.entries = append(h.entries, hashEntry{f, string(value)})
	h.size += int64(len(field) + len(value))
	switch {
	case h.index != nil:
		h.index[f] = int32(len(h.entries) - 1)
	case len(h.entries) > hashIndexMin:
		h.buildIndex()
	}
	if !h.table && len(h.entries) > HashMaxListpackEntries {
		h.convert()
	}
	return true
}

// pkSet is Set on a packed hash; past hashPackMax fields the caller unpacks.
func (h *Hash) pkSet(field, value []byte) (created bool) {
	at, next := h.pkFind(field)
	if at < 0 {
		need := len(h.pkb()) + 2 + len(field) + len(value)
		if need > cap(h.pkb()) {
			// Grow by a quarter: a small hash is usually built once, and
			// doubling would leave up to half the slice unused.
			nb := make([]byte, len(h.pkb()), need+need/4)
			copy(nb, h.pkb())
			h.setPK(nb)
		}
		h.setPK(pkAppend(h.pkb(), field, value))
		h.pn++
		return true
	}
	_, _, _, vl, _ := pkNext(h.pkb(), at)
	// Values already handed out view the old bytes: build a new slice.
	nb := make([]byte, 0, len(h.pkb())-vl+len(value))
	nb = append(nb, h.pkb()[:at]...)
	nb = pkAppend(nb, field, value)
	nb = append(nb, h.pkb()[next:]...)
	h.setPK(nb)
	return false
}

// convert switches to the "hashtable" encoding for good.
func (h *Hash) convert() {
	if h.packed() {
		h.unpack()
	}
	h.table = true
	if h.index == nil {
		h.buildIndex()
	}
}

func (h *Hash) buildIndex() {
	h.index = make(map[string]int32, len(h.entries))
	for i, e := range h.entries {
		h.index[e.field] = int32(i)
	}
}

// Delete removes field and reports whether it existed. The caller deletes
// the key when the hash becomes empty, as Redis never keeps one.
func (h *Hash) Delete(field []byte) bool {
	if h.packed() {
		at, next := h.pkFind(field)
		if at < 0 {
			return false
		}
		h.pn--
		if h.pn == 0 {
			h.setPK(nil)
			return true
		}
		nb := make([]byte, 0, len(h.pkb())-(next-at))
		nb = append(nb, h.pkb()[:at]...)
		h.setPK(append(nb, h.pkb()[next:]...))
		return true
	}
	i := h.find(field)
	if i < 0 {
		return false
	}
	gone := h.entries[i]
	h.size -= int64(len(gone.field) + len(gone.value))
	last := len(h.entries) - 1
	if h.table {
		// The last field takes the gap: it is the only one that moves, so
		// a scan in progress cannot skip anything (see Scan).
		if i != last {
			h.entries[i] = h.entries[last]
			h.index[h.entries[i].field] = int32(i)
		}
	} else {
		copy(h.entries[i:], h.entries[i+1:])
		if h.index != nil {
			for j := i; j < last; j++ {
				h.index[h.entries[j].field] = int32(j)
			}
		}
	}
	h.entries[last] = hashEntry{} // let the strings go
	h.entries = h.entries[:last]
	if h.index != nil {
		delete(h.index, gone.field)
	}
	if c := cap(h.entries); c > 64 && last < c/4 {
		h.entries = slices.Clip(slices.Clone(h.entries))
	}
	return true
}

// Scan visits up to count fields from cursor (0 starts a scan) and returns
// the cursor to continue from, 0 when the scan is complete. A "listpack"
// hash is visited whole in one call, as Redis does.
//
// The cursor is the number of positions left to visit: each call takes the
// batch of positions just below the previous one, from the top down. Every
// field present from the first call to the last is visited at least once,
// whatever is added or removed between calls; a field may be visited twice
// only if others were removed.
func (h *Hash) Scan(cursor uint64, count int, fn func(field, value string)) uint64 {
	lo, hi, next := h.ScanRange(cursor, count)
	if h.packed() {
		h.Each(func(f, v string) bool { fn(f, v); return true })
		return next
	}
	for i := lo; i < hi; i++ {
		e := h.entries[i]
		fn(e.field, e.value)
	}
	return next
}

// ScanRange is Scan as positions: the call visits lo <= i < hi (read them
// with At) and continues from next. It lets a large reply be written
// without collecting the fields first.
func (h *Hash) ScanRange(cursor uint64, count int) (lo, hi int, next uint64) {
	n := uint64(h.Len())
	if !h.table {
		return 0, int(n), 0
	}
	top := n
	if cursor != 0 && cursor < n {
		top = cursor
	}
	bottom := uint64(0)
	if uint64(count) < top {
		bottom = top - uint64(count)
	}
	return int(bottom), int(top), bottom
}
