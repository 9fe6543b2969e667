package engine

// Growth is how many bytes storing a value that accounts value bytes (see
// Entry.ValueSize) under key, replacing its value as Put does, would add
// to the namespace's accounted bytes; negative when it shrinks. A handler
// building a value its arguments do not show (a STORE destination, COPY,
// BITOP) checks it against the quota before storing, or before building
// when it can tell the size in advance.
func (tx *Tx) Growth(key []byte, value int64) int64 {
	n := value + int64(len(key)) + KeyCharge
	if tx.ns.maxTTL.Load() > 0 {
		n += TTLCharge // the cap gives every stored key a TTL
	}
	if old := tx.Peek(key); old != nil {
		n -= old.size()
	}
	return n
}

// ValueSize is what the entry's value accounts in its namespace's bytes:
// its content plus the charge of each element.
func (e *Entry) ValueSize() int64 { return e.valueSize() }
