// Package engine is Synap's storage: shards chosen by key hash, each an
// ordered set of key ids and a table from id to entry under its own lock,
// typed values, lazy and active expiry, and namespaces with exact key and
// byte counts.
package engine

import (
	"math"
	"math/bits"
	"unsafe"
)

// Kind is the type of a stored value, named as TYPE names it.
type Kind uint8

const (
	KindNone Kind = iota
	KindString
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
	KindQueue
)

var kindNames = [...]string{"none", "string", "list", "set", "zset", "hash", "stream", "queue"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Object is a value of a non-string kind. Size is the bytes of its content;
// the namespace accounts that plus the charges per element (valueSize). It
// must be exact, since quotas are enforced on it.
type Object interface {
	Size() int64
	// Encoding is what OBJECT ENCODING reports.
	Encoding() string
	// Clone returns an independent deep copy (COPY).
	Clone() Object
}

// Entry is one key's value. Handlers read and change it only while the
// transaction that returned it holds the key's shard lock, and call
// Tx.Updated after changing it in place (Tx.SetStr to store a string of
// another length or capacity).
//
// It is 32 bytes, so a short string key with its key and value inline
// (alloc.go) takes Go's 64-byte size class instead of 80: the value is one
// pointer whose meaning the flags and Kind give (a string's bytes, or the
// object of the type Kind names: an Object's type word is not kept); the
// key's bytes follow the entry in its own allocation (a key too long for
// the largest class is a pointer after the entry, fKeyOut), so no word
// points at them; a string's capacity is a one-byte code (capCode) and its
// accounted size is derived from its lengths, while an object's accounted
// size takes the string's length and code fields; the next key of a
// collision chain is kept beside the shard (shard.chains), since one key
// in about ten thousand has one.
type Entry struct {
	// v is a string's bytes (vlen their length, hi their capacity's code)
	// or, with fObj, the Object: the pointer of the type Kind names, or
	// with fBoxed a *Object holding a value of another type (tests'
	// stand-ins). Str, setStr, Obj and SetObj are the ways in.
	v   unsafe.Pointer
	exp int64 // absolute unix ms; 0: no expiry
	// vlen is a string's length; with fObj, the low 32 bits of the bytes
	// the key accounts in its namespace without its TTL (hi the next 8,
	// up to 1 TB), since an object changed in place cannot tell what it
	// was accounted before (Tx.Updated).
	vlen uint32
	klen uint32
	lru  uint32 // last access (clock seconds) or LFU minutes<<8|counter, see evict.go; atomic
	Kind Kind
	// Raw marks a string grown in place (APPEND, SETRANGE): Redis then
	// reports its encoding as "raw" whatever its length.
	Raw   bool
	flags uint8
	hi    uint8
}

// entrySize is Entry's size: the key of an entry allocated with it
// (alloc.go) starts there.
const entrySize = unsafe.Sizeof(Entry{})

// The layout is the point: a larger entry takes every short string key
// into the next size class (TestEvictEntryDoesNotGrow pins 32 on 64-bit
// targets; 32-bit ones are smaller).
var _ [32 - entrySize]byte

// Entry flags: fObj and fBoxed say what v is; fChained that the shard's
// chains map holds the entry's successor in its collision chain; fKeyOut
// that the key is not inline but pointed to by the word after the entry
// (entryKeyOut); fKeyed that the entry was allocated with a key.
const (
	fObj uint8 = 1 << iota
	fBoxed
	fChained
	fKeyOut
	// fKeyed marks an entry allocated with its key (newKeyed), the only
	// kind stored: an entry handed to Put is not.
	fKeyed
)

// entryKeyOut is an entry whose key is longer than the inline classes hold.
type entryKeyOut struct {
	Entry
	kp *byte
}

// MaxLen is the longest key or string value an entry holds (its lengths
// are 32-bit); proto-max-bulk-len cannot be set above it.
const MaxLen = math.MaxUint32

// A string's capacity is kept as a one-byte code standing for at most the
// capacity and at least eight ninths of it: up to 15 exactly, then four
// significant bits. Str reports the larger of that and the length, so a
// value whose exact capacity the code cannot say keeps at least its length;
// the spare room given up is at most an eighth, so APPEND's growth by at
// least a quarter stays geometric (amortised O(1) per appended byte).
func capCode(c uint64) uint8 {
	if c < 16 {
		return uint8(c)
	}
	shift := bits.Len64(c) - 4 // c>>shift is 8..15
	return uint8(16 + (shift-1)*8 + int(c>>shift-8))
}

func capDecode(code uint8) uint64 {
	if code < 16 {
		return uint64(code)
	}
	k := uint64(code - 16)
	return (k%8 + 8) << (k/8 + 1)
}

// Str is a string entry's value, nil for another kind. Handlers may change
// its bytes in place (SETRANGE, SETBIT) and store a new slice with
// Tx.SetStr.
func (e *Entry) Str() []byte {
	if e.flags&fObj != 0 {
		return nil
	}
	c := max(uint64(e.vlen), capDecode(e.hi))
	return unsafe.Slice((*byte)(e.v), c)[:e.vlen:c]
}

// setStr makes b the entry's value (a string's), dropping any Object. A
// stored entry's string changes through Tx.SetStr, which re-accounts it.
func (e *Entry) setStr(b []byte) {
	if uint64(cap(b)) > math.MaxUint32 {
		// append's growth can pass 4 GB for a value under it: the spare
		// room is given up, not the value.
		b = b[:len(b):len(b)]
	}
	if uint64(len(b)) > MaxLen {
		panic("engine: string value of 4 GB or more")
	}
	e.v, e.vlen, e.hi = unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)), capCode(uint64(cap(b)))
	e.flags &^= fObj | fBoxed
}

