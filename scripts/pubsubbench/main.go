// Command pubsubbench measures PUBLISH fan-out on Synap and on a real
// redis-server started side by side: for each subscriber count, publishers
// pipeline PUBLISH to one channel while that many subscribers read, and the
// table shows messages delivered per second (median of the rounds, servers
// alternating) and the p99 delivery latency (publish to read, from a
// timestamp in each payload).
//
// Publishers keep at most -window messages ahead of the slowest
// subscriber, so neither server's output buffers grow to its pubsub
// limit: what is measured is the rate both can sustain.
//
// Beside the rates it reports each server's CPU time per delivered message
// and its write system calls per 1,000 messages (from /proc, on Linux):
// on a machine shared with other work the rates swing with the load, the
// cost per message much less.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"synap/scripts/procstat"
)

func main() {
	synapBin := flag.String("synap", ".bench/synap", "the synap binary")
	subsList := flag.String("subs", "1 50", "subscriber counts")
	pubs := flag.Int("pubs", 4, "publisher connections")
	pipeline := flag.Int("pipeline", 16, "PUBLISH commands per write")
	window := flag.Int("window", 2000, "messages a publisher may be ahead of the slowest subscriber")
	dur := flag.Duration("duration", 4*time.Second, "measuring time per run")
	rounds := flag.Int("rounds", 3, "alternating rounds")
	payload := flag.Int("payload", 64, "payload bytes")
	flag.Parse()

	synapAddr, synapPid, stopSynap := start(*synapBin, "serve", "--bind", "127.0.0.1", "--loglevel", "warn")
	defer stopSynap()
	redisAddr, redisPid, stopRedis := start("redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	defer stopRedis()

	type key struct {
		subs   int
		server string
	}
	rates := map[key][]float64{}
	p99s := map[key][]float64{}
	cpus := map[key][]float64{}   // µs of server CPU per delivered message
	writes := map[key][]float64{} // server write calls per 1,000 messages
	var counts []int
	for _, f := range strings.Fields(*subsList) {
		n, err := strconv.Atoi(f)
		if err != nil {
			log.Fatal(err)
		}
		counts = append(counts, n)
	}
	for r := 0; r < *rounds; r++ {
		for _, n := range counts {
			order := []string{"synap", "redis"}
			if r%2 == 1 {
				order = []string{"redis", "synap"}
			}
			for _, server := range order {
				addr := map[string]string{"synap": synapAddr, "redis": redisAddr}[server]
				pid := map[string]int{"synap": synapPid, "redis": redisPid}[server]
				rate, p99, got, cost := run(addr, pid, n, *pubs, *pipeline, *window, *payload, *dur)
				k := key{n, server}
				rates[k] = append(rates[k], rate)
				p99s[k] = append(p99s[k], p99)
				line := fmt.Sprintf("pubsubbench: round %d, %d subscribers, %s: %.0f msg/s, p99 %.2f ms", r+1, n, server, rate, p99)
				if cost.OK && got > 0 {
					cpus[k] = append(cpus[k], float64(cost.CPU.Microseconds())/float64(got))
					writes[k] = append(writes[k], float64(cost.Writes)*1000/float64(got))
					line += fmt.Sprintf(", %.2f µs CPU/msg, %.1f writes/1k msg", cpus[k][len(cpus[k])-1], writes[k][len(writes[k])-1])
				}
				fmt.Fprintln(os.Stderr, line)
			}
		}
	}
	fmt.Println("workload | synap msg/s | redis msg/s | ratio | synap p99 ms | redis p99 ms | synap/redis µs CPU per msg | synap/redis writes per 1k msg")
	for _, n := range counts {
		s, rd := median(rates[key{n, "synap"}]), median(rates[key{n, "redis"}])
		fmt.Printf("PUBLISH to %d subscriber(s) | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f/%.2f | %.1f/%.1f\n", n, s, rd, s/rd,
			median(p99s[key{n, "synap"}]), median(p99s[key{n, "redis"}]),
			median(cpus[key{n, "synap"}]), median(cpus[key{n, "redis"}]),
			median(writes[key{n, "synap"}]), median(writes[key{n, "redis"}]))
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// start runs a server on a free port and waits until it answers; it
// returns the address, the process id and how to stop it.
func start(bin string, args ...string) (string, int, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	_ = ln.Close()
	cmd := exec.Command(bin, append(args, "--port", port)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatalf("%s: %v", bin, err)
	}
	addr := "127.0.0.1:" + port
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			break
		}
		if i == 100 {
			log.Fatalf("%s did not listen on %s", bin, addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return addr, cmd.Process.Pid, func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
}

func command(args ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"+a+"\r\n"...)
	}
	return b
}

// readReply skips one reply, returning the last bulk string of a message
// array (the payload) or "".
func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	switch line[0] {
	case '*', '>':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		last := ""
		for i := 0; i < n; i++ {
			if last, err = readReply(r); err != nil {
				return "", err
			}
		}
		return last, nil
	case '$':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", nil
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// run measures one server (process pid) with n subscribers; it returns
// messages delivered per second, the p99 delivery latency in ms, the
// messages delivered and what the server spent meanwhile.
func run(addr string, pid, n, pubs, pipeline, window, payloadLen int, dur time.Duration) (float64, float64, int64, procstat.Sample) {
	channel := "bench:" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var delivered atomic.Int64
	minSeen := make([]atomic.Int64, n)
	var stop atomic.Bool
	var lat []float64
	var latMu sync.Mutex
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			log.Fatal(err)
		}
		r := bufio.NewReaderSize(c, 64<<10)
		if _, err := c.Write(command("SUBSCRIBE", channel)); err != nil {
			log.Fatal(err)
		}
		if _, err := readReply(r); err != nil {
			log.Fatal(err)
		}
		wg.Add(1)
		ready.Add(1)
		go func(i int) {
			defer wg.Done()
			defer c.Close()
			ready.Done()
			var mine []float64
			for k := 0; !stop.Load(); k++ {
				_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
				p, err := readReply(r)
				if err != nil {
					break
				}
				delivered.Add(1)
				minSeen[i].Add(1)
				if k%16 == 0 && len(p) >= 19 {
					if sent, err := strconv.ParseInt(p[:19], 10, 64); err == nil {
						mine = append(mine, float64(time.Now().UnixNano()-sent)/1e6)
					}
				}
			}
			latMu.Lock()
			lat = append(lat, mine...)
			latMu.Unlock()
		}(i)
	}
	ready.Wait()
	slowest := func() int64 {
		m := int64(1 << 62)
		for i := range minSeen {
			if v := minSeen[i].Load(); v < m {
				m = v
			}
		}
		return m
	}
	var published atomic.Int64
	var pwg sync.WaitGroup
	pad := strings.Repeat("x", max(0, payloadLen-19))
	begin := time.Now()
	before := procstat.Take(pid)
	for p := 0; p < pubs; p++ {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				log.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			var batch []byte
			for time.Since(begin) < dur {
				for published.Load()-slowest() > int64(window) && time.Since(begin) < dur {
					time.Sleep(50 * time.Microsecond)
				}
				batch = batch[:0]
				for k := 0; k < pipeline; k++ {
					batch = append(batch, command("PUBLISH", channel, strconv.FormatInt(time.Now().UnixNano(), 10)+pad)...)
				}
				if _, err := c.Write(batch); err != nil {
					log.Fatal(err)
				}
				for k := 0; k < pipeline; k++ {
					if _, err := readReply(r); err != nil {
						log.Fatal(err)
					}
				}
				published.Add(int64(pipeline))
			}
		}()
	}
	pwg.Wait()
	elapsed := time.Since(begin)
	got := delivered.Load()
	cost := procstat.Take(pid).Sub(before)
	stop.Store(true)
	wg.Wait()
	sort.Float64s(lat)
	p99 := 0.0
	if len(lat) > 0 {
		p99 = lat[len(lat)*99/100]
	}
	return float64(got) / elapsed.Seconds(), p99, got, cost
}
