package commands

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"synap/engine"
	"synap/resp/resptest"
	"synap/tenant"
)

func init() {
	for k, v := range queuesIsolation {
		isolationExamples[k] = v
	}
	isolationSeeders = append(isolationSeeders, queuesSeed)
	for k, v := range map[string]tenant.Need{
		"qcreate": tenant.NeedWrite, "qpublish": tenant.NeedWrite, "qack": tenant.NeedWrite, "qnack": tenant.NeedWrite,
		"qreap": tenant.NeedWrite, "qconsume": tenant.NeedRead, "qpeek": tenant.NeedRead, "qstats": tenant.NeedRead,
		"qlist": tenant.NeedRead, "qpurge": tenant.NeedDelete, "qdelete": tenant.NeedDelete,
	} {
		permissionModel[k] = v
	}
	// Probes of a key without read: the worlds hold no queue, so these
	// show that the refusals and the no-such-queue errors tell nothing; the
	// replies of a real queue are covered by TestQueuesPermissions.
	for k, v := range map[string][][]string{
		"qcreate": {{"qcreate", "s"}, {"qcreate", "qx", "DLQ", "kx"}}, "qpublish": {{"qpublish", "s", "x"}},
		"qack": {{"qack", "s", "1-1"}}, "qnack": {{"qnack", "kx", "1-1"}}, "qpurge": {{"qpurge", "s"}},
		"qdelete": {{"qdelete", "s"}}, "qreap": {{"qreap", "kx"}},
	} {
		permsProbes[k] = v
	}
	permsAcknowledging = append(permsAcknowledging, "qpublish", "qdelete", "qpurge")
	isolationOwnView["qpeek q1 COUNT 10"] = func(r string) bool {
		return r == `[["id" "1-0" "payload" "alice-m1" "priority" :0 "deliveries" :0] ["id" "2-0" "payload" "alice-m2" "priority" :0 "deliveries" :0]]`
	}
	isolationOwnView["qlist"] = func(r string) bool { return r == `["q1" "qdead"]` }
}

// queuesSeed gives user a queue q1 of two messages naming the user, whose
// dead-letter queue is qdead, and one message of it held by a consumer.
func queuesSeed(tx *engine.Tx, user string) {
	q := engine.NewQueue(engine.QueueConfig{AckDeadline: 60_000, MaxRetries: 3, DLQ: "qdead"})
	q.Publish([]byte(user+"-m1"), 0, 0, tx.Now)
	q.Publish([]byte(user+"-m2"), 0, 0, tx.Now)
	tx.Put([]byte("q1"), engine.NewObject(engine.KindQueue, q))
	dq := engine.NewQueue(engine.QueueConfig{AckDeadline: 60_000})
	dq.Publish([]byte(user+"-dead"), 0, 0, tx.Now)
	dq.Consume(user+"-consumer", tx.Now)
	tx.Put([]byte("qdead"), engine.NewObject(engine.KindQueue, dq))
}

// queuesIsolation: every queue command names its queue, which resolves in
// the caller's namespace; QLIST walks only the caller's namespace. Message
// ids are per queue, so the same id names a message of the caller's queue.
var queuesIsolation = map[string][][]string{
	"qcreate":  {{"qcreate", "q9", "MAXDEPTH", "5", "DLQ", "qdead"}, {"qcreate", "q1"}, {"qcreate", "q8", "DLQ", "q7"}},
	"qpublish": {{"qpublish", "q1", "alice-new", "PRIORITY", "3"}, {"qpublish", "q9", "x"}, {"qpublish", "q1", "alice-later", "DELAY", "100000"}},
	"qconsume": {{"qconsume", "q1", "c1", "COUNT", "5"}, {"qconsume", "q9", "c1"}, {"qconsume", "qdead", "c1", "BLOCK", "10"}},
	"qack":     {{"qack", "qdead", "1-1", "1-2", "9-1"}, {"qack", "q1", "1-1"}},
	"qnack":    {{"qnack", "qdead", "1-1", "DROP"}, {"qnack", "qdead", "1-1"}, {"qnack", "q1", "2-1"}},
	"qpurge":   {{"qpurge", "q1"}, {"qpurge", "q9"}},
	"qdelete":  {{"qdelete", "q1"}, {"qdelete", "q9"}, {"qdelete", "k1"}},
	"qreap":    {{"qreap", "q1", "qdead"}, {"qreap", "qdead"}},
	"qstats":   {{"qstats", "q1"}, {"qstats", "qdead"}, {"qstats", "q9"}},
	"qpeek":    {{"qpeek", "q1", "COUNT", "10"}, {"qpeek", "qdead"}},
	"qlist":    {{"qlist"}, {"qlist", "MATCH", "q*"}},
}

// qdo runs args on c; a helper for the many steps below.
func qdo(c *resptest.Client, args ...string) string { return c.Do(args...) }

var receiptRE = regexp.MustCompile(`"id" "([0-9]+-[0-9]+)"`)

// receipts are the ids of a QCONSUME reply rendered by resptest (RESP2).
func receipts(reply string) []string {
	var out []string
	for _, m := range receiptRE.FindAllStringSubmatch(reply, -1) {
		out = append(out, m[1])
	}
	return out
}

