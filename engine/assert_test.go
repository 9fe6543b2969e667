package engine

import "testing"

// caught runs fn and returns what it panicked with.
func caught(fn func()) (r any) {
	defer func() { r = recover() }()
	fn()
	return nil
}

// A refusal raised while the transaction has changed nothing is an
// Assertion, which the server may recover; once it may have changed data
// (a write, an entry handed out under a write lock, a walk under a write
// lock, a view for another namespace) it is not.
func TestAssertionOnlyBeforeAnyChange(t *testing.T) {
	e := engineNew(t, 16)
	ns := e.Namespace("")
	a := []byte("a")
	b := keyInOtherShard(e, a)
	cases := []struct {
		name      string
		write     bool
		before    func(tx *Tx)
		assertion bool
	}{
		{"read lock, a read first", false, func(tx *Tx) { tx.Get(a) }, true},
		{"write lock, nothing done", true, func(*Tx) {}, true},
		{"write lock, a write first", true, func(tx *Tx) { tx.Put(a, NewString([]byte("v"))) }, false},
		{"write lock, an entry handed out", true, func(tx *Tx) { tx.Get(a) }, false},
		{"write lock, a view", true, func(tx *Tx) { tx.In(e.Namespace("x")) }, false},
	}
	for _, c := range cases {
		tx := e.NewTx()
		tx.Begin(ns, [][]byte{a}, c.write)
		c.before(tx)
		r := caught(func() { tx.Get(b) })
		_, isAssertion := r.(Assertion)
		if r == nil || isAssertion != c.assertion {
			t.Errorf("%s: panic %#v, want an Assertion: %v", c.name, r, c.assertion)
		}
		tx.End()
		// End forgets: the next transaction starts unchanged.
		tx.Begin(ns, [][]byte{a}, true)
		if _, ok := caught(func() { tx.Get(b) }).(Assertion); !ok {
			t.Errorf("%s: the next transaction inherited the change", c.name)
		}
		tx.End()
	}
	// A write under a read lock is refused before it changes anything.
	tx := e.NewTx()
	tx.Begin(ns, [][]byte{a}, false)
	if _, ok := caught(func() { tx.Delete(a) }).(Assertion); !ok {
		t.Error("write under a read lock: not an Assertion")
	}
	tx.End()
}
