package commands

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/pubsub"
	"synap/resp/resptest"
)

// notify-keyspace-events reads and prints its classes as Redis 7.0 does.
func TestNotifyFlagsConfig(t *testing.T) {
	c := dial(t, startServer(t))
	for _, tc := range []struct{ set, get string }{
		{"KEA", "AKE"}, {"Kgx", "gxK"}, {"KEAmnt", "AKEm"}, {"Kn", "nK"}, {"K$lz", "$lzK"}, {"Et", "tE"},
		{"Kd", "dK"}, {"g$lshzxetdKEmn", "AKEm"}, {"", ""}, {"AAA", "A"},
	} {
		if got := c.Do("CONFIG", "SET", "notify-keyspace-events", tc.set); got != "+OK" {
			t.Errorf("CONFIG SET %q = %s", tc.set, got)
		}
		if got := c.Do("CONFIG", "GET", "notify-keyspace-events"); got != `["notify-keyspace-events" "`+tc.get+`"]` {
			t.Errorf("after %q, CONFIG GET = %s, want %q", tc.set, got, tc.get)
		}
	}
	want := "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
	if got := c.Do("CONFIG", "SET", "notify-keyspace-events", "KQ"); got != want {
		t.Errorf("CONFIG SET KQ = %s", got)
	}
}

// A tenant hears only its own keys' events, named as it named them; the
// operator's scope hears no tenant's.
func TestNotifyTenantIsolation(t *testing.T) {
	f := startCluster(t)
	op := f.as(t, "operator")
	if got := op.Do("CONFIG", "SET", "notify-keyspace-events", "KEA"); got != "+OK" {
		t.Fatal(got)
	}
	aliceSub, bobSub := f.as(t, "alice-rw"), f.as(t, "bob-rw")
	opSub := f.as(t, "operator")
	for _, c := range []interface{ Do(...string) string }{aliceSub, bobSub, opSub} {
		if got := c.Do("PSUBSCRIBE", "*"); got != `["psubscribe" "*" :1]` {
			t.Fatalf("PSUBSCRIBE = %s", got)
		}
	}
	alice, bob := f.as(t, "alice-rw"), f.as(t, "bob-rw")
	bob.Do("SET", "bob-secret", "1")
	alice.Do("SET", "k1", "v")
	bob.Do("DEL", "bob-secret")
	alice.Do("LPUSH", "list", "x")
	for _, want := range []string{
		`["pmessage" "*" "__keyspace@0__:k1" "set"]`, `["pmessage" "*" "__keyevent@0__:set" "k1"]`,
		`["pmessage" "*" "__keyspace@0__:list" "lpush"]`, `["pmessage" "*" "__keyevent@0__:lpush" "list"]`,
	} {
		if got := readPush(t, aliceSub); got != want {
			t.Errorf("alice heard %s, want %s", got, want)
		}
	}
	for _, want := range []string{
		`["pmessage" "*" "__keyspace@0__:bob-secret" "set"]`, `["pmessage" "*" "__keyevent@0__:set" "bob-secret"]`,
		`["pmessage" "*" "__keyspace@0__:bob-secret" "del"]`, `["pmessage" "*" "__keyevent@0__:del" "bob-secret"]`,
	} {
		if got := readPush(t, bobSub); got != want {
			t.Errorf("bob heard %s, want %s", got, want)
		}
	}
	// Stream events, among them those only the handler can tell (XADD's
	// trim, a consumer XREADGROUP created), stay in the writer's tenant too,
	// under its own names.
	bob.Do("XADD", "bob-stream", "1-1", "f", "v")
	alice.Do("XADD", "st", "1-1", "f", "v")
	alice.Do("XADD", "st", "MAXLEN", "1", "2-1", "f", "v")
	alice.Do("XGROUP", "CREATE", "st", "g", "0")
	bob.Do("XGROUP", "CREATE", "bob-stream", "g", "0")
	bob.Do("XREADGROUP", "GROUP", "g", "bob-c", "STREAMS", "bob-stream", ">")
	alice.Do("XREADGROUP", "GROUP", "g", "c", "STREAMS", "st", ">")
	for _, want := range []string{
		`["pmessage" "*" "__keyspace@0__:st" "xadd"]`, `["pmessage" "*" "__keyevent@0__:xadd" "st"]`,
		`["pmessage" "*" "__keyspace@0__:st" "xadd"]`, `["pmessage" "*" "__keyevent@0__:xadd" "st"]`,
		`["pmessage" "*" "__keyspace@0__:st" "xtrim"]`, `["pmessage" "*" "__keyevent@0__:xtrim" "st"]`,
		`["pmessage" "*" "__keyspace@0__:st" "xgroup-create"]`, `["pmessage" "*" "__keyevent@0__:xgroup-create" "st"]`,
		`["pmessage" "*" "__keyspace@0__:st" "xgroup-createconsumer"]`, `["pmessage" "*" "__keyevent@0__:xgroup-createconsumer" "st"]`,
	} {
		if got := readPush(t, aliceSub); got != want {
			t.Errorf("alice heard %s, want %s", got, want)
		}
	}
	for _, want := range []string{
		`["pmessage" "*" "__keyspace@0__:bob-stream" "xadd"]`, `["pmessage" "*" "__keyevent@0__:xadd" "bob-stream"]`,
		`["pmessage" "*" "__keyspace@0__:bob-stream" "xgroup-create"]`, `["pmessage" "*" "__keyevent@0__:xgroup-create" "bob-stream"]`,
		`["pmessage" "*" "__keyspace@0__:bob-stream" "xgroup-createconsumer"]`, `["pmessage" "*" "__keyevent@0__:xgroup-createconsumer" "bob-stream"]`,
	} {
		if got := readPush(t, bobSub); got != want {
			t.Errorf("bob heard %s, want %s", got, want)
		}
	}
	// "new" (n, outside A) and "keymiss" (m) the same way.
	if got := op.Do("CONFIG", "SET", "notify-keyspace-events", "KEnm"); got != "+OK" {
		t.Fatal(got)
	}
	bob.Do("SET", "bob-new", "1")
	bob.Do("GET", "bob-missing")
	alice.Do("SET", "fresh", "v")
	alice.Do("GET", "missing")
	for _, want := range []string{
		`["pmessage" "*" "__keyspace@0__:fresh" "new"]`, `["pmessage" "*" "__keyevent@0__:new" "fresh"]`,
		`["pmessage" "*" "__keyspace@0__:missing" "keymiss"]`, `["pmessage" "*" "__keyevent@0__:keymiss" "missing"]`,
	} {
		if got := readPush(t, aliceSub); got != want {
			t.Errorf("alice heard %s, want %s", got, want)
		}
	}
	for _, want := range []string{
		`["pmessage" "*" "__keyspace@0__:bob-new" "new"]`, `["pmessage" "*" "__keyevent@0__:new" "bob-new"]`,
		`["pmessage" "*" "__keyspace@0__:bob-missing" "keymiss"]`, `["pmessage" "*" "__keyevent@0__:keymiss" "bob-missing"]`,
	} {
		if got := readPush(t, bobSub); got != want {
			t.Errorf("bob heard %s, want %s", got, want)
		}
	}
	// The events are queued in order, so once alice's last is in nothing of
	// bob's can still come; the operator heard none of either.
	quiet(t, aliceSub, "alice")
	quiet(t, opSub, "the operator")
}

