package commands

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// HSCAN, SSCAN and ZSCAN MATCH take their candidates under the key's
// shard lock and match after letting it go: while alice's huge pattern is
// matched against her huge members, bob's writes into every shard, the
// one holding alice's key included, are answered. Before, the match ran
// under the lock: the hook never ran, and a write to that shard waited
// for the whole match (seconds for these sizes).
func TestHostileElemScanMatchLetsOthersThrough(t *testing.T) {
	long := strings.Repeat("a", 40<<10)
	hit := "m-" + strings.Repeat("a", 40<<10) + "b"
	pattern := "*" + strings.Repeat("a", 20<<10) + "b*"
	cases := []struct {
		name, key string
		fill      [][]string
		scan      string
		want      string
	}{
		{name: "HSCAN", key: "h",
			fill: [][]string{{"HSET", "h", long + "1", "v1", long + "2", "v2", hit, "vhit", long + "3", "v3"}},
			scan: "HSCAN", want: `["0" ["` + hit + `" "vhit"]]`},
		{name: "SSCAN", key: "s",
			fill: [][]string{{"SADD", "s", long + "1", long + "2", hit, long + "3"}},
			scan: "SSCAN", want: `["0" ["` + hit + `"]]`},
		{name: "ZSCAN", key: "z",
			fill: [][]string{{"ZADD", "z", "1", long + "1", "2", long + "2", "7", hit, "3", long + "3"}},
			scan: "ZSCAN", want: `["0" ["` + hit + `" "7"]]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startCluster(t)
			alice, bob := f.as(t, "alice-rw"), f.as(t, "bob-rw")
			pipe(t, alice, tc.fill)
			probe := &walkProbe{other: bob, keys: keysPerShard(f.srv, "bobkey")}
			f.srv.Eng.SetWalkHook(probe.hook)
			got := alice.Do(tc.scan, tc.key, "0", "MATCH", pattern, "COUNT", "1000")
			f.srv.Eng.SetWalkHook(nil)
			if got != tc.want {
				t.Errorf("%s MATCH: got %.200s", tc.scan, got)
			}
			probe.mu.Lock()
			defer probe.mu.Unlock()
			for _, msg := range probe.failures {
				t.Error(msg)
			}
			if probe.released != 1 {
				t.Errorf("%s MATCH let go of its lock %d times before matching, want 1", tc.scan, probe.released)
			}
			for _, k := range probe.keys {
				if got := bob.Do("GET", k); got != `"1"` {
					t.Errorf("bob's %s: %s", k, got)
				}
			}
			// Inside EXEC the transaction's locks are kept; the reply is the same.
			alice.Do("MULTI")
			alice.Do(tc.scan, tc.key, "0", "MATCH", pattern, "COUNT", "1000")
			if got := alice.Do("EXEC"); got != "["+tc.want+"]" {
				t.Errorf("%s MATCH inside EXEC: got %.200s", tc.scan, got)
			}
		})
	}
}

// Every encoding's candidates survive the lock being let go: small
// (listpack, intset) collections come back whole, big ones COUNT at a
// time, with values and scores beside their fields and members.
func TestElemScanMatchEachEncoding(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	big := strings.Repeat("x", 100)
	runSteps(t, c, []step{
		{cmd: "HSET hs f1 v1 g1 w1 f2 v2", want: ":3"},
		{cmd: "HSCAN hs 0 MATCH f*", want: `["0" ["f1" "v1" "f2" "v2"]]`},
		{cmd: "SADD si 1 2 10 3 11", want: ":5"},
		{cmd: "SSCAN si 0 MATCH 1*", want: `["0" ["1" "10" "11"]]`},
		{cmd: "ZADD zs 3 c1 1 a1 2 c2", want: ":3"},
		{cmd: "ZSCAN zs 0 MATCH c*", want: `["0" ["c2" "2" "c1" "3"]]`},
		{cmd: "HSET hb " + big + " vb f9 v9", want: ":2"},
		{cmd: "HSCAN hb 0 MATCH x*", want: `["0" ["` + big + `" "vb"]]`},
		{cmd: "SADD sb " + big + " m1", want: ":2"},
		{cmd: "SSCAN sb 0 MATCH x*x", want: `["0" ["` + big + `"]]`},
		{cmd: "ZADD zb 1.5 " + big + " 2 m1", want: ":2"},
		{cmd: "ZSCAN zb 0 MATCH *x", want: `["0" ["` + big + `" "1.5"]]`},
		{cmd: "SSCAN sb 0 MATCH nothing", want: `["0" []]`},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SSCAN si 0 MATCH 1*", want: "+QUEUED"},
		{cmd: "HSCAN hb 0 MATCH x*", want: "+QUEUED"},
		{cmd: "EXEC", want: `[["0" ["1" "10" "11"]] ["0" ["` + big + `" "vb"]]]`},
	})
}

// Bob's SETs, one at a time to a key in every shard (alice's hash's shard
// included), while alice runs HSCAN MATCH with a 20 KB pattern over a
// 40 KB field (go test -run X -bench NeighbourDuringElemScan -benchtime 3x
// ./commands). Before, the match ran under the hash's shard lock, for
// seconds.
func BenchmarkNeighbourDuringElemScanMatch(b *testing.B) {
	f := startCluster(b)
	alice, bob := f.as(b, "alice-admin"), f.as(b, "bob-rw")
	long := strings.Repeat("a", 40<<10)
	if got := alice.Do("HSET", "h", long, "v"); got != ":1" {
		b.Fatal(got)
	}
	pattern := "*" + strings.Repeat("a", 20<<10) + "b*"
	keys := keysPerShard(f.srv, "bob")
	stop, done := make(chan struct{}), make(chan struct{})
	var lat []time.Duration
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			t0 := time.Now()
			bob.Do("SET", keys[i%len(keys)], "v")
			lat = append(lat, time.Since(t0))
		}
	}()
	b.ResetTimer()
	for range b.N {
		if got := alice.Do("HSCAN", "h", "0", "MATCH", pattern, "COUNT", "100"); got != `["0" []]` {
			b.Fatal(got)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "bob-max-us")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "bob-p99-us")
		b.ReportMetric(float64(len(lat)), "bob-sets")
	}
}
