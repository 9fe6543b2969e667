package commands

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"synap/resp/resptest"
	"synap/tenant"
)

// Hostile suite, authority: nothing inside a transaction or a blocked
// command can change who a connection is, and what is in flight is
// re-authorised when its key is revoked, expires, moves to another tenant
// or loses a permission.

const wrongPass = "-WRONGPASS invalid username-password pair or user is disabled."

// countingDir counts the directory's Resolve calls: a throttled or refused
// AUTH must not reach it.
type countingDir struct {
	tenant.Directory
	resolves atomic.Int64
}

func (d *countingDir) Resolve(ctx context.Context, key string) (*tenant.Principal, error) {
	d.resolves.Add(1)
	return d.Directory.Resolve(ctx, key)
}

// countResolves makes the server's directory count its Resolve calls in cd.
func countResolves(cd *countingDir) func(*Server) {
	return func(s *Server) { cd.Directory, s.Dir = s.Dir, cd }
}

// keysWith is clusterKeys with key id changed by fn (dropped when fn
// returns false), plus extra.
func keysWith(id string, fn func(k *clusterKey) bool, extra ...clusterKey) []clusterKey {
	var out []clusterKey
	for _, k := range clusterKeys {
		if k.id == id && !fn(&k) {
			continue
		}
		out = append(out, k)
	}
	return append(out, extra...)
}

func revoked(*clusterKey) bool      { return false }
func movedToBob(k *clusterKey) bool { k.user = "bob"; return true }
func permsTo(p string) func(*clusterKey) bool {
	return func(k *clusterKey) bool { k.perms = p; return true }
}

// The reproduction: with its own admin key and another tenant's
// read-only key, a client queued AUTH <victim> and then writes, FLUSHDB and
// CLIENT KILL, which EXEC ran in the victim's tenant. In cluster mode AUTH
// and HELLO are refused inside MULTI and doom the transaction.
func TestHostileAuthorityIdentityInsideMulti(t *testing.T) {
	cases := []struct {
		name string
		cmd  []string
		want string
	}{
		{"AUTH key", []string{"AUTH", clusterSecret("alice-ro")}, "-" + errAuthInMulti},
		{"AUTH user key", []string{"AUTH", "default", clusterSecret("alice-admin")}, "-" + errAuthInMulti},
		{"AUTH wrong key", []string{"AUTH", "guess"}, "-" + errAuthInMulti},
		{"HELLO AUTH", []string{"HELLO", "3", "AUTH", "default", clusterSecret("alice-admin")}, "-" + errHelloInMulti},
		{"HELLO 3", []string{"HELLO", "3"}, "-" + errHelloInMulti},
		{"HELLO 2", []string{"HELLO", "2"}, "-" + errHelloInMulti},
		{"HELLO", []string{"HELLO"}, "-" + errHelloInMulti},
		{"SELECT 1", []string{"SELECT", "1"}, "-" + errSelectCluster},
	}
	dir := &countingDir{}
	f := startClusterWith(t, clusterKeys, countResolves(dir))
	alice := f.as(t, "alice-rw")
	if got := alice.Do("SET", "k", "alice-value"); got != "+OK" {
		t.Fatal(got)
	}
	victim := f.as(t, "alice-ro")
	victimID := strings.TrimPrefix(victim.Do("CLIENT", "ID"), ":")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bob := f.as(t, "bob-admin")
			resolves := dir.resolves.Load()
			runSteps(t, bob, []step{
				{cmd: "MULTI", want: "+OK"},
				{args: tc.cmd, want: tc.want},
				{cmd: "SET k hacked", want: "+QUEUED"},
				// Refused for itself too (issue 10 point 9: a walk in EXEC would hold every shard).
				{cmd: "FLUSHDB", want: "-" + walkInMultiErr("flushdb")},
				{args: []string{"CLIENT", "KILL", "ID", victimID}, want: "+QUEUED"},
				{cmd: "EXEC", want: "-" + errExecAbort},
				// Still bob, still RESP2, nothing of the transaction ran.
				{cmd: "GET k", want: "nil"},
			})
			if info := bob.Do("CLIENT", "INFO"); !strings.Contains(info, " resp=2 ") {
				t.Errorf("the protocol changed: %s", info)
			}
			if got := dir.resolves.Load(); got != resolves {
				t.Errorf("the queued command asked the directory %d times", got-resolves)
			}
			if got := victim.Do("GET", "k"); got != `"alice-value"` {
				t.Errorf("victim's k after the transaction: %s", got)
			}
		})
	}
	// SELECT 0 is what a tenant has, inside MULTI as outside.
	runSteps(t, alice, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SELECT 0", want: "+QUEUED"},
		{cmd: "SET k2 v", want: "+QUEUED"},
		{cmd: "EXEC", want: "[+OK +OK]"},
	})
}

