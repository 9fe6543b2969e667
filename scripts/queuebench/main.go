// Command queuebench measures Synap's acknowledgment queues end to end:
// producers QPUBLISH, consumers QCONSUME (COUNT, BLOCK) and QACK what they
// got, and the figures are messages/s from the first publish to the last
// ack, and the delivery latency (publish sent → message received by a
// consumer) at p50 and p99. Queues have no redis-server counterpart; as a
// reference the same shape runs on redis-server as LPUSH / BRPOP (no
// acknowledgment, no redelivery: a lower bound on the work), side by side
// in the same run. scripts/bench-queues.sh starts both servers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	synapAddr := flag.String("synap", "", "Synap address")
	redisAddr := flag.String("redis", "", "redis-server address (the LPUSH/BRPOP reference)")
	n := flag.Int("n", 100000, "messages per run")
	producers := flag.Int("producers", 8, "producer connections")
	consumers := flag.Int("consumers", 8, "consumer connections")
	count := flag.Int("count", 16, "QCONSUME COUNT (messages per consume and per QACK)")
	rounds := flag.Int("rounds", 3, "alternating rounds; the median is shown")
	rate := flag.Int("rate", 5000, "messages/s of the paced runs, which measure delivery latency below saturation")
	flag.Parse()
	if *synapAddr == "" {
		fmt.Fprintln(os.Stderr, "queuebench: -synap is required")
		os.Exit(2)
	}
	type row struct{ rate, p50, p99 []float64 }
	results := map[string]*row{}
	order := []string{}
	add := func(name string, r result) {
		if results[name] == nil {
			results[name] = &row{}
			order = append(order, name)
		}
		x := results[name]
		x.rate = append(x.rate, r.rate)
		x.p50 = append(x.p50, r.p50)
		x.p99 = append(x.p99, r.p99)
	}
	paced := min(*n, *rate*3) // about three seconds
	for range *rounds {
		for _, c := range []int{1, *count} {
			add(fmt.Sprintf("synap QPUBLISH + QCONSUME COUNT %d + QACK, as fast as possible", c), runSynap(*synapAddr, *n, *producers, *consumers, c, 0))
		}
		if *redisAddr != "" {
			add("redis-server LPUSH + BRPOP (reference), as fast as possible", runRedis(*redisAddr, *n, *producers, *consumers, 0))
		}
		add(fmt.Sprintf("synap QPUBLISH + QCONSUME COUNT %d + QACK, paced at %d/s", *count, *rate), runSynap(*synapAddr, paced, *producers, *consumers, *count, *rate))
		if *redisAddr != "" {
			add(fmt.Sprintf("redis-server LPUSH + BRPOP (reference), paced at %d/s", *rate), runRedis(*redisAddr, paced, *producers, *consumers, *rate))
		}
	}
	med := func(v []float64) float64 {
		s := slices.Clone(v)
		slices.Sort(s)
		return s[len(s)/2]
	}
	fmt.Printf("| workload (%d messages, %d producers, %d consumers) | messages/s | p50 delivery | p99 delivery |\n|---|---|---|---|\n", *n, *producers, *consumers)
	for _, name := range order {
		r := results[name]
		fmt.Printf("| %s | %.0f | %.2f ms | %.2f ms |\n", name, med(r.rate), med(r.p50), med(r.p99))
	}
}

// pace holds message i until its time when a rate is set.
func pace(start time.Time, i, rate int) {
	if rate > 0 {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
	}
}

type result struct{ rate, p50, p99 float64 }

func client(addr string, size int) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, PoolSize: size, Protocol: 2, ReadTimeout: 10 * time.Second})
}

// payload carries its publish time, so a consumer measures delivery.
func payload() string { return strconv.FormatInt(time.Now().UnixNano(), 10) }

func latency(p string) float64 {
	t, _ := strconv.ParseInt(p, 10, 64)
	return float64(time.Now().UnixNano()-t) / 1e6
}

// finished records when the last message was taken: consumers still
// parked in BLOCK after that are not part of the work.
func finished(left *atomic.Int64, k int64, end *atomic.Int64) {
	if left.Add(-k) <= 0 {
		end.CompareAndSwap(0, time.Now().UnixNano())
	}
}

func summarise(start time.Time, end int64, n int, lat [][]float64) result {
	el := float64(end-start.UnixNano()) / 1e9
	all := slices.Concat(lat...)
	slices.Sort(all)
	pick := func(q float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(q*float64(len(all))))]
	}
	return result{rate: float64(n) / el, p50: pick(0.50), p99: pick(0.99)}
}

func runSynap(addr string, n, producers, consumers, count, rate int) result {
	ctx := context.Background()
	rc := client(addr, producers+consumers+1)
	defer rc.Close()
	rc.Do(ctx, "QDELETE", "bench:q")
	if err := rc.Do(ctx, "QCREATE", "bench:q", "ACKDEADLINE", "30000").Err(); err != nil {
		fmt.Fprintln(os.Stderr, "queuebench: QCREATE:", err)
		os.Exit(1)
	}
	var left, end atomic.Int64
	left.Store(int64(n))
	lat := make([][]float64, consumers)
	var wg sync.WaitGroup
	start := time.Now()
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p; i < n; i += producers {
				pace(start, i, rate)
				if err := rc.Do(ctx, "QPUBLISH", "bench:q", payload()).Err(); err != nil {
					fmt.Fprintln(os.Stderr, "queuebench: QPUBLISH:", err)
					os.Exit(1)
				}
			}
		}()
	}
	for c := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "c" + strconv.Itoa(c)
			for left.Load() > 0 {
				v, err := rc.Do(ctx, "QCONSUME", "bench:q", name, "COUNT", strconv.Itoa(count), "BLOCK", "100").Slice()
				if err == redis.Nil {
					continue
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "queuebench: QCONSUME:", err)
					os.Exit(1)
				}
				args := []any{"QACK", "bench:q"}
				for _, m := range v {
					f := m.([]any) // RESP2: id, payload, priority, deliveries as pairs
					args = append(args, f[1])
					lat[c] = append(lat[c], latency(f[3].(string)))
				}
				if err := rc.Do(ctx, args...).Err(); err != nil {
					fmt.Fprintln(os.Stderr, "queuebench: QACK:", err)
					os.Exit(1)
				}
				finished(&left, int64(len(v)), &end)
			}
		}()
	}
	wg.Wait()
	return summarise(start, end.Load(), n, lat)
}

func runRedis(addr string, n, producers, consumers, rate int) result {
	ctx := context.Background()
	rc := client(addr, producers+consumers+1)
	defer rc.Close()
	rc.Del(ctx, "bench:l")
	var left, end atomic.Int64
	left.Store(int64(n))
	lat := make([][]float64, consumers)
	var wg sync.WaitGroup
	start := time.Now()
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p; i < n; i += producers {
				pace(start, i, rate)
				rc.LPush(ctx, "bench:l", payload())
			}
		}()
	}
	for c := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Load() > 0 {
				v, err := rc.BRPop(ctx, time.Second, "bench:l").Result()
				if err != nil {
					continue
				}
				lat[c] = append(lat[c], latency(v[1]))
				finished(&left, 1, &end)
			}
		}()
	}
	wg.Wait()
	return summarise(start, end.Load(), n, lat)
}
