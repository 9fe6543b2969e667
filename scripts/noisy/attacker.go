package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Tenant A's attack client runs in its own process, as if on another
// machine. In the benchmark's own process its reply parsing (megabytes per
// KEYS *, a million elements per LRANGE) ran on the same two cores and the
// same Go scheduler as B's measuring client, and B's requests left late:
// that measured the benchmark, not the server. Here it runs at the lowest
// CPU priority the kernel has (nice 19 and SCHED_IDLE), so that on the
// two cores the server and both clients share, B's client and the server
// get a CPU whenever they want one and A's client only what is left.
//
// The protocol with the parent: the child prints "ready <nice> <policy>"
// once it has lowered its priority and is about to attack; it attacks
// until its stdin closes (or reaches EOF because the parent died), then
// prints its outcome as one JSON line and exits.

// roleAttacker is the -role of the attack process.
const roleAttacker = "attacker"

// loweredEnv marks the attack process once it has re-executed itself with
// its priority lowered (see lowerPriority).
const loweredEnv = "NOISY_ATTACKER_LOWERED"

// attackResult is what the attack process reports at its end.
type attackResult struct {
	Outcome string `json:"outcome"`
}

// runAttackerRole is main for the attack process: it runs the attack
// named name against addr until stdin closes.
func runAttackerRole(addr, name string, keys int) {
	log.SetPrefix("bench-noisy attacker: ")
	if os.Getenv(loweredEnv) == "" {
		// Only returns when the re-exec failed.
		log.Printf("cannot lower priority: %v", lowerPriority())
	}
	var run func(ctx context.Context, e env, o *outcome)
	for _, ph := range phases(scaleFor(keys)) {
		for _, a := range ph.attacks {
			if a.name == name {
				run = a.run
			}
		}
	}
	if run == nil {
		log.Fatalf("no attack named %q", name)
	}
	nice, policy := schedOf("self")
	fmt.Printf("ready %d %d\n", nice, policy)

	ctx, cancel := context.WithCancel(context.Background())
	o := &outcome{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx, env{addr: addr, keyA: keyA}, o)
	}()
	_, _ = io.Copy(io.Discard, os.Stdin)
	// What A got is taken when the parent ends the row: the errors of the
	// connections closed next say nothing about the server.
	res := attackResult{Outcome: o.String()}
	cancel()
	select {
	case <-done:
	case <-time.After(25 * time.Second):
		log.Printf("%s: connections did not finish within 25s", name)
	}
	b, _ := json.Marshal(res)
	fmt.Printf("%s\n", b)
}

// attackProc is the parent's handle on one attack process.
type attackProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	nice   int
	policy int
}

// startAttacker starts the attack process for the attack name and returns
// once it is ready to attack.
func startAttacker(self, addr, name string, keys int) (*attackProc, error) {
	cmd := exec.Command(self, "-role", roleAttacker, "-addr", addr, "-attack", name, "-keys", fmt.Sprint(keys))
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &attackProc{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	line, err := p.out.ReadString('\n')
	if _, serr := fmt.Sscanf(line, "ready %d %d", &p.nice, &p.policy); err != nil || serr != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("attack process did not start: %q %v", line, err)
	}
	return p, nil
}

// stop ends the attack and returns what tenant A got and the CPU time the
// attack process used.
func (p *attackProc) stop() (string, time.Duration) {
	_ = p.stdin.Close()
	got := make(chan string, 1)
	go func() {
		line, err := p.out.ReadString('\n')
		var res attackResult
		if err == nil {
			err = json.Unmarshal([]byte(line), &res)
		}
		if err != nil {
			got <- "attack process: " + strings.TrimSpace(line) + " " + err.Error()
			return
		}
		got <- res.Outcome
	}()
	var outcome string
	select {
	case outcome = <-got:
	case <-time.After(30 * time.Second):
		outcome = "attack process did not report within 30s, killed"
		_ = p.cmd.Process.Kill()
	}
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		log.Printf("attack process: %v", err)
	}
	var cpu time.Duration
	if st := p.cmd.ProcessState; st != nil {
		cpu = st.UserTime() + st.SystemTime()
	}
	return outcome, cpu
}

// policyName names a scheduling policy as sched_setscheduler(2) does.
func policyName(p int) string {
	switch p {
	case 0:
		return "SCHED_OTHER"
	case 3:
		return "SCHED_BATCH"
	case 5:
		return "SCHED_IDLE"
	}
	return fmt.Sprintf("policy %d", p)
}
