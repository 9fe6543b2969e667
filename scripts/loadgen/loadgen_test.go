package loadgen

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"synap/commands"
	"synap/resp/resptest"
	"synap/resp/server/servertest"
)

// A request without a reply must weigh in the percentiles as infinitely
// slow: dropping it would make a server that stops answering look fast.
func TestQuantileCountsLostRequestsAsInfinite(t *testing.T) {
	ms := func(n int) []time.Duration {
		d := make([]time.Duration, n)
		for i := range d {
			d[i] = time.Duration(i+1) * time.Millisecond
		}
		return d
	}
	for _, tc := range []struct {
		name     string
		res      Result
		p50, p99 float64
	}{
		{"all answered", Result{Latencies: ms(100)}, 50, 99},
		{"1% lost", Result{Latencies: ms(99), Lost: 1}, 50, 99},
		{"2% lost", Result{Latencies: ms(98), Lost: 2}, 50, math.Inf(1)},
		{"all lost", Result{Lost: 10}, math.Inf(1), math.Inf(1)},
		{"nothing scheduled", Result{}, math.Inf(1), math.Inf(1)},
	} {
		if got := tc.res.Quantile(0.5); got != tc.p50 {
			t.Errorf("%s: p50 = %v, want %v", tc.name, got, tc.p50)
		}
		if got := tc.res.Quantile(0.99); got != tc.p99 {
			t.Errorf("%s: p99 = %v, want %v", tc.name, got, tc.p99)
		}
	}
}

func startSynap(t *testing.T, requirepass string) (netip.AddrPort, *commands.Server) {
	t.Helper()
	cfg := commands.DefaultConfig()
	cfg.RequirePass = requirepass
	srv := servertest.Start(t, cfg)
	return netip.MustParseAddrPort(srv.Addr().String()), srv
}

// Every batch is sent and every reply matched to it: pipelined GETs of
// keys that exist (bulk replies) and that do not (nulls), after an AUTH,
// with the warm-up's replies left out of the latencies.
func TestRunAnswersEveryBatch(t *testing.T) {
	addr, _ := startSynap(t, "pw")
	c, err := resptest.Dial(addr.String())
	if err != nil {
		t.Fatal(err)
	}
	c.Do("AUTH", "pw")
	c.Do("SET", "k0", "hello")
	c.Close()
	var batch []byte
	for _, k := range []string{"k0", "missing", "k0"} {
		batch = resptest.AppendCommand(batch, "GET", k)
	}
	res, err := Run(Config{
		Addr: addr, Conns: 3, Every: time.Millisecond, Batches: 200, Pipeline: 3,
		Setup: [][]byte{resptest.AppendCommand(nil, "AUTH", "pw")},
		Batch: func(int) []byte { return batch },
		Warm:  50 * time.Millisecond, Drain: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lost != 0 || res.Errors != 0 || res.FirstErr != "" {
		t.Fatalf("lost %d, errors %d, first %q", res.Lost, res.Errors, res.FirstErr)
	}
	// Batches due at 50 ms and later are measured: 150 of them.
	if got, want := len(res.Latencies), 150*3; got != want {
		t.Fatalf("measured %d replies, want %d", got, want)
	}
	if len(res.Lags) != 150 {
		t.Fatalf("%d lags, want 150", len(res.Lags))
	}
}

// Error replies are answers (measured and counted); a setup that fails
// fails the run.
func TestRunErrorsAndSetup(t *testing.T) {
	addr, _ := startSynap(t, "pw")
	if _, err := Run(Config{
		Addr: addr, Conns: 1, Every: time.Millisecond, Batches: 1, Pipeline: 1,
		Setup: [][]byte{resptest.AppendCommand(nil, "AUTH", "wrong")},
		Batch: func(int) []byte { return resptest.AppendCommand(nil, "PING") },
	}); err == nil {
		t.Fatal("a refused AUTH did not fail the run")
	}
	res, err := Run(Config{
		Addr: addr, Conns: 2, Every: time.Millisecond, Batches: 20, Pipeline: 1,
		Batch: func(int) []byte { return resptest.AppendCommand(nil, "GET", "k") },
		Drain: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 20 || len(res.Latencies) != 20 || res.Lost != 0 {
		t.Fatalf("errors %d, measured %d, lost %d", res.Errors, len(res.Latencies), res.Lost)
	}
	if want := "NOAUTH Authentication required."; res.FirstErr != want {
		t.Fatalf("first error %q, want %q", res.FirstErr, want)
	}
}

// A connection the server closes loses what it owed, and the run does
// not wait out the drain time for it.
func TestRunCountsAClosedConnectionAsLost(t *testing.T) {
	addr, _ := startSynap(t, "")
	start := time.Now()
	res, err := Run(Config{
		Addr: addr, Conns: 1, Every: time.Millisecond, Batches: 10, Pipeline: 1,
		Batch: func(i int) []byte {
			if i == 4 {
				return resptest.AppendCommand(nil, "QUIT")
			}
			return resptest.AppendCommand(nil, "PING")
		},
		Drain: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Latencies) != 5 || res.Lost != 5 || res.FirstErr == "" {
		t.Fatalf("measured %d, lost %d, first %q", len(res.Latencies), res.Lost, res.FirstErr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v: waited for replies from a closed connection", d)
	}
}

// A reply's latency ends when it reached the client's socket, not when
// the client got round to reading it: here the client is busy for 200 ms
// (building batch 1) while batch 0's reply waits in its socket.
func TestRunStampsRepliesOnArrival(t *testing.T) {
	addr, _ := startSynap(t, "")
	ping := resptest.AppendCommand(nil, "PING")
	res, err := Run(Config{
		Addr: addr, Conns: 2, Every: time.Nanosecond, Batches: 2, Pipeline: 1,
		Batch: func(i int) []byte {
			if i == 1 {
				time.Sleep(200 * time.Millisecond)
			}
			return ping
		},
		Drain: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Latencies) != 2 {
		t.Fatalf("measured %d replies: %+v", len(res.Latencies), res)
	}
	if first := res.Latencies[0]; first < 0 || first > 100*time.Millisecond {
		t.Fatalf("the fastest reply took %v: the client's own delay was counted", first)
	}
}

// Without epoll_pwait2 (kernels before 5.11) the loop waits with
// epoll_wait's milliseconds and still sends and answers every batch.
func TestRunWithoutEpollPwait2(t *testing.T) {
	noPwait2.Store(true)
	defer noPwait2.Store(false)
	addr, _ := startSynap(t, "")
	ping := resptest.AppendCommand(nil, "PING")
	res, err := Run(Config{
		Addr: addr, Conns: 2, Every: 500 * time.Microsecond, Batches: 100, Pipeline: 1,
		Batch: func(int) []byte { return ping }, Drain: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Latencies) != 100 || res.Lost != 0 || res.FirstErr != "" {
		t.Fatalf("measured %d, lost %d, first %q", len(res.Latencies), res.Lost, res.FirstErr)
	}
	// Rounded up to whole milliseconds, a wait may make a batch a
	// millisecond late, not tens of them (a timeout taken in the wrong
	// unit would).
	if lag := res.LagQuantile(1); lag > 20 {
		t.Fatalf("a batch left %.1f ms late", lag)
	}
}
