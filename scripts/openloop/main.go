// Command openloop measures a server's latency at a fixed request rate,
// as the performance target states it ("p99 at half of Redis's peak
// throughput"), which redis-benchmark cannot: it is closed loop, each
// client sending its next request only when the last reply came, so its
// p99 is mostly the queue that 50 saturating clients build, and a server
// that answers faster gets sent more.
//
// Here requests leave on a schedule whatever the replies do (open loop):
// rate commands a second in batches of pipeline, spread evenly over conns
// connections; every reply's latency runs from its batch's write to the
// moment it is read (package loadgen, one event loop on a locked thread).
//
// It prints one line: measured commands/s, then p50, p99, p99.9 and max in
// ms, then how many batches left more than 100 µs after their time out of
// those measured (the client's own lag: a run that could not keep the
// schedule is seen, not hidden).
package main

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"time"

	"synap/resp/resptest"
	"synap/scripts/loadgen"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address (IPv4 ip:port)")
	conns := flag.Int("conns", 50, "connections")
	rate := flag.Float64("rate", 10000, "commands per second, all connections together")
	pipeline := flag.Int("pipeline", 1, "commands per batch")
	test := flag.String("test", "get", "get or set (3-byte values)")
	keyspace := flag.Int("keyspace", 100000, "keys key:%012d, as redis-benchmark -r names them")
	warmup := flag.Duration("warmup", time.Second, "time sent but not measured")
	dur := flag.Duration("duration", 5*time.Second, "time measured")
	flag.Parse()
	if *test != "get" && *test != "set" {
		fail(fmt.Errorf("-test %q: get or set", *test))
	}
	if *conns < 1 || *pipeline < 1 || *rate <= 0 || *keyspace < 1 {
		fail(errors.New("-conns, -pipeline, -rate and -keyspace must be positive"))
	}
	ap, err := netip.ParseAddrPort(*addr)
	if err != nil || !ap.Addr().Is4() {
		fail(fmt.Errorf("-addr %q: an IPv4 ip:port", *addr))
	}
	// Requests made before the clock starts, so that sending allocates
	// nothing: 1024 batches of random keys, used in turn.
	rng := rand.New(rand.NewPCG(1, 2))
	batches := make([][]byte, 1024)
	for i := range batches {
		for range *pipeline {
			k := fmt.Sprintf("key:%012d", rng.IntN(*keyspace))
			if *test == "set" {
				batches[i] = resptest.AppendCommand(batches[i], "SET", k, "xxx")
			} else {
				batches[i] = resptest.AppendCommand(batches[i], "GET", k)
			}
		}
	}
	every := time.Duration(float64(time.Second) * float64(*pipeline) / *rate)
	res, err := loadgen.Run(loadgen.Config{
		Addr: ap, Conns: *conns, Every: every, Batches: int((*warmup + *dur) / every),
		Pipeline: *pipeline, Batch: func(i int) []byte { return batches[i%len(batches)] },
		Warm: *warmup, Drain: 2 * time.Second,
	})
	if err != nil {
		fail(err)
	}
	if res.FirstErr != "" {
		fail(errors.New(res.FirstErr))
	}
	late := 0
	for _, l := range res.Lags {
		if l > 100*time.Microsecond {
			late++
		}
	}
	ms := func(q float64) string { return strconv.FormatFloat(res.Quantile(q), 'f', 3, 64) }
	fmt.Printf("%.0f %s %s %s %s %d/%d\n", float64(len(res.Latencies))/dur.Seconds(),
		ms(0.5), ms(0.99), ms(0.999), ms(1), late, len(res.Lags))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "openloop:", err)
	os.Exit(1)
}
