package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is the Synap under test. It runs under an address-space limit
// (RLIMIT_AS, set by `ulimit -v` in the shell that execs it): GOMEMLIMIT
// is only a target the Go runtime may overshoot, while RLIMIT_AS makes an
// allocation beyond the limit fail, so an unfixed server dies with "fatal
// error: out of memory" inside its bound instead of taking the whole
// machine (and the other engineers' work on it) down.
type server struct {
	bin     string
	dir     string
	args    []string
	vmemKiB int64

	cmd     *exec.Cmd
	addr    string
	logPath string
	exited  chan struct{}
	starts  int
}

var servingRE = regexp.MustCompile(`msg="serving RESP" addr=(\S+)`)

func (s *server) start() error {
	s.starts++
	s.logPath = filepath.Join(s.dir, fmt.Sprintf("synap.%d.log", s.starts))
	logf, err := os.Create(s.logPath)
	if err != nil {
		return err
	}
	// exec keeps the pid: the process we sample and signal is synap itself.
	script := fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, s.vmemKiB)
	s.cmd = exec.Command("/bin/sh", append([]string{"-c", script, s.bin, "serve", "--http-port", "off"}, s.args...)...)
	// gctrace has the Go runtime log one line per GC cycle: the table
	// reports the collections of each window from them.
	godebug := "gctrace=1"
	if v := os.Getenv("GODEBUG"); v != "" {
		godebug = v + "," + godebug
	}
	s.cmd.Env = append(os.Environ(), "GODEBUG="+godebug)
	s.cmd.Stdout = logf
	s.cmd.Stderr = logf
	dieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}(s.cmd, s.exited)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		if !s.alive() {
			return fmt.Errorf("synap exited at start: %s", s.deathReason())
		}
		if b, _ := os.ReadFile(s.logPath); servingRE.Match(b) {
			s.addr = string(servingRE.FindSubmatch(b)[1])
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return errors.New("synap did not report its address within 15s; log: " + s.logPath)
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// stop asks the server to stop, and kills it if it has not within 10s.
func (s *server) stop() {
	if s.cmd == nil || !s.alive() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// deathReason is the first line of the Go runtime's fatal report or panic
// in the log, or the exit status.
func (s *server) deathReason() string {
	f, err := os.Open(s.logPath)
	if err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "fatal error:") || strings.HasPrefix(line, "panic:") ||
				strings.HasPrefix(line, "runtime: out of memory") {
				return line
			}
		}
	}
	if s.cmd.ProcessState != nil {
		return s.cmd.ProcessState.String()
	}
	return "unknown"
}

// rssSampler records the server's peak resident set during one row: the
// kernel's high-water mark (VmHWM, reset at the start of the row through
// clear_refs) and, in case the reset is not permitted, VmRSS sampled every
// 20ms.
type rssSampler struct {
	pid  int
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak int64
}

func sampleRSS(pid int) *rssSampler {
	r := &rssSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
	go func() {
		defer close(r.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			r.sample()
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

func (r *rssSampler) sample() {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.pid))
	if err != nil {
		return // the process is gone: keep the last peak seen
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "VmHWM" && name != "VmRSS") {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			continue
		}
		r.mu.Lock()
		r.peak = max(r.peak, kib<<10)
		r.mu.Unlock()
	}
}

// finish stops sampling and returns the peak in bytes.
func (r *rssSampler) finish() int64 {
	close(r.stop)
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peak
}
