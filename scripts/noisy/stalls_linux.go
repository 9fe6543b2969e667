package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

const (
	schedFIFO      = 1
	clockMonotonic = 1
	timerAbstime   = 1
)

// cpuMask is sched_setaffinity's mask, for up to 1024 CPUs.
type cpuMask [16]uint64

// cpusOf lists the CPUs process pid may run on.
func cpusOf(pid int) ([]int, bool) {
	var m cpuMask
	if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, uintptr(pid), unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m))); e != 0 {
		return nil, false
	}
	var cpus []int
	for i := range len(m) * 64 {
		if m[i/64]&(1<<(i%64)) != 0 {
			cpus = append(cpus, i)
		}
	}
	return cpus, true
}

// runStallsRole probes the CPUs given as "[0 1]" until its input closes,
// then prints "stalls <late ≥1 ms> <longest ns> <total late ns>". Each
// probe thread holds its P in the kernel while it sleeps (a raw system
// call: a wake-up must not wait for the Go scheduler), so the process has
// one P more than probes for the goroutine that waits for the end.
func runStallsRole(list string) {
	var cpus []int
	for _, f := range strings.Fields(strings.Trim(list, "[]")) {
		if c, err := strconv.Atoi(f); err == nil {
			cpus = append(cpus, c)
		}
	}
	runtime.GOMAXPROCS(len(cpus) + 1)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	var over int
	var longest, total time.Duration
	ready := make(chan bool, len(cpus))
	for _, c := range cpus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			var m cpuMask
			m[c/64] |= 1 << (c % 64)
			_, _, e1 := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m)))
			param := struct{ priority int32 }{1}
			_, _, e2 := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, 0, schedFIFO, uintptr(unsafe.Pointer(&param)))
			ready <- e1 == 0 && e2 == 0
			if e1 != 0 || e2 != 0 {
				return
			}
			var o int
			var l, t time.Duration
			next := time.Now().Add(stallEvery)
			for !stop.Load() {
				ts := monoTimespec(next)
				_, _, _ = syscall.RawSyscall6(syscall.SYS_CLOCK_NANOSLEEP, clockMonotonic, timerAbstime, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
				late := time.Since(next)
				if late >= stallMin {
					t += late
					l = max(l, late)
					if late >= stallBig {
						o++
					}
				}
				next = next.Add(stallEvery)
				if now := time.Now(); next.Before(now) {
					next = now.Add(stallEvery) // a long stall is counted once
				}
			}
			mu.Lock()
			over, total = over+o, total+t
			longest = max(longest, l)
			mu.Unlock()
		}()
	}
	for range cpus {
		if !<-ready {
			stop.Store(true)
			wg.Wait()
			fmt.Println("unavailable")
			return
		}
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the benchmark closes it
	stop.Store(true)
	wg.Wait()
	fmt.Printf("stalls %d %d %d\n", over, int64(longest), int64(total))
}

// monoBase ties the wall clock the loop computes in to CLOCK_MONOTONIC,
// which clock_nanosleep takes: both read at once.
var monoBase = func() (b struct {
	wall time.Time
	mono int64
}) {
	var ts syscall.Timespec
	b.wall = time.Now()
	_, _, _ = syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0)
	b.mono = ts.Nano()
	return b
}()

func monoTimespec(t time.Time) syscall.Timespec {
	return syscall.NsecToTimespec(monoBase.mono + int64(t.Sub(monoBase.wall)))
}
