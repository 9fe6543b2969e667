package commands

import (
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"synap/sched"
)

// threadCPU is the CPU time of the calling thread: a stretch measured in
// it leaves out the time the machine's other work took the thread away.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// go test -run X -bench NoisyStretch ./commands (Linux): the longest
// stretch each attack of scripts/noisy runs without a chance to yield
// (sched.Maybe), in µs of the thread's CPU time (the goroutine is locked
// to its thread, so the machine's other work does not count), the least
// over the runs. With one P that, beyond sched.Every, is how long another
// tenant's request can wait for the processor behind the attack.
func BenchmarkNoisyStretch(b *testing.B) {
	srv, c := noisyClient(b)
	const n = 100_000
	noisyFill(srv, c, n)
	noisyExec(srv, c, "SET", "big10m", string(make([]byte, 10<<20)))
	// The memory phase's SORT_RO: 50,000 empty elements, each a GET of a
	// 90 KB value, a reply that goes past the output bound.
	noisyExec(srv, c, "SET", "big", string(make([]byte, 90<<10)))
	for range 50 {
		args := []string{"RPUSH", "L"}
		for range 1000 {
			args = append(args, "")
		}
		noisyExec(srv, c, args...)
	}
	c.W.Reset()
	multiGet := [][][]byte{noisyArgs("MULTI")}
	for range maxTenantMulti {
		multiGet = append(multiGet, noisyArgs("GET", "big10m"))
	}
	multiGet = append(multiGet, noisyArgs("EXEC"))
	multiSet := [][][]byte{noisyArgs("MULTI")}
	for i := range maxTenantMulti {
		multiSet = append(multiSet, noisyArgs("SET", "m:"+strconv.Itoa(i), "v"))
	}
	multiSet = append(multiSet, noisyArgs("EXEC"))
	queue := func(cmds [][][]byte) func() {
		return func() {
			for _, a := range cmds[:len(cmds)-1] {
				srv.Exec(nil, c, a)
			}
		}
	}
	exec := func() { noisyExec(srv, c, "EXEC") }
	// The noisy benchmark's SADD of the same 2,000 members of 2 KB: a 4 MB
	// command whose members are hashed and compared under its key's lock.
	sadd := []string{"SADD", "s4m"}
	for i := range 2000 {
		sadd = append(sadd, (strconv.Itoa(i) + string(make([]byte, 2000)))[:2000])
	}
	saddArgs := noisyArgs(sadd...) // converted once: the stretch is the server's
	srv.Exec(nil, c, saddArgs)
	for _, tc := range []struct {
		name  string
		setup func()
		run   func()
	}{
		{"KEYS", nil, func() { noisyExec(srv, c, "KEYS", "*") }},
		{"SORT", nil, func() { noisyExec(srv, c, "SORT", "sortme", "BY", "w_*", "GET", "o_*") }},
		{"LRANGE", nil, func() { noisyExec(srv, c, "LRANGE", "list", "0", "-1") }},
		{"SORT_RO_GET_BIG", nil, func() { noisyExec(srv, c, "SORT_RO", "L", "BY", "nosort", "GET", "big*") }},
		{"SCAN1000", nil, func() { noisyExec(srv, c, "SCAN", "0", "COUNT", "1000") }},
		{"SADD2000X2KB", nil, func() { srv.Exec(nil, c, saddArgs) }},
		// EXEC alone: queueing is one command per call, and the
		// connection's loop yields every 64 commands of a pipeline.
		{"EXECMAXGET10MB", queue(multiGet), exec},
		{"EXECMAXSET", queue(multiSet), exec},
	} {
		b.Run(tc.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			least, cpu := time.Duration(1<<62), time.Duration(0)
			for i := 0; i < b.N; i++ {
				if tc.setup != nil {
					tc.setup()
				}
				var longest time.Duration
				prev := threadCPU()
				sched.Observe(func(resumed bool) {
					now := threadCPU()
					if !resumed {
						longest = max(longest, now-prev)
					}
					prev = now
				})
				start := threadCPU()
				tc.run()
				cpu += threadCPU() - start
				sched.Observe(nil)
				longest = max(longest, threadCPU()-prev)
				least = min(least, longest)
				c.W.Reset()
			}
			b.ReportMetric(float64(least.Microseconds()), "max-stretch-µs")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}
