// Command openloop measures a server's latency at a fixed request rate,
// as the performance target states it ("p99 at half of Redis's peak
// throughput"), which redis-benchmark cannot: it is closed loop, each
// client sending its next request only when the last reply came, so its
// p99 is mostly the queue that 50 saturating clients build, and a server
// that answers faster gets sent more.
//
// Here requests leave on a schedule whatever the replies do (open loop):
// rate commands a second in batches of pipeline, spread evenly over conns
// connections, each batch stamped when it is written; every reply's
// latency runs from its batch's write to the moment it is read.
//
// The client is one event loop on one locked thread (epoll with a
// nanosecond timeout, raw system calls), as redis-benchmark and memtier
// are: a first version with a goroutine per connection and Go's timers
// (which wake in whole milliseconds on Linux) took 80% of a CPU at 30k
// requests/s, and its own scheduling delays showed up as the server's
// latency. Nothing here allocates while measuring.
//
// It prints one line: measured commands/s, then p50, p99, p99.9 and max in
// ms, then how many batches left more than 100 µs after their time out of
// all (the client's own lag: a run that could not keep the schedule is
// seen, not hidden).
package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"synap/resp/resptest"
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
	r, err := run(config{
		addr: ap, conns: *conns, rate: *rate, pipeline: *pipeline, set: *test == "set",
		keyspace: *keyspace, warmup: *warmup, dur: *dur,
	})
	if err != nil {
		fail(err)
	}
	fmt.Println(r)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "openloop:", err)
	os.Exit(1)
}

type config struct {
	addr            netip.AddrPort
	conns, pipeline int
	rate            float64
	set             bool
	keyspace        int
	warmup, dur     time.Duration
}

type result struct {
	rps                  float64
	p50, p99, p999, maxL time.Duration
	late, batches        int
}

func (r result) String() string {
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }
	return fmt.Sprintf("%.0f %s %s %s %s %d/%d", r.rps, ms(r.p50), ms(r.p99), ms(r.p999), ms(r.maxL), r.late, r.batches)
}

// conn is one connection's socket and what it owes: the write times of
// its batches not yet fully answered (a ring), and the unparsed input.
type conn struct {
	fd      int
	sent    []int64 // ns since start, ring of batches in flight
	head, n int
	left    int // replies still owed for the batch at head
	in      []byte
	out     []byte
}

func (c *conn) push(t int64) {
	if c.n == len(c.sent) {
		grown := make([]int64, 2*len(c.sent))
		for i := range c.n {
			grown[i] = c.sent[(c.head+i)%len(c.sent)]
		}
		c.sent, c.head = grown, 0
	}
	c.sent[(c.head+c.n)%len(c.sent)] = t
	c.n++
}

func run(cfg config) (result, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	total := cfg.warmup + cfg.dur
	every := float64(time.Second) * float64(cfg.pipeline) / cfg.rate // between two batches
	batches := int(float64(total) / every)
	measured := int(float64(cfg.dur)/every+1) * cfg.pipeline
	lat := make([]time.Duration, 0, measured+cfg.pipeline)

	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return result{}, err
	}
	defer syscall.Close(ep)
	cs := make([]*conn, cfg.conns)
	byFD := map[int]*conn{}
	for i := range cs {
		fd, err := dial(cfg.addr)
		if err != nil {
			return result{}, err
		}
		defer syscall.Close(fd)
		c := &conn{fd: fd, sent: make([]int64, 64), in: make([]byte, 0, 64<<10)}
		cs[i], byFD[fd] = c, c
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return result{}, err
		}
	}
	// Requests for every batch, made before the clock starts.
	rng := rand.New(rand.NewPCG(1, 2))
	reqs := make([][]byte, 1024)
	for i := range reqs {
		var b []byte
		for range cfg.pipeline {
			k := "key:" + fmt.Sprintf("%012d", rng.IntN(cfg.keyspace))
			if cfg.set {
				b = resptest.AppendCommand(b, "SET", k, "xxx")
			} else {
				b = resptest.AppendCommand(b, "GET", k)
			}
		}
		reqs[i] = b
	}
	debug.SetGCPercent(-1) // nothing to collect while measuring
	defer debug.SetGCPercent(100)

	start := time.Now()
	warm := int64(cfg.warmup)
	events := make([]syscall.EpollEvent, len(cs))
	var late, sent, owed int
	drainBy := int64(total + 2*time.Second)
	for sent < batches || owed > 0 {
		now := int64(time.Since(start))
		for sent < batches {
			due := int64(float64(sent) * every)
			if due > now {
				break
			}
			if now-due > int64(100*time.Microsecond) {
				late++
			}
			c := cs[sent%len(cs)]
			c.out = append(c.out, reqs[sent%len(reqs)]...)
			c.push(int64(time.Since(start)))
			if c.n == 1 {
				c.left = cfg.pipeline
			}
			if err := c.flush(); err != nil {
				return result{}, err
			}
			owed += cfg.pipeline
			sent++
			now = int64(time.Since(start))
		}
		wait := int64(time.Second)
		if sent < batches {
			wait = max(int64(float64(sent)*every)-now, 0)
		} else if now > drainBy {
			return result{}, fmt.Errorf("%d replies never came", owed)
		}
		n, err := epollWait(ep, events, wait)
		if err != nil {
			return result{}, err
		}
		for _, ev := range events[:n] {
			c := byFD[int(ev.Fd)]
			got, err := c.read(cfg.pipeline, start, warm, &lat)
			if err != nil {
				return result{}, err
			}
			owed -= got
		}
		for _, c := range cs {
			if len(c.out) > 0 {
				if err := c.flush(); err != nil {
					return result{}, err
				}
			}
		}
	}
	if len(lat) == 0 {
		return result{}, errors.New("no reply measured")
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[max(int(math.Ceil(p*float64(len(lat))))-1, 0)] }
	return result{
		rps: float64(len(lat)) / cfg.dur.Seconds(),
		p50: q(0.5), p99: q(0.99), p999: q(0.999), maxL: lat[len(lat)-1],
		late: late, batches: batches,
	}, nil
}

