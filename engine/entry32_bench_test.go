package engine

import "testing"

// SETs as a server runs them: an overwrite of a 16-byte value in place
// (no allocation), and new keys (one allocation each: the entry with its
// key and value), with and without a TTL, under the key's shard lock.
func BenchmarkTxSet(b *testing.B) {
	b.Run("overwrite", func(b *testing.B) {
		e, ns, order := benchKeys(b, 100000)
		benchSets(b, e, ns, func(i int) int { return order[i%len(order)] }, false)
	})
	for _, ttl := range []bool{false, true} {
		name := "new"
		if ttl {
			name = "new-ttl"
		}
		b.Run(name, func(b *testing.B) {
			e := New(256)
			b.Cleanup(e.Close)
			benchSets(b, e, e.Namespace(""), func(i int) int { return i }, ttl)
		})
	}
}

// benchSets SETs key(i) for i up to b.N, with a day's TTL when ttl.
func benchSets(b *testing.B, e *Engine, ns *Namespace, key func(i int) int, ttl bool) {
	val := []byte("value:0123456789")
	tx := e.NewTx()
	var buf []byte
	one := [][]byte{nil}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = benchKey(buf, key(i))
		one[0] = buf
		tx.Begin(ns, one, true)
		var at int64
		if ttl {
			at = tx.Now + 86400000
		}
		tx.SetString(buf, val, at)
		tx.End()
	}
}
