package commands

import (
	"strings"
	"testing"
	"time"
)

const throttledPrefix = "-ERR too many failed AUTH attempts from this address, retry in "

// throttleLocalhost makes 127.0.0.1, where every test client comes from,
// throttled for longer than any test runs, as a guesser there would.
func throttleLocalhost(srv *Server) {
	for i := 0; i < authThrottleFree+20; i++ {
		srv.authz.throttle.failed("127.0.0.1", time.Now())
	}
}

// Clients behind one address (a NAT, an office proxy) share its throttle:
// a guesser there must not lock the others out. With the tenants file
// every valid key is in memory: a valid client is admitted while the
// guesser, from the same address, stays throttled, and the directory is
// never asked for the guesses.
func TestHostileAuthThrottleSharedAddressTenantsFile(t *testing.T) {
	dir := &countingDir{}
	f := startClusterWith(t, clusterKeys, countResolves(dir))
	guesser := dial(t, f.srv)
	for i := 0; ; i++ {
		got := guesser.Do("AUTH", "guess-"+strings.Repeat("g", i))
		if strings.HasPrefix(got, throttledPrefix) {
			break
		}
		if got != wrongPass || i > authThrottleFree {
			t.Fatalf("guess %d: %s", i, got)
		}
	}
	throttleLocalhost(f.srv) // outlasts a slow machine
	asked := dir.resolves.Load()

	valid := dial(t, f.srv)
	runSteps(t, valid, []step{
		{args: []string{"AUTH", clusterSecret("alice-rw")}, want: "+OK"},
		{cmd: "SET k v", want: "+OK"},
		{cmd: "GET k", want: `"v"`},
	})
	// A key bound to another surface is known valid too: it gets the
	// surface's refusal, as from any address.
	for _, tc := range []struct{ key, want string }{
		{clusterSecret("alice-mcp"), "-NOPERM User alice-mcp may not use the resp surface"},
		{"guess-after", throttledPrefix},
		{clusterSecret("alice-off"), throttledPrefix}, // disabled: as unknown
		{clusterSecret("alice-old"), throttledPrefix}, // expired: as unknown
	} {
		if got := guesser.Do("AUTH", tc.key); !strings.HasPrefix(got, tc.want) {
			t.Errorf("AUTH %s while throttled: %s, want %s", tc.key, got, tc.want)
		}
	}
	if n := dir.resolves.Load() - asked; n != 0 {
		t.Errorf("the throttled address made %d directory lookups", n)
	}
	if got := guesser.Do("GET", "k"); !strings.HasPrefix(got, "-NOAUTH") {
		t.Errorf("the guesser is not authenticated: %s", got)
	}
}

// With HiveHub only what the client has cached is admitted: a key
// validated before (an office colleague's) authenticates from the throttled
// address with no HiveHub call; a key that would need a call, valid or
// not, is refused with the throttle's error and causes none.
func TestHostileAuthThrottleSharedAddressHiveHub(t *testing.T) {
	srv, fake, _ := startHiveHubCluster(t)
	const validate = "/api/v1/access-keys/validate"
	hiveAs(t, srv, "alice-rw") // validated and cached
	throttleLocalhost(srv)
	before := fake.Calls()[validate]

	c := dial(t, srv)
	runSteps(t, c, []step{
		{args: []string{"AUTH", clusterSecret("alice-rw")}, want: "+OK"},
		{cmd: "SET k v", want: "+OK"},
	})
	for _, key := range []string{"guess-1", "guess-2", clusterSecret("bob-rw")} {
		if got := dial(t, srv).Do("AUTH", key); !strings.HasPrefix(got, throttledPrefix) {
			t.Errorf("AUTH %s while throttled: %s", key, got)
		}
	}
	if n := fake.Calls()[validate] - before; n != 0 {
		t.Errorf("the throttled address made %d HiveHub calls", n)
	}
}
