// Package procstat reads a process's CPU time and system call counts from
// /proc, so a benchmark can report what a server spent per message: on a
// machine shared with other work the rates swing with the load, while the
// CPU a server spends per message, and the messages it sends per write
// system call, barely move.
package procstat

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// Sample is a process's counters at one moment; OK is false where /proc
// could not tell (another OS, or the process gone).
type Sample struct {
	CPU    time.Duration // user + system
	Reads  int64         // read-like system calls (syscr)
	Writes int64         // write-like system calls (syscw)
	OK     bool
}

// clockTick is the unit of /proc/PID/stat's times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// Take samples pid.
func Take(pid int) Sample {
	var s Sample
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return s
	}
	// Fields after the command name, which may hold spaces: utime and
	// stime are the 14th and 15th fields, the 12th and 13th after ")".
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 13 {
		return s
	}
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return s
	}
	s.CPU = time.Duration(ut+st) * clockTick
	io, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return s
	}
	for _, line := range bytes.Split(io, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(": "))
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			continue
		}
		switch string(k) {
		case "syscr":
			s.Reads = n
		case "syscw":
			s.Writes = n
		}
	}
	s.OK = true
	return s
}

// Sub is what the process spent between b (earlier) and a.
func (a Sample) Sub(b Sample) Sample {
	return Sample{CPU: a.CPU - b.CPU, Reads: a.Reads - b.Reads, Writes: a.Writes - b.Writes, OK: a.OK && b.OK}
}
