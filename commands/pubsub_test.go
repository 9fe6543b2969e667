package commands

import (
	"strings"
	"testing"
	"time"

	"synap/resp/resptest"
	"synap/tenant"
)

// How each pub/sub row is isolated: channels, patterns and PUBSUB's counts
// live in the caller's tenant scope (pubsub.go); TestPubSubTenantIsolation
// checks the traffic itself. Subscribing rows run on a connection of their
// own, since a RESP2 connection left subscribed refuses the next probes.
func init() {
	for name, exs := range map[string][][]string{
		"subscribe":            {{"subscribe", "k1", "user:bob:k1"}},
		"psubscribe":           {{"psubscribe", "*"}},
		"ssubscribe":           {{"ssubscribe", "k1"}},
		"unsubscribe":          {{"unsubscribe"}, {"unsubscribe", "k1"}},
		"punsubscribe":         {{"punsubscribe"}, {"punsubscribe", "*"}},
		"sunsubscribe":         {{"sunsubscribe"}, {"sunsubscribe", "k1"}},
		"publish":              {{"publish", "k1", "from-alice"}},
		"spublish":             {{"spublish", "k1", "from-alice"}},
		"pubsub":               {{"pubsub"}},
		"pubsub|channels":      {{"pubsub", "channels"}, {"pubsub", "channels", "*"}},
		"pubsub|numsub":        {{"pubsub", "numsub", "k1", "k2"}},
		"pubsub|numpat":        {{"pubsub", "numpat"}},
		"pubsub|shardchannels": {{"pubsub", "shardchannels"}},
		"pubsub|shardnumsub":   {{"pubsub", "shardnumsub", "k1"}},
		"pubsub|help":          {{"pubsub", "help"}},
	} {
		isolationExamples[name] = exs
	}
	for _, name := range []string{"subscribe", "psubscribe", "ssubscribe"} {
		isolationThrowaway[name] = true
	}
}

// readPush reads one reply from c, failing the test on a timeout.
func readPush(t *testing.T, c *resptest.Client) string {
	t.Helper()
	got := c.Read()
	if strings.HasPrefix(got, "ERROR:") {
		t.Fatalf("reading a push: %s", got)
	}
	return got
}

// quiet checks that nothing is waiting for c: its next reply is PING's.
func quiet(t *testing.T, c *resptest.Client, who string) {
	t.Helper()
	if got := c.Do("PING", "quiet"); !strings.Contains(got, "quiet") {
		t.Errorf("%s received %s, want nothing", who, got)
	}
}

