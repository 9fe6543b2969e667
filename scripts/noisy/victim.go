package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"synap/resp/resptest"
)

// victimKeys is how many keys tenant B reads and writes.
const victimKeys = 10_000

// victimValue is B's 32-byte value.
const victimValue = "value-of-32-bytes-for-the-victim"

// latencies is what B saw during one window. B is open loop: requests go
// out on a fixed schedule whatever the replies do, since a closed-loop
// client that waits for each reply before sending the next would send
// nothing while the server stalls, and so never measure the stall
// (coordinated omission). Latency runs from the actual send, or from the
// scheduled time when the server held the send back (victimConn). A
// request that got no reply counts as infinitely slow.
type latencies struct {
	sorted   []time.Duration // answered requests
	lags     []time.Duration // how late each request was sent, sorted
	lost     int             // scheduled but never answered (or never sent)
	errs     int             // answered with an error reply
	firstErr string
}

func (l latencies) total() int { return len(l.sorted) + l.lost }

// lagQuantile is the q-quantile of how late B's requests left the client,
// in ms. The server does not cause this lag unless it stops reading (a
// small request never fills the socket buffer otherwise): it is the
// client's own timer and scheduling, which the latencies leave out unless
// the server caused it.
func (l latencies) lagQuantile(q float64) float64 {
	if len(l.lags) == 0 {
		return math.Inf(1)
	}
	i := int(math.Ceil(q*float64(len(l.lags)))) - 1
	return float64(l.lags[max(i, 0)]) / float64(time.Millisecond)
}

// quantile is the q-quantile over all scheduled requests; +Inf when it
// falls among the lost ones.
func (l latencies) quantile(q float64) float64 {
	n := l.total()
	if n == 0 {
		return math.Inf(1)
	}
	i := int(math.Ceil(q*float64(n))) - 1
	if i >= len(l.sorted) {
		return math.Inf(1)
	}
	return float64(l.sorted[max(i, 0)]) / float64(time.Millisecond)
}

// runVictim drives tenant B open-loop: rate requests per second, half GET
// and half SET of random keys among victimKeys, spread evenly over conns
// connections, for window; then it waits up to drain for the replies.
func runVictim(addr, key string, rate, conns int, window, drain time.Duration) latencies {
	perConn := time.Duration(float64(time.Second) * float64(conns) / float64(rate))
	slots := int(window / perConn)
	var (
		mu  sync.Mutex
		all latencies
		wg  sync.WaitGroup
	)
	start := time.Now().Add(50 * time.Millisecond)
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			// The connections start staggered so that the whole load is
			// evenly spread rather than sent in bursts of conns requests.
			first := start.Add(perConn * time.Duration(w) / time.Duration(conns))
			got := victimConn(addr, key, first, perConn, slots, window+drain, uint64(w))
			mu.Lock()
			defer mu.Unlock()
			all.sorted = append(all.sorted, got.sorted...)
			all.lags = append(all.lags, got.lags...)
			all.lost += got.lost
			all.errs += got.errs
			if all.firstErr == "" {
				all.firstErr = got.firstErr
			}
		}(w)
	}
	wg.Wait()
	slices.Sort(all.sorted)
	slices.Sort(all.lags)
	return all
}

func victimConn(addr, key string, first time.Time, every time.Duration, slots int, limit time.Duration, seed uint64) latencies {
	var res latencies
	c, err := dialAuth(addr, key)
	if err != nil {
		res.lost = slots
		res.firstErr = describe(err)
		return res
	}
	defer c.close()
	deadline := first.Add(limit)
	_ = c.c.SetDeadline(deadline)

	// The sender hands the reader each request's origin (see below), in
	// the order sent; replies come back in that order.
	scheduled := make(chan time.Time, slots)
	lags := make([]time.Duration, 0, slots)
	go func() {
		defer close(scheduled)
		rng := rand.New(rand.NewPCG(seed, 42))
		var buf []byte
		var prevDone time.Time
		for i := 0; i < slots; i++ {
			at := first.Add(time.Duration(i) * every)
			time.Sleep(time.Until(at))
			// Where B's latency starts. A client on another machine sends on
			// time; this one wakes up to a millisecond late (Go's timers
			// sleep in whole milliseconds on Linux) or later on a busy
			// machine, and that lateness is the benchmark's, not the
			// server's: the latency runs from the actual send. Unless the
			// previous Write returned after this request was due: then the
			// server, by not reading, held the request back, and the
			// latency runs from the scheduled time (no coordinated
			// omission).
			origin := time.Now()
			if prevDone.After(at) {
				origin = at
			}
			k := "b:" + strconv.Itoa(rng.IntN(victimKeys))
			if i%2 == 0 {
				buf = resptest.AppendCommand(buf[:0], "GET", k)
			} else {
				buf = resptest.AppendCommand(buf[:0], "SET", k, victimValue)
			}
			if _, err := c.c.Write(buf); err != nil {
				return
			}
			prevDone = time.Now()
			lags = append(lags, prevDone.Sub(at))
			scheduled <- origin
		}
	}()
	for at := range scheduled {
		rep, err := c.read(false)
		if err != nil {
			if res.firstErr == "" {
				res.firstErr = describe(err)
			}
			break
		}
		res.sorted = append(res.sorted, time.Since(at))
		if rep.kind == '-' {
			res.errs++
			if res.firstErr == "" {
				res.firstErr = rep.str
			}
		}
	}
	// Unblock a sender stuck in Write on a server that stopped reading.
	_ = c.c.SetDeadline(time.Now())
	for range scheduled {
	}
	// The sender has returned (scheduled is closed): lags is ours now.
	res.lags = lags
	res.lost = slots - len(res.sorted)
	return res
}
