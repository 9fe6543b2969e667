package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkWritebackLogFsync writes a snapshot-sized file (SNAPSHOT_MB,
// default 256) while another goroutine appends 200 bytes to a log and
// fdatasyncs it in a loop, as appendfsync always does, and reports that
// fsync's p99, p99.9 and longest, written plainly and with writeback:
//
//	SNAPSHOT_MB=2048 go test -run X -bench WritebackLogFsync ./persist/snapshot
func BenchmarkWritebackLogFsync(b *testing.B) {
	mb := 256
	if v := os.Getenv("SNAPSHOT_MB"); v != "" {
		if _, err := fmt.Sscan(v, &mb); err != nil {
			b.Fatal(err)
		}
	}
	for _, mode := range []struct {
		name  string
		start func(*os.File, int64, int64) error
	}{{"plain", nil}, {"writeback", startWriteback}} {
		b.Run(mode.name, func(b *testing.B) {
			dir := b.TempDir()
			var lat []time.Duration
			for range b.N {
				lat = append(lat, writeBesideLog(b, dir, mb, mode.start)...)
			}
			slices.Sort(lat)
			q := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(q(0.999), "p999-ms")
			b.ReportMetric(q(1), "max-ms")
		})
	}
}

func writeBesideLog(b *testing.B, dir string, mb int, start func(*os.File, int64, int64) error) []time.Duration {
	log, err := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	var stop atomic.Bool
	var lat []time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		rec := make([]byte, 200)
		for !stop.Load() {
			if _, err := log.Write(rec); err != nil {
				return
			}
			t := time.Now()
			_ = unix.Fdatasync(int(log.Fd()))
			lat = append(lat, time.Since(t))
		}
	}()
	f, err := os.Create(filepath.Join(dir, "snap"))
	if err != nil {
		b.Fatal(err)
	}
	var w interface{ Write([]byte) (int, error) } = f
	if start != nil {
		w = &writeback{f: f, start: start}
	}
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	for range mb {
		if _, err := w.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	_ = f.Close()
	stop.Store(true)
	<-done
	return lat
}