// Obj is the value of a non-string entry, nil for a string.
func (e *Entry) Obj() Object {
	if e.flags&fObj == 0 {
		return nil
	}
	if e.flags&fBoxed != 0 {
		return *(*Object)(e.v)
	}
	switch e.Kind {
	case KindList:
		return (*List)(e.v)
	case KindSet:
		return (*Set)(e.v)
	case KindZSet:
		return (*ZSet)(e.v)
	case KindHash:
		return (*Hash)(e.v)
	case KindStream:
		return (*Stream)(e.v)
	case KindQueue:
		return (*Queue)(e.v)
	}
	panic("engine: object entry of kind " + e.Kind.String())
}

// SetObj makes o the entry's value, dropping any string bytes (and the
// accounted size an object kept: the caller re-accounts), and sets Kind to
// the kind o's type stands for (a value of another type keeps the entry's
// Kind); nil leaves an empty string.
func (e *Entry) SetObj(o Object) {
	e.vlen, e.hi = 0, 0
	e.flags &^= fObj | fBoxed
	var p unsafe.Pointer
	switch x := o.(type) {
	case nil:
		e.v = nil
		return
	case *List:
		p, e.Kind = unsafe.Pointer(x), KindList
	case *Set:
		p, e.Kind = unsafe.Pointer(x), KindSet
	case *ZSet:
		p, e.Kind = unsafe.Pointer(x), KindZSet
	case *Hash:
		p, e.Kind = unsafe.Pointer(x), KindHash
	case *Stream:
		p, e.Kind = unsafe.Pointer(x), KindStream
	case *Queue:
		p, e.Kind = unsafe.Pointer(x), KindQueue
	default:
		box := new(Object)
		*box = o
		e.v = unsafe.Pointer(box)
		e.flags |= fObj | fBoxed
		return
	}
	e.v = p
	e.flags |= fObj
}

// setValue makes e's value src's (an overwrite in place); an object's
// accounted size is the caller's to set.
func (e *Entry) setValue(src *Entry) {
	e.v, e.vlen, e.hi = src.v, src.vlen, src.hi
	e.Kind, e.Raw = src.Kind, src.Raw
	e.flags = e.flags&^(fObj|fBoxed) | src.flags&(fObj|fBoxed)
}

// keyString is the entry's key. It aliases storage that is never changed
// in place.
func (e *Entry) keyString() string {
	if e.flags&fKeyOut != 0 {
		return unsafe.String((*entryKeyOut)(unsafe.Pointer(e)).kp, e.klen)
	}
	if e.klen == 0 {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(e), entrySize)), e.klen)
}