// RESET inside MULTI runs at once (it is transaction control): the queue,
// the watched keys and the identity are all gone.
func TestHostileAuthorityResetInsideMulti(t *testing.T) {
	f := startCluster(t)
	alice := f.as(t, "alice-admin")
	runSteps(t, alice, []step{
		{cmd: "SET k alice-value", want: "+OK"},
		{cmd: "WATCH k", want: "+OK"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET k hacked", want: "+QUEUED"},
		{cmd: "RESET", want: "+RESET"},
		{cmd: "GET k", want: "-NOAUTH Authentication required."},
		{cmd: "EXEC", want: "-NOAUTH Authentication required."},
		{args: []string{"AUTH", clusterSecret("bob-rw")}, want: "+OK"},
		{cmd: "EXEC", want: "-" + errExecNoMulti},
		{cmd: "GET k", want: "nil"},
	})
	if got := f.as(t, "alice-ro").Do("GET", "k"); got != `"alice-value"` {
		t.Errorf("alice's k: %s", got)
	}
	if n := f.srv.Eng.Interest(); n != 0 {
		t.Errorf("%d keys still watched after RESET", n)
	}
}

// Standalone stays Redis: AUTH and HELLO are queued and run inside EXEC
// (checked against redis-server 7.0.15), and a failed AUTH there costs no
// time under the transaction's locks (nothing sleeps: no throttle entry).
func TestHostileAuthorityStandaloneQueuesAuth(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.RequirePass = "pw" })
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "AUTH pw", want: "+OK"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "AUTH wrong", want: "+QUEUED"},
		{cmd: "AUTH pw", want: "+QUEUED"},
		{cmd: "KEYS x", want: "+QUEUED"},
		{cmd: "SELECT 1", want: "+QUEUED"},
		{cmd: "EXEC", want: "[" + wrongPass + " +OK [] +OK]"},
	})
	if n := srv.authz.throttle.size(); n != 0 {
		t.Errorf("standalone AUTH failures were throttled: %d addresses", n)
	}
	// HELLO is queued and switches the protocol inside EXEC's reply; RESET
	// inside MULTI runs at once and logs out (as redis-server 7.0.15 does).
	runSteps(t, c, []step{{cmd: "MULTI", want: "+OK"}, {cmd: "HELLO 3", want: "+QUEUED"}, {cmd: "PING", want: "+QUEUED"}})
	if got := c.Do("EXEC"); !strings.HasPrefix(got, `[{"server":"redis" `) || !strings.Contains(got, `"proto"::3`) || !strings.HasSuffix(got, " +PONG]") {
		t.Errorf("EXEC of HELLO 3, PING: %s", got)
	}
	runSteps(t, c, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET k v", want: "+QUEUED"},
		{cmd: "RESET", want: "+RESET"},
		{cmd: "GET k", want: "-NOAUTH Authentication required."},
		{cmd: "AUTH pw", want: "+OK"},
		{cmd: "EXEC", want: "-" + errExecNoMulti},
		{cmd: "GET k", want: "nil"},
	})
}

