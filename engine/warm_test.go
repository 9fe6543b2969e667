package engine

import (
	"strconv"
	"testing"
)

// Warm only reads: whatever keys it is given (missing, repeated, more than
// MaxWarm, colliding, across every shard), it leaves no lock held and no
// value or count changed, and it does nothing inside an open transaction.
func TestWarmChangesNothing(t *testing.T) {
	for _, collide := range []bool{false, true} {
		e := New(16)
		if collide {
			e.hashFn = func(k []byte) uint32 { return uint32(k[len(k)-1]%4) << 28 }
		}
		ns := e.Namespace("")
		tx := e.NewTx()
		var keys [][]byte
		for i := range 100 {
			k := []byte("k" + strconv.Itoa(i))
			keys = append(keys, k)
			if i%3 == 0 {
				continue // some keys stay missing
			}
			tx.Begin(ns, [][]byte{k}, true)
			tx.SetString(k, []byte(strconv.Itoa(i)), 0)
			tx.End()
		}
		keys = append(keys, keys[5], keys[5], []byte{})
		wantKeys, wantBytes := ns.Keys(), ns.Bytes()

		tx.Warm(ns, keys)
		tx.Warm(ns, keys[:3])
		tx.Warm(ns, nil)
		if tx.Active() {
			t.Fatal("Warm left locks held")
		}
		// Every shard can be write-locked by another transaction at once.
		other := e.NewTx()
		other.BeginAll(ns, true)
		other.End()

		// Inside an open transaction Warm must not take locks again.
		tx.Begin(ns, keys[:1], true)
		tx.Warm(ns, keys)
		tx.End()

		if ns.Keys() != wantKeys || ns.Bytes() != wantBytes {
			t.Fatalf("collide=%v: counts changed: %d keys %d bytes, want %d, %d", collide, ns.Keys(), ns.Bytes(), wantKeys, wantBytes)
		}
		for i, k := range keys[:100] {
			tx.Begin(ns, [][]byte{k}, false)
			en := tx.Get(k)
			switch {
			case i%3 == 0 && en != nil:
				t.Fatalf("collide=%v: %s appeared", collide, k)
			case i%3 != 0 && (en == nil || string(en.Str()) != strconv.Itoa(i)):
				t.Fatalf("collide=%v: %s = %v", collide, k, en)
			}
			tx.End()
		}
		e.Close()
	}
}

// Connections warm at the same time as others warm and write: Warm must be
// free of data races (go test -race) and take its locks like any reader.
func TestWarmConcurrent(t *testing.T) {
	e := New(8)
	defer e.Close()
	ns := e.Namespace("")
	var keys [][]byte
	for i := range 64 {
		keys = append(keys, []byte("k"+strconv.Itoa(i)))
	}
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			tx := e.NewTx()
			for i := range 2000 {
				if g == 0 {
					k := keys[i%len(keys)]
					tx.Begin(ns, [][]byte{k}, true)
					tx.SetString(k, []byte("v"), 0)
					tx.End()
					continue
				}
				tx.Warm(ns, keys[i%8:i%8+16])
			}
		}()
	}
	for range 4 {
		<-done
	}
}
