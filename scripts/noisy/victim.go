package main

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"

	"synap/resp/resptest"
	"synap/scripts/loadgen"
)

// victimKeys is how many keys tenant B reads and writes.
const victimKeys = 10_000

// victimValue is B's 32-byte value.
const victimValue = "value-of-32-bytes-for-the-victim"

// latencies is what B saw during one window. B is open loop: requests go
// out on a fixed schedule whatever the replies do, since a closed-loop
// client that waits for each reply before sending the next would send
// nothing while the server stalls, and so never measure the stall
// (coordinated omission). A request that got no reply counts as
// infinitely slow (loadgen.Result.Quantile).
type latencies = loadgen.Result

// runVictim drives tenant B open-loop: rate requests per second, half GET
// and half SET of random keys among victimKeys, spread evenly over conns
// connections, for window; then it waits up to drain for the replies.
//
// B's client is loadgen's event loop on one thread, so that what B
// measures is the server. It was a goroutine per connection paced by Go's
// timers: several threads woke per request, and on cores shared with the
// server and tenant A's client each wake-up was a chance to wait for a
// CPU (perf sched: B's client waited runnable 1.14 s of a 4 s window
// beside KEYS *, up to 4.7 ms at a time), which counted as the server's
// latency.
func runVictim(addr, key string, rate, conns int, window, drain time.Duration) latencies {
	every := time.Second / time.Duration(rate)
	slots := int(window / every)
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return latencies{Lost: slots, FirstErr: err.Error()}
	}
	// The requests are made before the clock starts: GET and SET in turn
	// (the pool's size is even, so batch i is a GET when i is even).
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 42))
	pool := make([][]byte, 4096)
	for i := range pool {
		k := "b:" + strconv.Itoa(rng.IntN(victimKeys))
		if i%2 == 0 {
			pool[i] = resptest.AppendCommand(nil, "GET", k)
		} else {
			pool[i] = resptest.AppendCommand(nil, "SET", k, victimValue)
		}
	}
	res, err := loadgen.Run(loadgen.Config{
		Addr: ap, Conns: conns, Every: every, Batches: slots, Pipeline: 1,
		Setup: [][]byte{resptest.AppendCommand(nil, "AUTH", key)},
		Batch: func(i int) []byte { return pool[i%len(pool)] },
		Drain: drain,
	})
	if err != nil {
		return latencies{Lost: slots, FirstErr: describe(err)}
	}
	return res
}
