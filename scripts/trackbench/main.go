// Command trackbench measures reads on connections with client-side
// caching (CLIENT TRACKING ON, RESP3) while writers change the keys read,
// so the server remembers every read and sends invalidations: the cost of
// tracking, against any server that speaks RESP3, side by side with
// redis-server in scripts/bench-tracking.sh.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"synap/resp/resptest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	conns := flag.Int("conns", 50, "tracking connections reading")
	pipeline := flag.Int("pipeline", 16, "GETs sent at once per connection")
	keys := flag.Int("keys", 100000, "keyspace")
	writeRate := flag.Int("write-rate", 20000, "SETs per second, from 2 writer connections")
	duration := flag.Duration("duration", 5*time.Second, "measured time")
	mode := flag.String("mode", "", "extra CLIENT TRACKING options (e.g. BCAST)")
	tracking := flag.Bool("tracking", true, "turn tracking on (off: the same reads without it, for comparison)")
	flag.Parse()

	var reads, pushes atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < *conns; i++ {
		c := dial(*addr)
		setup := [][]string{{"HELLO", "3"}}
		if *tracking {
			setup = append(setup, append([]string{"CLIENT", "TRACKING", "ON"}, strings.Fields(*mode)...))
		}
		for _, args := range setup {
			if _, err := c.Write(resptest.Encode(args...)); err != nil {
				fail(err)
			}
		}
		r := bufio.NewReaderSize(c, 64<<10)
		for range setup {
			if reply, err := resptest.ReadReply(r); err != nil || strings.HasPrefix(reply, "-") {
				fail(fmt.Errorf("setup: %s %v", reply, err))
			}
		}
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 1))
			var buf []byte
			for {
				select {
				case <-stop:
					return
				default:
				}
				buf = buf[:0]
				for range *pipeline {
					buf = resptest.AppendCommand(buf, "GET", "key:"+strconv.Itoa(rng.IntN(*keys)))
				}
				if _, err := c.Write(buf); err != nil {
					fail(err)
				}
				for got := 0; got < *pipeline; {
					reply, err := resptest.ReadReply(r)
					if err != nil {
						fail(err)
					}
					if strings.HasPrefix(reply, ">") {
						pushes.Add(1)
						continue
					}
					got++
				}
				reads.Add(int64(*pipeline))
			}
		}(uint64(i))
	}
	for w := range 2 {
		c := dial(*addr)
		r := bufio.NewReader(c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			per := max(*writeRate/2000, 1)
			var buf []byte
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				buf = buf[:0]
				for range per {
					buf = resptest.AppendCommand(buf, "SET", "key:"+strconv.Itoa(rng.IntN(*keys)), "v")
				}
				if _, err := c.Write(buf); err != nil {
					fail(err)
				}
				for range per {
					if _, err := resptest.ReadReply(r); err != nil {
						fail(err)
					}
				}
			}
		}()
	}
	time.Sleep(time.Second) // warm up
	r0, p0, t0 := reads.Load(), pushes.Load(), time.Now()
	time.Sleep(*duration)
	r1, p1, el := reads.Load(), pushes.Load(), time.Since(t0).Seconds()
	close(stop)
	fmt.Printf("%.0f %.0f\n", float64(r1-r0)/el, float64(p1-p0)/el)
	os.Exit(0) // the readers may be parked in a read
}

func dial(addr string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fail(err)
	}
	return c
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "trackbench:", err)
	os.Exit(1)
}