// Point 8: a failed AUTH queued with KEYS (every shard locked at EXEC)
// made another tenant's SET wait while it slept. In cluster mode the AUTH
// is refused when queued: the directory is not asked and no failure is
// recorded, so nothing can run or wait under the transaction's locks.
func TestHostileAuthorityNoAuthWorkUnderExecLocks(t *testing.T) {
	dir := &countingDir{}
	f := startClusterWith(t, clusterKeys, countResolves(dir))
	c := f.as(t, "bob-rw")
	for i := 0; i < authThrottleFree-1; i++ {
		if got := c.Do("AUTH", "guess"); got != wrongPass {
			t.Fatalf("guess %d: %s", i, got)
		}
	}
	resolves := dir.resolves.Load()
	runSteps(t, c, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "AUTH guess", want: "-" + errAuthInMulti},
		{args: []string{"HELLO", "3", "AUTH", "default", "guess"}, want: "-" + errHelloInMulti},
		// KEYS, which made EXEC hold every shard, is refused too (issue 10 point 9).
		{cmd: "KEYS x", want: "-" + walkInMultiErr("keys")},
		{cmd: "EXEC", want: "-" + errExecAbort},
	})
	if got := dir.resolves.Load(); got != resolves {
		t.Errorf("AUTH inside MULTI asked the directory %d times", got-resolves)
	}
	other := f.as(t, "alice-rw")
	if got := other.Do("SET", "k", "v"); got != "+OK" {
		t.Errorf("another tenant's SET: %s", got)
	}
}

