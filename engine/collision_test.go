package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Keys whose 32-bit hashes collide share one tree slot as a chain. With a
// hash that has only four values every operation runs on long chains, and a
// model map says what must be stored after each step.
func TestEngineHashCollisions(t *testing.T) {
	e := engineNew(t, 4)
	e.hashFn = func(k []byte) uint32 { return uint32(k[len(k)-1]%4) << 30 }
	a, b := e.Namespace("a"), e.Namespace("b")
	model := map[string]string{}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := 0; step < 4000; step++ {
		key := fmt.Sprintf("k%d", rng.IntN(60))
		engineWrite(e, a, func(tx *Tx) {
			switch rng.IntN(4) {
			case 0, 1:
				v := fmt.Sprint(step)
				tx.Put([]byte(key), NewString([]byte(v)))
				model[key] = v
			case 2:
				if got, want := tx.Delete([]byte(key)), model[key] != ""; got != want {
					t.Fatalf("step %d: Delete(%s) = %v, want %v", step, key, got, want)
				}
				delete(model, key)
			case 3:
				if en := tx.Get([]byte(key)); en != nil {
					tx.SetExpire([]byte(key), en, tx.Now+int64(1+rng.IntN(1000))*1000)
				}
			}
		})
		// The same names in another namespace never mix with a's chains.
		// (k1 is written on every step, so it always exists in b.)
		engineWrite(e, b, func(tx *Tx) { tx.Put([]byte(key), NewString([]byte("other"))) })
	}
	var bytes int64
	engineRead(e, a, func(tx *Tx) {
		for k, v := range model {
			en := tx.Get([]byte(k))
			if en == nil || string(en.Str()) != v {
				t.Fatalf("%s: got %v, want %q", k, en, v)
			}
			bytes += int64(len(k)+len(v)) + KeyCharge
			if en.ExpireAt() != 0 {
				bytes += TTLCharge
			}
		}
		var seen []string
		for cur := uint64(0); ; {
			cur = tx.Scan(cur, 3, func(k []byte, _ *Entry) { seen = append(seen, string(k)) })
			if cur == 0 {
				break
			}
		}
		var want []string
		for k := range model {
			want = append(want, k)
		}
		slices.Sort(seen)
		slices.Sort(want)
		if !slices.Equal(seen, want) {
			t.Fatalf("scan over chains: got %d keys, want %d", len(seen), len(want))
		}
	})
	if a.Keys() != int64(len(model)) || a.Bytes() != bytes {
		t.Fatalf("counts: keys %d bytes %d, want %d %d", a.Keys(), a.Bytes(), len(model), bytes)
	}
	// Expire part of a through the TTL index: reclaiming unlinks from chains.
	engineWrite(e, a, func(tx *Tx) {
		for k := range model {
			if k[len(k)-1]%2 == 0 {
				en := tx.Get([]byte(k))
				tx.SetExpire([]byte(k), en, tx.Now+1)
			}
		}
	})
	for k := range model {
		if k[len(k)-1]%2 == 0 {
			delete(model, k)
		}
	}
	time.Sleep(5 * time.Millisecond) // past the 1 ms deadlines
	e.ReclaimExpired()
	if a.Keys() != int64(len(model)) {
		t.Fatalf("after reclaim: %d keys, want %d", a.Keys(), len(model))
	}
	engineRead(e, a, func(tx *Tx) {
		for k, v := range model {
			if en := tx.Get([]byte(k)); en == nil || string(en.Str()) != v {
				t.Fatalf("after reclaim %s: got %v, want %q", k, en, v)
			}
		}
	})
	engineWrite(e, a, func(tx *Tx) { tx.Flush() })
	engineWant(t, e, a, engineCounts{})
	engineRead(e, b, func(tx *Tx) {
		if en := tx.Get([]byte("k1")); en == nil || string(en.Str()) != "other" {
			t.Fatalf("b lost its keys when a was flushed: %v", en)
		}
	})
}