// Tenant A's subscriptions, patterns included, see none of tenant B's
// traffic, and PUBSUB shows each tenant only its own channels and counts.
func TestPubSubTenantIsolation(t *testing.T) {
	f := startCluster(t)
	aliceSub, bobSub := f.as(t, "alice-rw"), f.as(t, "bob-rw")
	alicePub, bobPub := f.as(t, "alice-rw"), f.as(t, "bob-rw")
	op := f.as(t, "operator")

	steps := []struct {
		c          *resptest.Client
		cmd        string
		want       string
		replies    int
		extraWants []string
	}{
		{c: aliceSub, cmd: "SUBSCRIBE news", want: `["subscribe" "news" :1]`},
		{c: aliceSub, cmd: "PSUBSCRIBE *", want: `["psubscribe" "*" :2]`},
		{c: bobSub, cmd: "SUBSCRIBE news", want: `["subscribe" "news" :1]`},
		{c: bobSub, cmd: "SUBSCRIBE bob-secret-channel", want: `["subscribe" "bob-secret-channel" :2]`},
		{c: bobSub, cmd: "PSUBSCRIBE *", want: `["psubscribe" "*" :3]`},
		{c: bobSub, cmd: "SSUBSCRIBE bob-shard", want: `["ssubscribe" "bob-shard" :1]`},
		// Each tenant's publish reaches its own two subscriptions only.
		{c: alicePub, cmd: "PUBLISH news a1", want: ":2"},
		{c: bobPub, cmd: "PUBLISH bob-secret-channel b1", want: ":2"},
		{c: alicePub, cmd: "PUBLISH bob-secret-channel a2", want: ":1"},
		{c: alicePub, cmd: "SPUBLISH bob-shard a3", want: ":0"},
		{c: alicePub, cmd: "PUBSUB CHANNELS", want: `["news"]`},
		{c: alicePub, cmd: "PUBSUB CHANNELS *secret*", want: `[]`},
		{c: alicePub, cmd: "PUBSUB NUMSUB news bob-secret-channel", want: `["news" :1 "bob-secret-channel" :0]`},
		{c: alicePub, cmd: "PUBSUB NUMPAT", want: ":1"},
		{c: alicePub, cmd: "PUBSUB SHARDCHANNELS", want: `[]`},
		{c: bobPub, cmd: "PUBSUB CHANNELS", want: `["bob-secret-channel" "news"]`},
		{c: bobPub, cmd: "PUBSUB SHARDNUMSUB bob-shard", want: `["bob-shard" :1]`},
		// The operator's scope is its own: no tenant's channel is in it.
		{c: op, cmd: "PUBSUB CHANNELS", want: `[]`},
		{c: op, cmd: "PUBLISH news op", want: ":0"},
	}
	for _, s := range steps {
		if got := s.c.Do(strings.Split(s.cmd, " ")...); got != s.want {
			t.Errorf("%s = %s, want %s", s.cmd, got, s.want)
		}
	}
	for _, want := range []string{
		`["message" "news" "a1"]`, `["pmessage" "*" "news" "a1"]`, `["pmessage" "*" "bob-secret-channel" "a2"]`,
	} {
		if got := readPush(t, aliceSub); got != want {
			t.Errorf("alice's subscriber got %s, want %s", got, want)
		}
	}
	for _, want := range []string{`["message" "bob-secret-channel" "b1"]`, `["pmessage" "*" "bob-secret-channel" "b1"]`} {
		if got := readPush(t, bobSub); got != want {
			t.Errorf("bob's subscriber got %s, want %s", got, want)
		}
	}
	quiet(t, aliceSub, "alice's subscriber")
	quiet(t, bobSub, "bob's subscriber")
	// INFO of the server as a whole counts both tenants' channels.
	if got := op.Do("INFO", "stats"); !strings.Contains(got, `pubsub_channels:3\r\npubsub_patterns:2\r\npubsubshard_channels:1`) {
		t.Errorf("operator's INFO stats lacks the pub/sub counts: %s", got)
	}
}

// Subscribing and PUBSUB need read; publishing needs write.
func TestPubSubPermissions(t *testing.T) {
	f := startCluster(t)
	ro, w := f.as(t, "alice-ro"), f.as(t, "alice-w")
	for _, s := range []struct {
		c    *resptest.Client
		cmd  string
		want string
	}{
		{w, "SUBSCRIBE c", "-NOPERM User alice-w has no permissions to run the 'subscribe' command"},
		{w, "PSUBSCRIBE c*", "-NOPERM User alice-w has no permissions to run the 'psubscribe' command"},
		{w, "SSUBSCRIBE c", "-NOPERM User alice-w has no permissions to run the 'ssubscribe' command"},
		{w, "PUBSUB NUMSUB c", "-NOPERM User alice-w has no permissions to run the 'pubsub|numsub' command"},
		{ro, "PUBLISH c m", "-NOPERM User alice-ro has no permissions to run the 'publish' command"},
		{ro, "SPUBLISH c m", "-NOPERM User alice-ro has no permissions to run the 'spublish' command"},
		{ro, "PUBSUB NUMSUB c", `["c" :0]`},
		{w, "PUBLISH c m", ":0"},
		{ro, "SUBSCRIBE c", `["subscribe" "c" :1]`},
		{w, "PUBLISH c m", ":1"},
	} {
		if got := s.c.Do(strings.Split(s.cmd, " ")...); got != s.want {
			t.Errorf("%s = %s, want %s", s.cmd, got, s.want)
		}
	}
	if got := readPush(t, ro); got != `["message" "c" "m"]` {
		t.Errorf("read-only subscriber got %s", got)
	}
}