func dial(ap netip.AddrPort) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	sa := &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	if err := syscall.Connect(fd, sa); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// epollWait is epoll_pwait2, whose timeout is a timespec: epoll_wait's is
// in whole milliseconds.
func epollWait(ep int, events []syscall.EpollEvent, ns int64) (int, error) {
	const sysEpollPwait2 = 441 // x86-64 and arm64 alike
	ts := syscall.NsecToTimespec(ns)
	for {
		n, _, e := syscall.RawSyscall6(sysEpollPwait2, uintptr(ep), uintptr(unsafe.Pointer(&events[0])),
			uintptr(len(events)), uintptr(unsafe.Pointer(&ts)), 0, 0)
		switch e {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		}
		return 0, e
	}
}

// flush writes what the connection has to send; a socket buffer that is
// full leaves the rest for the next turn of the loop.
func (c *conn) flush() error {
	n, err := syscall.Write(c.fd, c.out)
	switch {
	case err == syscall.EAGAIN:
		return nil
	case err != nil:
		return err
	}
	c.out = c.out[:copy(c.out, c.out[n:])]
	return nil
}

// read takes what arrived and the whole replies in it, recording their
// latencies once the warm-up is over; it returns how many it took.
func (c *conn) read(pipeline int, start time.Time, warm int64, lat *[]time.Duration) (int, error) {
	got := 0
	for {
		if len(c.in) == cap(c.in) {
			return got, errors.New("a reply larger than the read buffer")
		}
		n, err := syscall.Read(c.fd, c.in[len(c.in):cap(c.in)])
		if err == syscall.EAGAIN {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		if n == 0 {
			return got, errors.New("the server closed a connection")
		}
		c.in = c.in[:len(c.in)+n]
		now := time.Since(start)
		off := 0
		for {
			m, err := replyLen(c.in[off:])
			if err != nil {
				return got, err
			}
			if m == 0 {
				break
			}
			off += m
			if c.n == 0 {
				return got, errors.New("a reply to nothing sent")
			}
			if at := c.sent[c.head]; at >= warm {
				*lat = append(*lat, now-time.Duration(at))
			}
			got++
			if c.left--; c.left == 0 {
				c.head, c.n = (c.head+1)%len(c.sent), c.n-1
				c.left = pipeline
			}
		}
		c.in = c.in[:copy(c.in, c.in[off:])]
	}
}

// replyLen is the length of the whole reply (simple string, null or bulk
// string) at the start of b, 0 if it is not all there yet; an error reply
// fails the run.
func replyLen(b []byte) (int, error) {
	i := slices.Index(b, '\n')
	if i < 0 {
		return 0, nil
	}
	if i < 2 || b[i-1] != '\r' {
		return 0, fmt.Errorf("bad reply %q", b[:i+1])
	}
	switch b[0] {
	case '+', '_':
		return i + 1, nil
	case '-':
		return 0, fmt.Errorf("error reply: %s", b[:i-1])
	case '$':
		n, err := strconv.Atoi(string(b[1 : i-1]))
		if err != nil {
			return 0, fmt.Errorf("bad reply %q", b[:i+1])
		}
		if n < 0 {
			return i + 1, nil
		}
		if len(b) < i+1+n+2 {
			return 0, nil
		}
		return i + 1 + n + 2, nil
	}
	return 0, fmt.Errorf("unexpected reply %q", b[:i+1])
}
