package snapshot

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"synap/commands"
)

// BenchmarkSnapshotUnderLoad measures, for a keyspace of 1M string keys,
// how long Write takes and what a concurrent SET load sees meanwhile: the
// latency percentiles of SETs to random keys (through Server.Call, no
// network) while no snapshot runs and while Write runs, in the same run.
//
//	go test -run X -bench SnapshotUnderLoad -benchtime 1x ./persist/snapshot
func BenchmarkSnapshotUnderLoad(b *testing.B) {
	const keys = 1_000_000
	const writers = 4
	srv := newServer(b, func(c *commands.Config) { c.Shards = 64 })
	tx := srv.Eng.NewTx()
	var k [1][]byte
	val := []byte("value-0123456789")
	for i := range keys {
		k[0] = []byte("key:" + strconv.Itoa(i))
		tx.Begin(srv.DBs[0], k[:], true)
		tx.SetString(k[0], val, 0)
		tx.End()
	}
	path := filepath.Join(b.TempDir(), "dump.snap")
	for range b.N {
		run := func(during func()) []time.Duration {
			var stop atomic.Bool
			var mu sync.Mutex
			var lat []time.Duration
			var wg sync.WaitGroup
			for w := range writers {
				c := session(b, srv)
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(w), 1))
					var mine []time.Duration
					args := [][]byte{[]byte("SET"), nil, []byte("new-value-012345")}
					for !stop.Load() {
						args[1] = []byte("key:" + strconv.Itoa(r.IntN(keys)))
						t0 := time.Now()
						if _, err := srv.Call(context.Background(), c, args...); err != nil {
							b.Error(err)
							return
						}
						mine = append(mine, time.Since(t0))
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				}()
			}
			during()
			stop.Store(true)
			wg.Wait()
			slices.Sort(lat)
			return lat
		}
		var st Stats
		took := time.Second
		baseLat := run(func() { time.Sleep(took) })
		snapLat := run(func() {
			var err error
			st, err = Write(context.Background(), srv, path, nil)
			if err != nil {
				b.Fatal(err)
			}
			took = st.Took
		})
		pct := func(l []time.Duration, p float64) float64 {
			if len(l) == 0 {
				return 0
			}
			return float64(l[int(float64(len(l)-1)*p)].Nanoseconds()) / 1000
		}
		b.ReportMetric(took.Seconds(), "write-s")
		b.ReportMetric(float64(st.Bytes)/(1<<20), "file-MB")
		b.ReportMetric(float64(st.Preimaged), "preimages")
		b.ReportMetric(pct(baseLat, 0.5), "set-p50-us-idle")
		b.ReportMetric(pct(baseLat, 0.99), "set-p99-us-idle")
		b.ReportMetric(pct(snapLat, 0.5), "set-p50-us-snap")
		b.ReportMetric(pct(snapLat, 0.99), "set-p99-us-snap")
		b.ReportMetric(pct(snapLat, 1), "set-max-us-snap")
		b.ReportMetric(pct(baseLat, 1), "set-max-us-idle")
		b.ReportMetric(float64(len(baseLat))/time.Second.Seconds(), "sets/s-idle")
		b.ReportMetric(float64(len(snapLat))/took.Seconds(), "sets/s-snap")
		dst := newServer(b, func(c *commands.Config) { c.Shards = 64 })
		ld, err := Load(dst, path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(ld.Took.Seconds(), "load-s")
		b.Logf("%d keys written in %v (%d bytes, %d pre-images), loaded in %v", st.Keys, took, st.Bytes, st.Preimaged, ld.Took)
		_ = dst.Close()
	}
}