// A session that authenticates as another tenant, logs out (RESET) or is
// killed stops receiving the first tenant's messages at once; one that
// authenticates again as the same tenant keeps its subscriptions.
func TestPubSubIdentityChangeDropsSubscriptions(t *testing.T) {
	f := startCluster(t)
	pub := f.as(t, "alice-rw")
	sub := f.as(t, "alice-rw")
	sub.Do("HELLO", "3")
	if got := sub.Do("SUBSCRIBE", "news"); got != `>["subscribe" "news" :1]` {
		t.Fatalf("SUBSCRIBE = %s", got)
	}
	// Same tenant, another key: still subscribed.
	if got := sub.Do("AUTH", clusterSecret("alice-ro")); got != "+OK" {
		t.Fatalf("AUTH alice-ro = %s", got)
	}
	if got := pub.Do("PUBLISH", "news", "1"); got != ":1" {
		t.Errorf("PUBLISH after re-AUTH as the same tenant = %s, want :1", got)
	}
	if got := readPush(t, sub); got != `>["message" "news" "1"]` {
		t.Errorf("push = %s", got)
	}
	// Another tenant: the subscription is gone, and bob's scope holds
	// nothing of alice's.
	if got := sub.Do("AUTH", clusterSecret("bob-rw")); got != "+OK" {
		t.Fatalf("AUTH bob-rw = %s", got)
	}
	if got := pub.Do("PUBLISH", "news", "2"); got != ":0" {
		t.Errorf("PUBLISH after re-AUTH as bob = %s, want :0", got)
	}
	if got := sub.Do("PUBSUB", "NUMSUB", "news"); got != `["news" :0]` {
		t.Errorf("bob's PUBSUB NUMSUB news = %s", got)
	}
	quiet(t, sub, "the session re-authenticated as bob")
	if got := pub.Do("PUBSUB", "NUMSUB", "news"); got != `["news" :0]` {
		t.Errorf("alice's PUBSUB NUMSUB news = %s", got)
	}

	// RESET logs out and drops subscriptions.
	sub2 := f.as(t, "alice-rw")
	sub2.Do("SUBSCRIBE", "news")
	if got := sub2.Do("RESET"); got != "+RESET" {
		t.Fatalf("RESET = %s", got)
	}
	if got := pub.Do("PUBLISH", "news", "3"); got != ":0" {
		t.Errorf("PUBLISH after RESET = %s, want :0", got)
	}

	// Killed: not counted from the moment of the kill.
	sub3 := f.as(t, "alice-rw")
	sub3.Do("SUBSCRIBE", "news")
	op := f.as(t, "operator")
	if got := op.Do("CLIENT", "KILL", "USER", "default", "SKIPME", "yes"); !strings.HasPrefix(got, ":") {
		t.Fatalf("CLIENT KILL = %s", got)
	}
	if got := f.as(t, "alice-rw").Do("PUBLISH", "news", "4"); got != ":0" {
		t.Errorf("PUBLISH after the subscriber was killed = %s, want :0", got)
	}
}

