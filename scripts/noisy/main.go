// Command noisy is the noisy-neighbour benchmark of cluster mode: tenant B
// sends GET and SET at a steady rate while tenant A, on the same server,
// runs one attack at a time (long walks, huge replies, huge arguments,
// transient allocations). It prints a markdown table of B's latency under
// each attack against B's latency alone, whether the server survived, and
// its peak RSS. scripts/bench-noisy.sh builds Synap and runs it.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

const (
	keyA     = "noisy-tenant-a-key-0123456789"
	keyB     = "noisy-tenant-b-key-0123456789"
	adminKey = "noisy-operator-key-0123456789"

	// The storage quotas the tenants file gives A and B. A's plan is
	// generous (1 GiB, a pro plan's default) so that its attacks are not
	// simply refused by quotas; B's is small, a typical victim.
	quotaA = 1 << 30
	quotaB = 64 << 20

	// bar is the most B's p99 may grow under an attack, as a multiple of
	// its p99 alone.
	bar = 3.0
)

func main() {
	var (
		bin      = flag.String("synap", ".bench/noisy/synap", "the synap binary to test")
		dir      = flag.String("dir", ".bench/noisy", "where the tenants file and the server logs go")
		out      = flag.String("out", ".bench/noisy.md", "markdown report to write")
		window   = flag.Duration("window", 6*time.Second, "how long B is measured, alone and under each attack")
		rate     = flag.Int("rate", 2000, "tenant B's requests per second (half GET, half SET)")
		conns    = flag.Int("conns", 4, "tenant B's connections")
		vmem     = flag.Int64("vmem-mib", 4096, "address-space limit of the server process (ulimit -v), MiB")
		headroom = flag.Int64("headroom-mib", 512, "RSS allowed beyond the tenants' storage quotas (runtime, buffers, transient work), MiB")
		keys     = flag.Int("keys", 1_000_000, "tenant A's keys in the walks phase (the LRANGE list has as many elements)")
		only     = flag.String("only", "", "run only the attacks whose name contains this")
		place    = flag.String("placement", "", "how the server and the clients share the machine's CPUs, for the report")

		role    = flag.String("role", "", "internal: \""+roleAttacker+"\" runs one attack of tenant A in this process (the benchmark starts it)")
		addr    = flag.String("addr", "", "internal: the server's address, with -role")
		attackN = flag.String("attack", "", "internal: the attack's name, with -role")
		cpus    = flag.String("cpus", "", "internal: the CPUs to probe, with -role "+roleStalls)
	)
	flag.Parse()
	log.SetFlags(log.Ltime)
	log.SetPrefix("bench-noisy: ")
	switch *role {
	case roleAttacker:
		runAttackerRole(*addr, *attackN, *keys)
		return
	case roleStalls:
		runStallsRole(*cpus)
		return
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	selfExe = self

	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	tenants := filepath.Join(*dir, "tenants.yaml")
	if err := writeTenants(tenants); err != nil {
		log.Fatal(err)
	}
	srv := &server{
		bin:     *bin,
		dir:     *dir,
		vmemKiB: *vmem << 10,
		args: []string{"--port", "0", "--cluster-mode", "--tenants-file", tenants,
			"--admin-key", adminKey},
	}
	sc := scaleFor(*keys)
	bound := int64(quotaA+quotaB) + *headroom<<20
	r := &runner{srv: srv, sc: sc, self: self, window: *window, rate: *rate, conns: *conns, bound: bound, aNice: -1, aPolicy: -1}

	var rows []row
	for _, ph := range phases(sc) {
		var picked []attack
		for _, a := range ph.attacks {
			if strings.Contains(a.name, *only) {
				picked = append(picked, a)
			}
		}
		if len(picked) == 0 {
			continue
		}
		rows = append(rows, r.runPhase(ph, picked)...)
	}
	srv.stop()

	report := render(rows, header(*window, *rate, *conns, *vmem, bound, r.aNice, r.aPolicy, *place), bound)
	fmt.Print(report)
	if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("report written to %s", *out)
}

// writeTenants writes the two tenants. A: a pro plan (1 GiB storage,
// 16 MiB payload, 10M keys, 500 connections) with its rate limit raised to
// 100,000 requests/s, so the attacks run at full speed. B: a pro plan with
// 64 MiB of storage, and a burst large enough for the backlog a stall
// leaves: B's requests held back by a stalled server arrive all at once
// when it resumes, and a refusal for that burst would hide B's latency
// behind RATELIMIT errors.
func writeTenants(path string) error {
	hash := func(k string) string {
		s := sha256.Sum256([]byte(k))
		return hex.EncodeToString(s[:])
	}
	yaml := fmt.Sprintf(`tenants:
  - user_id: tenant-a
    plan: pro
    limits: {storage_limit_bytes: %d, rate_limit: {requests_per_second: 100000, burst: 200000}}
    keys:
      - key_id: a-admin
        secret_sha256: %s
        permissions: [admin]
  - user_id: tenant-b
    plan: pro
    limits: {storage_limit_bytes: %d, rate_limit: {requests_per_second: 10000, burst: 100000}}
    keys:
      - key_id: b-app
        secret_sha256: %s
        permissions: [read, write, delete]
tenant_count: 2
`, quotaA, hash(keyA), quotaB, hash(keyB))
	return os.WriteFile(path, []byte(yaml), 0o644)
}

// scaleFor is the data sizes for keys keys in the walks phase; the attack
// process derives the same names from it.
func scaleFor(keys int) scale {
	sc := scale{keys: keys, list: keys, sortList: 100_000}
	if sc.keys < 2*sc.sortList+2 {
		sc.sortList = (sc.keys - 2) / 4
	}
	return sc
}

type runner struct {
	srv    *server
	sc     scale
	self   string // this binary, re-executed as the attack process
	window time.Duration
	rate   int
	conns  int
	bound  int64

	// The attack process's nice value and scheduling policy, as it saw
	// them (-1: no attack ran).
	aNice, aPolicy int
}

// row is one line of the table.
type row struct {
	name    string
	alone   latencies // B alone, right before the attack
	lat     latencies // B under the attack
	alive   string
	peak    int64
	tenantA string
	phase   string

	aloneUse, use usage         // the server's activity, B alone and under the attack
	aCPU          time.Duration // CPU time of tenant A's attack process
}

// fatal stops the server, which would otherwise outlive the benchmark, and
// exits.
func (r *runner) fatal(err error) {
	r.srv.stop()
	log.Fatal(err)
}

func (r *runner) env() env { return env{addr: r.srv.addr, keyA: keyA} }

// ready makes sure a server is up with B's data and the phase's data
// loaded, restarting it if it died.
func (r *runner) ready(ph phase, loaded *bool) error {
	if r.srv.cmd != nil && r.srv.alive() && *loaded {
		return nil
	}
	if r.srv.cmd == nil || !r.srv.alive() {
		if r.srv.cmd != nil {
			log.Printf("restarting synap")
		}
		if err := r.srv.start(); err != nil {
			return err
		}
		if err := loadVictim(r.env(), keyB); err != nil {
			return fmt.Errorf("loading tenant B: %w", err)
		}
	}
	began := time.Now()
	if err := ph.load(r.env(), r.sc); err != nil {
		return fmt.Errorf("loading %q: %w", ph.name, err)
	}
	log.Printf("loaded tenant A's data in %v", time.Since(began).Round(time.Millisecond))
	*loaded = true
	return nil
}

func (r *runner) runPhase(ph phase, attacks []attack) []row {
	log.Printf("phase %s", ph.name)
	loaded := false
	var rows []row
	for _, a := range attacks {
		restarted := ""
		if r.srv.cmd != nil && !r.srv.alive() {
			loaded = false
			restarted = " (on a restarted server)"
		}
		fresh := !loaded
		if err := r.ready(ph, &loaded); err != nil {
			r.fatal(err)
		}
		if fresh {
			// The load leaves garbage and cold connections behind: a second
			// of unmeasured traffic, so the baseline is not the load's tail.
			runVictim(r.srv.addr, keyB, r.rate, r.conns, time.Second, 10*time.Second)
		}
		// B alone right before each attack, with A's data in place: the
		// machine is shared and its load drifts, so each attack is compared
		// with a baseline taken under the same conditions.
		probe := probeUsage(r.srv)
		alone := runVictim(r.srv.addr, keyB, r.rate, r.conns, r.window, 10*time.Second)
		aloneUse := probe.finish()
		row := r.runAttack(a)
		row.name += restarted
		row.alone = alone
		row.aloneUse = aloneUse
		row.phase = ph.name
		log.Printf("  %s: alone p50/p99 %.2f/%.2f ms, under attack %.2f/%.2f ms, alive %s, peak RSS %d MiB; A got: %s",
			a.name, alone.Quantile(0.5), alone.Quantile(0.99), row.lat.Quantile(0.5), row.lat.Quantile(0.99),
			row.alive, row.peak>>20, row.tenantA)
		rows = append(rows, row)
	}
	return rows
}

func (r *runner) runAttack(a attack) row {
	rss := sampleRSS(r.srv.pid())
	ap, err := startAttacker(r.self, r.srv.addr, a.name, r.sc.keys)
	if err != nil {
		r.fatal(err)
	}
	r.aNice, r.aPolicy = ap.nice, ap.policy
	probe := probeUsage(r.srv)
	// A stops when B's window ends: B's requests still unanswered then
	// have the drain time to come back from a server no longer attacked.
	stopAttack := time.AfterFunc(r.window+50*time.Millisecond, func() { _ = ap.stdin.Close() })
	lat := runVictim(r.srv.addr, keyB, r.rate, r.conns, r.window, 10*time.Second)
	use := probe.finish()
	stopAttack.Stop()
	got, aCPU := ap.stop()
	alive := "yes"
	switch {
	case !r.srv.alive():
		alive = "no: " + r.srv.deathReason()
	case !settle(r.srv.addr, keyB, 30*time.Second):
		alive = "hung: no PING reply within 30s after the attack, killed"
		r.srv.stop()
	}
	// Let the Go runtime hand back what the attack left behind, so the
	// next row starts from a comparable heap.
	time.Sleep(time.Second)
	return row{name: a.name, lat: lat, alive: alive, peak: rss.finish(), tenantA: got, use: use, aCPU: aCPU}
}

func header(window time.Duration, rate, conns int, vmem, bound int64, aNice, aPolicy int, place string) string {
	rev := "unknown"
	if b, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		rev = strings.TrimSpace(string(b))
	}
	prio := "did not run"
	if aPolicy >= 0 {
		prio = fmt.Sprintf("ran at nice %d, %s", aNice, policyName(aPolicy))
	}
	if place == "" {
		place = "not pinned: the server and the clients share every CPU"
	}
	return fmt.Sprintf(`# Noisy neighbours

Synap %s, %s, %d cores. Cluster mode, one server, two tenants:

- tenant A (hostile, admin key): pro plan (storage quota %d MiB, payload 16 MiB, 10M keys, 500 connections), rate limit raised to 100,000 requests/s (a MULTI of 10k commands spends 10k);
- tenant B (victim, read/write/delete key): pro plan, storage quota %d MiB, rate limit 10,000 requests/s with a burst of 100,000 (room for the backlog a stall leaves); %d GET/SET per second, open loop over %d connections, 10,000 keys of 32 bytes.

The server and the two clients are three processes, as if the clients were on other machines:
the server and B's measuring client at normal priority, A's attack client at the lowest
(it %s), so that on the machine's cores A's client only gets the CPU time the server and B's
client leave, and its reading of huge replies (skipped unparsed) cannot delay B's requests.
CPU placement: %s.

B's client is open loop: its requests go out on schedule whatever the replies do, from one
event loop on one thread (scripts/loadgen). Latency runs from the actual send, which leaves out
the client's own lateness, or from the scheduled time when the server held the send back by not
reading (no coordinated omission), to the reply's arrival in B's socket (the kernel's receive
stamp), which leaves out B's own wait for a CPU to read it; a request without a reply within the
window plus 10s counts as infinite. Each row measures B alone for %v,
then for as long while A attacks without pause (A's data is loaded once per phase; a dropped
attacker reconnects). Bar: B's p99 under the attack within %.0fx of its p99 alone just before (the
machine's load drifts: a baseline per row compares like with like). The server runs under
`+"`ulimit -v %d`"+` MiB, a hard address-space bound: beyond it allocations fail, so an unfixed
server dies instead of exhausting the machine; the next row then runs on a restarted server. Its
RSS bound is the tenants' storage quotas plus %d MiB = %d MiB; peak RSS is the kernel's VmHWM
over the row (reset at its start). "Tenant A got" is A's first error, or OK, and how many attack
commands completed. "B send lag" is how late B's client sent its requests after their scheduled
time: its own timer and scheduling, out of B's latency unless the server caused it; near its value
alone, it shows B's client kept time under the attack.

Each phase's second table says where the time went, B alone / under the attack: the server's CPU
time (user + system, from /proc/<pid>/stat; the server uses one P by default), how long its
threads and those of B's client waited, runnable, for a CPU (schedstat: the machine's load), how
often the machine took the server's CPUs away for 1 ms or more, and the longest time (a probe
thread at real-time priority on each of those CPUs wakes every millisecond and counts how late it
woke; a virtual machine's hypervisor does this without the guest seeing it as steal time; "-"
when the probe could not run; its wake-ups cost the server a few µs a millisecond and keep its
CPUs from idling long), its garbage
collections (from GODEBUG=gctrace=1 in its log: cycles ended in the window, their
stop-the-world pauses, concurrent mark wall time, the CPU they took from the server's work, the
largest heap a cycle started at), and the CPU time of A's attack process.
`, rev, time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), quotaA>>20, quotaB>>20, rate, conns,
		prio, place, window, bar, vmem, (bound-quotaA-quotaB)>>20, bound>>20)
}

