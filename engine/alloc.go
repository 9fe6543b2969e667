package engine

import "unsafe"

// A new string key is allocated as one object holding the Entry, the key's
// bytes and the value's bytes, in a few size classes. A lookup then reads the
// entry, compares the key and returns the value from one or two neighbouring
// cache lines instead of three scattered objects, and a SET of a new key
// costs one allocation instead of three. The key and value views are
// interior pointers, which keep the whole object alive.
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
	entry96 struct {
		Entry
		b [96]byte
	}
	entry128 struct {
		Entry
		b [128]byte
	}
)

// newInline returns an entry whose key and value (with room for vcap value
// bytes) live inside the entry's own allocation, or nil when they do not fit
// the largest class.
func newInline(key, val []byte, vcap int) *Entry {
	vcap = max(vcap, len(val))
	n := len(key) + vcap
	var en *Entry
	var buf []byte
	switch {
	case n <= 16:
		o := new(entry16)
		en, buf = &o.Entry, o.b[:]
	case n <= 32:
		o := new(entry32)
		en, buf = &o.Entry, o.b[:]
	case n <= 48:
		o := new(entry48)
		en, buf = &o.Entry, o.b[:]
	case n <= 64:
		o := new(entry64)
		en, buf = &o.Entry, o.b[:]
	case n <= 96:
		o := new(entry96)
		en, buf = &o.Entry, o.b[:]
	case n <= 128:
		o := new(entry128)
		en, buf = &o.Entry, o.b[:]
	default:
		return nil
	}
	copy(buf, key)
	copy(buf[len(key):], val)
	if len(key) > 0 {
		en.key = unsafe.String(&buf[0], len(key))
	}
	en.Str = buf[len(key) : len(key)+len(val) : n]
	en.Kind = KindString
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
	tx.mustWrite()
	at = tx.capAt(at)
	sh, id := tx.locate(key)
	if old := sh.find(id, key); old != nil {
		if old.Kind == KindString && cap(old.Str) >= len(val) && cap(old.Str) <= 2*len(val)+32 {
			old.Str = append(old.Str[:0], val...)
		} else {
			old.Str = append(make([]byte, 0, len(val)), val...)
		}
		old.Kind, old.Obj, old.Raw = KindString, nil, false
		old.lru = tx.e.clock.Load()
		tx.Updated(key, old)
		tx.setExpire(sh, id, old, at)
		return old
	}
	en := newInline(key, val, vcap)
	if en == nil {
		en = NewString(val)
		en.key = string(key)
	}
	en.lru = tx.e.clock.Load()
	en.size = int64(len(key)) + int64(len(val))
	tx.insert(sh, id, en, at)
	return en
}
