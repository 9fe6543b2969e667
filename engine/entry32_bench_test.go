package engine

import "testing"

// SETs as a server runs them: an overwrite of a 16-byte value in place
// (no allocation), and new keys (one allocation each: the entry with its
// key and value), with and without a TTL, under the key's shard lock.
func BenchmarkTxSet(b *testing.B) {
	val := []byte("value:0123456789")
	b.Run("overwrite", func(b *testing.B) {
		e, ns, order := benchKeys(b, 100000)
		tx := e.NewTx()
		var buf []byte
		one := [][]byte{nil}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			buf = benchKey(buf, order[i%len(order)])
			one[0] = buf
			tx.Begin(ns, one, true)
			tx.SetString(buf, val, 0)
			tx.End()
		}
	})
	for _, ttl := range []bool{false, true} {
		name := "new"
		if ttl {
			name = "new-ttl"
		}
		b.Run(name, func(b *testing.B) {
			e := New(256)
			b.Cleanup(e.Close)
			ns := e.Namespace("")
			tx := e.NewTx()
			var buf []byte
			one := [][]byte{nil}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf = benchKey(buf, i)
				one[0] = buf
				tx.Begin(ns, one, true)
				var at int64
				if ttl {
					at = tx.Now + 86400000
				}
				tx.SetString(buf, val, at)
				tx.End()
			}
		})
	}
}
