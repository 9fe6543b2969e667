package sched

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Share is one tenant's recent use of the processors, so that a tenant
// flooding the server with many connections' worth of short commands (or
// reconnecting over and over) goes behind the other tenants' requests
// instead of filling every pass of the scheduler: Go runs ready goroutines
// in the order the network poller found them, so a tenant with 20 busy
// connections made another tenant's request wait for 20 of its commands,
// twice per request at worst.
//
// It is one word, so that it costs a tenant nothing beyond its struct's
// size class: the window's number (32 bits), the busy µs of the window
// before it and of this one (16 bits each, saturating).
type Share struct{ w atomic.Uint64 }

// shareWindowShift makes a window 2^13 µs (8.2 ms).
const shareWindowShift = 13

// heavyPart is the part of the processors' time from which a tenant is
// heavy: a quarter, so that one tenant among several busy ones is heavy
// only when it takes more than its turn, and a tenant alone on the server
// pays a Gosched per batch of input (about 0.1 µs).
const heavyPart = 4

var procs atomic.Int64

func init() { procs.Store(int64(runtime.GOMAXPROCS(0))) }

// SetProcs tells the share accounting how many processors serve (the
// server's GOMAXPROCS).
func SetProcs(n int) { procs.Store(int64(max(n, 1))) }

func usec(t time.Time) uint64 { return uint64(t.UnixNano() / 1e3) }

func unpack(v uint64) (win uint64, prev, cur uint64) {
	return v >> 32, v >> 16 & 0xffff, v & 0xffff
}

// Add counts d of busy time ending at now, in whole µs rounded up: a
// command of a fraction of a µs (one REST GET) would count nothing if
// truncated, however many of them a tenant sent.
func (s *Share) Add(now time.Time, d time.Duration) {
	us := uint64(max((d+time.Microsecond-1)/time.Microsecond, 0))
	win := usec(now) >> shareWindowShift & 0xffffffff
	for {
		old := s.w.Load()
		w, prev, cur := unpack(old)
		switch win {
		case w:
		case (w + 1) & 0xffffffff:
			prev, cur = cur, 0
		default:
			prev, cur = 0, 0
		}
		cur = min(cur+us, 0xffff)
		if s.w.CompareAndSwap(old, win<<32|prev<<16|cur) {
			return
		}
	}
}

// Heavy reports whether the tenant took more than its part of the
// processors over the last one to two windows.
func (s *Share) Heavy(now time.Time) bool {
	t := usec(now)
	win := t >> shareWindowShift & 0xffffffff
	w, prev, cur := unpack(s.w.Load())
	var busy uint64
	switch win {
	case w:
		busy = prev + cur
	case (w + 1) & 0xffffffff:
		busy = cur
	default:
		return false
	}
	span := 1<<shareWindowShift + t&(1<<shareWindowShift-1)
	return busy*heavyPart > span*uint64(procs.Load())
}

// Defer puts the calling goroutine behind the ones ready to run, and
// behind those whose input has arrived when a yield is due (Maybe's
// pacing): a heavy tenant's connection calls it before a batch of input.
func Defer() {
	if due() {
		Yield()
		return
	}
	// Twice, as in Yield: once in 61 schedules the scheduler serves the
	// global queue, where Gosched puts the caller, first.
	runtime.Gosched()
	runtime.Gosched()
}
