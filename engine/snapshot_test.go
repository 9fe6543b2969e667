package engine

import (
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"
)

// snapEncode records a key as "namespace/key=value" lines.
func snapEncode(dst []byte, ns *Namespace, en *Entry) []byte {
	return fmt.Appendf(dst, "%s/%s=%s exp=%d\n", ns.Name, en.keyString(), en.Str(), en.exp)
}

// drain runs a snapshot's walk to its end and returns what it encoded.
func drain(s *Snapshot) map[string]bool {
	out := map[string]bool{}
	var buf []byte
	for i := range s.Shards() {
		for done := false; !done; {
			buf, done = s.Next(i, buf)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(string(buf)), "\n") {
		if l != "" {
			if out[l] {
				panic("encoded twice: " + l)
			}
			out[l] = true
		}
	}
	return out
}

// state renders what a snapshot taken now should hold.
func state(e *Engine) map[string]bool {
	out := map[string]bool{}
	for _, ns := range e.Namespaces() {
		tx := e.NewTx()
		tx.BeginAll(ns, false)
		tx.EachStored(func(key []byte, en *Entry) bool {
			out[strings.TrimSuffix(string(snapEncode(nil, ns, en)), "\n")] = true
			return true
		})
		tx.End()
	}
	return out
}

// Every way a write reaches the data, after the cut and before the walk
// gets there: the snapshot still holds the state at the cut, each key
// once, and the engine's check saw nothing escape.
func TestSnapshotKeepsTheCut(t *testing.T) {
	t.Run("hashes", func(t *testing.T) { snapshotKeepsTheCut(t, nil) })
	// Keys sharing chains: a write to one captures its whole chain, and
	// a key created in a captured chain stays out of the snapshot.
	t.Run("collisions", func(t *testing.T) {
		snapshotKeepsTheCut(t, func(k []byte) uint32 { return uint32(k[len(k)-1]%4) << 30 })
	})
}

func snapshotKeepsTheCut(t *testing.T, hash func([]byte) uint32) {
	e := engineNew(t, 4)
	e.hashFn = hash
	a, b := e.Namespace(""), e.Namespace("user:t:")
	var keys [][]byte
	for i := range 300 {
		keys = append(keys, fmt.Appendf(nil, "k%d", i))
	}
	for _, ns := range []*Namespace{a, b} {
		engineWrite(e, ns, func(tx *Tx) {
			for i, k := range keys {
				at := int64(0)
				if i%10 == 0 {
					at = tx.Now + 50 // expires before the walk runs
				}
				tx.PutExpire(k, NewString([]byte("v0")), at)
			}
		})
	}
	e.SetWriteHooks(&WriteHooks{Reserve: func() uint64 { return 1 }})
	want := state(e)
	s, err := e.BeginSnapshot(snapEncode, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.End()
	if _, err := e.BeginSnapshot(snapEncode, nil); err != ErrSnapshotRunning {
		t.Errorf("a second snapshot: %v", err)
	}
	// Active expiry.
	time.Sleep(60 * time.Millisecond)
	e.ReclaimExpired()
	// Eviction takes keys under its own lock, outside any transaction.
	for range 20 {
		if _, ok := e.Evict([]*Namespace{b}, AllKeysRandom, 5); !ok {
			t.Fatal("nothing evicted")
		}
	}
	// Point writes of every kind through locate.
	engineWrite(e, a, func(tx *Tx) {
		tx.Put(keys[1], NewString([]byte("overwritten")))
		tx.Delete(keys[2])
		tx.Put([]byte("created-after-cut"), NewString([]byte("new")))
		tx.SetExpire(keys[3], tx.Get(keys[3]), tx.Now+100000)
		en := tx.Get(keys[4])
		tx.SetStr(en, append(en.Str(), "-appended"...))
		tx.Updated(keys[4], en)
	})
	// A view of another namespace (MOVE, COPY ... DB).
	engineWrite(e, a, func(tx *Tx) { tx.In(b).Put(keys[5], NewString([]byte("moved in"))) })
	// A flush walk of one namespace, and a walk under a write lock.
	tx := e.NewTx()
	tx.BeginWalk(b, true)
	tx.Flush()
	tx.End()
	engineWrite(e, a, func(tx *Tx) {
		tx.Each(func(key []byte, en *Entry) bool {
			tx.SetStr(en, []byte("rewritten by a walk"))
			tx.Updated(key, en)
			return true
		})
	})
	// The pre-images wait in side buffers; draining them ahead of the
	// walk changes nothing of the result.
	if s.Pending() == 0 {
		t.Fatal("no pre-image waiting after writes ahead of the walk")
	}
	var side []byte
	for i := range s.Shards() {
		side = s.Drain(i, side)
	}
	if s.Pending() != 0 || int64(len(side)) == 0 {
		t.Errorf("after draining: %d bytes pending, %d drained", s.Pending(), len(side))
	}
	got := drain(s)
	for _, l := range strings.Split(strings.TrimSpace(string(side)), "\n") {
		if got[l] {
			t.Errorf("encoded twice: %s", l)
		}
		got[l] = true
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		for k := range want {
			if !got[k] {
				t.Errorf("missing %s", k)
			}
		}
		for k := range got {
			if !want[k] {
				t.Errorf("not at the cut: %s", k)
			}
		}
	}
	if s.Preimaged() == 0 || s.Keys() != int64(len(want)) {
		t.Errorf("%d keys (%d pre-images), want %d", s.Keys(), s.Preimaged(), len(want))
	}
}

// A change that bypasses the pre-images is caught: the snapshot is
// marked failed rather than written with data from after its cut.
func TestSnapshotCatchesAnEscapedWrite(t *testing.T) {
	e := engineNew(t, 1)
	ns := e.Namespace("")
	engineWrite(e, ns, func(tx *Tx) { tx.Put([]byte("a"), NewString([]byte("1"))) })
	s, err := e.BeginSnapshot(snapEncode, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.End()
	engineWrite(e, ns, func(tx *Tx) {
		// Straight to the shard, as a write path that forgot locate would.
		key := []byte("b")
		h := e.hash(key)
		en, _ := newKeyed(key, 0)
		en.Kind = KindString
		tx.insert(&e.shards[0], treeID(ns.ID, h), en, 0)
	})
	drain(s)
	if s.Err() == nil {
		t.Fatal("a write past the protocol went unnoticed")
	}
}

// A flush walk that took its place in the order of writes holds the cut
// off until it ends, so a cut never falls inside a flush.
func TestSnapshotCutWaitsForFlushWalk(t *testing.T) {
	e := engineNew(t, 4)
	ns := e.Namespace("")
	engineWrite(e, ns, func(tx *Tx) {
		for i := range 100 {
			tx.Put(fmt.Appendf(nil, "k%d", i), NewString([]byte("v")))
		}
	})
	e.SetWriteHooks(&WriteHooks{Reserve: func() uint64 { return 1 }})
	paused, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.SetWalkHook(func(holding bool) {
		if !holding {
			once.Do(func() { close(paused); <-resume })
		}
	})
	tx := e.NewTx()
	tx.BeginWalk(ns, true)
	go func() {
		tx.Flush()
		time.Sleep(20 * time.Millisecond)
		tx.End()
	}()
	<-paused
	e.SetWalkHook(nil)
	cut := make(chan int64, 1)
	go func() {
		s, err := e.BeginSnapshot(snapEncode, func() { cut <- ns.Keys() })
		if err == nil {
			s.End()
		}
	}()
	select {
	case <-cut:
		t.Fatal("the cut ran inside a flush walk")
	case <-time.After(30 * time.Millisecond):
	}
	close(resume)
	if n := <-cut; n != 0 {
		t.Errorf("the cut saw %d keys: inside the flush", n)
	}
}
