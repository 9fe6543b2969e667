// Command streambench measures stream workloads on Synap and on a
// redis-server side by side, alternating between them round by round:
// XADD (one entry per call) and XREADGROUP COUNT n + XACK of what was read
// (consumers of one group draining a pre-filled stream). It prints messages
// per second, the p99 of a call (XADD) or of a read-and-ack cycle, and the
// ratio to Redis, and each server's CPU time per message (from /proc, on
// Linux), which a machine busy with other work disturbs far less than the
// rates. scripts/bench-streams.sh builds and runs it.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"synap/resp"
	"synap/scripts/procstat"
)

func main() {
	synapBin := flag.String("synap", ".bench/synap", "the synap binary")
	clients := flag.Int("clients", 50, "concurrent clients")
	n := flag.Int("n", 200000, "messages per workload and round")
	count := flag.Int("count", 10, "XREADGROUP COUNT")
	rounds := flag.Int("rounds", 3, "alternating rounds")
	only := flag.String("workloads", "xadd xreadgroup+xack", "the workloads to run")
	flag.Parse()
	workloads := strings.Fields(*only)

	synapAddr, synapPid, stopSynap := startSynap(*synapBin)
	defer stopSynap()
	redisAddr, redisPid, stopRedis := startRedis()
	defer stopRedis()
	fmt.Fprintf(os.Stderr, "streambench: synap %s, redis %s, %d clients, %d messages, %d rounds\n", synapAddr, redisAddr, *clients, *n, *rounds)

	// cpu is µs of server CPU per message (0: not known).
	type result struct{ rate, p50, p99, cpu, reads, writes float64 }
	res := map[string][]result{}
	type server struct {
		name, addr string
		pid        int
	}
	servers := []server{{"synap", synapAddr, synapPid}, {"redis", redisAddr, redisPid}}
	for round := 0; round < *rounds; round++ {
		order := servers
		if round%2 == 1 {
			order = []server{servers[1], servers[0]}
		}
		for _, w := range workloads {
			for _, s := range order {
				flush(s.addr)
				var rate float64
				var msgs int
				var lat []time.Duration
				var before procstat.Sample
				if w == "xadd" {
					before = procstat.Take(s.pid)
					rate, msgs, lat = benchXAdd(s.addr, *clients, *n)
				} else {
					fill(s.addr, *n)
					before = procstat.Take(s.pid)
					rate, msgs, lat = benchConsume(s.addr, *clients, *count)
				}
				cost := procstat.Take(s.pid).Sub(before)
				r := result{rate: rate, p50: pct(lat, 50), p99: pct(lat, 99)}
				if cost.OK && msgs > 0 {
					r.cpu = float64(cost.CPU.Microseconds()) / float64(msgs)
					r.reads = float64(cost.Reads) / float64(msgs)
					r.writes = float64(cost.Writes) / float64(msgs)
				}
				res[w+"|"+s.name] = append(res[w+"|"+s.name], r)
				fmt.Fprintf(os.Stderr, "streambench: round %d %s %s: %.0f msg/s, p50 %.3f ms, p99 %.3f ms, %.2f µs CPU/msg, %.2f reads and %.2f writes/msg\n",
					round+1, w, s.name, r.rate, r.p50, r.p99, r.cpu, r.reads, r.writes)
			}
		}
	}
	med := func(k string, f func(result) float64) float64 {
		var v []float64
		for _, r := range res[k] {
			v = append(v, f(r))
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	fmt.Println("workload | synap msg/s | redis msg/s | ratio | synap p50/p99 ms | redis p50/p99 ms | synap/redis µs CPU per msg")
	for _, w := range workloads {
		s, r := med(w+"|synap", func(r result) float64 { return r.rate }), med(w+"|redis", func(r result) float64 { return r.rate })
		fmt.Printf("%s | %.0f | %.0f | %.2f | %.3f/%.3f | %.3f/%.3f | %.2f/%.2f\n", w, s, r, s/r,
			med(w+"|synap", func(r result) float64 { return r.p50 }), med(w+"|synap", func(r result) float64 { return r.p99 }),
			med(w+"|redis", func(r result) float64 { return r.p50 }), med(w+"|redis", func(r result) float64 { return r.p99 }),
			med(w+"|synap", func(r result) float64 { return r.cpu }), med(w+"|redis", func(r result) float64 { return r.cpu }))
	}
}

func pct(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return float64(d[(len(d)-1)*p/100]) / 1e6
}

type conn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

func dial(addr string) *conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		die("dial %s: %v", addr, err)
	}
	return &conn{c, bufio.NewReaderSize(c, 64<<10), bufio.NewWriterSize(c, 64<<10)}
}

