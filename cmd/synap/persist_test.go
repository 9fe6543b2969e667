package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"synap/persist"
	"synap/resp/resptest"
	"synap/tenant/tenantsfile"
)

// The persistence tests run the real binary (this test binary re-executed
// as synap, built once for the package) on a temporary data directory,
// kill it with SIGKILL under load, and start it again on the same files.

// persistEnv turns persistence on in dir (cliCleanEnv turns it off for
// every other test, so none writes into the repository).
func persistEnv(dir, fsync string, extra ...string) []string {
	return append([]string{"SYNAP_DIR=" + dir, "SYNAP_APPENDONLY=yes", "SYNAP_APPENDFSYNC=" + fsync, "SYNAP_SAVE="}, extra...)
}

// persistSpawn runs synap with env added to the clean environment.
func persistSpawn(t *testing.T, env []string, args ...string) (*exec.Cmd, *cliLog) {
	t.Helper()
	cmd, log, _ := cliSpawnEnv(t, env, append([]string{"--port", "0"}, args...)...)
	return cmd, log
}

func persistStart(t *testing.T, env []string, args ...string) (*exec.Cmd, string, *cliLog) {
	t.Helper()
	cmd, log := persistSpawn(t, env, args...)
	m := log.waitFor(t, regexp.MustCompile(`msg="serving RESP" addr=(\S+)`))
	return cmd, m[1], log
}

