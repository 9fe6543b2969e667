package engine

// Assertion is the engine refusing a call that would break its invariants
// (a key outside the command's locks, a write under a read lock), raised
// only while the transaction has changed nothing: a caller may recover it,
// answer an error and go on, as there is nothing to undo. Once a
// transaction may have changed data the same refusal is an ordinary panic,
// which the server does not recover: a half-done change is never served.
type Assertion string

func (a Assertion) Error() string { return string(a) }

// fail raises msg as an Assertion when nothing was changed yet.
func (tx *Tx) fail(msg string) {
	if tx.changed {
		panic(msg + " (after the transaction may have changed data)")
	}
	panic(Assertion(msg))
}
