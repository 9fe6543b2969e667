package commands

import (
	"strconv"
	"testing"
	"time"

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
	mset := []string{"MSET"}
	for i := range 2000 {
		mset = append(mset, "k"+strconv.Itoa(i), "v")
	}
	// Busy for most of a window, whatever the machine's speed: the share
	// looks back one to two 8 ms windows.
	for start := time.Now(); time.Since(start) < 20*time.Millisecond; {
		if got := call(t, f.srv, alice, mset...); got != "+OK" {
			t.Fatalf("MSET: %s", got)
		}
	}
	if !alice.T.Share.Heavy(time.Now()) {
		t.Error("alice, busy over REST, is not heavy")
	}
	if bob.T.Share.Heavy(time.Now()) {
		t.Error("bob, idle, is heavy")
	}
}