// Keys reclaimed by their TTL raise "expired", whether found by a command
// or by active expiry.
func TestNotifyExpired(t *testing.T) {
	srv := startServer(t)
	c, sub := dial(t, srv), dial(t, srv)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "Ex")
	sub.Do("SUBSCRIBE", "__keyevent@0__:expired")
	c.Do("SET", "lazy", "v", "PX", "1")
	c.Do("SET", "active", "v", "PX", "1")
	time.Sleep(20 * time.Millisecond)
	if got := c.Do("GET", "lazy"); got != "nil" {
		t.Fatalf("GET lazy = %s", got)
	}
	srv.Eng.ReclaimExpired()
	got := []string{readPush(t, sub), readPush(t, sub)}
	want := map[string]bool{`["message" "__keyevent@0__:expired" "lazy"]`: true, `["message" "__keyevent@0__:expired" "active"]`: true}
	for _, g := range got {
		if !want[g] {
			t.Errorf("expired event %s", g)
		}
		delete(want, g)
	}
	// Only x was asked for: no set, no expire events.
	quiet(t, sub, "the subscriber")
}

// A storm of expiries with a subscriber that never reads: the server goes
// on answering, the queue stays within its bound (events past it are
// dropped and counted) and the subscriber is cut off at its output limit.
func TestNotifyExpiryStormBounded(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "KEA")
	c.Do("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0")
	stuck := dial(t, srv)
	stuck.Do("PSUBSCRIBE", "*")
	const n = 100000
	for i := 0; i < n; i += 1000 {
		args := []string{"MSET"}
		for j := i; j < i+1000; j++ {
			args = append(args, "k"+strconv.Itoa(j), "v")
		}
		if got := c.Do(args...); got != "+OK" {
			t.Fatal(got)
		}
	}
	for i := 0; i < n; i += 1000 {
		var batch []byte
		for j := i; j < i+1000; j++ {
			batch = resptest.AppendCommand(batch, "PEXPIRE", "k"+strconv.Itoa(j), "1")
		}
		if err := c.Send(string(batch)); err != nil {
			t.Fatal(err)
		}
		for j := i; j < i+1000; j++ {
			if got := c.Read(); got != ":1" {
				t.Fatalf("PEXPIRE %d = %s", j, got)
			}
		}
	}
	time.Sleep(5 * time.Millisecond)
	srv.Eng.ReclaimExpired()
	if got := c.Do("PING"); got != "+PONG" {
		t.Fatalf("PING during the storm = %s", got)
	}
	if q := srv.notif.bytes.Load(); q > notifyQueueBytes {
		t.Errorf("queue holds %d bytes, over its bound %d", q, notifyQueueBytes)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(c.Do("CLIENT", "LIST"), "psub=0") && strings.Count(c.Do("CLIENT", "LIST"), "id=") > 1 {
		time.Sleep(20 * time.Millisecond)
	}
	if got := c.Do("CLIENT", "LIST"); strings.Count(got, "id=") != 1 {
		t.Errorf("the subscriber that never reads is still connected: %s", got)
	}
	t.Logf("events dropped by the full queue: %d", srv.NotifyDropped())
}