func ms(v float64) string {
	if math.IsInf(v, 1) {
		return "∞"
	}
	return fmt.Sprintf("%.2f", v)
}

// cell keeps a table cell on its line and in its column.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", "").Replace(s)
}

func render(rows []row, head string, bound int64) string {
	var b strings.Builder
	b.WriteString(head)
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].phase == rows[i].phase {
			j++
		}
		fmt.Fprintf(&b, "\n## %s\n\n", rows[i].phase)
		renderLatency(&b, rows[i:j], bound)
		b.WriteString("\nWhere the time went (each cell: B alone / under the attack, unless it says otherwise):\n\n")
		renderUsage(&b, rows[i:j])
		i = j
	}
	return b.String()
}

func renderLatency(b *strings.Builder, rows []row, bound int64) {
	b.WriteString("| attack by tenant A | B alone p50 / p99 ms | B p50 ms | B p99 ms | p99 / alone | bar ≤3x | server alive | peak RSS MiB | RSS ≤ bound | tenant A got | B send lag p99 ms, alone / attack |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		p99 := r.lat.Quantile(0.99)
		x := p99 / r.alone.Quantile(0.99)
		ratio, verdict := fmt.Sprintf("%.2f", x), "pass"
		if math.IsInf(x, 1) || math.IsNaN(x) {
			ratio = "∞"
		}
		if !(x <= bar) {
			verdict = "FAIL"
		}
		p99s := ms(p99)
		if r.lat.Lost > 0 {
			p99s += fmt.Sprintf(" (%d of %d unanswered)", r.lat.Lost, len(r.lat.Latencies)+r.lat.Lost)
		}
		if r.lat.Errors > 0 {
			p99s += fmt.Sprintf(" (%d errors: %s)", r.lat.Errors, r.lat.FirstErr)
		}
		rssOK := "yes"
		switch {
		case strings.Contains(r.alive, "out of memory"):
			// It died asking for more than its address-space bound: the
			// pages it had touched by then understate what it wanted.
			rssOK = "NO (out of memory)"
		case r.peak > bound:
			rssOK = "NO"
		}
		fmt.Fprintf(b, "| %s | %s / %s | %s | %s | %s | %s | %s | %d | %s | %s | %s / %s |\n",
			cell(r.name), ms(r.alone.Quantile(0.5)), ms(r.alone.Quantile(0.99)), ms(r.lat.Quantile(0.5)), p99s,
			ratio, verdict, cell(r.alive), r.peak>>20, rssOK, cell(r.tenantA),
			ms(r.alone.LagQuantile(0.99)), ms(r.lat.LagQuantile(0.99)))
	}
}

