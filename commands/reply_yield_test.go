package commands

import (
	"net"
	"strconv"
	"testing"

	"synap/sched"
)

// A reply without a cap (a standalone server with no
// client-output-buffer-limit, Redis's default) is written as a bounded
// one is: with a chance to yield at least every 64 KB of it. Unbound, the
// writer appended: a standalone KEYS over 1M keys grew its 23 MB reply by
// doubling, each doubling one allocation and one memmove, and ran 28-46 ms
// at a time without a yield; other clients' p99 went from 0.2 to 20 ms.
func TestUncappedReplyHasChancesToYield(t *testing.T) {
	srv := newTestServer()
	if lim := srv.replyLimit(&Client{}); lim != 0 {
		t.Fatalf("a standalone reply is capped at %d by default", lim)
	}
	a, z := net.Pipe()
	t.Cleanup(func() { _ = a.Close(); _ = z.Close(); _ = srv.Close() })
	c := srv.newClient(a)
	const n = 20_000
	for i := 0; i < n; i += 1000 {
		mset := []string{"MSET"}
		sadd := []string{"SADD", "set"}
		zadd := []string{"ZADD", "zset"}
		hset := []string{"HSET", "hash"}
		for j := i; j < i+1000; j++ {
			s := strconv.Itoa(j)
			mset = append(mset, "key-"+s, s)
			sadd = append(sadd, "member-"+s)
			zadd = append(zadd, s, "member-"+s)
			hset = append(hset, "field-"+s, "value-"+s)
		}
		for _, args := range [][]string{mset, sadd, zadd, hset} {
			noisyExec(srv, c, args...)
		}
	}
	const every = 64 << 10
	for _, args := range [][]string{
		{"HGETALL", "hash"},
		{"SMEMBERS", "set"},
		{"ZRANGE", "zset", "0", "-1", "WITHSCORES"},
		{"KEYS", "*"},
	} {
		t.Run(args[0], func(t *testing.T) {
			c.W.Reset()
			last, widest, chances := 0, 0, 0
			sched.Observe(func(resumed bool) {
				if !resumed {
					chances++
					widest = max(widest, c.W.Len()-last)
					last = c.W.Len()
				}
			})
			noisyExec(srv, c, args...)
			sched.Observe(nil)
			widest = max(widest, c.W.Len()-last)
			if c.W.Len() < 4*every {
				t.Fatalf("a reply of %d bytes: too small to tell", c.W.Len())
			}
			// A write's chance comes as it passes the 64 KB mark, so a
			// stretch may hold one element more than that.
			if widest > every+4<<10 {
				t.Errorf("%d bytes of a %d-byte reply written without a chance to yield (%d chances), want at most about %d",
					widest, c.W.Len(), chances, every)
			}
		})
	}
}
