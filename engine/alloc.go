package engine

import (
	"math"
	"unsafe"
)

// Every stored key is allocated as one object holding the Entry and the
// key's bytes, and a string's value too when it fits, in a few size
// classes. A lookup then reads the entry, compares the key and returns the
// value from one or two neighbouring cache lines instead of three
// scattered objects, and a SET of a new key costs one allocation instead
// of three. The key's place is derived from the entry's (keyString), so no
// word of the entry points at it; the value view is an interior pointer,
// which keeps the whole object alive.
//
// The buffer sizes make Entry (32 bytes) plus buffer land exactly on Go's
// size classes (48, 64, 80, ... 240, 256), so no class rounds up into bytes
// nobody can use. redis-benchmark's and the memory benchmark's 12-16-byte
// keys with short or 16-byte values fill the 64-byte class; a 20-byte key
// with a counter's 20 reserved digits the 80-byte one.
type (
	entry16 struct {
		Entry
		b [16]byte
	}
	entry32 struct {
		Entry
		b [32]byte
	}
	entry48 struct {
		Entry
		b [48]byte
	}
	entry64 struct {
		Entry
		b [64]byte
	}
	entry80 struct {
		Entry
		b [80]byte
	}
	entry96 struct {
		Entry
		b [96]byte
	}
	entry112 struct {
		Entry
		b [112]byte
	}
	entry128 struct {
		Entry
		b [128]byte
	}
	entry144 struct {
		Entry
		b [144]byte
	}
	entry160 struct {
		Entry
		b [160]byte
	}
	entry176 struct {
		Entry
		b [176]byte
	}
	entry192 struct {
		Entry
		b [192]byte
	}
	entry208 struct {
		Entry
		b [208]byte
	}
	entry224 struct {
		Entry
		b [224]byte
	}
)

// maxInline is the largest buffer of the inline classes.
const maxInline = 224

// allocEntry returns a new entry with an inline buffer of at least n bytes
// (n <= maxInline) following it in the same allocation.
func allocEntry(n int) (*Entry, []byte) {
	switch {
	case n <= 16:
		o := new(entry16)
		return &o.Entry, o.b[:]
	case n <= 32:
		o := new(entry32)
		return &o.Entry, o.b[:]
	case n <= 48:
		o := new(entry48)
		return &o.Entry, o.b[:]
	case n <= 64:
		o := new(entry64)
		return &o.Entry, o.b[:]
	case n <= 80:
		o := new(entry80)
		return &o.Entry, o.b[:]
	case n <= 96:
		o := new(entry96)
		return &o.Entry, o.b[:]
	case n <= 112:
		o := new(entry112)
		return &o.Entry, o.b[:]
	case n <= 128:
		o := new(entry128)
		return &o.Entry, o.b[:]
	case n <= 144:
		o := new(entry144)
		return &o.Entry, o.b[:]
	case n <= 160:
		o := new(entry160)
		return &o.Entry, o.b[:]
	case n <= 176:
		o := new(entry176)
		return &o.Entry, o.b[:]
	case n <= 192:
		o := new(entry192)
		return &o.Entry, o.b[:]
	case n <= 208:
		o := new(entry208)
		return &o.Entry, o.b[:]
	case n <= 224:
		o := new(entry224)
		return &o.Entry, o.b[:]
	}
	panic("engine: inline entry too large")
}

// newKeyed returns a new entry holding key, with room for vroom value
// bytes after it when they fit the inline classes (room is then the
// buffer after the key, at least vroom), or room nil.
func newKeyed(key []byte, vroom int) (en *Entry, room []byte) {
	if len(key) > maxInline {
		o := &entryKeyOut{kp: unsafe.StringData(string(key))}
		if uint64(len(key)) > math.MaxUint32 {
			panic("engine: key longer than 4 GB")
		}
		o.klen = uint32(len(key))
		o.flags = fKeyOut | fKeyed
		return &o.Entry, nil
	}
	n := len(key) + vroom
	if n > maxInline {
		n, vroom = len(key), -1
	}
	en, buf := allocEntry(n)
	copy(buf, key)
	en.klen = uint32(len(key))
	en.flags = fKeyed
	if vroom < 0 {
		return en, nil
	}
	return en, buf[len(key):]
}