// The per-connection and per-tenant caps refuse the subscription past
// them with a clear error; those before stay.
func TestPubSubSubscriptionLimits(t *testing.T) {
	f := startCluster(t)
	op := f.as(t, "operator")
	for _, set := range [][]string{
		{"CONFIG", "SET", "pubsub-subscriptions-per-client", "3"},
		{"CONFIG", "SET", "pubsub-subscriptions-per-tenant", "5"},
	} {
		if got := op.Do(set...); got != "+OK" {
			t.Fatalf("%q = %s", set, got)
		}
	}
	if got := op.Do("CONFIG", "GET", "pubsub-subscriptions-*"); got != `["pubsub-subscriptions-per-client" "3" "pubsub-subscriptions-per-tenant" "5"]` {
		t.Errorf("CONFIG GET = %s", got)
	}
	a1, a2 := f.as(t, "alice-rw"), f.as(t, "alice-rw")
	runSteps(t, a1, []step{
		{cmd: "SUBSCRIBE a b", want: `["subscribe" "a" :1]`},
	})
	if got := a1.Read(); got != `["subscribe" "b" :2]` {
		t.Fatalf("second confirmation = %s", got)
	}
	runSteps(t, a1, []step{
		{cmd: "PSUBSCRIBE c*", want: `["psubscribe" "c*" :3]`},
		{cmd: "SSUBSCRIBE d", want: "-ERR subscription limit reached: a connection may hold 3 channels and patterns (pubsub-subscriptions-per-client)"},
		// Subscribing again to a name held is no new subscription.
		{cmd: "SUBSCRIBE a", want: `["subscribe" "a" :3]`},
	})
	runSteps(t, a2, []step{
		{cmd: "SUBSCRIBE x", want: `["subscribe" "x" :1]`},
		{cmd: "SUBSCRIBE y", want: `["subscribe" "y" :2]`},
		{cmd: "SUBSCRIBE z", want: "-ERR subscription limit reached: a tenant may hold 5 channels and patterns (pubsub-subscriptions-per-tenant)"},
		{cmd: "UNSUBSCRIBE y", want: `["unsubscribe" "y" :1]`},
		{cmd: "SUBSCRIBE z", want: `["subscribe" "z" :2]`},
	})
	// Bob's own budget is untouched by alice's.
	b := f.as(t, "bob-rw")
	runSteps(t, b, []step{{cmd: "SUBSCRIBE a", want: `["subscribe" "a" :1]`}})
}

// A subscriber that never reads is disconnected once its queued messages
// pass the pubsub class's limit; PUBLISH keeps answering throughout and
// counts only subscribers that took the message.
func TestPubSubSlowSubscriberDisconnected(t *testing.T) {
	srv := startServer(t)
	pub := dial(t, srv)
	if got := pub.Do("CONFIG", "SET", "client-output-buffer-limit", "pubsub 256kb 0 0"); got != "+OK" {
		t.Fatalf("CONFIG SET = %s", got)
	}
	slow, fast := dial(t, srv), dial(t, srv)
	for _, c := range []*resptest.Client{slow, fast} {
		if got := c.Do("SUBSCRIBE", "firehose"); got != `["subscribe" "firehose" :1]` {
			t.Fatalf("SUBSCRIBE = %s", got)
		}
	}
	payload := strings.Repeat("x", 64<<10)
	counts := map[string]int{}
	for i := 0; i < 2000 && counts[":1"] == 0; i++ {
		got := pub.Do("PUBLISH", "firehose", payload)
		counts[got]++
		if got != ":2" && got != ":1" {
			t.Fatalf("PUBLISH %d = %s", i, got)
		}
		// The fast subscriber reads every message.
		if m := fast.Read(); !strings.HasPrefix(m, `["message" "firehose" "xxx`) {
			t.Fatalf("fast subscriber got %.60s", m)
		}
	}
	if counts[":1"] == 0 {
		t.Fatalf("the slow subscriber was never disconnected: %v", counts)
	}
	if got := pub.Do("PUBSUB", "NUMSUB", "firehose"); got != `["firehose" :1]` && got != `["firehose" :2]` {
		t.Errorf("PUBSUB NUMSUB = %s", got)
	}
	// The slow subscriber's connection is closed once it reads.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if got := pub.Do("PUBSUB", "NUMSUB", "firehose"); got == `["firehose" :1]` {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("the slow subscriber still holds its subscription")
}