func dialT(t *testing.T, addr string) *resptest.Client {
	t.Helper()
	c, err := resptest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func sigkill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

// crashWorker is one client of the crash load: SETs of keys of its own,
// and MULTI blocks that INCR a counter and RPUSH to a list together.
type crashWorker struct {
	id     int
	acked  map[int]time.Time // SET w<id>:<n> acknowledged (value n), when
	blocks []block           // each MULTI block acknowledged, in order
	next   int
}

type block struct {
	n  int
	at time.Time // zero: recovered once, durable from then on
}

// run drives the load on addr until the connection fails (the kill).
func (w *crashWorker) run(addr string, r *rand.Rand) {
	c, err := resptest.Dial(addr)
	if err != nil {
		return
	}
	defer c.Close()
	for {
		n := w.next
		w.next++
		if r.IntN(4) == 0 {
			// The block is sent pipelined, in one write.
			raw := string(resptest.Encode("MULTI")) + string(resptest.Encode("INCR", fmt.Sprintf("ctr:%d", w.id))) +
				string(resptest.Encode("RPUSH", fmt.Sprintf("lst:%d", w.id), strconv.Itoa(n))) + string(resptest.Encode("EXEC"))
			if c.Send(raw) != nil {
				return
			}
			var last string
			for range 4 {
				if last = c.Read(); strings.HasPrefix(last, "ERROR") {
					return
				}
			}
			if !strings.HasPrefix(last, "[") {
				return
			}
			w.blocks = append(w.blocks, block{n, time.Now()})
			continue
		}
		got := c.Do("SET", fmt.Sprintf("w%d:%d", w.id, n), strconv.Itoa(n))
		if got != "+OK" {
			return
		}
		w.acked[n] = time.Now()
	}
}

// check verifies what a restarted server holds against what was
// acknowledged: every acknowledged write with ackedBefore (nil: all), and
// nothing beyond one write in flight per worker, each whole.
func (w *crashWorker) check(t *testing.T, c *resptest.Client, mustHave func(time.Time) bool) (missing int) {
	t.Helper()
	extra := 0
	for n := 0; n < w.next; n++ {
		key := fmt.Sprintf("w%d:%d", w.id, n)
		got := c.Do("GET", key)
		at, acked := w.acked[n]
		switch {
		case got == strconv.Quote(strconv.Itoa(n)):
			if !acked {
				extra++ // applied, its reply lost with the kill
				// Recovered, so durable: the next round must keep it.
				w.acked[n] = time.Time{}
			}
		case got != "nil":
			t.Errorf("%s holds %s", key, got)
		case acked && mustHave(at):
			t.Errorf("%s was acknowledged and is lost", key)
			missing++
			delete(w.acked, n)
		case acked:
			missing++ // within the window: lost with the kill
			delete(w.acked, n)
		}
	}
	// The transaction: the counter and the list moved together, all of
	// each block or none of it.
	ctr := c.Do("GET", fmt.Sprintf("ctr:%d", w.id))
	n := 0
	if ctr != "nil" {
		n, _ = strconv.Atoi(strings.Trim(ctr, `"`))
	}
	list := c.Do("LRANGE", fmt.Sprintf("lst:%d", w.id), "0", "-1")
	items := strings.Fields(strings.Trim(list, "[]"))
	if len(items) != n {
		t.Errorf("worker %d: counter %d but %d list items: a transaction half applied", w.id, n, len(items))
	}
	applied := 0
	for i, b := range w.blocks {
		if i < len(items) && items[i] != strconv.Quote(strconv.Itoa(b.n)) {
			t.Errorf("worker %d: list item %d is %s, want %d", w.id, i, items[i], b.n)
		}
		if i >= len(items) && mustHave(b.at) {
			t.Errorf("worker %d: transaction %d (n=%d) was acknowledged and is lost", w.id, i, b.n)
		}
		applied = min(i+1, len(items))
	}
	if n > len(w.blocks)+1 {
		t.Errorf("worker %d: %d transactions applied, only %d acknowledged (+1 in flight)", w.id, n, len(w.blocks))
	}
	// What was recovered is the truth from now on: a transaction lost
	// within the window is forgotten, one applied but not answered kept.
	missing += len(w.blocks) - applied
	w.blocks = w.blocks[:applied]
	for _, it := range items[applied:] {
		v, _ := strconv.Atoi(strings.Trim(it, `"`))
		w.blocks = append(w.blocks, block{n: v})
	}
	if extra > 1 {
		t.Errorf("worker %d: %d unacknowledged writes applied; at most the one in flight can be", w.id, extra)
	}
	return missing
}

// crashRounds runs load on a server on dir, kills it at a random moment,
// restarts it and checks, rounds times on the same files.
func crashRounds(t *testing.T, fsync string, rounds int, mustHave func(ack, kill time.Time) bool) {
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	workers := make([]*crashWorker, 6)
	for i := range workers {
		workers[i] = &crashWorker{id: i, acked: map[int]time.Time{}}
	}
	env := persistEnv(dir, fsync)
	for round := range rounds {
		cmd, addr, _ := persistStart(t, env)
		var wg sync.WaitGroup
		for i, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.run(addr, rand.New(rand.NewPCG(seed, uint64(round*100+i))))
			}()
		}
		// A rewrite now and then: the kill may land in one.
		stopRewrites, rewritesDone := make(chan struct{}), make(chan struct{})
		rr := rand.New(rand.NewPCG(seed, uint64(round*100+99)))
		go func() {
			defer close(rewritesDone)
			c, err := resptest.Dial(addr)
			if err != nil {
				return
			}
			defer c.Close()
			for {
				select {
				case <-stopRewrites:
					return
				case <-time.After(time.Duration(50+rr.IntN(200)) * time.Millisecond):
				}
				if strings.HasPrefix(c.Do("BGREWRITEAOF"), "ERROR") {
					return
				}
			}
		}()
		time.Sleep(time.Duration(300+r.IntN(700)) * time.Millisecond)
		killed := time.Now()
		sigkill(t, cmd)
		close(stopRewrites)
		wg.Wait()
		<-rewritesDone

		cmd, addr, log := persistStart(t, env)
		c := dialT(t, addr)
		missing, acked := 0, 0
		for _, w := range workers {
			missing += w.check(t, c, func(at time.Time) bool { return mustHave(at, killed) })
			acked += len(w.acked) + len(w.blocks)
		}
		t.Logf("round %d: %d writes acknowledged in all, %d of them missing after the kill", round, acked, missing)
		if acked == 0 {
			t.Fatalf("round %d: nothing was acknowledged before the kill; log:\n%s", round, log.all())
		}
		if t.Failed() {
			t.Fatalf("log of the restarted server:\n%s", log.all())
		}
		sigkill(t, cmd)
	}
}