func renderUsage(b *strings.Builder, rows []row) {
	b.WriteString("| attack by tenant A | server CPU s (window s) | server waited for a CPU ms | B's client waited for a CPU ms | the server's CPUs taken away ≥1 ms: times, longest ms | GC cycles | GC pauses under the attack ms, total / longest | GC mark ms (wall) | GC CPU ms | largest heap at a GC MB | A's client CPU s (attack) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		a, u := r.aloneUse, r.use
		fmt.Fprintf(b, "| %s | %s / %s (%.1f / %.1f) | %s / %s | %s / %s | %s / %s | %d / %d | %s | %s / %s | %s / %s | %s / %s | %.2f |\n",
			cell(r.name), secs(a, a.cpu), secs(u, u.cpu), a.window.Seconds(), u.window.Seconds(),
			msec(a, a.wait), msec(u, u.wait), fmtMS(a.clientWait), fmtMS(u.clientWait), a.stalls.cell(), u.stalls.cell(), a.gc.cycles, u.gc.cycles,
			gcPauses(u.gc), fmtMS(a.gc.mark), fmtMS(u.gc.mark), fmtMS(a.gc.cpu), fmtMS(u.gc.cpu),
			heapMB(a.gc), heapMB(u.gc), r.aCPU.Seconds())
	}
}

// secs and msec show a /proc measure of the server, or "?" when the
// server died during the window.
func secs(u usage, d time.Duration) string {
	if !u.ok {
		return "?"
	}
	return fmt.Sprintf("%.2f", d.Seconds())
}

func msec(u usage, d time.Duration) string {
	if !u.ok {
		return "?"
	}
	return fmtMS(d)
}

func fmtMS(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)) }

// heapMB is "-" for a window without a GC cycle: no heap was measured.
func heapMB(g gcStats) string {
	if g.cycles == 0 {
		return "-"
	}
	return strconv.Itoa(g.maxHeap)
}

func gcPauses(g gcStats) string {
	return fmt.Sprintf("%.1f / %.1f", float64(g.stw)/float64(time.Millisecond), float64(g.maxSTW)/float64(time.Millisecond))
}