var payloadRE = regexp.MustCompile(`"payload" "([^"]*)"`)

func payloads(reply string) []string {
	var out []string
	for _, m := range payloadRE.FindAllStringSubmatch(reply, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestQueuesReplies(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "QPUBLISH q a", want: "-ERR no such queue 'q'"},
		{cmd: "QCONSUME q c", want: "-ERR no such queue 'q'"},
		{cmd: "QSTATS q", want: "-ERR no such queue 'q'"},
		{cmd: "QCREATE q ACKDEADLINE 0", want: "-ERR ACKDEADLINE is not an integer or out of range"},
		{cmd: "QCREATE q MAXDEPTH -1", want: "-ERR MAXDEPTH is not an integer or out of range"},
		{cmd: "QCREATE q MAXRETRIES x", want: "-ERR MAXRETRIES is not an integer or out of range"},
		{cmd: "QCREATE q DLQ q", want: "-ERR a queue cannot be its own dead-letter queue"},
		{cmd: "QCREATE q MAXDEPTH", want: "-ERR syntax error"},
		{cmd: "QCREATE q BOGUS 1", want: "-ERR syntax error"},
		{cmd: "SET s x", want: "+OK"},
		{cmd: "QCREATE s", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "QCREATE q DLQ s", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "QPUBLISH s x", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "QCREATE q MAXDEPTH 3 ACKDEADLINE 60000 MAXRETRIES 2 DLQ dlq", want: "+OK"},
		{cmd: "QCREATE q", want: "-ERR queue 'q' already exists"},
		{cmd: "TYPE q", want: "+queue"},
		{cmd: "TYPE dlq", want: "+queue"},
		{cmd: "QLIST", want: `["dlq" "q"]`},
		{cmd: "QLIST MATCH d*", want: `["dlq"]`},
		{cmd: "QPUBLISH q a PRIORITY 10", want: "-ERR PRIORITY must be an integer from 0 to 9"},
		{cmd: "QPUBLISH q a PRIORITY -1", want: "-ERR PRIORITY must be an integer from 0 to 9"},
		{cmd: "QPUBLISH q a DELAY -1", want: "-ERR DELAY is not an integer or out of range"},
		{cmd: "QPUBLISH q a PRIORITY", want: "-ERR syntax error"},
		{cmd: "QPUBLISH q low", want: `"1"`},
		{cmd: "QPUBLISH q high PRIORITY 9", want: `"2"`},
		{cmd: "QPUBLISH q mid PRIORITY 5", want: `"3"`},
		{cmd: "QPUBLISH q over", want: "-QUEUEFULL queue holds 3 messages, its MAXDEPTH is 3"},
		{cmd: "QPEEK q COUNT 2", want: `[["id" "2-0" "payload" "high" "priority" :9 "deliveries" :0] ["id" "3-0" "payload" "mid" "priority" :5 "deliveries" :0]]`},
		{cmd: "QPEEK q COUNT 0", want: "-ERR COUNT must be a positive integer"},
		{cmd: "QCONSUME q c COUNT 0", want: "-ERR COUNT must be a positive integer"},
		{args: []string{"QCONSUME", "q", ""}, want: "-ERR consumer name must be 1 to 256 bytes"},
		{args: []string{"QCONSUME", "q", strings.Repeat("c", 257)}, want: "-ERR consumer name must be 1 to 256 bytes"},
		{cmd: "QCONSUME q c COUNT 2", want: `[["id" "2-1" "payload" "high" "priority" :9 "deliveries" :1] ["id" "3-1" "payload" "mid" "priority" :5 "deliveries" :1]]`},
		{cmd: "QACK q 2", want: "-ERR invalid message id, expected <message>-<delivery> as QCONSUME gave it"},
		{cmd: "QACK q 2-0", want: "-ERR invalid message id, expected <message>-<delivery> as QCONSUME gave it"},
		{cmd: "QACK q 2-1 2-1 9-1 1-1", want: ":1"}, // 1 is ready, not held: nothing to ack
		{cmd: "QNACK q 3-1 SOMETIMES", want: "-ERR syntax error"},
		{cmd: "QNACK q 3-1", want: ":1"},
		{cmd: "QNACK q 3-1", want: ":0"}, // that delivery is over
		{cmd: "QCONSUME q c", want: `[["id" "3-2" "payload" "mid" "priority" :5 "deliveries" :2]]`},
		{cmd: "QNACK q 3-2 DROP", want: ":1"}, // rejected: to the dead-letter queue
		{cmd: "QCONSUME q c COUNT 5", want: `[["id" "1-1" "payload" "low" "priority" :0 "deliveries" :1]]`},
		{cmd: "QCONSUME q c", want: `[]`},
		{cmd: "QCONSUME q c BLOCK 20", want: "nil-array"},
		{cmd: "QSTATS q", want: `["depth" :1 "ready" :0 "delayed" :0 "in_flight" :1 "dead_pending" :0 "published" :3 "delivered" :4 "redelivered" :1 "acked" :1 "nacked" :2 "dead_lettered" :1 "dropped" :0 "max_depth" :3 "ack_deadline_ms" :60000 "max_retries" :2 "dlq" "dlq"]`},
		{cmd: "QPEEK dlq", want: `[["id" "1-0" "payload" "mid" "priority" :5 "deliveries" :0]]`},
		{cmd: "QPUBLISH q later DELAY 100000", want: `"4"`},
		{cmd: "QPEEK q", want: `[]`},
		{cmd: "QPURGE q", want: ":1"}, // the delayed one; the held one stays
		{cmd: "QSTATS dlq", want: `["depth" :1 "ready" :1 "delayed" :0 "in_flight" :0 "dead_pending" :0 "published" :1 "delivered" :0 "redelivered" :0 "acked" :0 "nacked" :0 "dead_lettered" :0 "dropped" :0 "max_depth" :0 "ack_deadline_ms" :30000 "max_retries" :0 "dlq" nil]`},
		{cmd: "OBJECT ENCODING q", want: `"queue"`},
		{cmd: "QDELETE s", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "QDELETE q", want: ":1"},
		{cmd: "QDELETE q", want: ":0"},
		{cmd: "DEL dlq", want: ":1"},
		{cmd: "QLIST", want: `[]`},
		{cmd: "QLIST MATCH", want: "-ERR syntax error"},
		// RESP3: each message a map, a timeout a null.
		{cmd: "HELLO 3", want: `{"server":"redis" "version":"7.0.15" "proto"::3 "id"::1 "mode":"standalone" "role":"master" "modules":[]}`},
		{cmd: "QCREATE r", want: "+OK"},
		{cmd: "QPUBLISH r x PRIORITY 2", want: `"1"`},
		{cmd: "QCONSUME r c", want: `[{"id":"1-1" "payload":"x" "priority"::2 "deliveries"::1}]`},
		{cmd: "QCONSUME r c BLOCK 10", want: "null"},
		{cmd: "QSTATS r", want: `{"depth"::1 "ready"::0 "delayed"::0 "in_flight"::1 "dead_pending"::0 "published"::1 "delivered"::1 "redelivered"::0 "acked"::0 "nacked"::0 "dead_lettered"::0 "dropped"::0 "max_depth"::0 "ack_deadline_ms"::30000 "max_retries"::0 "dlq":null}`},
	})
}

