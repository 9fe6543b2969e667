// Command httpbench measures Synap's REST surface beside its RESP surface
// in the same run: SET and GET, unpipelined, from the same number of
// concurrent clients, reporting throughput and p50/p99 latency of each.
// scripts/bench-http.sh starts the server and runs it (make bench).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

func main() {
	respAddr := flag.String("resp", "", "RESP address host:port")
	httpURL := flag.String("http", "", "HTTP base URL")
	clients := flag.Int("clients", 50, "concurrent clients")
	dur := flag.Duration("duration", 5*time.Second, "time per workload")
	keys := flag.Int("keys", 10000, "keyspace")
	flag.Parse()
	if *respAddr == "" || *httpURL == "" {
		fmt.Fprintln(os.Stderr, "httpbench: -resp and -http are required")
		os.Exit(2)
	}
	value := "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" // 32 bytes, as redis-benchmark's -d 32
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients}}
	fmt.Printf("%-6s %-4s %12s %10s %10s\n", "surface", "op", "ops/s", "p50", "p99")
	for _, op := range []string{"SET", "GET"} {
		for _, surface := range []string{"RESP", "REST"} {
			var res result
			if surface == "RESP" {
				res = run(*clients, *dur, func() (func(i int) error, func(), error) { return respClient(*respAddr, op, value, *keys) })
			} else {
				res = run(*clients, *dur, func() (func(i int) error, func(), error) { return restClient(hc, *httpURL, op, value, *keys) })
			}
			if res.err != nil {
				fmt.Fprintf(os.Stderr, "httpbench: %s %s: %v\n", surface, op, res.err)
				os.Exit(1)
			}
			fmt.Printf("%-7s %-4s %12.0f %10s %10s\n", surface, op, res.ops, res.p50.Round(time.Microsecond), res.p99.Round(time.Microsecond))
		}
	}
}

type result struct {
	ops      float64
	p50, p99 time.Duration
	err      error
}

// run drives clients workers for d, each with its own connection.
func run(clients int, d time.Duration, dial func() (func(i int) error, func(), error)) result {
	var wg sync.WaitGroup
	lat := make([][]time.Duration, clients)
	errs := make(chan error, clients)
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < clients; w++ {
		do, closeFn, err := dial()
		if err != nil {
			return result{err: err}
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			defer closeFn()
			for i := w; ; i += clients {
				t0 := time.Now()
				if t0.After(deadline) {
					return
				}
				if err := do(i); err != nil {
					errs <- err
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errs:
		return result{err: err}
	default:
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return result{err: fmt.Errorf("no request completed")}
	}
	slices.Sort(all)
	return result{ops: float64(len(all)) / elapsed.Seconds(), p50: all[len(all)/2], p99: all[len(all)*99/100]}
}

func respClient(addr, op, value string, keys int) (func(int) error, func(), error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	r := bufio.NewReader(c)
	var buf []byte
	do := func(i int) error {
		key := "bench:" + strconv.Itoa(i%keys)
		buf = buf[:0]
		if op == "SET" {
			buf = fmt.Appendf(buf, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(key), key, len(value), value)
		} else {
			buf = fmt.Appendf(buf, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key)
		}
		if _, err := c.Write(buf); err != nil {
			return err
		}
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		switch line[0] {
		case '-':
			return fmt.Errorf("%s", line)
		case '$':
			n, _ := strconv.Atoi(string(line[1 : len(line)-2]))
			if n >= 0 {
				if _, err := r.Discard(n + 2); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return do, func() { c.Close() }, nil
}

func restClient(hc *http.Client, base, op, value string, keys int) (func(int) error, func(), error) {
	do := func(i int) error {
		key := "bench:" + strconv.Itoa(i%keys)
		url := base + "/get/" + key
		if op == "SET" {
			url = base + "/set/" + key + "/" + value
		}
		res, err := hc.Get(url)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("%s: status %d", url, res.StatusCode)
		}
		return nil
	}
	return do, func() {}, nil
}
