package commands

import (
	"net"
	"strconv"
	"sync/atomic"
	"testing"

	"synap/engine"
)

// benchClient is a connection's state without a socket peer, to run
// commands through Exec in-process; replies are dropped per batch of 16,
// as a pipelined connection flushes them.
func benchClient(b *testing.B, srv *Server) *Client {
	a, z := net.Pipe()
	b.Cleanup(func() { _ = a.Close(); _ = z.Close() })
	return srv.newClient(a)
}

// Writes of many connections to their own keys while one client, elsewhere,
// WATCHes a key and another is blocked in BLPOP: before the wait state was
// sharded, every write then took one server-wide mutex; and every command
// updated server-wide counters (go test -run X -bench WriteWithWatched ./commands).
func BenchmarkWriteWithWatchedKeyElsewhere(b *testing.B) {
	for _, watched := range []bool{false, true} {
		b.Run("watched="+strconv.FormatBool(watched), func(b *testing.B) {
			srv := newTestServer()
			if watched {
				w := benchClient(b, srv)
				srv.Exec(w, [][]byte{[]byte("WATCH"), []byte("elsewhere")})
			}
			var next atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c := benchClient(b, srv)
				id := strconv.FormatInt(next.Add(1), 10)
				keys := make([][]byte, 1024)
				for i := range keys {
					keys[i] = []byte("key:" + id + ":" + strconv.Itoa(i))
				}
				args := [][]byte{[]byte("SET"), nil, []byte("value")}
				i := 0
				for pb.Next() {
					args[1] = keys[i%len(keys)]
					srv.Exec(c, args)
					i++
					if i%16 == 0 {
						c.flushTenant()
						c.W.Reset()
					}
				}
			})
		})
	}
}

// The engine's write path alone (lock, store, unlock) from parallel
// writers, with a key elsewhere watched: what keyWaits costs each write.
func BenchmarkEngineWriteWithWatchedKeyElsewhere(b *testing.B) {
	for _, watched := range []bool{false, true} {
		b.Run("watched="+strconv.FormatBool(watched), func(b *testing.B) {
			srv := newTestServer()
			if watched {
				w := benchClient(b, srv)
				srv.Exec(w, [][]byte{[]byte("WATCH"), []byte("elsewhere")})
			}
			ns := srv.DBs[0]
			var next atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				tx := srv.Eng.NewTx()
				id := strconv.FormatInt(next.Add(1), 10)
				keys := make([][]byte, 1024)
				for i := range keys {
					keys[i] = []byte("key:" + id + ":" + strconv.Itoa(i))
				}
				one := [][]byte{nil}
				i := 0
				for pb.Next() {
					k := keys[i%len(keys)]
					one[0] = k
					tx.Begin(ns, one, true)
					if en := tx.Get(k); en != nil {
						en.Str = append(en.Str[:0], 'v')
						tx.Updated(k, en)
					} else {
						tx.Put(k, engine.NewString([]byte("v")))
					}
					tx.End()
					i++
				}
			})
		})
	}
}