// CLIENT LIST's sub, psub and ssub, and INFO's pub/sub counts.
func TestPubSubClientListAndInfo(t *testing.T) {
	srv := startServer(t)
	c, other := dial(t, srv), dial(t, srv)
	c.Do("HELLO", "3")
	for _, cmd := range [][]string{{"SUBSCRIBE", "a"}, {"SUBSCRIBE", "b"}, {"PSUBSCRIBE", "p*"}, {"SSUBSCRIBE", "s"}} {
		c.Do(cmd...)
	}
	got := other.Do("CLIENT", "LIST")
	if !strings.Contains(got, "flags=P ") || !strings.Contains(got, "sub=2 psub=1 ssub=1 ") {
		t.Errorf("CLIENT LIST lacks sub=2 psub=1 ssub=1: %s", got)
	}
	info := other.Do("INFO", "stats")
	if !strings.Contains(info, `pubsub_channels:2\r\npubsub_patterns:1\r\npubsubshard_channels:1\r\n`) {
		t.Errorf("INFO stats: %s", info)
	}
	_ = c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(other.Do("INFO", "stats"), `pubsub_channels:0\r\n`) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := other.Do("PUBSUB", "NUMPAT"); got != ":0" {
		t.Errorf("after the subscriber closed, PUBSUB NUMPAT = %s", got)
	}
	if n := srv.Hub.Scopes(); n != 0 {
		t.Errorf("hub keeps %d empty scopes", n)
	}
}

// A socketless session (what the HTTP surfaces hold) receives through the
// same hub: PushReady, then TakePushes.
func TestPubSubSocketlessSession(t *testing.T) {
	srv := newLocal(t)
	sub := localSession(t, srv, tenant.SurfaceWebSocket, "ws-sub")
	pub := localSession(t, srv, tenant.SurfaceREST, "rest-pub")
	call(t, srv, sub, "HELLO", "3")
	if got := call(t, srv, sub, "SUBSCRIBE", "news"); got != `>["subscribe" "news" :1]` {
		t.Fatalf("SUBSCRIBE = %s", got)
	}
	if got := call(t, srv, pub, "PUBLISH", "news", "hi"); got != ":1" {
		t.Fatalf("PUBLISH = %s", got)
	}
	select {
	case <-sub.PushReady():
	case <-time.After(5 * time.Second):
		t.Fatal("no push ready")
	}
	w := sub.W
	w.Reset()
	if n := sub.TakePushes(w); n != 1 {
		t.Fatalf("TakePushes = %d", n)
	}
	sub.PushesWritten()
	if got := string(w.Buf); got != ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n" {
		t.Errorf("push = %q", got)
	}
	w.Reset()
}

// A key that may write but not read may publish: the count it learns is
// who listens now, nothing stored (TestPermsBlindKeysLearnNothing checks
// that the reply is the same whatever the keyspace holds).
func init() {
	permsProbes["publish"] = [][]string{{"publish", "s", "x"}}
	permsProbes["spublish"] = [][]string{{"spublish", "s", "x"}}
}

// A subscriber whose key is revoked while it only listens (no command for
// the dispatcher to re-check) is cut off by the next publish: it is not
// counted and its connection is closed.
func TestPubSubRevokedListenerCutOff(t *testing.T) {
	f := startCluster(t)
	sub := f.as(t, "alice-rw")
	if got := sub.Do("SUBSCRIBE", "news"); got != `["subscribe" "news" :1]` {
		t.Fatal(got)
	}
	pubW := f.as(t, "alice-w")
	if got := pubW.Do("PUBLISH", "news", "before"); got != ":1" {
		t.Fatalf("PUBLISH before revocation = %s", got)
	}
	if got := readPush(t, sub); got != `["message" "news" "before"]` {
		t.Fatalf("push = %s", got)
	}
	var kept []clusterKey
	for _, k := range clusterKeys {
		if k.id != "alice-rw" {
			kept = append(kept, k)
		}
	}
	f.rewrite(t, kept)
	if got := pubW.Do("PUBLISH", "news", "after"); got != ":0" {
		t.Errorf("PUBLISH after revocation = %s, want :0", got)
	}
	if got := sub.Read(); !strings.HasPrefix(got, "ERROR:") {
		t.Errorf("the revoked subscriber read %s, want its connection closed", got)
	}
}