// EXEC re-authorises: a key revoked, expired or moved since MULTI discards
// the transaction; a permission lost makes the commands needing it NOPERM
// in the reply, and they do not run.
func TestHostileAuthorityExecReauthorised(t *testing.T) {
	soon := clusterKey{id: "alice-soon", user: "alice", perms: "read, write, delete"}
	cases := []struct {
		name  string
		key   string
		keys  func() []clusterKey
		wait  time.Duration // before EXEC
		exec  string
		after string // the connection's next command, GET k
	}{
		{"revoked", "alice-rw", func() []clusterKey { return keysWith("alice-rw", revoked) }, 0,
			wrongPass, "-NOAUTH Authentication required."},
		{"disabled", "alice-rw", func() []clusterKey {
			return keysWith("alice-rw", func(k *clusterKey) bool { k.disabled = true; return true })
		}, 0, wrongPass, "-NOAUTH Authentication required."},
		{"moved", "alice-rw", func() []clusterKey { return keysWith("alice-rw", movedToBob) }, 0,
			"-" + errTxKeyMoved, "nil"},
		{"reduced to read", "alice-rw", func() []clusterKey { return keysWith("alice-rw", permsTo("read")) }, 0,
			"[-NOPERM User alice-rw has no permissions to run the 'set' command \"alice-value\" -NOPERM User alice-rw has no permissions to run the 'del' command]",
			`"alice-value"`},
		{"expired", "alice-soon", nil, 0, wrongPass, "-NOAUTH Authentication required."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := soon
			if tc.key == "alice-soon" {
				s.expiresAt = time.Now().Add(1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)
			}
			f := startClusterWith(t, append(append([]clusterKey{}, clusterKeys...), s))
			if got := f.as(t, "alice-admin").Do("SET", "k", "alice-value"); got != "+OK" {
				t.Fatal(got)
			}
			c := f.as(t, tc.key)
			runSteps(t, c, []step{
				{cmd: "MULTI", want: "+OK"},
				{cmd: "SET k hacked", want: "+QUEUED"},
				{cmd: "GET k", want: "+QUEUED"},
				{cmd: "DEL k", want: "+QUEUED"},
			})
			if tc.keys != nil {
				f.rewrite(t, append(tc.keys(), s))
			} else {
				time.Sleep(time.Until(mustTime(t, s.expiresAt)))
			}
			runSteps(t, c, []step{
				{cmd: "EXEC", want: tc.exec},
				{cmd: "GET k", want: tc.after},
			})
			if got := f.as(t, "alice-admin").Do("GET", "k"); got != `"alice-value"` {
				t.Errorf("alice's k after the refused transaction: %s", got)
			}
			if got := f.as(t, "bob-admin").Do("EXISTS", "k"); got != ":0" {
				t.Errorf("bob's k after the refused transaction: %s", got)
			}
		})
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// WATCH reveals whether a key changed: it needs read. A key that loses read
// while watching cannot learn it at EXEC either.
func TestHostileAuthorityWatchNeedsRead(t *testing.T) {
	f := startCluster(t)
	runSteps(t, f.as(t, "alice-w"), []step{
		{cmd: "WATCH k", want: "-NOPERM User alice-w has no permissions to run the 'watch' command"},
	})
	runSteps(t, f.as(t, "alice-del"), []step{
		{cmd: "WATCH k", want: "-NOPERM User alice-del has no permissions to run the 'watch' command"},
	})
	runSteps(t, f.as(t, "alice-ro"), []step{{cmd: "WATCH k", want: "+OK"}})
	c := f.as(t, "alice-rw")
	runSteps(t, c, []step{
		{cmd: "WATCH k", want: "+OK"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET k v", want: "+QUEUED"},
	})
	f.rewrite(t, keysWith("alice-rw", permsTo("write")))
	runSteps(t, c, []step{
		{cmd: "EXEC", want: "-NOPERM User alice-rw has no permissions to run the 'watch' command"},
		{cmd: "EXISTS k", want: "-NOPERM User alice-rw has no permissions to run the 'exists' command"},
	})
	if got := f.as(t, "alice-admin").Do("EXISTS", "k"); got != ":0" {
		t.Errorf("k after the refused transaction: %s", got)
	}
}

// Re-AUTH as another tenant drops what the old identity watched: it would
// otherwise tell the new one whether the old tenant's keys changed.
func TestHostileAuthorityWatchDroppedOnRebind(t *testing.T) {
	f := startCluster(t)
	c := f.as(t, "alice-rw")
	runSteps(t, c, []step{
		{cmd: "WATCH k", want: "+OK"},
		{args: []string{"AUTH", clusterSecret("bob-rw")}, want: "+OK"},
	})
	if got := f.as(t, "alice-rw").Do("SET", "k", "changed"); got != "+OK" {
		t.Fatal(got)
	}
	runSteps(t, c, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "GET k", want: "+QUEUED"},
		{cmd: "EXEC", want: "[nil]"},
	})
}

// Point 12: queued commands were held to the monthly quota one by one
// against the same count, so 5,000 ran against a limit of 300. EXEC counts
// the whole transaction: all or nothing.
func TestHostileAuthorityExecMonthlyQuota(t *testing.T) {
	f := startCluster(t)
	tn := spendOps(f, "carol", 30)
	c := f.as(t, "carol-rw")                     // 31
	steps := []step{{cmd: "MULTI", want: "+OK"}} // 32
	for i := 0; i < 10; i++ {
		steps = append(steps, step{cmd: "GET k", want: "+QUEUED"})
	}
	steps = append(steps,
		step{cmd: "EXEC", want: "-QUOTA monthly operations quota exceeded: used 32 of 40, the transaction needs 11 operations"}, // 33
		step{cmd: "EXEC", want: "-" + errExecNoMulti}, // 34
		step{cmd: "MULTI", want: "+OK"},               // 35
		step{cmd: "GET k", want: "+QUEUED"},
		step{cmd: "GET k", want: "+QUEUED"},
		step{cmd: "EXEC", want: "[nil nil]"}, // 35+3 = 38
	)
	runSteps(t, c, steps)
	if got := tn.Ops(time.Now()); got != 38 {
		t.Errorf("operations counted: %d, want 38", got)
	}
	ti := f.as(t, "operator").Do("TENANT", "INFO", "carol")
	if !strings.Contains(ti, "rejected_quota:1") {
		t.Errorf("TENANT INFO carol: %s", ti)
	}
}

