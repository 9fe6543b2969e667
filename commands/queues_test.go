package commands

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
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
	dq.Consume(user+"-consumer", 1, tx.Now)
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
		{cmd: "QCREATE q ACKDEADLINE 50", want: "+OK"},
		{cmd: "QPUBLISH q a", want: `"1"`},
		{cmd: "QPUBLISH q b", want: `"2"`},
		{cmd: "QCONSUME q slow COUNT 2", want: `[["id" "1-1" "payload" "a" "priority" :0 "deliveries" :1] ["id" "2-1" "payload" "b" "priority" :0 "deliveries" :1]]`},
		{cmd: "QACK q 2-1", want: ":1"},
		{cmd: "QCONSUME q fast", want: `[]`},
	})
	time.Sleep(80 * time.Millisecond)
	runSteps(t, c, []step{
		{cmd: "QCONSUME q fast", want: `[["id" "1-2" "payload" "a" "priority" :0 "deliveries" :2]]`},
		{cmd: "QACK q 1-1", want: ":0"}, // the slow consumer, too late
		{cmd: "QNACK q 1-1", want: ":0"},
		{cmd: "QACK q 1-2", want: ":1"},
		{cmd: "QSTATS q", want: `["depth" :0 "ready" :0 "delayed" :0 "in_flight" :0 "dead_pending" :0 "published" :2 "delivered" :3 "redelivered" :1 "acked" :2 "nacked" :0 "dead_lettered" :0 "dropped" :0 "max_depth" :0 "ack_deadline_ms" :50 "max_retries" :0 "dlq" nil]`},
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