// Highest priority first, FIFO within a priority, over many messages.
func TestQueuesPriorityOrder(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	qdo(c, "QCREATE", "q")
	r := rand.New(rand.NewPCG(1, 2))
	var want [10][]string
	for i := range 500 {
		p := r.IntN(10)
		v := fmt.Sprintf("m%d", i)
		want[p] = append(want[p], v)
		qdo(c, "QPUBLISH", "q", v, "PRIORITY", strconv.Itoa(p))
	}
	var order []string
	for p := 9; p >= 0; p-- {
		order = append(order, want[p]...)
	}
	var got []string
	for len(got) < 500 {
		reply := qdo(c, "QCONSUME", "q", "c", "COUNT", "7")
		got = append(got, payloads(reply)...)
		if ids := receipts(reply); len(ids) > 0 {
			if n := qdo(c, append([]string{"QACK", "q"}, ids...)...); n != ":"+strconv.Itoa(len(ids)) {
				t.Fatalf("QACK: %s", n)
			}
		}
	}
	if strings.Join(got, ",") != strings.Join(order, ",") {
		t.Fatalf("delivery order differs from priority then FIFO:\n got %v\nwant %v", got[:20], order[:20])
	}
	if got := qdo(c, "QSTATS", "q"); !strings.HasPrefix(got, `["depth" :0 `) {
		t.Fatalf("after acking everything: %s", got)
	}
}

// A message not acked within its deadline is delivered again, to anyone;
// the late consumer's ack of the old delivery is refused, so it cannot
// remove the message from the consumer holding it now.
func TestQueuesRedeliveryAfterDeadline(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "QCREATE q ACKDEADLINE 300", want: "+OK"},
		{cmd: "QPUBLISH q a", want: `"1"`},
		{cmd: "QPUBLISH q b", want: `"2"`},
		{cmd: "QCONSUME q slow COUNT 2", want: `[["id" "1-1" "payload" "a" "priority" :0 "deliveries" :1] ["id" "2-1" "payload" "b" "priority" :0 "deliveries" :1]]`},
		{cmd: "QACK q 2-1", want: ":1"},
		{cmd: "QCONSUME q fast", want: `[]`},
	})
	time.Sleep(400 * time.Millisecond)
	runSteps(t, c, []step{
		{cmd: "QCONSUME q fast", want: `[["id" "1-2" "payload" "a" "priority" :0 "deliveries" :2]]`},
		{cmd: "QACK q 1-1", want: ":0"}, // the slow consumer, too late
		{cmd: "QNACK q 1-1", want: ":0"},
		{cmd: "QACK q 1-2", want: ":1"},
		{cmd: "QSTATS q", want: `["depth" :0 "ready" :0 "delayed" :0 "in_flight" :0 "dead_pending" :0 "published" :2 "delivered" :3 "redelivered" :1 "acked" :2 "nacked" :0 "dead_lettered" :0 "dropped" :0 "max_depth" :0 "ack_deadline_ms" :300 "max_retries" :0 "dlq" nil]`},
	})
}