// TestPersistCrashAlways: with appendfsync always every acknowledged write
// survives a SIGKILL, and an unacknowledged transaction is all or nothing.
func TestPersistCrashAlways(t *testing.T) {
	crashRounds(t, "always", 3, func(time.Time, time.Time) bool { return true })
}

// TestPersistCrashEverysec: with everysec what is lost is bounded by the
// window: nothing acknowledged more than a second (two on this shared
// machine) before the kill.
func TestPersistCrashEverysec(t *testing.T) {
	crashRounds(t, "everysec", 2, func(ack, kill time.Time) bool {
		return ack.IsZero() || ack.Before(kill.Add(-2*time.Second))
	})
}

// TestPersistFullDisk: a file-size limit makes the log's writes fail. With
// appendfsync always no write is acknowledged that did not reach the file;
// writes are refused with MISCONF while it fails, reads go on, and after a
// restart without the limit every acknowledged write is there.
func TestPersistFullDisk(t *testing.T) {
	dir := t.TempDir()
	cmd, addr, log := persistStart(t, persistEnv(dir, "always", "SYNAP_TEST_FSIZE=65536"))
	c := dialT(t, addr)
	val := strings.Repeat("v", 1000)
	acked := 0
	var refusal string
	for i := range 200 {
		got := c.Do("SET", "k"+strconv.Itoa(i), val)
		if got == "+OK" {
			acked = i + 1
			continue
		}
		refusal = got
		break
	}
	if acked == 0 || acked >= 200 {
		t.Fatalf("%d writes acknowledged under a 64 KiB limit", acked)
	}
	// With always no reply leaves while a record it could have observed
	// (the failed SET's, which is in memory) is not on disk: the failed
	// write's own connection and a new one's write or read are closed
	// without a reply, never told OK or shown the failed value. (Redis
	// exits in this case.)
	c2 := dialT(t, addr)
	if got := c2.Do("SET", "x", "1"); !strings.HasPrefix(got, "ERROR") {
		t.Fatalf("write while the log fails: %s (the failed one got %s)", got, refusal)
	}
	c3 := dialT(t, addr)
	if got := c3.Do("GET", "k0"); !strings.HasPrefix(got, "ERROR") {
		t.Fatalf("read while the log fails: %.40s", got)
	}
	log.waitFor(t, regexp.MustCompile(`cannot write the append-only log.*File too large|file too large`))
	sigkill(t, cmd)

	_, addr, _ = persistStart(t, persistEnv(dir, "always"))
	c3 = dialT(t, addr)
	for i := range acked {
		if got := c3.Do("EXISTS", "k"+strconv.Itoa(i)); got != ":1" {
			t.Fatalf("k%d was acknowledged and is lost", i)
		}
	}
	if got := c3.Do("EXISTS", "x"); got != ":0" {
		t.Errorf("the refused write is there: %s", got)
	}
}