// baseSize is what the entry accounts in its namespace's bytes without
// its TTL's charge: derived for a string, kept for an object.
func (e *Entry) baseSize() int64 {
	if e.flags&fObj != 0 {
		return int64(e.hi)<<32 | int64(e.vlen)
	}
	n := int64(e.klen) + KeyCharge
	if e.Kind == KindString {
		n += int64(e.vlen)
	}
	return n
}

// setBase records an object's accounted size without its TTL's charge; a
// string's is derived.
func (e *Entry) setBase(n int64) {
	if e.flags&fObj == 0 {
		return
	}
	if n < 0 || n >= 1<<40 {
		panic("engine: accounted size out of range")
	}
	e.vlen, e.hi = uint32(n), uint8(n>>32)
}

// size is what the entry accounts in its namespace's bytes.
func (e *Entry) size() int64 {
	n := e.baseSize()
	if e.exp != 0 {
		n += TTLCharge
	}
	return n
}

// NewString returns a string entry holding a copy of v.
func NewString(v []byte) *Entry {
	return StringEntry(append(make([]byte, 0, len(v)), v...), false)
}

// StringEntry returns a string entry holding v itself (not a copy), with
// its encoding reported as "raw" when raw.
func StringEntry(v []byte, raw bool) *Entry {
	en := &Entry{Kind: KindString, Raw: raw}
	en.setStr(v)
	return en
}

// NewObject returns an entry of the given kind.
func NewObject(k Kind, o Object) *Entry {
	en := &Entry{Kind: k}
	en.SetObj(o)
	return en
}

// Accounted is what the entry counts in its namespace's bytes: its key,
// its value and their charges (MEMORY USAGE reports it, so the per-key
// figures add up to the namespace's exactly).
func (e *Entry) Accounted() int64 { return e.size() }

// ExpireAt is the absolute expiry in unix ms, 0 when the key is persistent.
func (e *Entry) ExpireAt() int64 { return e.exp }

// The storage quota bounds the memory a tenant really holds, so a key and
// each element of a collection are charged what they cost beyond the bytes
// of their content. Measured on Go 1.26 (amd64) as the live heap after a GC
// (TestChargesCoverHeap), at the worst moment of each structure: a ring, a
// member slice or a table just after it doubled. Content of 0 to 128 bytes
// per key, value, field or member:
//
//	string key (Entry, ordered id, index slot, content rounding)  59-73 bytes
//	TTL (deadline tree item)                                       24-25
//	list element (ring slot, doubled ring, element rounding)       24-63
//	set member (slice slot, map slot, string rounding)             54-87
//	hash field (slice entry, map slot, two roundings)              72-120
//	zset member beyond its content and 8-byte score (entry, tree,
//	bucket slot)                                                   84-116
//
// Each charge is at least the largest of its row. KeyCharge also covers
// the structure of a one-element collection beyond its own charges: with
// 112 every such key stays at least 29 bytes under what it is charged
// (128 until the entry went from 48 bytes to 32). Content longer than 128
// bytes is counted at its length; the allocator rounds it up by at most a
// quarter more (well under 1% from 1 MB on), which no fixed charge can cover.
const (
	KeyCharge        = 112
	TTLCharge        = 32
	ListElemCharge   = 64
	SetMemberCharge  = 96
	HashFieldCharge  = 128
	ZSetMemberCharge = 128

	// A collection's own structure (its header, a small ring, a map's first
	// group), charged once per key on top of KeyCharge; measured with one
	// element per key, beyond the key and element charges: list 80-111,
	// set 240-271 (both about 32 more since they carry a packed form), hash
	// 176-212 (a map once a value is over 64 bytes), zset 96-127.
	ListCharge = 128
	SetCharge  = 288
	HashCharge = 256
	ZSetCharge = 160

	// A packed hash (hashPackMax) holds its fields in one byte slice: a
	// length byte before each field and value, and room grown by a
	// quarter, then rounded to a size class. Measured per key beyond the
	// key's charge and the content (TestChargesCoverPackedHashes), 1 to 32
	// fields of up to 64 bytes: the header and slack up to 160 bytes for
	// 3 fields and 800 for 32 with a 48-byte header; the header is 32 bytes
	// since round 9, and the charge 16 less with it. Charged per key and
	// per field:
	HashPackedCharge      = 80
	HashPackedFieldCharge = 48

	// A packed sorted set (zset_packed.go) holds its members in one byte
	// slice beside their 8-byte scores: a length byte before each, room
	// grown by a quarter, then rounded to a size class. Measured as above
	// (TestChargesCoverPackedZSets), 1 to 128 members of up to 64 bytes:
	ZSetPackedCharge       = 160
	ZSetPackedMemberCharge = 40

	// A packed list (list_packed.go) holds its elements in one byte
	// slice, a length byte before each; a packed set (set_packed.go) its
	// members, a length and a tag byte before each. The slices grow by a
	// quarter and are rebuilt once under two thirds full. Measured per key
	// beyond the key's charge and the content (TestChargesCoverPackedLists,
	// TestChargesCoverPackedSets), 1 to 128 elements of up to 64 bytes: the
	// header and slack take at most 96 bytes a key plus 38 an element (a
	// list: 64 for a one-element list), 96 plus 39 a member (a set: 80 for
	// one member). An intset keeps the table's charges (it holds 8 to 16
	// bytes a member), so that outgrowing it costs nothing.
	ListPackedCharge      = 96
	ListPackedElemCharge  = 40
	SetPackedCharge       = 96
	SetPackedMemberCharge = 40

	// A stream (engine/stream.go): the key's structure, each entry (its
	// slot in a node, its field slice and buffer), each field or value
	// (a slice header and rounding), each pending entry (shared by the
	// group's and the consumer's trees), each consumer and group (a map
	// slot, its trees). Measured as above, beyond content of 0-128 bytes:
	// an entry of one pair 147-247, of three pairs 243-403, a pending
	// entry with its entry 216-232, a consumer 165-181, a group 245-261,
	// a one-entry stream with its key 585-704.
	StreamCharge         = 256
	StreamEntryCharge    = 96
	StreamElemCharge     = 32
	StreamPendingCharge  = 112
	StreamConsumerCharge = 256
	StreamGroupCharge    = 384
)

