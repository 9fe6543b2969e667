// Package engine is Synap's storage: shards chosen by key hash, each an
// ordered tidwall/btree map under its own lock, typed values, lazy and active
// expiry, and namespaces with exact key and byte counts.
package engine

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
)

var kindNames = [...]string{"none", "string", "list", "set", "zset", "hash", "stream"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Object is a value of a non-string kind. Size is the bytes it accounts for
// in its namespace's usage; it must be exact, since quotas are enforced on it.
type Object interface {
	Size() int64
	// Encoding is what OBJECT ENCODING reports.
	Encoding() string
	// Clone returns an independent deep copy (COPY).
	Clone() Object
}

// Entry is one key's value. Handlers read and change it only while the
// transaction that returned it holds the key's shard lock, and call
// Tx.Updated after changing it in place.
type Entry struct {
	key  string // the key as the client wrote it
	next *Entry // the next key of this namespace with the same 32-bit hash
	Str  []byte // KindString
	Obj  Object // other kinds
	exp  int64  // absolute unix ms; 0: no expiry
	size int64  // bytes of key and value accounted in the namespace
	lru  uint32 // engine clock seconds at the last access (OBJECT IDLETIME); atomic
	Kind Kind
	// Raw marks a string grown in place (APPEND, SETRANGE): Redis then
	// reports its encoding as "raw" whatever its length.
	Raw bool
}

// NewString returns a string entry holding a copy of v.
func NewString(v []byte) *Entry {
	return &Entry{Kind: KindString, Str: append(make([]byte, 0, len(v)), v...)}
}

// NewObject returns an entry of the given kind.
func NewObject(k Kind, o Object) *Entry { return &Entry{Kind: k, Obj: o} }

// ExpireAt is the absolute expiry in unix ms, 0 when the key is persistent.
func (e *Entry) ExpireAt() int64 { return e.exp }

func (e *Entry) valueSize() int64 {
	if e.Kind == KindString {
		return int64(len(e.Str))
	}
	if e.Obj != nil {
		return e.Obj.Size()
	}
	return 0
}

// Clone returns a deep copy without expiry.
func (e *Entry) Clone() *Entry {
	c := &Entry{Kind: e.Kind, Raw: e.Raw} // COPY keeps "raw", as Redis's dupStringObject does
	if e.Kind == KindString {
		c.Str = append([]byte(nil), e.Str...)
	} else if e.Obj != nil {
		c.Obj = e.Obj.Clone()
	}
	return c
}