// TestPersistDamagedFiles: a corrupt record in the middle stops start-up
// with the file, offset and repair command; check-log reports it and
// --fix repairs it; a second server on the same directory is refused.
func TestPersistDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	env := persistEnv(dir, "always")
	cmd, addr, _ := persistStart(t, env)
	c := dialT(t, addr)
	for i := range 10 {
		c.Do("SET", "k"+strconv.Itoa(i), "v")
	}
	// A second server on the same directory.
	second := cliCommand(t, "--port", "0")
	second.Env = append(second.Env, env...)
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is using the data directory "+dir) {
		t.Fatalf("a second server on the directory: %v\n%s", err, out)
	}
	path := persist.LogPath(dir, "appendonly.aof", 1)
	// check-log --fix does not cut a file under the running server.
	live := cliCommand(t, "check-log", "--fix", path)
	if out, err := live.CombinedOutput(); err == nil || !strings.Contains(string(out), "is using the data directory "+dir+": stop it before repairing its log files") {
		t.Fatalf("check-log --fix on a live directory: %v\n%s", err, out)
	}
	sigkill(t, cmd)

	data, _ := os.ReadFile(path)
	data[len(data)/2] ^= 0xff
	_ = os.WriteFile(path, data, 0o644)
	start := cliCommand(t, "--port", "0")
	start.Env = append(start.Env, env...)
	out, err = start.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "log file "+path+" is corrupt at offset") ||
		!strings.Contains(string(out), "synap check-log --fix "+path) {
		t.Fatalf("start-up on a corrupt log: %v\n%s", err, out)
	}
	check := cliCommand(t, "check-log", path)
	if out, err := check.CombinedOutput(); err == nil || !strings.Contains(string(out), "then corruption at offset") {
		t.Fatalf("check-log: %v\n%s", err, out)
	}
	fix := cliCommand(t, "check-log", "--fix", path)
	if out, err := fix.CombinedOutput(); err != nil || !strings.Contains(string(out), "truncated at offset") {
		t.Fatalf("check-log --fix: %v\n%s", err, out)
	}
	_, addr, _ = persistStart(t, env)
	c2 := dialT(t, addr)
	if got := c2.Do("GET", "k0"); got != `"v"` {
		t.Fatalf("after the repair: %s", got)
	}
}

// TestPersistTenants: in cluster mode each tenant's keys come back in its
// own keyspace, and the monthly operations count (kept in dir when
// usage-file is not set) survives the restart.
func TestPersistTenants(t *testing.T) {
	dir := t.TempDir()
	tenants := filepath.Join(t.TempDir(), "tenants.yaml")
	cliWriteFile(t, tenants, fmt.Sprintf("tenants:\n"+
		"  - user_id: dora\n    plan: pro\n    limits: {monthly_operations_limit: 6}\n    keys:\n      - key_id: dora-rw\n        secret_sha256: %s\n        permissions: [read, write]\n"+
		"  - user_id: eve\n    keys:\n      - key_id: eve-rw\n        secret_sha256: %s\n        permissions: [read, write]\n"+
		"tenant_count: 2\n", tenantsfile.HashKey("sk_dora-secret-0001"), tenantsfile.HashKey("sk_eve-secret-00001")))
	env := persistEnv(dir, "everysec")
	args := []string{"--cluster-mode", "--tenants-file", tenants, "--admin-key", cliAdminKey}
	as := func(addr, secret string) *resptest.Client {
		c := dialT(t, addr)
		if got := c.Do("AUTH", secret); got != "+OK" {
			t.Fatalf("AUTH: %s", got)
		}
		return c
	}
	cmd, addr, _ := persistStart(t, env, args...)
	d := as(addr, "sk_dora-secret-0001")
	d.Do("SET", "k", "dora's")
	d.Do("RPUSH", "l", "a", "b")
	as(addr, "sk_eve-secret-00001").Do("SET", "k", "eve's")
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if code := cliExitCode(t, cmd); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, usageFileName)); err != nil {
		t.Fatalf("no usage file in the data directory: %v", err)
	}
	_, addr, _ = persistStart(t, env, args...)
	d = as(addr, "sk_dora-secret-0001")
	if got := d.Do("GET", "k") + " " + d.Do("LLEN", "l"); got != `"dora's" :2` {
		t.Errorf("dora after the restart: %s", got)
	}
	// AUTH and 3 writes before, AUTH and 2 reads now: 7 of 6.
	if got := d.Do("GET", "k"); got != "-QUOTA monthly operations quota exceeded: used 6 of 6" {
		t.Errorf("dora's month after the restart: %s", got)
	}
	if got := as(addr, "sk_eve-secret-00001").Do("GET", "k"); got != `"eve's"` {
		t.Errorf("eve after the restart: %s", got)
	}
}
