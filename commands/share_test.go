package commands

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"synap/sched"
	"synap/tenant"
)

// The processor share covers the surfaces that run one command at a time
// (REST, WebSocket, MCP) as the RESP loop covers its batches: a tenant
// keeping the server busy over REST becomes heavy, and goes behind the
// others, while a tenant that sent nothing is not.
func TestShareChargedOutsideBatches(t *testing.T) {
	f := startCluster(t)
	alice := localSession(t, f.srv, tenant.SurfaceREST, "10.0.0.1:1")
	if got := call(t, f.srv, alice, "AUTH", clusterSecret("alice-rw")); got != "+OK" {
		t.Fatalf("AUTH: %s", got)
	}
	bob := localSession(t, f.srv, tenant.SurfaceREST, "10.0.0.2:1")
	if got := call(t, f.srv, bob, "AUTH", clusterSecret("bob-rw")); got != "+OK" {
		t.Fatalf("AUTH: %s", got)
	}
	// One processor, so that a quarter of one is the mark, whatever the
	// machine the test runs on.
	defer sched.SetProcs(runtime.GOMAXPROCS(0))
	sched.SetProcs(1)
	mset := []string{"MSET"}
	for i := range 2000 {
		mset = append(mset, "k"+strconv.Itoa(i), "v")
	}
	args := bargs(mset)
	// Commands back to back for 20 ms, straight through Exec so that
	// nearly all of it is the command's: the share looks back one to two
	// 8 ms windows.
	// Read after each command, as of its end: once heavy, alice defers
	// before each command and that wait is not hers, so on a loaded
	// machine her share may fall back under the mark between commands,
	// which is the point of it.
	var end time.Time
	heavy := false
	for start := time.Now(); end.Sub(start) < 20*time.Millisecond; {
		f.srv.Exec(nil, alice, args)
		end = time.Now()
		heavy = heavy || alice.T.Share.Heavy(end)
		if got := string(alice.W.Buf); got != "+OK\r\n" {
			t.Fatalf("MSET: %q", got)
		}
		alice.W.Reset()
	}
	if !heavy {
		t.Error("alice, busy over REST, is not heavy")
	}
	if bob.T.Share.Heavy(end) {
		t.Error("bob, idle, is heavy")
	}
}
