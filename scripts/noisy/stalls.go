package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// roleStalls runs the stall probe in a process of its own (the benchmark
// starts it for each window).
const roleStalls = "stalls"

// stalls is how the machine took the server's CPUs away during a window:
// a probe thread on each of them, at real-time priority, asks to wake
// every millisecond, and any wake-up late by stallMin or more means
// nothing on that CPU could run for that long (the hypervisor ran
// something else there, or the kernel kept it). A virtual machine's guest
// sees none of it otherwise: this round's machine reported no steal time
// while a clock-reading loop on one CPU lost 18 stretches of 1-3.6 ms in
// 10 s whenever the other CPU was busy.
type stalls struct {
	ok      bool          // measured (real-time priority and the CPUs granted)
	over    int           // late wake-ups of stallBig or more
	longest time.Duration // the latest wake-up
	total   time.Duration // the lateness of all late wake-ups (stallMin or more)
}

const (
	stallEvery = time.Millisecond
	stallMin   = 200 * time.Microsecond
	stallBig   = time.Millisecond
)

type stallProc struct {
	cmd *exec.Cmd
	in  interface{ Close() error }
	out *bufio.Reader
}

// startStalls starts the probe on the CPUs the server may run on; nil if
// it could not (the window is then reported unmeasured).
func startStalls(self string, pid int) *stallProc {
	cpus, ok := cpusOf(pid)
	if !ok || len(cpus) == 0 {
		return nil
	}
	args := []string{"-role", roleStalls, "-cpus", fmt.Sprint(cpus)}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	in, err1 := cmd.StdinPipe()
	out, err2 := cmd.StdoutPipe()
	if err1 != nil || err2 != nil || cmd.Start() != nil {
		return nil
	}
	p := &stallProc{cmd: cmd, in: in, out: bufio.NewReader(out)}
	if line, err := p.out.ReadString('\n'); err != nil || line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil
	}
	return p
}

// finish stops the probe and returns what it saw.
func (p *stallProc) finish() stalls {
	if p == nil {
		return stalls{}
	}
	_ = p.in.Close()
	var s stalls
	var longest, total int64
	line, err := p.out.ReadString('\n')
	if err == nil {
		_, err = fmt.Sscanf(line, "stalls %d %d %d", &s.over, &longest, &total)
	}
	_ = p.cmd.Wait()
	if err != nil {
		return stalls{}
	}
	s.ok, s.longest, s.total = true, time.Duration(longest), time.Duration(total)
	return s
}

// cell is the report's text: late wake-ups of 1 ms or more, the longest.
func (s stalls) cell() string {
	if !s.ok {
		return "-"
	}
	return fmt.Sprintf("%d, %.1f", s.over, float64(s.longest)/float64(time.Millisecond))
}
