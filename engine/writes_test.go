package engine

import (
	"fmt"
	"slices"
	"testing"
)

// TestWritesCountWhatChanged: a transaction counts the changes it made
// (and, tracked, their keys); reclaiming an expired key is not one of
// them but is told to the expiry hook with the time it was judged expired.
func TestWritesCountWhatChanged(t *testing.T) {
	const now = int64(1_000_000)
	cases := []struct {
		name    string
		setup   func(tx *Tx)
		op      func(tx *Tx)
		n       int
		keys    []string
		expired []string
	}{
		{name: "put new", op: func(tx *Tx) { tx.Put([]byte("a"), NewString([]byte("1"))) }, n: 1, keys: []string{"a"}},
		{name: "overwrite", setup: func(tx *Tx) { tx.Put([]byte("a"), NewString([]byte("1"))) },
			op: func(tx *Tx) { tx.Put([]byte("a"), NewString([]byte("2"))) }, n: 1, keys: []string{"a"}},
		{name: "delete missing", op: func(tx *Tx) { tx.Delete([]byte("a")) }},
		{name: "delete live", setup: func(tx *Tx) { tx.Put([]byte("a"), NewString([]byte("1"))) },
			op: func(tx *Tx) { tx.Delete([]byte("a")) }, n: 1, keys: []string{"a"}},
		{name: "delete expired", setup: func(tx *Tx) { tx.PutExpire([]byte("a"), NewString([]byte("1")), now-1) },
			op: func(tx *Tx) { tx.Delete([]byte("a")) }, expired: []string{"a@1000000"}},
		{name: "lazy expiry", setup: func(tx *Tx) { tx.PutExpire([]byte("a"), NewString([]byte("1")), now-1) },
			op: func(tx *Tx) { tx.Get([]byte("a")) }, expired: []string{"a@1000000"}},
		{name: "same expiry", setup: func(tx *Tx) { tx.PutExpire([]byte("a"), NewString([]byte("1")), now+5) },
			op: func(tx *Tx) { tx.SetExpire([]byte("a"), tx.Get([]byte("a")), now+5) }},
		{name: "new expiry", setup: func(tx *Tx) { tx.Put([]byte("a"), NewString([]byte("1"))) },
			op: func(tx *Tx) { tx.SetExpire([]byte("a"), tx.Get([]byte("a")), now+5) }, n: 1, keys: []string{"a"}},
		{name: "updated", setup: func(tx *Tx) { tx.Put([]byte("a"), NewString([]byte("1"))) },
			op: func(tx *Tx) { tx.Updated([]byte("a"), tx.Get([]byte("a"))) }, n: 1, keys: []string{"a"}},
		{name: "flush", setup: func(tx *Tx) {
			tx.Put([]byte("a"), NewString([]byte("1")))
			tx.Put([]byte("b"), NewString([]byte("1")))
		}, op: func(tx *Tx) { tx.Flush() }, n: 2, keys: []string{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engineNew(t, 4)
			ns := e.Namespace("")
			var expired []string
			e.SetWriteHooks(&WriteHooks{Track: true, Expired: func(ns *Namespace, key []byte, at int64) {
				expired = append(expired, fmt.Sprintf("%s@%d", key, at))
			}})
			tx := e.NewTx()
			tx.Now = now
			tx.BeginAll(ns, true)
			defer tx.End()
			if tc.setup != nil {
				tc.setup(tx)
			}
			tx.TakeWrites()
			tc.op(tx)
			w := tx.TakeWrites()
			var keys []string
			for _, k := range w.Keys {
				keys = append(keys, string(k.Key))
			}
			slices.Sort(keys)
			keys = slices.Compact(keys)
			if w.N != tc.n {
				t.Errorf("changes %d, want %d", w.N, tc.n)
			}
			if !slices.Equal(keys, tc.keys) {
				t.Errorf("keys %q, want %q", keys, tc.keys)
			}
			if !slices.Equal(expired, tc.expired) {
				t.Errorf("expired %q, want %q", expired, tc.expired)
			}
			if w := tx.TakeWrites(); w.N != 0 || len(w.Keys) != 0 {
				t.Errorf("taken twice: %+v", w)
			}
		})
	}
}