// The rate limit charges each queued command when it arrives (a
// transaction of n commands spends n tokens, like a pipeline): a
// transaction beyond the bucket is doomed before EXEC.
func TestHostileAuthorityExecRateLimit(t *testing.T) {
	f := startCluster(t)
	c := f.as(t, "alice-rw")
	tn := f.srv.Tenants.Get("alice")
	l := tn.Limits()
	l.RequestsPerSecond, l.Burst = 1, 5
	tn.SetLimits(l)
	tn.ResetRate()
	runSteps(t, c, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET a 1", want: "+QUEUED"},
		{cmd: "SET b 1", want: "+QUEUED"},
		{cmd: "SET c 1", want: "+QUEUED"},
		{cmd: "SET d 1", want: "+QUEUED"},
	})
	if got := c.Do("SET", "e", "1"); !strings.HasPrefix(got, "-RATELIMIT too many requests: limit 1/s, retry in ") {
		t.Fatalf("past the burst inside MULTI: %s", got)
	}
	l.RequestsPerSecond, l.Burst = -1, -1
	tn.SetLimits(l)
	runSteps(t, c, []step{
		{cmd: "EXEC", want: "-" + errExecAbort},
		{cmd: "EXISTS a b c d e", want: ":0"},
	})
}

// blockingCases are the blocking commands, each with what pushes to its key
// and what counts what is left there.
var blockingCases = []struct {
	cmd        []string
	push, left []string
	want       string // left's reply when nothing was taken
}{
	{[]string{"BLPOP", "q", "0"}, []string{"LPUSH", "q", "v"}, []string{"LLEN", "q"}, ":1"},
	{[]string{"BRPOP", "q", "0"}, []string{"LPUSH", "q", "v"}, []string{"LLEN", "q"}, ":1"},
	{[]string{"BLMOVE", "q", "dst", "LEFT", "RIGHT", "0"}, []string{"LPUSH", "q", "v"}, []string{"LLEN", "q"}, ":1"},
	{[]string{"BRPOPLPUSH", "q", "dst", "0"}, []string{"LPUSH", "q", "v"}, []string{"LLEN", "q"}, ":1"},
	{[]string{"BLMPOP", "0", "1", "q", "LEFT"}, []string{"LPUSH", "q", "v"}, []string{"LLEN", "q"}, ":1"},
	{[]string{"BZPOPMIN", "z", "0"}, []string{"ZADD", "z", "1", "m"}, []string{"ZCARD", "z"}, ":1"},
	{[]string{"BZPOPMAX", "z", "0"}, []string{"ZADD", "z", "1", "m"}, []string{"ZCARD", "z"}, ":1"},
	{[]string{"BZMPOP", "0", "1", "z", "MIN"}, []string{"ZADD", "z", "1", "m"}, []string{"ZCARD", "z"}, ":1"},
}

// park sends a blocking command on c and waits until the server parked it.
func park(t *testing.T, srv *Server, c *resptest.Client, cmd []string) {
	t.Helper()
	before := parkedClients(srv)
	if err := c.Send(string(resptest.Encode(cmd...))); err != nil {
		t.Fatal(err)
	}
	hostileEventually(t, "the blocking command parks", func() bool { return parkedClients(srv) > before })
}

func parkedClients(srv *Server) int {
	n := 0
	for _, c := range srv.Clients() {
		if c.parked.Load() != nil {
			n++
		}
	}
	return n
}

