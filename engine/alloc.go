package engine

// A new string key is allocated as one object holding the Entry, the key's
// bytes and the value's bytes, in a few size classes. A lookup then reads the
// entry, compares the key and returns the value from one or two neighbouring
// cache lines instead of three scattered objects, and a SET of a new key
// costs one allocation instead of three. The key and value views are
// interior pointers, which keep the whole object alive.
//
// The buffer sizes make Entry (48 bytes) plus buffer land exactly on Go's
// size classes (64, 80, 96, ... 224, 256), so no class rounds up into bytes
// nobody can use. redis-benchmark's and the memory benchmark's 12-16-byte
// keys with short or 16-byte values fill the 80-byte class; a 20-byte key
// with a counter's 20 reserved digits the 96-byte one.
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
	entry208 struct {
		Entry
		b [208]byte
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
	case n <= 80:
		o := new(entry80)
		en, buf = &o.Entry, o.b[:]
	case n <= 96:
		o := new(entry96)
		en, buf = &o.Entry, o.b[:]
	case n <= 112:
		o := new(entry112)
		en, buf = &o.Entry, o.b[:]
	case n <= 128:
		o := new(entry128)
		en, buf = &o.Entry, o.b[:]
	case n <= 144:
		o := new(entry144)
		en, buf = &o.Entry, o.b[:]
	case n <= 160:
		o := new(entry160)
		en, buf = &o.Entry, o.b[:]
	case n <= 176:
		o := new(entry176)
		en, buf = &o.Entry, o.b[:]
	case n <= 208:
		o := new(entry208)
		en, buf = &o.Entry, o.b[:]
	default:
		return nil
	}
	copy(buf, key)
	copy(buf[len(key):], val)
	if len(key) > 0 {
		en.kp, en.klen = &buf[0], uint32(len(key))
	}
	en.SetStr(buf[len(key) : len(key)+len(val) : n])
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
		// A string counts its length in the quota, so a buffer much larger
		// than the new value is not kept: at most a quarter more, which
		// the allocator's own rounding of a fresh buffer may cost too.
		if b := old.Str(); old.Kind == KindString && cap(b) >= len(val) && cap(b) <= len(val)+len(val)/4+32 {
			old.SetStr(append(b[:0], val...))
		} else {
			old.SetStr(append(make([]byte, 0, len(val)), val...))
		}
		old.Kind, old.Raw = KindString, false
		tx.rewritten(old)
		tx.Updated(key, old)
		tx.setExpire(sh, id, old, at)
		return old
	}
	en := newInline(key, val, vcap)
	if en == nil {
		en = NewString(val)
		en.setKey(string(key))
	}
	en.lru = tx.e.initialLRU(tx.ns)
	en.setSize(en.accounted(len(key)))
	tx.insert(sh, id, en, at)
	return en
}