func (e *Entry) valueSize() int64 {
	if e.flags&fObj == 0 {
		if e.Kind == KindString {
			return int64(e.vlen)
		}
		return 0
	}
	switch o := e.Obj().(type) {
	case *List:
		if o.Packed() {
			return ListPackedCharge + o.Size() + int64(o.Len())*ListPackedElemCharge
		}
		return ListCharge + o.Size() + int64(o.Len())*ListElemCharge
	case *Set:
		if o.Packed() {
			return SetPackedCharge + o.Size() + int64(o.Len())*SetPackedMemberCharge
		}
		return SetCharge + o.Size() + int64(o.Len())*SetMemberCharge
	case *Hash:
		if o.packed() {
			return HashPackedCharge + o.Size() + int64(o.Len())*HashPackedFieldCharge
		}
		return HashCharge + o.Size() + int64(o.Len())*HashFieldCharge
	case *ZSet:
		if o.Packed() {
			return ZSetPackedCharge + o.Size() + int64(o.Len())*ZSetPackedMemberCharge
		}
		return ZSetCharge + o.Size() + int64(o.Len())*ZSetMemberCharge
	case *Stream:
		return StreamCharge + o.Size() + int64(o.Len())*StreamEntryCharge + int64(o.Elems())*StreamElemCharge +
			int64(o.Pending())*StreamPendingCharge + int64(o.ConsumerCount())*StreamConsumerCharge +
			int64(o.GroupCount())*StreamGroupCharge
	default:
		return o.Size()
	}
}

// accounted is what the entry stored under a key of keyLen bytes counts
// in its namespace's bytes.
func (e *Entry) accounted(keyLen int) int64 {
	n := int64(keyLen) + KeyCharge + e.valueSize()
	if e.exp != 0 {
		n += TTLCharge
	}
	return n
}

// Clone returns a deep copy without expiry.
func (e *Entry) Clone() *Entry {
	c := &Entry{Kind: e.Kind, Raw: e.Raw} // COPY keeps "raw", as Redis's dupStringObject does
	if e.Kind == KindString {
		c.setStr(append([]byte(nil), e.Str()...))
	} else if o := e.Obj(); o != nil {
		c.SetObj(o.Clone())
	}
	return c
}