func (c *conn) send(args ...string) {
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (c *conn) do(args ...string) resp.Value {
	c.send(args...)
	if err := c.w.Flush(); err != nil {
		die("write: %v", err)
	}
	v, err := resp.ReadValue(c.r)
	if err != nil {
		die("read: %v", err)
	}
	if v.Kind == '-' {
		die("%q: %s", args, v.Str)
	}
	return v
}

func flush(addr string) {
	c := dial(addr)
	defer c.c.Close()
	c.do("FLUSHALL")
}

func benchXAdd(addr string, clients, n int) (float64, int, []time.Duration) {
	var wg sync.WaitGroup
	lats := make([][]time.Duration, clients)
	start := time.Now()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(addr)
			defer c.c.Close()
			for j := 0; j < n/clients; j++ {
				t := time.Now()
				c.do("XADD", "bench:s", "*", "field", "value:"+strconv.Itoa(j))
				lats[i] = append(lats[i], time.Since(t))
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	return float64(n/clients*clients) / el.Seconds(), n / clients * clients, slices.Concat(lats...)
}

// fill adds n entries in pipelined batches and creates the group.
func fill(addr string, n int) {
	c := dial(addr)
	defer c.c.Close()
	for i := 0; i < n; i += 1000 {
		k := min(1000, n-i)
		for j := range k {
			c.send("XADD", "bench:q", "*", "field", "value:"+strconv.Itoa(i+j))
		}
		if err := c.w.Flush(); err != nil {
			die("write: %v", err)
		}
		for range k {
			if _, err := resp.ReadValue(c.r); err != nil {
				die("read: %v", err)
			}
		}
	}
	c.do("XGROUP", "CREATE", "bench:q", "g", "0")
}

// benchConsume drains bench:q with clients consumers: XREADGROUP COUNT
// count, then XACK of the ids read, until a read finds nothing.
func benchConsume(addr string, clients, count int) (float64, int, []time.Duration) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	lats := make([][]time.Duration, clients)
	start := time.Now()
	cnt := strconv.Itoa(count)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(addr)
			defer c.c.Close()
			name := "c" + strconv.Itoa(i)
			got := 0
			for {
				t := time.Now()
				v := c.do("XREADGROUP", "GROUP", "g", name, "COUNT", cnt, "STREAMS", "bench:q", ">")
				if v.Null || len(v.Elems) == 0 {
					break
				}
				entries := v.Elems[0].Elems[1].Elems
				if len(entries) == 0 {
					break
				}
				args := []string{"XACK", "bench:q", "g"}
				for _, e := range entries {
					args = append(args, string(e.Elems[0].Str))
				}
				if a := c.do(args...); a.Int != int64(len(entries)) {
					die("XACK acknowledged %d of %d", a.Int, len(entries))
				}
				lats[i] = append(lats[i], time.Since(t))
				got += len(entries)
			}
			mu.Lock()
			total += got
			mu.Unlock()
		}()
	}
	wg.Wait()
	return float64(total) / time.Since(start).Seconds(), total, slices.Concat(lats...)
}

func startSynap(bin string) (string, int, func()) {
	cmd := exec.Command(bin, "serve", "--bind", "127.0.0.1", "--port", "0", "--loglevel", "info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		die("%v", err)
	}
	if err := cmd.Start(); err != nil {
		die("start synap: %v", err)
	}
	re := regexp.MustCompile(`msg="serving RESP" addr=(127\.0\.0\.1:\d+)`)
	sc := bufio.NewScanner(stderr)
	addr := ""
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		die("synap did not report its address")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return addr, cmd.Process.Pid, func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
}

func startRedis() (string, int, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die("%v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		die("start redis-server: %v", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return addr, cmd.Process.Pid, func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
		}
		time.Sleep(100 * time.Millisecond)
	}
	die("redis-server did not start")
	return "", 0, nil
}

func die(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "streambench: "+f+"\n", a...)
	os.Exit(1)
}