// TestWritesKeysBounded: a transaction that changes many keys keeps at most
// maxTouched of them, and says there were more.
func TestWritesKeysBounded(t *testing.T) {
	e := engineNew(t, 4)
	ns := e.Namespace("")
	e.SetWriteHooks(&WriteHooks{Track: true})
	engineWrite(e, ns, func(tx *Tx) {
		for i := range 1000 {
			tx.Put(fmt.Appendf(nil, "k%d", i), NewString([]byte("v")))
		}
		w := tx.TakeWrites()
		if w.N != 1000 || len(w.Keys) != maxTouched || !w.More {
			t.Fatalf("N %d, %d keys, more %v", w.N, len(w.Keys), w.More)
		}
	})
	// Untracked, nothing is kept: the count alone.
	e.SetWriteHooks(nil)
	engineWrite(e, ns, func(tx *Tx) {
		tx.Put([]byte("x"), NewString([]byte("v")))
		if w := tx.TakeWrites(); w.N != 1 || len(w.Keys) != 0 {
			t.Fatalf("untracked: %+v", w)
		}
	})
}

// TestPinClock: a pinned clock is every transaction's time and active
// expiry's, whatever the wall clock says; unpinned, time moves again.
func TestPinClock(t *testing.T) {
	e := engineNew(t, 4)
	ns := e.Namespace("")
	const then = int64(1_000_000)
	var expired []string
	e.SetWriteHooks(&WriteHooks{Expired: func(_ *Namespace, key []byte, at int64) {
		expired = append(expired, fmt.Sprintf("%s@%d", key, at))
	}})
	e.PinClock(then)
	engineWrite(e, ns, func(tx *Tx) {
		if tx.Now != then {
			t.Fatalf("Now %d under a pinned clock %d", tx.Now, then)
		}
		tx.PutExpire([]byte("a"), NewString([]byte("1")), then+10)
	})
	e.ReclaimExpired()
	engineRead(e, ns, func(tx *Tx) {
		if tx.Get([]byte("a")) == nil {
			t.Fatal("a key alive at the pinned time is gone")
		}
	})
	e.PinClock(then + 10)
	e.ReclaimExpired()
	if !slices.Equal(expired, []string{"a@1000010"}) {
		t.Fatalf("expired %q", expired)
	}
	e.PinClock(0)
	engineWrite(e, ns, func(tx *Tx) {
		if tx.Now <= then+10 {
			t.Fatalf("unpinned Now %d", tx.Now)
		}
	})
}

// TestWritesReserveForFlushWalk: a flush that walks takes its place in the
// order of writes once, as it begins (a FLUSHALL flushes several
// namespaces); one under a lock set of every shard (EXEC) needs none.
func TestWritesReserveForFlushWalk(t *testing.T) {
	e := engineNew(t, 4)
	a, b := e.Namespace("a"), e.Namespace("b")
	var seq uint64
	e.SetWriteHooks(&WriteHooks{Reserve: func() uint64 { seq++; return seq }})
	engineWrite(e, a, func(tx *Tx) { tx.Put([]byte("k"), NewString([]byte("v"))) })
	tx := e.NewTx()
	tx.BeginWalk(a, true)
	tx.Flush()
	tx.In(b).Flush()
	if w := tx.TakeWrites(); w.Seq != 1 || w.N != 1 {
		t.Fatalf("walk: %+v", w)
	}
	tx.End()
	engineWrite(e, a, func(tx *Tx) {
		tx.Flush()
		if w := tx.TakeWrites(); w.Seq != 0 {
			t.Fatalf("under every lock: reserved %d", w.Seq)
		}
	})
}