// waitFor polls cmd until its reply is want (the sweeper runs every
// 100 ms), failing after a few seconds.
func waitFor(t *testing.T, c *resptest.Client, want string, args ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := c.Do(args...)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q: got %s, want %s", args, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// After MAXRETRIES deliveries without an ack the message moves to the
// dead-letter queue by itself (the sweeper), where it can be consumed.
// Without a DLQ it is dropped and counted.
func TestQueuesDeadLetterAfterRetries(t *testing.T) {
	srv := startServer(t)
	c, peek := dial(t, srv), dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "QCREATE q ACKDEADLINE 20 MAXRETRIES 2 DLQ dlq", want: "+OK"},
		{cmd: "QPUBLISH q poison PRIORITY 4", want: `"1"`},
		{cmd: "QCONSUME q c", want: `[["id" "1-1" "payload" "poison" "priority" :4 "deliveries" :1]]`},
	})
	time.Sleep(40 * time.Millisecond)
	runSteps(t, c, []step{
		{cmd: "QCONSUME q c", want: `[["id" "1-2" "payload" "poison" "priority" :4 "deliveries" :2]]`},
	})
	// Nobody touches q again: the sweeper applies the deadline and moves
	// the message.
	waitFor(t, peek, `[["id" "1-0" "payload" "poison" "priority" :4 "deliveries" :0]]`, "QPEEK", "dlq")
	runSteps(t, c, []step{
		{cmd: "QSTATS q", want: `["depth" :0 "ready" :0 "delayed" :0 "in_flight" :0 "dead_pending" :0 "published" :1 "delivered" :2 "redelivered" :1 "acked" :0 "nacked" :0 "dead_lettered" :1 "dropped" :0 "max_depth" :0 "ack_deadline_ms" :20 "max_retries" :2 "dlq" "dlq"]`},
		// Replaying the dead: consume from the DLQ, publish back.
		{cmd: "QCONSUME dlq fixer", want: `[["id" "1-1" "payload" "poison" "priority" :4 "deliveries" :1]]`},
		{cmd: "QPUBLISH q poison PRIORITY 4", want: `"2"`},
		{cmd: "QACK dlq 1-1", want: ":1"},
		{cmd: "QCREATE nodlq ACKDEADLINE 10 MAXRETRIES 1", want: "+OK"},
		{cmd: "QPUBLISH nodlq x", want: `"1"`},
		{cmd: "QCONSUME nodlq c", want: `[["id" "1-1" "payload" "x" "priority" :0 "deliveries" :1]]`},
	})
	waitFor(t, peek, `["depth" :0 "ready" :0 "delayed" :0 "in_flight" :0 "dead_pending" :0 "published" :1 "delivered" :1 "redelivered" :0 "acked" :0 "nacked" :0 "dead_lettered" :0 "dropped" :1 "max_depth" :0 "ack_deadline_ms" :10 "max_retries" :1 "dlq" nil]`, "QSTATS", "nodlq")
}

// A full dead-letter queue keeps the dead in their queue (dead_pending):
// nothing is lost, and they move once there is room.
func TestQueuesDeadLetterQueueFull(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "QCREATE dlq MAXDEPTH 1", want: "+OK"},
		{cmd: "QCREATE q ACKDEADLINE 60000 MAXRETRIES 1 DLQ dlq", want: "+OK"},
		{cmd: "QPUBLISH q a", want: `"1"`},
		{cmd: "QPUBLISH q b", want: `"2"`},
		{cmd: "QCONSUME q c COUNT 2", want: `[["id" "1-1" "payload" "a" "priority" :0 "deliveries" :1] ["id" "2-1" "payload" "b" "priority" :0 "deliveries" :1]]`},
		{cmd: "QNACK q 1-1", want: ":1"}, // retries spent: dead
		{cmd: "QNACK q 2-1", want: ":1"},
	})
	waitFor(t, c, `[["id" "1-0" "payload" "a" "priority" :0 "deliveries" :0]]`, "QPEEK", "dlq", "COUNT", "5")
	runSteps(t, c, []step{
		{cmd: "QSTATS q", want: `["depth" :1 "ready" :0 "delayed" :0 "in_flight" :0 "dead_pending" :1 "published" :2 "delivered" :2 "redelivered" :0 "acked" :0 "nacked" :2 "dead_lettered" :1 "dropped" :0 "max_depth" :0 "ack_deadline_ms" :60000 "max_retries" :1 "dlq" "dlq"]`},
		{cmd: "QPUBLISH dlq manual", want: "-QUEUEFULL queue holds 1 messages, its MAXDEPTH is 1"},
		{cmd: "QCONSUME dlq c", want: `[["id" "1-1" "payload" "a" "priority" :0 "deliveries" :1]]`},
		{cmd: "QACK dlq 1-1", want: ":1"},
	})
	waitFor(t, c, `[["id" "2-0" "payload" "b" "priority" :0 "deliveries" :0]]`, "QPEEK", "dlq", "COUNT", "5")
}