// A client parked under a key that is then revoked, disabled, moved to
// another tenant or reduced is not served the next push: it gets the error
// and the value stays where it was pushed. The directory watch is slowed
// down here so that the push meets the changed key first.
func TestHostileAuthorityBlockedNotServedAfterKeyChange(t *testing.T) {
	changes := []struct {
		name  string
		keys  func() []clusterKey
		want  string
		after string // the connection's next command: EXISTS q
	}{
		{"revoked", func() []clusterKey { return keysWith("alice-rw", revoked) }, wrongPass, "-NOAUTH Authentication required."},
		{"disabled", func() []clusterKey {
			return keysWith("alice-rw", func(k *clusterKey) bool { k.disabled = true; return true })
		}, wrongPass, "-NOAUTH Authentication required."},
		{"moved", func() []clusterKey { return keysWith("alice-rw", movedToBob) }, "-" + errBlockedKeyMoved, ":0"},
		{"surface", func() []clusterKey {
			return keysWith("alice-rw", func(k *clusterKey) bool { k.surfaces = "mcp"; return true })
		}, "-NOPERM User alice-rw may not use the resp surface", "-NOAUTH Authentication required."},
	}
	for _, ch := range changes {
		for _, bc := range blockingCases {
			t.Run(ch.name+"/"+bc.cmd[0], func(t *testing.T) {
				f := startClusterWith(t, clusterKeys, func(s *Server) { s.authz.dirWatch.every = time.Hour })
				c := f.as(t, "alice-rw")
				park(t, f.srv, c, bc.cmd)
				f.rewrite(t, ch.keys())
				pusher := f.as(t, "alice-admin")
				if got := pusher.Do(bc.push...); got != ":1" {
					t.Fatalf("push: %s", got)
				}
				if got := c.Read(); got != ch.want {
					t.Errorf("parked client after the push: %s, want %s", got, ch.want)
				}
				if got := pusher.Do(bc.left...); got != bc.want {
					t.Errorf("after the push, %v = %s, want %s", bc.left, got, bc.want)
				}
				if got := c.Do("EXISTS", "q"); got != ch.after {
					t.Errorf("the connection's next command: %s, want %s", got, ch.after)
				}
			})
		}
	}
}

// A permission lost while parked ends the blocked command with NOPERM; a
// directory change that leaves the key as it was does not disturb it.
func TestHostileAuthorityBlockedReducedOrUnchanged(t *testing.T) {
	f := startClusterWith(t, clusterKeys, func(s *Server) { s.authz.dirWatch.every = time.Hour })
	c := f.as(t, "alice-rw")
	pusher := f.as(t, "alice-admin")
	park(t, f.srv, c, []string{"BLPOP", "q", "0"})
	f.rewrite(t, keysWith("alice-rw", func(*clusterKey) bool { return true }, clusterKey{id: "alice-new", user: "alice", perms: "read"}))
	if got := pusher.Do("LPUSH", "q", "v1"); got != ":1" {
		t.Fatal(got)
	}
	if got := c.Read(); got != `["q" "v1"]` {
		t.Fatalf("parked client after an unrelated change: %s", got)
	}
	park(t, f.srv, c, []string{"BLPOP", "q", "0"})
	f.rewrite(t, keysWith("alice-rw", permsTo("read, delete")))
	if got := pusher.Do("LPUSH", "q", "v2"); got != ":1" {
		t.Fatal(got)
	}
	if got := c.Read(); got != "-NOPERM User alice-rw has no permissions to run the 'blpop' command" {
		t.Errorf("parked client after losing write: %s", got)
	}
	if got := c.Do("LLEN", "q"); got != ":1" {
		t.Errorf("the list after: %s", got)
	}
	ti := f.as(t, "operator").Do("TENANT", "INFO", "alice")
	if !strings.Contains(ti, "rejected_noperm:1") {
		t.Errorf("TENANT INFO alice: %s", ti)
	}
}

