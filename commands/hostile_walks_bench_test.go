package commands

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"synap/engine"
	"synap/resp/resptest"
)

// benchClient is a connection's state without a socket peer, to run
// commands through Exec in-process; replies are dropped per batch of 16,
// as a pipelined connection flushes them.
func benchClient(b *testing.B, srv *Server) *Client {
	a, z := net.Pipe()
	b.Cleanup(func() { _ = a.Close(); _ = z.Close() })
	return srv.newClient(a)
}

// serverWatching returns a server on which, when watched, one client
// WATCHes a key no benchmark writes.
func serverWatching(b *testing.B, watched bool) *Server {
	srv := newTestServer()
	if watched {
		w := benchClient(b, srv)
		srv.Exec(nil, w, [][]byte{[]byte("WATCH"), []byte("elsewhere")})
	}
	return srv
}

// Writes of many connections to their own keys while one client, elsewhere,
// WATCHes a key and another is blocked in BLPOP: before the wait state was
// sharded, every write then took one server-wide mutex; and every command
// updated server-wide counters (go test -run X -bench WriteWithWatched ./commands).
func BenchmarkWriteWithWatchedKeyElsewhere(b *testing.B) {
	for _, watched := range []bool{false, true} {
		b.Run("watched="+strconv.FormatBool(watched), func(b *testing.B) {
			srv := serverWatching(b, watched)
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
					srv.Exec(nil, c, args)
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
			srv := serverWatching(b, watched)
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
						tx.SetStr(en, append(en.Str()[:0], 'v'))
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

// What one tenant's walk costs another: alice runs the command in a loop
// while bob's SETs (one at a time, to keys in every shard) are timed; the
// benchmark reports bob's worst and 99th-percentile latency and alice's
// time per command (go test -run X -bench NeighbourDuringWalk ./commands).
func BenchmarkNeighbourDuringWalk(b *testing.B) {
	cases := []struct {
		name  string
		setup func(c *resptest.Client)
		cmd   []string
	}{
		{"KEYS-hostile-glob-1000-keys", func(c *resptest.Client) {
			for i := 0; i < 1000; i += 100 {
				args := []string{"MSET"}
				for j := i; j < i+100; j++ {
					args = append(args, strings.Repeat("a", 40)+strconv.Itoa(j), "v")
				}
				c.Do(args...)
			}
		}, []string{"KEYS", "*a*a*a*a*a*a*a*a*a*a*a*a*b"}},
		{"KEYS-100k-keys", func(c *resptest.Client) {
			for i := 0; i < 100000; i += 1000 {
				args := []string{"MSET"}
				for j := i; j < i+1000; j++ {
					args = append(args, "key:"+strconv.Itoa(j), "v")
				}
				c.Do(args...)
			}
		}, []string{"KEYS", "nomatch*"}},
		{"SORT-1M-list", func(c *resptest.Client) {
			for i := 0; i < 1000000; i += 10000 {
				args := []string{"RPUSH", "l"}
				for j := 0; j < 10000; j++ {
					args = append(args, "")
				}
				c.Do(args...)
			}
		}, []string{"SORT", "l", "LIMIT", "0", "1"}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			f := startCluster(b)
			alice, bob := f.as(b, "alice-admin"), f.as(b, "bob-rw")
			tc.setup(alice)
			keys := keysPerShard(f.srv, "bob")
			stop := make(chan struct{})
			var lat []time.Duration
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					t0 := time.Now()
					bob.Do("SET", keys[i%len(keys)], "v")
					lat = append(lat, time.Since(t0))
				}
			}()
			b.ResetTimer()
			for range b.N {
				if got := alice.Do(tc.cmd...); strings.HasPrefix(got, "-") || strings.HasPrefix(got, "ERROR") {
					b.Fatal(got)
				}
			}
			b.StopTimer()
			close(stop)
			<-done
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "bob-max-us")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "bob-p99-us")
				b.ReportMetric(float64(len(lat)), "bob-sets")
			}
		})
	}
}