// Concurrent producers and consumers, some of which die holding what they
// took (they never ack, and their connection goes): every message is acked
// exactly once in the end, none is lost, and no consumer ever holds a
// message another consumer holds at the same time (at-least-once, with no
// duplicate while acks are in time).
func TestQueuesConcurrentNoLossNoDuplicates(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	// The deadline is long enough that no consumer of this loaded test
	// machine stalls past it between taking and acking: one that did
	// would rightly see its message delivered to another, which the
	// duplicate count below would take for a fault.
	runSteps(t, admin, []step{{cmd: "QCREATE q ACKDEADLINE 2000", want: "+OK"}})
	const producers, perProducer, consumers = 4, 250, 4
	total := producers * perProducer
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := resptest.Dial(srv.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for i := range perProducer {
				if got := c.Do("QPUBLISH", "q", fmt.Sprintf("p%d-%d", p, i), "PRIORITY", strconv.Itoa(i%3)); !strings.HasPrefix(got, `"`) {
					t.Errorf("QPUBLISH: %s", got)
					return
				}
			}
		}()
	}
	var mu sync.Mutex
	acked := map[string]int{}    // payload → acks that counted
	holding := map[string]bool{} // payloads held by some consumer now
	dup := 0
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for w := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			name := fmt.Sprintf("c%d", w)
			c, err := resptest.Dial(srv.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			defer func() { c.Close() }()
			for ctx.Err() == nil {
				mu.Lock()
				done := len(acked) == total
				mu.Unlock()
				if done {
					return
				}
				reply := c.Do("QCONSUME", "q", name, "COUNT", "5", "BLOCK", "50")
				ids, pls := receipts(reply), payloads(reply)
				mu.Lock()
				for _, p := range pls {
					if holding[p] {
						dup++
					}
					holding[p] = true
				}
				mu.Unlock()
				if len(ids) > 0 && r.IntN(20) == 0 {
					// This consumer dies holding what it took: the
					// deadline gives it back to the others.
					mu.Lock()
					for _, p := range pls {
						delete(holding, p) // released when its deadline passes, before anyone can get it
					}
					mu.Unlock()
					c.Close()
					if c, err = resptest.Dial(srv.Addr().String()); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				for i, id := range ids {
					mu.Lock()
					delete(holding, pls[i])
					mu.Unlock()
					if r.IntN(10) == 0 {
						c.Do("QNACK", "q", id) // given back: delivered again
						continue
					}
					if got := c.Do("QACK", "q", id); got == ":1" {
						mu.Lock()
						acked[pls[i]]++
						mu.Unlock()
					}
				}
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("timed out with %d of %d acked", len(acked), total)
	}
	if dup != 0 {
		t.Errorf("%d deliveries of a message another consumer held", dup)
	}
	for p := range producers {
		for i := range perProducer {
			if n := acked[fmt.Sprintf("p%d-%d", p, i)]; n != 1 {
				t.Errorf("message p%d-%d acked %d times", p, i, n)
			}
		}
	}
	got := admin.Do("QSTATS", "q")
	if !strings.HasPrefix(got, `["depth" :0 "ready" :0 "delayed" :0 "in_flight" :0 "dead_pending" :0 "published" :1000 `) ||
		!strings.Contains(got, `"acked" :1000 `) {
		t.Errorf("QSTATS at the end: %s", got)
	}
}

// A blocked QCONSUME is served by a QPUBLISH from another connection, and
// by a delayed message becoming due with nobody touching the queue.
func TestQueuesBlockingConsume(t *testing.T) {
	srv := startServer(t)
	a, b := dial(t, srv), dial(t, srv)
	runSteps(t, a, []step{{cmd: "QCREATE q", want: "+OK"}})
	done := make(chan string, 1)
	go func() { done <- b.Do("QCONSUME", "q", "c", "BLOCK", "0") }()
	waitParked(t, srv, 1)
	runSteps(t, a, []step{{cmd: "QPUBLISH q hello PRIORITY 1", want: `"1"`}})
	if got := <-done; got != `[["id" "1-1" "payload" "hello" "priority" :1 "deliveries" :1]]` {
		t.Fatalf("woken by QPUBLISH: %s", got)
	}
	runSteps(t, a, []step{{cmd: "QPUBLISH q later DELAY 150", want: `"2"`}})
	go func() { done <- b.Do("QCONSUME", "q", "c", "BLOCK", "5000") }()
	if got := <-done; got != `[["id" "2-1" "payload" "later" "priority" :0 "deliveries" :1]]` {
		t.Fatalf("woken by a delayed message: %s", got)
	}
	// A deadline passing wakes a waiter too: the message is ready again.
	runSteps(t, a, []step{{cmd: "QDELETE q", want: ":1"}, {cmd: "QCREATE q ACKDEADLINE 100", want: "+OK"},
		{cmd: "QPUBLISH q x", want: `"1"`}, {cmd: "QCONSUME q dies", want: `[["id" "1-1" "payload" "x" "priority" :0 "deliveries" :1]]`}})
	go func() { done <- b.Do("QCONSUME", "q", "c", "BLOCK", "5000") }()
	if got := <-done; got != `[["id" "1-2" "payload" "x" "priority" :0 "deliveries" :2]]` {
		t.Fatalf("woken by a deadline: %s", got)
	}
	// A queue deleted under a waiter ends its wait with the error.
	go func() { done <- b.Do("QCONSUME", "q", "c", "BLOCK", "0") }()
	waitParked(t, srv, 1)
	runSteps(t, a, []step{{cmd: "QDELETE q", want: ":1"}})
	if got := <-done; got != "-ERR no such queue 'q'" {
		t.Fatalf("queue deleted under a waiter: %s", got)
	}
}

// In cluster mode queues are per tenant: the same names are different
// queues, QLIST lists only the caller's, and nothing of one tenant's
// messages reaches another.
func TestQueuesTenantIsolation(t *testing.T) {
	f := startCluster(t)
	alice, bob := f.as(t, "alice-rw"), f.as(t, "bob-rw")
	runSteps(t, alice, []step{
		{cmd: "QCREATE jobs DLQ dead", want: "+OK"},
		{cmd: "QPUBLISH jobs alice-secret", want: `"1"`},
	})
	runSteps(t, bob, []step{
		{cmd: "QLIST", want: `[]`},
		{cmd: "QCONSUME jobs c", want: "-ERR no such queue 'jobs'"},
		{cmd: "QSTATS jobs", want: "-ERR no such queue 'jobs'"},
		{cmd: "QCREATE jobs", want: "+OK"},
		{cmd: "QPUBLISH jobs bob-job", want: `"1"`},
		{cmd: "QCONSUME jobs c", want: `[["id" "1-1" "payload" "bob-job" "priority" :0 "deliveries" :1]]`},
		{cmd: "QACK jobs 1-1", want: ":1"},
		{cmd: "QLIST", want: `["jobs"]`},
	})
	runSteps(t, alice, []step{
		{cmd: "QACK jobs 1-1", want: ":0"},
		{cmd: "QLIST", want: `["dead" "jobs"]`},
		{cmd: "QCONSUME jobs c", want: `[["id" "1-1" "payload" "alice-secret" "priority" :0 "deliveries" :1]]`},
	})
	// The sweeper works in each tenant's keyspace: alice's dead letters go
	// to alice's dead, never to a queue of bob's named alike.
	runSteps(t, bob, []step{{cmd: "QCREATE dead", want: "+OK"}})
	runSteps(t, alice, []step{
		{cmd: "QDELETE jobs", want: ":1"},
		{cmd: "QCREATE jobs ACKDEADLINE 10 MAXRETRIES 1 DLQ dead", want: "+OK"},
		{cmd: "QPUBLISH jobs alice-poison", want: `"1"`},
		{cmd: "QCONSUME jobs c", want: `[["id" "1-1" "payload" "alice-poison" "priority" :0 "deliveries" :1]]`},
	})
	waitFor(t, alice, `[["id" "1-0" "payload" "alice-poison" "priority" :0 "deliveries" :0]]`, "QPEEK", "dead")
	runSteps(t, bob, []step{{cmd: "QPEEK dead", want: `[]`}})
}

// What each permission allows (docs/QUEUES.md, "Permissions"): a read-only
// key consumes and inspects but cannot publish or ack; a write-only key
// publishes; acks need read and write; a delete key deletes and purges.
func TestQueuesPermissions(t *testing.T) {
	f := startCluster(t)
	rw := f.as(t, "alice-rw")
	runSteps(t, rw, []step{{cmd: "QCREATE q", want: "+OK"}, {cmd: "QPUBLISH q m1", want: `"1"`}, {cmd: "QPUBLISH q m2", want: `"2"`}})
	ro, w, del := f.as(t, "alice-ro"), f.as(t, "alice-w"), f.as(t, "alice-del")
	runSteps(t, ro, []step{
		{cmd: "QPUBLISH q x", want: "-NOPERM User alice-ro has no permissions to run the 'qpublish' command"},
		{cmd: "QCONSUME q c", want: `[["id" "1-1" "payload" "m1" "priority" :0 "deliveries" :1]]`},
		{cmd: "QPEEK q", want: `[["id" "2-0" "payload" "m2" "priority" :0 "deliveries" :0]]`},
		{cmd: "QLIST", want: `["q"]`},
		{cmd: "QACK q 1-1", want: "-NOPERM User alice-ro has no permissions to run the 'qack' command"},
		{cmd: "QDELETE q", want: "-NOPERM User alice-ro has no permissions to run the 'qdelete' command"},
	})
	runSteps(t, w, []step{
		{cmd: "QPUBLISH q m3", want: `"3"`},
		{cmd: "QCONSUME q c", want: "-NOPERM User alice-w has no permissions to run the 'qconsume' command"},
		{cmd: "QPEEK q", want: "-NOPERM User alice-w has no permissions to run the 'qpeek' command"},
		{cmd: "QACK q 1-1", want: "-NOPERM User alice-w has no permissions to run the 'qack' command"},
		{cmd: "QCREATE q2", want: "-NOPERM User alice-w has no permissions to run the 'qcreate' command"},
		{cmd: "QPURGE q", want: "-NOPERM User alice-w has no permissions to run the 'qpurge' command"},
	})
	runSteps(t, rw, []step{{cmd: "QACK q 1-1", want: ":1"}})
	runSteps(t, del, []step{
		{cmd: "QPURGE q", want: ":2"},
		{cmd: "QDELETE q", want: ":1"},
	})
}

// Queues count in the tenant's storage quota, each message at its payload
// plus engine.QueueMsgCharge; at the quota publishing is refused while
// consuming and acking (which free storage) still work.
func TestQueuesStorageQuota(t *testing.T) {
	setCarolLimits(t, "{storage_limit_bytes: 4000, monthly_operations_limit: -1, max_keys: -1, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_payload_bytes: -1}")
	f := startCluster(t)
	c := f.as(t, "carol-rw")
	runSteps(t, c, []step{{cmd: "QCREATE q", want: "+OK"}})
	ns := f.srv.Eng.Namespace((&tenant.Principal{UserID: "carol"}).Namespace())
	base := ns.Bytes()
	if want := int64(1) + engine.KeyCharge + engine.QueueCharge; base != want {
		t.Fatalf("an empty queue accounts %d bytes, want %d", base, want)
	}
	payload := strings.Repeat("x", 100)
	n := 0
	var refused string
	for ; n < 100; n++ {
		if got := c.Do("QPUBLISH", "q", payload); !strings.HasPrefix(got, `"`) {
			refused = got
			break
		}
		if got, want := ns.Bytes(), base+int64(n+1)*(100+engine.QueueMsgCharge); got != want {
			t.Fatalf("after %d messages the namespace accounts %d bytes, want %d", n+1, got, want)
		}
	}
	if want := (4000 - base) / (100 + engine.QueueMsgCharge); int64(n) != want {
		t.Errorf("published %d messages before the quota, want %d", n, want)
	}
	if !strings.HasPrefix(refused, "-QUOTA storage quota exceeded: used ") {
		t.Fatalf("over the quota: %s", refused)
	}
	reply := c.Do("QCONSUME", "q", "c")
	ids := receipts(reply)
	if len(ids) != 1 {
		t.Fatalf("QCONSUME at the quota: %s", reply)
	}
	runSteps(t, c, []step{{cmd: "QACK q " + ids[0], want: ":1"}})
	if got := c.Do("QPUBLISH", "q", payload); !strings.HasPrefix(got, `"`) {
		t.Errorf("after an ack freed room: %s", got)
	}
}

// The write hook lets a replay rebuild the same queues, in-flight
// deliveries, deadlines, dead letters and counters included: the records
// of a workload (publishes, delays, consumes, blocked consumes served,
// acks, nacks, deadlines passing and dead-lettering by the sweeper) are
// replayed into an empty server at their times, and every queue's whole
// state compares equal.
func TestQueuesReplayRebuildsState(t *testing.T) {
	src, dst := startServer(t), startServer(t)
	rec := &recorder{}
	src.SetWriteHook(rec)
	a, b := dial(t, src), dial(t, src)
	runSteps(t, a, []step{
		{cmd: "QCREATE q ACKDEADLINE 40 MAXRETRIES 2 DLQ dlq MAXDEPTH 100", want: "+OK"},
		{cmd: "QCREATE other", want: "+OK"},
	})
	done := make(chan string, 1)
	go func() { done <- b.Do("QCONSUME", "other", "w", "COUNT", "3", "BLOCK", "0") }()
	waitParked(t, src, 1)
	r := rand.New(rand.NewPCG(3, 4))
	var held []string
	for i := range 200 {
		switch r.IntN(6) {
		case 0, 1:
			a.Do("QPUBLISH", "q", fmt.Sprintf("m%d", i), "PRIORITY", strconv.Itoa(r.IntN(10)))
		case 2:
			a.Do("QPUBLISH", "q", fmt.Sprintf("d%d", i), "DELAY", strconv.Itoa(r.IntN(60)))
		case 3:
			held = append(held, receipts(a.Do("QCONSUME", "q", "c"+strconv.Itoa(r.IntN(3)), "COUNT", "2"))...)
		case 4:
			if len(held) > 0 {
				j := r.IntN(len(held))
				if r.IntN(2) == 0 {
					a.Do("QACK", "q", held[j])
				} else {
					a.Do("QNACK", "q", held[j], []string{"REQUEUE", "DROP"}[r.IntN(2)])
				}
				held = append(held[:j], held[j+1:]...)
			}
		case 5:
			time.Sleep(5 * time.Millisecond)
		}
	}
	a.Do("QPUBLISH", "other", "wake")
	if got := <-done; !strings.Contains(got, `"wake"`) {
		t.Fatalf("blocked consumer: %s", got)
	}
	time.Sleep(300 * time.Millisecond) // deadlines pass, the sweeper dead-letters
	// From here neither server's sweeper may act on the real clock: src's
	// would change what was recorded, dst's what was replayed.
	holdSweeper(t, src)
	holdSweeper(t, dst)
	a.Do("QSTATS", "q")
	recs := rec.take()
	at := engine.NowMs()
	conn := dial(t, dst)
	replay(t, dst, recs, func(Keyspace) *resptest.Client { return conn })
	want, got := dumpData(src, at), dumpData(dst, at)
	if !maps.Equal(want, got) {
		compareData(t, want, got)
	}
	if !strings.Contains(want["\x00dlq"], "ready{") {
		t.Errorf("the workload dead-lettered nothing, so the test proves less than it says: %s", want["\x00dlq"])
	}
}

// holdSweeper keeps srv's queue sweeper from starting a pass until the
// test ends (a pass under way finishes first).
func holdSweeper(t *testing.T, srv *Server) {
	sw := sweeperOf(srv)
	sw.pass.Lock()
	t.Cleanup(sw.pass.Unlock)
}

// A queue name in an error is cut to 128 bytes and kept on one line, so a
// hostile name cannot forge a reply or grow an error without bound.
func TestQueuesErrorNames(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	long := strings.Repeat("n", 1000)
	runSteps(t, c, []step{
		{args: []string{"QSTATS", "a\r\n+OK"}, want: "-ERR no such queue 'a  +OK'"},
		{args: []string{"QPUBLISH", long, "x"}, want: "-ERR no such queue '" + long[:128] + "'"},
		{args: []string{"QCREATE", long}, want: "+OK"},
		{args: []string{"QCREATE", long}, want: "-ERR queue '" + long[:128] + "' already exists"},
		{cmd: "PING", want: "+PONG"},
	})
}

// A consume whose reply passes the reply bound is answered with the
// reply-size error and stops taking messages there; the ones it took are
// not lost: they come back when their deadline passes. The rest were
// never taken.
func TestQueuesConsumeOverReplyBound(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.OutputBufferLimits.Normal.Hard = 4096 })
	c := dial(t, srv)
	runSteps(t, c, []step{{cmd: "QCREATE q ACKDEADLINE 300", want: "+OK"}})
	big := strings.Repeat("x", 1000)
	for range 10 {
		qdo(c, "QPUBLISH", "q", big)
	}
	if got := c.Do("QCONSUME", "q", "c", "COUNT", "10"); !strings.HasPrefix(got, "-ERR reply") {
		t.Fatalf("QCONSUME of 10 KB under a 4 KB bound: %.80s", got)
	}
	stats := c.Do("QSTATS", "q")
	// Each message's reply is about 1,060 bytes: three fit in 4 KB, the
	// fourth passes the bound, and no fifth is taken.
	if !strings.Contains(stats, `"in_flight" :4 `) {
		t.Errorf("the dropped reply should have taken the 3 messages that fit and the one that did not: %s", stats)
	}
	time.Sleep(400 * time.Millisecond)
	got, again := 0, 0
	for got < 10 {
		reply := c.Do("QCONSUME", "q", "c", "COUNT", "2")
		ids := receipts(reply)
		if len(ids) == 0 {
			t.Fatalf("after %d messages: %.80s", got, reply)
		}
		again += strings.Count(reply, `"deliveries" :2`)
		if n := c.Do(append([]string{"QACK", "q"}, ids...)...); n != ":"+strconv.Itoa(len(ids)) {
			t.Fatalf("QACK: %s", n)
		}
		got += len(ids)
	}
	if again != 4 {
		t.Errorf("%d messages came back for a second delivery, want the 4 the dropped reply took", again)
	}
}