// Without any push, a parked client whose key is revoked, moved or expires
// is ended within a short time (the directory watch, the key's expiry).
func TestHostileAuthorityBlockedEndedWithoutPush(t *testing.T) {
	soon := clusterKey{id: "alice-soon", user: "alice", perms: "read, write, delete"}
	cases := []struct {
		name string
		key  string
		keys func() []clusterKey
		want string
	}{
		{"revoked", "alice-rw", func() []clusterKey { return keysWith("alice-rw", revoked) }, wrongPass},
		{"moved", "alice-rw", func() []clusterKey { return keysWith("alice-rw", movedToBob) }, "-" + errBlockedKeyMoved},
		{"reduced", "alice-rw", func() []clusterKey { return keysWith("alice-rw", permsTo("read")) },
			"-NOPERM User alice-rw has no permissions to run the 'brpop' command"},
		{"expired", "alice-soon", nil, wrongPass},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := soon
			s.expiresAt = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			if tc.keys == nil {
				s.expiresAt = time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)
			}
			f := startClusterWith(t, append(append([]clusterKey{}, clusterKeys...), s))
			c := f.as(t, tc.key)
			park(t, f.srv, c, []string{"BRPOP", "q", "0"})
			if tc.keys != nil {
				f.rewrite(t, append(tc.keys(), s))
			}
			// Read waits at most 5 s: far more than the watch (100 ms)
			// or the expiry (1 s) take.
			if got := c.Read(); got != tc.want {
				t.Fatalf("parked client: %s, want %s", got, tc.want)
			}
			if n := parkedClients(f.srv); n != 0 {
				t.Errorf("%d clients still parked", n)
			}
			pusher := f.as(t, "alice-admin")
			runSteps(t, pusher, []step{
				{cmd: "LPUSH q v", want: ":1"},
				{cmd: "LLEN q", want: ":1"},
			})
		})
	}
}

// Point 11: failed AUTHs are throttled per address, across connections,
// and a throttled AUTH is refused without asking the directory.
func TestHostileAuthorityAuthThrottlePerAddress(t *testing.T) {
	dir := &countingDir{}
	f := startClusterWith(t, clusterKeys, countResolves(dir))
	wrong, throttled := 0, 0
	for i := 0; i < 60; i++ {
		c := dial(t, f.srv) // a fresh connection each time, as a guesser would
		switch got := c.Do("AUTH", "guess-"+string(rune('a'+i%26))+strings.Repeat("x", i)); {
		case got == wrongPass:
			wrong++
		case strings.HasPrefix(got, "-ERR too many failed AUTH attempts from this address, retry in ") && strings.HasSuffix(got, " ms"):
			throttled++
		default:
			t.Fatalf("guess %d: %s", i, got)
		}
		_ = c.Close()
	}
	// 10 free failures, then each further one doubles the wait from 100 ms:
	// reaching the directory 20 times would take this loop 51 s.
	if r := dir.resolves.Load(); r > 20 || int(r) != wrong {
		t.Errorf("the directory was asked %d times for %d WRONGPASS replies", r, wrong)
	}
	if wrong < authThrottleFree || throttled < 30 {
		t.Errorf("%d WRONGPASS, %d throttled", wrong, throttled)
	}
	// An unknown key from the throttled address waits too (a valid one the
	// directory holds in memory does not: auththrottle_test.go); the
	// operator's key (compared locally, never sent to the directory) still
	// works. More failures first, so the block outlasts a slow machine.
	for i := 0; i < 20; i++ {
		f.srv.authz.throttle.failed("127.0.0.1", time.Now())
	}
	c := dial(t, f.srv)
	if got := c.Do("AUTH", "guess-unknown"); !strings.HasPrefix(got, "-ERR too many failed AUTH attempts") {
		t.Errorf("an unknown key while throttled: %s", got)
	}
	if got := c.Do("AUTH", clusterAdminKey); got != "+OK" {
		t.Errorf("the operator's key while throttled: %s", got)
	}
}

