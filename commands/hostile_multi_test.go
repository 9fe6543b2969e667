package commands

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
)

// fillWalkData gives c's keyspace what the MULTI walk tests read: k0..k9,
// weights w_0..w_2 that order src's elements 2, 1, 0, and the list src.
func fillWalkData(t *testing.T, c *resptest.Client) {
	t.Helper()
	var fill [][]string
	for i := 0; i < 10; i++ {
		fill = append(fill, []string{"SET", "k" + strconv.Itoa(i), "v" + strconv.Itoa(i)})
	}
	for i := 0; i < 3; i++ {
		fill = append(fill, []string{"SET", "w_" + strconv.Itoa(i), strconv.Itoa(10 - i)})
	}
	fill = append(fill, []string{"RPUSH", "src", "0", "1", "2"})
	pipe(t, c, fill)
}

// Issue 10 point 9: a keyspace command queued in MULTI made EXEC lock
// every shard, shared by every tenant, for a walk as long as one tenant's
// data. In cluster mode a tenant's transaction refuses them when queued,
// naming the command, and EXEC then runs nothing.
func TestHostileMultiRefusesWalksInCluster(t *testing.T) {
	walkErr := func(name string) string {
		return "-ERR " + name + " inside MULTI is not allowed in cluster mode: " +
			"EXEC would lock every tenant's keys while it walks yours; send it outside MULTI"
	}
	sortErr := func(name string) string {
		return "-ERR " + name + " with BY or GET patterns inside MULTI is not allowed in cluster mode: " +
			"EXEC would lock every tenant's keys while it looks them up; send it outside MULTI, or use BY nosort and GET #"
	}
	cases := []struct {
		cmd, want string
	}{
		{"KEYS *", walkErr("KEYS")},
		{"KEYS k1*", walkErr("KEYS")},
		{"SCAN 0", walkErr("SCAN")},
		{"SCAN 0 MATCH k* COUNT 1000", walkErr("SCAN")},
		{"RANDOMKEY", walkErr("RANDOMKEY")},
		{"FLUSHDB", walkErr("FLUSHDB")},
		{"FLUSHDB ASYNC", walkErr("FLUSHDB")},
		{"FLUSHALL", walkErr("FLUSHALL")},
		{"sort src by w_*", sortErr("SORT")},
		{"SORT src GET k*", sortErr("SORT")},
		{"SORT src BY nosort GET # GET w_*", sortErr("SORT")},
		{"SORT src BY w_* GET # STORE dst", sortErr("SORT")},
		{"SORT src GET h_*->f", sortErr("SORT")},
		{"SORT_RO src BY w_*", sortErr("SORT_RO")},
		{"SORT_RO src GET k* LIMIT 0 1", sortErr("SORT_RO")},
	}
	f := startCluster(t)
	alice, bob := f.as(t, "alice-admin"), f.as(t, "bob-rw")
	fillWalkData(t, alice)
	bob.Do("SET", "k1", "bob's")
	for _, tc := range cases {
		t.Run(tc.cmd, func(t *testing.T) {
			runSteps(t, alice, []step{
				{cmd: "MULTI", want: "+OK"},
				{cmd: "SET queued 1", want: "+QUEUED"},
				{cmd: tc.cmd, want: tc.want},
				{cmd: "EXEC", want: "-EXECABORT Transaction discarded because of previous errors."},
				// Nothing ran: no SET, no flush.
				{cmd: "EXISTS queued", want: ":0"},
				{cmd: "DBSIZE", want: ":14"},
				// Outside MULTI the same command runs, one shard at a time.
				{cmd: "KEYS k1*", want: `["k1"]`},
			})
		})
	}
	runSteps(t, bob, []step{{cmd: "GET k1", want: `"bob's"`}})
	// A key without the permission still gets NOPERM, not the walk error.
	ro := f.as(t, "alice-ro")
	runSteps(t, ro, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "FLUSHDB", want: "-NOPERM User alice-ro has no permissions to run the 'flushdb' command"},
		{cmd: "DISCARD", want: "+OK"},
	})
}