// Inside MULTI a BLOCK times out at once; a queue renamed keeps its
// messages and deliveries.
func TestQueuesMultiAndRename(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "QCREATE q", want: "+OK"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "QCONSUME q c BLOCK 0", want: "+QUEUED"},
		{cmd: "QPUBLISH q a", want: "+QUEUED"},
		{cmd: "QCONSUME q c BLOCK 0", want: "+QUEUED"},
		{cmd: "EXEC", want: `[nil-array "1" [["id" "1-1" "payload" "a" "priority" :0 "deliveries" :1]]]`},
		{cmd: "RENAME q r", want: "+OK"},
		{cmd: "QACK r 1-1", want: ":1"},
		{cmd: "COPY r s", want: ":1"},
		{cmd: "QPUBLISH s b", want: `"2"`},
		{cmd: "QSTATS r", want: `["depth" :0 "ready" :0 "delayed" :0 "in_flight" :0 "dead_pending" :0 "published" :1 "delivered" :1 "redelivered" :0 "acked" :1 "nacked" :0 "dead_lettered" :0 "dropped" :0 "max_depth" :0 "ack_deadline_ms" :30000 "max_retries" :0 "dlq" nil]`},
	})
}

// A queue renamed while it holds a delivery is still advanced by the
// sweeper under its new name: a consumer waiting on it gets the message
// back when the deadline passes.
func TestQueuesRenamedQueueSwept(t *testing.T) {
	srv := startServer(t)
	a, b := dial(t, srv), dial(t, srv)
	runSteps(t, a, []step{
		{cmd: "QCREATE q ACKDEADLINE 100", want: "+OK"},
		{cmd: "QPUBLISH q x", want: `"1"`},
		{cmd: "QCONSUME q dies", want: `[["id" "1-1" "payload" "x" "priority" :0 "deliveries" :1]]`},
		{cmd: "RENAME q r", want: "+OK"},
	})
	runSteps(t, b, []step{{cmd: "QCONSUME r c BLOCK 5000", want: `[["id" "1-2" "payload" "x" "priority" :0 "deliveries" :2]]`}})
}