// The throttle table: back-off, the window, its bound, addresses.
func TestHostileAuthorityThrottleTable(t *testing.T) {
	var a authThrottle
	t0 := time.Unix(1_000_000, 0)
	for i := 0; i < authThrottleFree; i++ {
		a.failed("10.0.0.1", t0)
	}
	if w := a.wait("10.0.0.1", t0); w != 0 {
		t.Fatalf("after %d failures: wait %v", authThrottleFree, w)
	}
	a.failed("10.0.0.1", t0)
	if w := a.wait("10.0.0.1", t0); w != authThrottleBase {
		t.Fatalf("after %d failures: wait %v", authThrottleFree+1, w)
	}
	a.failed("10.0.0.1", t0)
	if w := a.wait("10.0.0.1", t0); w != 2*authThrottleBase {
		t.Fatalf("after %d failures: wait %v", authThrottleFree+2, w)
	}
	for i := 0; i < 100; i++ {
		a.failed("10.0.0.1", t0)
	}
	if w := a.wait("10.0.0.1", t0); w != authThrottleMax {
		t.Fatalf("after many failures: wait %v", w)
	}
	if w := a.wait("10.0.0.2", t0); w != 0 {
		t.Fatalf("another address: wait %v", w)
	}
	// The block ends; and once the window passes the count is forgotten.
	if w := a.wait("10.0.0.1", t0.Add(authThrottleMax)); w != 0 {
		t.Fatalf("after the block: wait %v", w)
	}
	later := t0.Add(authThrottleWindow + time.Second)
	a.failed("10.0.0.1", later)
	if w := a.wait("10.0.0.1", later); w != 0 {
		t.Fatalf("one failure after the window: wait %v", w)
	}
	// Bounded: many addresses never grow it past its size.
	for i := 0; i < 3*authThrottleEntries; i++ {
		a.failed("addr-"+time.Duration(i).String(), later)
	}
	if n := a.size(); n > authThrottleEntries {
		t.Fatalf("table holds %d addresses", n)
	}
	for _, tc := range []struct{ in, want string }{
		{"127.0.0.1:5000", "127.0.0.1"},
		{"[::ffff:10.1.2.3]:80", "10.1.2.3"},
		{"[2001:db8:1:2:3:4:5:6]:6379", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:1", "2001:db8:1:2::/64"},
		{"unix", "unix"},
	} {
		if got := throttleAddr(tc.in); got != tc.want {
			t.Errorf("throttleAddr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Point 16: rejected_wrongpass counts wrong keys from a tenant's
// connections (AUTH and HELLO AUTH) and its keys found revoked.
func TestHostileAuthorityRejectedWrongpass(t *testing.T) {
	f := startCluster(t)
	c := f.as(t, "alice-rw")
	runSteps(t, c, []step{
		{cmd: "AUTH guess", want: wrongPass},
		{args: []string{"HELLO", "3", "AUTH", "default", "guess"}, want: wrongPass},
		{cmd: "PING", want: "+PONG"},
	})
	f.rewrite(t, keysWith("alice-rw", revoked))
	runSteps(t, c, []step{{cmd: "PING", want: wrongPass}})
	ti := f.as(t, "operator").Do("TENANT", "INFO", "alice")
	if !strings.Contains(ti, "rejected_wrongpass:3") {
		t.Errorf("TENANT INFO alice: %s", ti)
	}
}

// With HiveHub, every distinct guess used to be one HiveHub call from an
// unauthenticated client; past the throttle's threshold HiveHub hears no
// more of them.
func TestHostileAuthorityAuthThrottleSparesHiveHub(t *testing.T) {
	srv, fake, _ := startHiveHubCluster(t)
	const validate = "/api/v1/access-keys/validate"
	before := fake.Calls()[validate]
	for i := 0; i < 40; i++ {
		c := dial(t, srv)
		got := c.Do("AUTH", "guess-"+strings.Repeat("y", i))
		if got != wrongPass && !strings.HasPrefix(got, "-ERR too many failed AUTH attempts from this address, retry in ") {
			t.Fatalf("guess %d: %s", i, got)
		}
		_ = c.Close()
	}
	if n := fake.Calls()[validate] - before; n > 20 {
		t.Errorf("40 distinct guesses made %d HiveHub calls", n)
	}
}