// Inside EXEC each queued command raises the events of its own changes
// only: a SET NX that lost after a SET of the same key raises nothing.
func TestNotifyInsideExec(t *testing.T) {
	srv := startServer(t)
	c, sub := dial(t, srv), dial(t, srv)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "E$g")
	sub.Do("PSUBSCRIBE", "__keyevent@0__:*")
	for _, cmd := range [][]string{{"MULTI"}, {"SET", "a", "1"}, {"SET", "a", "2", "NX"}, {"DEL", "a", "b"}, {"DEL", "a"}, {"EXEC"}} {
		c.Do(cmd...)
	}
	for _, want := range []string{
		`["pmessage" "__keyevent@0__:*" "__keyevent@0__:set" "a"]`,
		`["pmessage" "__keyevent@0__:*" "__keyevent@0__:del" "a"]`,
	} {
		if got := readPush(t, sub); got != want {
			t.Errorf("event %s, want %s", got, want)
		}
	}
	quiet(t, sub, "the subscriber")
}

// One tenant whose events pile up (its writes outrun the queue's drain)
// holds at most a quarter of the queue: another tenant's events are still
// taken.
func TestNotifyQueueShareBounded(t *testing.T) {
	srv := newLocal(t)
	n := &srv.notif
	n.ch = make(chan keyEvent, notifyQueueLen) // no drain: the queue only fills
	for _, scope := range []string{"user:a:", "user:b:"} {
		if err := srv.Hub.NewSub(nopReceiver{}).Subscribe(scope, pubsub.Pattern, "*", pubsub.Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := srv.Eng.Namespace("user:a:"), srv.Eng.Namespace("user:b:")
	for i := 0; i < notifyQueueLen; i++ {
		srv.queueEvent(a, "set", []byte("k"))
	}
	if got := len(n.ch); got != notifyQueueLen/scopeShare {
		t.Errorf("tenant a queued %d events, want its share %d", got, notifyQueueLen/scopeShare)
	}
	before := len(n.ch)
	for i := 0; i < 100; i++ {
		srv.queueEvent(b, "set", []byte("k"))
	}
	if got := len(n.ch) - before; got != 100 {
		t.Errorf("tenant b queued %d of 100 events beside a's", got)
	}
	if got := srv.NotifyDropped(); got != notifyQueueLen-notifyQueueLen/scopeShare {
		t.Errorf("dropped %d", got)
	}
}

// "keymiss" comes from a read command's lookup: none from a read refused
// before it looks (a syntax error), from a write, or from OBJECT; one per
// missing key inside EXEC too; "new" only for a key the write created.
func TestNotifyKeyMissAndNew(t *testing.T) {
	srv := startServer(t)
	c, sub := dial(t, srv), dial(t, srv)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "Emn")
	sub.Do("PSUBSCRIBE", "__keyevent@0__:*")
	c.Do("LRANGE", "nokey", "a", "b")
	c.Do("OBJECT", "ENCODING", "nokey")
	c.Do("LPUSHX", "nokey", "v")
	c.Do("SET", "k", "v")
	c.Do("SET", "k", "w")
	for _, cmd := range [][]string{{"MULTI"}, {"MGET", "k", "m1", "m2"}, {"SORT_RO", "m3"}, {"EXEC"}} {
		c.Do(cmd...)
	}
	c.Do("SORT_RO", "m4")
	for _, want := range []string{
		`["pmessage" "__keyevent@0__:*" "__keyevent@0__:new" "k"]`,
		`["pmessage" "__keyevent@0__:*" "__keyevent@0__:keymiss" "m1"]`,
		`["pmessage" "__keyevent@0__:*" "__keyevent@0__:keymiss" "m2"]`,
		`["pmessage" "__keyevent@0__:*" "__keyevent@0__:keymiss" "m3"]`,
		`["pmessage" "__keyevent@0__:*" "__keyevent@0__:keymiss" "m4"]`,
	} {
		if got := readPush(t, sub); got != want {
			t.Errorf("event %s, want %s", got, want)
		}
	}
	quiet(t, sub, "the subscriber")
}

type nopReceiver struct{}

func (nopReceiver) Deliver(*pubsub.Message, bool) bool { return true }

// SET over a key past its deadline expires it first, as Redis's SET looks
// the key up: "expired" (counted in expired_keys), then "set"; SET over a
// live key raises "set" alone. Plain SET and MSET do the lookup in their
// own walk to the key (Tx.Store), SET with options through Get: both are
// covered.
func TestNotifySetOverExpiredKey(t *testing.T) {
	srv := startServer(t)
	c, sub := dial(t, srv), dial(t, srv)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "KEA")
	sub.Do("SUBSCRIBE", "__keyevent@0__:expired")
	sub.Do("SUBSCRIBE", "__keyevent@0__:set")
	for _, tc := range []struct {
		name, cmd string
		opts      []string
		want      [2]string // the replies for the expired key and the live one
	}{
		{"plain", "SET", nil, [2]string{"+OK", "+OK"}},
		{"with EX", "SET", []string{"EX", "100"}, [2]string{"+OK", "+OK"}},
		{"with GET", "SET", []string{"GET"}, [2]string{"nil", `"v"`}},
		{"with XX", "SET", []string{"XX"}, [2]string{"nil", "+OK"}},
		{"MSET", "MSET", nil, [2]string{"+OK", "+OK"}}, // as redis-server 7.0.15
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := infoInt(t, c, "stats", "expired_keys")
			c.Do("SET", "k0", "v", "PX", "1")
			c.Do("SET", "k1", "v")
			for _, k := range []string{"k0", "k1"} {
				if got := readPush(t, sub); got != `["message" "__keyevent@0__:set" "`+k+`"]` {
					t.Fatalf("setting up: %s", got)
				}
			}
			time.Sleep(20 * time.Millisecond) // k0 is past its deadline, k1 has none
			for i, k := range []string{"k0", "k1"} {
				if got := c.Do(append([]string{tc.cmd, k, "v2"}, tc.opts...)...); got != tc.want[i] {
					t.Fatalf("%s %s %v = %s, want %s", tc.cmd, k, tc.opts, got, tc.want[i])
				}
			}
			want := []string{`["message" "__keyevent@0__:expired" "k0"]`}
			if tc.name != "with XX" { // XX found no key k0 and stored nothing
				want = append(want, `["message" "__keyevent@0__:set" "k0"]`)
			}
			want = append(want, `["message" "__keyevent@0__:set" "k1"]`)
			for _, w := range want {
				if got := readPush(t, sub); got != w {
					t.Fatalf("event %s, want %s", got, w)
				}
			}
			quiet(t, sub, "the subscriber")
			if got := infoInt(t, c, "stats", "expired_keys"); got != before+1 {
				t.Fatalf("expired_keys %d, want %d", got, before+1)
			}
			c.Do("DEL", "k0", "k1")
		})
	}
}
