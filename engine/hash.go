package engine

import (
	"maps"
	"slices"
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
type Hash struct {
	entries []hashEntry
	index   map[string]int32 // field to position; nil while small
	size    int64            // sum of the lengths of fields and values
	table   bool             // "hashtable" encoding
}

// NewHash returns an empty hash.
func NewHash() *Hash { return &Hash{} }

// Len is the number of fields (HLEN).
func (h *Hash) Len() int { return len(h.entries) }

// Size is the bytes accounted: the lengths of every field and value.
func (h *Hash) Size() int64 { return h.size }

// ComputeSize recounts Size from the content.
func (h *Hash) ComputeSize() int64 {
	var n int64
	for _, e := range h.entries {
		n += int64(len(e.field) + len(e.value))
	}
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
	c := &Hash{entries: slices.Clone(h.entries), size: h.size, table: h.table}
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
	if i := h.find(field); i >= 0 {
		return h.entries[i].value, true
	}
	return "", false
}

// Has reports whether field exists (HEXISTS).
func (h *Hash) Has(field []byte) bool { return h.find(field) >= 0 }

// At returns the field and value at position i, 0 <= i < Len().
func (h *Hash) At(i int) (field, value string) {
	e := h.entries[i]
	return e.field, e.value
}

// Each calls fn for every field in position order until fn returns false.
func (h *Hash) Each(fn func(field, value string) bool) {
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

// convert switches to the "hashtable" encoding for good.
func (h *Hash) convert() {
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
	n := uint64(len(h.entries))
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
