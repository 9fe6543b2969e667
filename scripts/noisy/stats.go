package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Where the server's time went during a window: its CPU time, how long its
// threads waited for a CPU, and its garbage collections. A slow B with a
// busy server points at the server's work; a slow B with an idle server
// that waited for a CPU points at the machine.

// clockTick is the unit of utime and stime in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux the benchmark runs on).
const clockTick = 10 * time.Millisecond

// statFields are the fields of /proc/<pid>/stat after the command name,
// which is in parentheses and may itself hold spaces: field n of proc(5)
// is statFields[n-3].
func statFields(pid string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return nil, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("bad /proc/%s/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 39 {
		return nil, fmt.Errorf("short /proc/%s/stat", pid)
	}
	return f, nil
}

// schedOf is the nice value and scheduling policy of pid's main thread,
// or -1, -1 if unknown.
func schedOf(pid string) (nice, policy int) {
	f, err := statFields(pid)
	if err != nil {
		return -1, -1
	}
	nice, _ = strconv.Atoi(f[19-3])
	policy, _ = strconv.Atoi(f[41-3])
	return nice, policy
}

// cpuTime is the user plus system time pid has used so far, its exited
// threads included.
func cpuTime(pid int) (time.Duration, bool) {
	f, err := statFields(strconv.Itoa(pid))
	if err != nil {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[14-3], 10, 64)
	s, err2 := strconv.ParseInt(f[15-3], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * clockTick, true
}

// runqueueWait is how long pid's threads have waited, runnable, for a CPU
// (the second field of each thread's schedstat, in ns). Only threads alive
// now count; the Go runtime keeps its threads.
func runqueueWait(pid int) (time.Duration, bool) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, false
	}
	var sum int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		sum += n
	}
	return time.Duration(sum), true
}

// gcStats sums the server's garbage collections over a window, from the
// lines GODEBUG=gctrace=1 has the Go runtime write to its log, one per
// cycle as it ends.
type gcStats struct {
	cycles  int
	stw     time.Duration // stop-the-world pauses: sweep termination + mark termination
	maxSTW  time.Duration // the longest single cycle's pauses
	mark    time.Duration // concurrent mark, wall clock
	cpu     time.Duration // CPU taken from the server's work: pauses, assists, background marking (not idle-P marking)
	maxHeap int           // largest heap at the start of a cycle, MB
}

// gctraceRE matches "gc 7 @1.234s 5%: 0.01+120+0.02 ms clock,
// 0.01+3/110/0+0.02 ms cpu, 300->310->150 MB, ...".
var gctraceRE = regexp.MustCompile(`^gc \d+ @[\d.]+s \d+%: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock, ([\d.]+)\+([\d.]+)/([\d.]+)/([\d.]+)\+([\d.]+) ms cpu, (\d+)->\d+->\d+ MB`)

func msDuration(s string) time.Duration {
	v, _ := strconv.ParseFloat(s, 64)
	return time.Duration(v * float64(time.Millisecond))
}

// parseGCTrace adds up the gctrace lines in r.
func parseGCTrace(r io.Reader) gcStats {
	var g gcStats
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := gctraceRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		g.cycles++
		stw := msDuration(m[1]) + msDuration(m[3])
		g.stw += stw
		g.maxSTW = max(g.maxSTW, stw)
		g.mark += msDuration(m[2])
		// m[7] is marking on otherwise idle Ps: time nobody else wanted.
		for _, c := range []string{m[4], m[5], m[6], m[8]} {
			g.cpu += msDuration(c)
		}
		heap, _ := strconv.Atoi(m[9])
		g.maxHeap = max(g.maxHeap, heap)
	}
	return g
}

// usage is the server's activity over one window; ok is false when the
// server died during it (its /proc entry is gone).
type usage struct {
	ok     bool
	window time.Duration
	cpu    time.Duration
	wait   time.Duration
	gc     gcStats

	// clientWait is how long this process's threads, B's client, waited
	// for a CPU: where B's send lag grows, this says whether the machine
	// kept B's client from running.
	clientWait time.Duration

	// stalls is how the machine took the server's CPUs away (stalls.go).
	stalls stalls
}

// selfExe is this binary, which the probes re-execute.
var selfExe string

// usageProbe measures a window of the server's activity.
type usageProbe struct {
	pid     int
	logPath string
	began   time.Time
	cpu0    time.Duration
	wait0   time.Duration
	logOff  int64
	ok      bool
	client0 time.Duration
	stalls  *stallProc
}

func probeUsage(s *server) *usageProbe {
	p := &usageProbe{pid: s.pid(), logPath: s.logPath, began: time.Now()}
	var ok1, ok2 bool
	p.cpu0, ok1 = cpuTime(p.pid)
	p.wait0, ok2 = runqueueWait(p.pid)
	p.ok = ok1 && ok2
	p.client0, _ = runqueueWait(os.Getpid())
	if fi, err := os.Stat(p.logPath); err == nil {
		p.logOff = fi.Size()
	}
	p.stalls = startStalls(selfExe, p.pid)
	return p
}

func (p *usageProbe) finish() usage {
	u := usage{window: time.Since(p.began), stalls: p.stalls.finish()}
	cpu, ok1 := cpuTime(p.pid)
	wait, ok2 := runqueueWait(p.pid)
	u.ok = p.ok && ok1 && ok2
	u.cpu, u.wait = cpu-p.cpu0, wait-p.wait0
	client, _ := runqueueWait(os.Getpid())
	u.clientWait = client - p.client0
	if f, err := os.Open(p.logPath); err == nil {
		defer f.Close()
		if _, err := f.Seek(p.logOff, io.SeekStart); err == nil {
			u.gc = parseGCTrace(f)
		}
	}
	return u
}