// SORT that reads only its own keys (no BY, BY without '*', GET #, GET
// patterns without '*') stays allowed in a tenant's transaction: EXEC locks
// the source's and the STORE destination's shards only, as for any command
// naming its keys.
func TestHostileMultiSortWithoutLookups(t *testing.T) {
	f := startCluster(t)
	alice := f.as(t, "alice-admin")
	fillWalkData(t, alice)
	runSteps(t, alice, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SORT src", want: "+QUEUED"},
		{cmd: "SORT src DESC LIMIT 0 2", want: "+QUEUED"},
		{cmd: "SORT src BY nosort", want: "+QUEUED"},
		{cmd: "SORT src BY nosort GET # GET #", want: "+QUEUED"},
		{cmd: "SORT src GET nostar", want: "+QUEUED"},
		{cmd: "SORT_RO src BY nosort GET # LIMIT 1 5", want: "+QUEUED"},
		{cmd: "SORT src ALPHA DESC STORE dst", want: "+QUEUED"},
		{cmd: "LRANGE dst 0 -1", want: "+QUEUED"},
		// A line SORT refuses is queued and fails at EXEC, as in Redis.
		{cmd: "SORT src LIMIT x 1 BY w_*", want: "+QUEUED"},
		{cmd: "SORT_RO src STORE dst", want: "+QUEUED"},
		{cmd: "EXEC", want: `[["0" "1" "2"] ["2" "1"] ["0" "1" "2"] ["0" "0" "1" "1" "2" "2"] [nil nil nil] ["1" "2"] :3 ["2" "1" "0"] ` +
			`-ERR value is not an integer or out of range -ERR syntax error]`},
	})
}

// lockExec of a SORT without lookups holds the source's and destination's
// shards only: another client's write to any other shard goes through
// while the transaction's locks are held. Under the old lock set (every
// shard) the write waited for the whole EXEC: the 5 s wait is the failure
// signal, not a speed assertion. Standalone mode keeps Redis's atomic
// EXEC of a keyspace walk.
func TestHostileMultiSortLocksOnlyItsKeys(t *testing.T) {
	srv := startServer(t)
	cases := []struct {
		line  string
		locks []string // the keys whose shards EXEC may hold
	}{
		{"SORT src", []string{"src"}},
		{"SORT src DESC BY nosort GET #", []string{"src"}},
		{"SORT_RO src ALPHA GET # GET nostar", []string{"src"}},
		{"SORT src STORE dst", []string{"src", "dst"}},
		{"SORT src BY nosort GET # STORE dst", []string{"src", "dst"}},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			var args [][]byte
			for _, a := range strings.Fields(tc.line) {
				args = append(args, []byte(a))
			}
			cmd := srv.Table.Lookup(args[0])
			if holdsEveryShard(cmd, args) {
				t.Fatalf("%s: would hold every shard", tc.line)
			}
			held := map[int]bool{}
			for _, k := range tc.locks {
				held[srv.Eng.ShardOf([]byte(k))] = true
			}
			c := &Client{Tx: srv.Eng.NewTx(), NS: srv.DBs[0]}
			srv.lockExec(c, &multiState{queue: []queuedCmd{{cmd, args}}}, nil)
			defer c.Tx.End()
			for _, k := range keysPerShard(srv, "other") {
				if held[srv.Eng.ShardOf([]byte(k))] {
					continue
				}
				done := make(chan struct{})
				go func() {
					tx := srv.Eng.NewTx()
					tx.Begin(srv.DBs[0], [][]byte{[]byte(k)}, true)
					tx.End()
					close(done)
				}()
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					c.Tx.End()
					<-done
					t.Fatalf("%s: a write to %s waited for the transaction's locks", tc.line, k)
				}
			}
		})
	}
}

// Standalone mode, and the operator in cluster mode, keep Redis's
// behaviour: keyspace commands and SORT lookups are queued and EXEC runs
// them atomically.
func TestHostileMultiWalksOutsideTenants(t *testing.T) {
	steps := []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "KEYS k1*", want: "+QUEUED"},
		{cmd: "SORT src BY w_* GET k*", want: "+QUEUED"},
		{cmd: "SCAN 0 MATCH w_* COUNT 1000", want: "+QUEUED"},
		{cmd: "DEL k1", want: "+QUEUED"},
		{cmd: "RANDOMKEY", want: "+QUEUED"},
		{cmd: "FLUSHDB", want: "+QUEUED"},
		{cmd: "EXEC"},
		{cmd: "DBSIZE", want: ":0"},
	}
	check := func(t *testing.T, c *resptest.Client) {
		t.Helper()
		fillWalkData(t, c)
		for _, s := range steps {
			got := c.Do(strings.Fields(s.cmd)...)
			if s.cmd == "EXEC" {
				// SCAN's order and RANDOMKEY's key are not fixed.
				ok := strings.HasPrefix(got, `[["k1"] ["v2" "v1" "v0"] ["0" [`) && strings.HasSuffix(got, `+OK]`) &&
					strings.Contains(got, `]] :1 "`) && strings.Count(got, `"w_`) == 3+strings.Count(got, `:1 "w_`)
				if !ok {
					t.Errorf("EXEC: %s", got)
				}
				continue
			}
			if got != s.want {
				t.Errorf("%s: got %s, want %s", s.cmd, got, s.want)
			}
		}
	}
	t.Run("standalone", func(t *testing.T) { check(t, dial(t, startServer(t))) })
	t.Run("operator", func(t *testing.T) { check(t, startCluster(t).as(t, "operator")) })
}