// newInline returns a string entry of key whose value (with room for vcap
// value bytes) lives inside the entry's own allocation, or nil when it does
// not fit the largest class.
func newInline(key, val []byte, vcap int) *Entry {
	vcap = max(vcap, len(val))
	if len(key)+vcap > maxInline {
		return nil
	}
	en, room := newKeyed(key, vcap)
	copy(room, val)
	en.setStr(room[:len(val)])
	en.Kind = KindString
	return en
}

// stored returns the entry to store under key for src, an entry built
// without a key (NewObject, StringEntry, Clone, or one removed from
// another key): a new allocation holding key, src's value inline when it
// is a string that fits, src's value pointer otherwise.
func stored(key []byte, src *Entry) *Entry {
	if src.flags&fObj == 0 && src.Kind == KindString {
		if en := newInline(key, src.Str(), 0); en != nil {
			en.Raw = src.Raw
			return en
		}
	}
	en, _ := newKeyed(key, 0)
	en.setValue(src)
	return en
}

// SetString stores a copy of val as key's string value with absolute expiry
// at (0: none), replacing any value. An existing string's buffer is reused
// when the new value is about its size, so overwriting a fixed-size value
// allocates nothing.
func (tx *Tx) SetString(key, val []byte, at int64) *Entry {
	return tx.SetStringCap(key, val, at, 0)
}

// MaxIntLen is the longest decimal int64.
const MaxIntLen = 20

// SetStringCap is SetString reserving room for vcap value bytes in a new
// entry: a counter reserves MaxIntLen so INCR rewrites it in place forever.
func (tx *Tx) SetStringCap(key, val []byte, at int64, vcap int) *Entry {
	return tx.setString(key, val, at, vcap, false)
}

// Store is SetString for a caller that has not looked key up (a plain
// SET): it does the lookup's part as Get would, expiring a key found past
// its deadline (counted, notified) and touching a live one (an access for
// LRU and LFU), in the same walk to the key. The lookup SET made first
// was a second walk, a tenth of its CPU.
func (tx *Tx) Store(key, val []byte, at int64) *Entry {
	return tx.setString(key, val, at, 0, true)
}

func (tx *Tx) setString(key, val []byte, at int64, vcap int, looked bool) *Entry {
	tx.mustWrite()
	at = tx.capAt(at)
	sh, id := tx.locate(key)
	old := sh.find(id, key)
	if old != nil && looked {
		if !tx.live(old) {
			tx.reclaim(sh, id, old)
			old = nil
		} else {
			tx.touch(old)
		}
	}
	if old != nil {
		// A string counts its length in the quota, so a buffer much larger
		// than the new value is not kept: at most a quarter more, which
		// the allocator's own rounding of a fresh buffer may cost too. The
		// capacity Str reports may be an eighth under the buffer's
		// (capCode), so the bound is on that eighth more.
		before := old.size()
		if b := old.Str(); old.Kind == KindString && cap(b) >= len(val) && cap(b)+cap(b)/8 <= len(val)+len(val)/4+32 {
			old.setStr(append(b[:0], val...))
		} else {
			old.setStr(append(make([]byte, 0, len(val)), val...))
		}
		old.Kind, old.Raw = KindString, false
		if d := old.size() - before; d != 0 {
			tx.ns.bytes.Add(d) // the common overwrite of a same-size value touches no shared counter
		}
		tx.rewritten(old)
		tx.Updated(key, old)
		tx.setExpire(sh, id, old, at)
		return old
	}
	en := newInline(key, val, vcap)
	if en == nil {
		en, _ = newKeyed(key, 0)
		en.setStr(append(make([]byte, 0, len(val)), val...))
		en.Kind = KindString
	}
	en.lru = tx.e.initialLRU(tx.ns)
	tx.insert(sh, id, en, at)
	return en
}
