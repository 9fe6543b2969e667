package commands

import (
	"bytes"
	"container/heap"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"synap/engine"
	"synap/resp"
	"synap/tenant"
)

// The queue family: Synap's acknowledgment queues (docs/QUEUES.md), a key
// kind of their own (engine.Queue). Every change that time makes (a
// delayed message due, a deadline passed, retries spent) is applied by
// engine.Queue.Advance with the command's clock, lazily by each command on
// the queue and actively by the queue sweeper (QREAP, below), so replaying
// the recorded commands at their recorded times rebuilds the same state.

const (
	// queueDefaultAckDeadline is how long a consumer holds a message when
	// QCREATE does not say.
	queueDefaultAckDeadline = 30_000
	// queueMaxMs bounds DELAY and ACKDEADLINE (about 34 years), so a
	// deadline added to the clock cannot overflow.
	queueMaxMs = 1 << 40
	// queueMaxConsumer bounds a consumer's name: it is stored with every
	// message it holds.
	queueMaxConsumer = 256
	// queueReapBatch bounds the dead messages one QREAP moves, so one
	// sweep step holds two shards for bounded work.
	queueReapBatch = 1024
)

func init() {
	one := func(name string, arity int, flags Flag, acl []string, complexity, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, ACL: acl,
			Group: "queue", Since: "0.1.0", Complexity: complexity, Summary: summary, Run: run}
	}
	wr := []string{"write", "queue", "fast"}
	rd := []string{"read", "queue", "fast"}
	qcreate := one("qcreate", -2, FlagWrite|FlagDenyOOM, wr, "O(1)",
		"Creates a queue with its depth bound, acknowledgment deadline, retries and dead-letter queue.", cmdQCreate)
	// The dead-letter queue is created with its queue when absent, so it is
	// a key of the command.
	qcreate.FirstKey, qcreate.LastKey, qcreate.Step, qcreate.KeysFn = 0, 0, 0, qcreateKeys
	qpublish := one("qpublish", -3, FlagWrite|FlagDenyOOM|FlagFast, wr, "O(log N) where N is the number of delayed messages",
		"Adds a message to a queue, with a priority and an optional delay.", cmdQPublish)
	qpublish.Reveals = Acknowledges
	// Consuming changes the queue (the message becomes held), but a
	// consumer is a reader: it needs read, and a write-only key, which
	// may feed a queue, cannot take messages out of it.
	qconsume := one("qconsume", -3, FlagWrite|FlagBlocking, []string{"write", "queue", "slow", "blocking"},
		"O(M) where M is the number of messages delivered", "Takes messages from a queue, highest priority first, waiting for one when asked.", cmdQConsume)
	qconsume.Need = tenant.NeedRead
	qack := one("qack", -3, FlagWrite|FlagFast, wr, "O(1) per id", "Acknowledges delivered messages, removing them from the queue.", cmdQAck)
	qnack := one("qnack", -3, FlagWrite|FlagFast, wr, "O(1)", "Gives a delivered message back: delivered again, or dead-lettered.", cmdQNack)
	qpurge := one("qpurge", 2, FlagWrite, []string{"write", "queue", "slow"}, "O(N) where N is the number of messages removed",
		"Removes the ready and delayed messages of a queue.", cmdQPurge)
	qpurge.Need = tenant.NeedDelete
	qpurge.Reveals = Acknowledges
	qdelete := one("qdelete", 2, FlagWrite, []string{"write", "queue", "slow"}, "O(N) where N is the number of messages",
		"Deletes a queue and every message it holds.", cmdQDelete)
	qdelete.Need = tenant.NeedDelete
	qdelete.Reveals = Acknowledges
	qreap := one("qreap", -2, FlagWrite, []string{"write", "queue", "fast"}, "O(M) where M is the number of messages whose time came",
		"Applies what time did to a queue (due delays, passed deadlines) and moves its dead messages to its dead-letter queue.", cmdQReap)
	qreap.LastKey = 2
	qlist := &Command{Name: "qlist", Arity: -1, Flags: FlagReadOnly | FlagKeyspace, ACL: []string{"read", "queue", "slow", "keyspace"},
		Group: "queue", Since: "0.1.0", Complexity: "O(N) where N is the number of keys", Summary: "Lists the queues.", Run: cmdQList}
	// QSTATS and QPEEK report the queue as time left it, so they apply it
	// (Advance) like every other queue command, which changes the queue:
	// rows with the write flag, needing only read. Reporting without
	// applying would mean copying the queue under its lock.
	qstats := one("qstats", 2, FlagWrite|FlagFast, rd, "O(1)", "Returns the counts and settings of a queue.", cmdQStats)
	qstats.Need = tenant.NeedRead
	qpeek := one("qpeek", -2, FlagWrite, []string{"read", "queue", "slow"}, "O(M) where M is the number of messages returned",
		"Returns the next messages a consumer would get, without taking them.", cmdQPeek)
	qpeek.Need = tenant.NeedRead
	register(qcreate, qpublish, qconsume, qack, qnack, qpurge, qdelete, qreap, qlist, qstats, qpeek)
	setPropagation(map[string]Propagation{
		"qcreate": Verbatim, "qpublish": Verbatim, "qconsume": propQConsume, "qack": Verbatim,
		"qnack": Verbatim, "qpurge": Verbatim, "qdelete": Verbatim, "qreap": Verbatim,
		"qstats": Verbatim, "qpeek": Verbatim,
	})
}

// qcreateKeys: the queue, and the dead-letter queue when DLQ is given.
func qcreateKeys(args [][]byte) []int {
	keys := []int{1}
	for i := 2; i+1 < len(args); i += 2 {
		if strEq(args[i], "dlq") {
			keys = append(keys, i+1)
		}
	}
	return keys
}

// propQConsume records a consume without BLOCK: replayed where it ran, it
// finds the messages it took, and must never park the replay.
func propQConsume(p *prop) {
	a, _ := parseQConsume(p.x.Args)
	p.emit([]byte("QCONSUME"), p.x.Args[1], p.x.Args[2], []byte("COUNT"), []byte(strconv.Itoa(a.count)))
}

// queueGet finds the queue under key for a command that may change it,
// applying what time did by now. It replies and returns nil when the key
// is absent or of another kind.
func queueGet(x *Ctx, key []byte) (*engine.Queue, *engine.Entry) {
	en := x.Tx.Get(key)
	if en == nil {
		x.Error(queueErr(errQueueNone, key))
		return nil, nil
	}
	if en.Kind != engine.KindQueue {
		x.Error(resp.ErrWrongType)
		return nil, nil
	}
	q := en.Obj().(*engine.Queue)
	if x.Tx.Writable() {
		if q.Advance(x.Tx.Now) {
			x.Tx.Updated(key, en)
		}
		// Also for a queue renamed or copied, which the sweeper knew
		// under another name or not at all.
		queueSchedule(x, key, q)
	}
	return q, en
}

// queueErr fills a name into an error text as the other errors do: cut
// to 128 bytes and kept on one line.
func queueErr(text string, name []byte) string {
	return sanitize(fmt.Sprintf(text, clip(name, 128)))
}

// queueDone accounts a change and tells the sweeper when the queue next
// needs time applied.
func queueDone(x *Ctx, key []byte, en *engine.Entry, q *engine.Queue) {
	x.Tx.Updated(key, en)
	queueSchedule(x, key, q)
}

func queueSchedule(x *Ctx, key []byte, q *engine.Queue) {
	now := x.Tx.Now
	at, dead := q.NextEvent()
	if dead {
		at = now
	}
	if at == 0 || q.SweepAt > now && q.SweepAt <= at && q.SweepAs == string(key) {
		return // nothing to do, or asked for already and still pending
	}
	if q.SweepAs != string(key) {
		q.SweepAs = string(key)
	}
	q.SweepAt = at
	sweeperOf(x.S).schedule(x.Tx.NS(), q.SweepAs, q.Config.DLQ, at)
}

// parseMs parses a count of milliseconds in [lo, queueMaxMs].
func parseMs(b []byte, lo int64) (int64, bool) {
	n, ok := ParseInt(b)
	return n, ok && n >= lo && n <= queueMaxMs
}

// ---- QCREATE name [MAXDEPTH n] [ACKDEADLINE ms] [MAXRETRIES n] [DLQ name] ----

func parseQCreate(args [][]byte) (cfg engine.QueueConfig, errText string) {
	cfg.AckDeadline = queueDefaultAckDeadline
	for i := 2; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return cfg, resp.ErrSyntax
		}
		v := args[i+1]
		var ok bool
		switch {
		case strEq(args[i], "maxdepth"):
			cfg.MaxDepth, ok = ParseInt(v)
			ok = ok && cfg.MaxDepth >= 0
		case strEq(args[i], "ackdeadline"):
			cfg.AckDeadline, ok = parseMs(v, 1)
		case strEq(args[i], "maxretries"):
			cfg.MaxRetries, ok = ParseInt(v)
			ok = ok && cfg.MaxRetries >= 0
		case strEq(args[i], "dlq"):
			if bytes.Equal(v, args[1]) {
				return cfg, errQueueDLQSelf
			}
			cfg.DLQ, ok = string(v), true
		default:
			return cfg, resp.ErrSyntax
		}
		if !ok {
			return cfg, fmt.Sprintf(errQueueOption, string(bytes.ToUpper(args[i])))
		}
	}
	return cfg, ""
}

func cmdQCreate(x *Ctx) {
	cfg, errText := parseQCreate(x.Args)
	if errText != "" {
		x.Error(errText)
		return
	}
	name := x.Args[1]
	if en := x.Tx.Get(name); en != nil {
		if en.Kind != engine.KindQueue {
			x.Error(resp.ErrWrongType)
		} else {
			x.Error(queueErr(errQueueExists, name))
		}
		return
	}
	dlq := []byte(cfg.DLQ)
	makeDLQ := false
	if cfg.DLQ != "" {
		switch en := x.Tx.Get(dlq); {
		case en == nil:
			makeDLQ = true
		case en.Kind != engine.KindQueue:
			x.Error(resp.ErrWrongType)
			return
		}
	}
	// The key and arguments were checked before the handler; the queues'
	// own structures are what they do not show.
	grow := int64(engine.QueueCharge)
	if makeDLQ {
		grow *= 2
	}
	if !x.GrowthAllowed(grow) {
		return
	}
	x.Tx.Put(name, engine.NewObject(engine.KindQueue, engine.NewQueue(cfg)))
	if makeDLQ {
		x.Tx.Put(dlq, engine.NewObject(engine.KindQueue, engine.NewQueue(engine.QueueConfig{AckDeadline: queueDefaultAckDeadline})))
	}
	x.W.OK()
}

// ---- QPUBLISH name payload [PRIORITY 0-9] [DELAY ms] ----

func cmdQPublish(x *Ctx) {
	var prio, delay int64
	for i := 3; i < len(x.Args); i += 2 {
		if i+1 >= len(x.Args) {
			x.SyntaxError()
			return
		}
		v := x.Args[i+1]
		var ok bool
		switch {
		case strEq(x.Args[i], "priority"):
			prio, ok = ParseInt(v)
			if !ok || prio < 0 || prio >= engine.QueuePriorities {
				x.Error(errQueuePriority)
				return
			}
		case strEq(x.Args[i], "delay"):
			if delay, ok = parseMs(v, 0); !ok {
				x.Error(fmt.Sprintf(errQueueOption, "DELAY"))
				return
			}
		default:
			x.SyntaxError()
			return
		}
	}
	key, payload := x.Args[1], x.Args[2]
	q, en := queueGet(x, key)
	if q == nil {
		return
	}
	if q.Full(1) {
		x.Error(fmt.Sprintf(errQueueFull, q.Len(), q.Config.MaxDepth))
		return
	}
	// The arguments' bytes were checked before the handler; the message's
	// own structure is what they do not show.
	if !x.GrowthAllowed(int64(len(payload)) + engine.QueueMsgCharge) {
		return
	}
	id := q.Publish(payload, uint8(prio), x.Tx.Now+delay, x.Tx.Now)
	queueDone(x, key, en, q)
	x.W.BulkString(engine.FormatID(id))
}

// ---- QCONSUME name consumer [COUNT n] [BLOCK ms] ----

type qconsumeArgs struct {
	count int
	block int64 // -1: do not wait; 0: forever
}

func parseQConsume(args [][]byte) (a qconsumeArgs, errText string) {
	a.count, a.block = 1, -1
	for i := 3; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return a, resp.ErrSyntax
		}
		switch {
		case strEq(args[i], "count"):
			n, ok := ParseInt(args[i+1])
			if !ok || n <= 0 {
				return a, errQueueCount
			}
			a.count = int(min(n, 1<<30))
		case strEq(args[i], "block"):
			n, ok := parseMs(args[i+1], 0)
			if !ok {
				return a, fmt.Sprintf(errQueueOption, "BLOCK")
			}
			a.block = n
		default:
			return a, resp.ErrSyntax
		}
	}
	if len(args[2]) == 0 || len(args[2]) > queueMaxConsumer {
		return a, errQueueConsumer
	}
	return a, ""
}

func cmdQConsume(x *Ctx) {
	a, errText := parseQConsume(x.Args)
	if errText != "" {
		x.Error(errText)
		return
	}
	if qconsumeOnce(x, a) {
		return
	}
	x.Block(x.Args[1:2], time.Duration(a.block)*time.Millisecond, func(y *Ctx) bool {
		a, _ := parseQConsume(y.Args)
		return qconsumeOnce(y, a)
	}, func(y *Ctx) { y.W.NullArray() })
}

// qconsumeOnce delivers what is ready and reports whether it replied: not
// when nothing is ready and the caller may wait (BLOCK; an empty array
// otherwise).
func qconsumeOnce(x *Ctx, a qconsumeArgs) bool {
	key := x.Args[1]
	q, en := queueGet(x, key)
	if q == nil {
		return true // the error is the reply, waiting or not
	}
	if !q.HasReady() {
		queueSchedule(x, key, q)
		if a.block >= 0 {
			return false
		}
		x.W.Array(0)
		return true
	}
	// Written as taken, and no more taken once the reply is over its
	// bound (it is then replaced by the reply-size error; what was taken
	// comes back at its deadline): no list of the messages is built.
	consumer := string(x.Args[2])
	w, mark, n := x.W, x.W.Len(), 0
	for n < a.count && !w.Over() {
		m := q.Consume(consumer, x.Tx.Now)
		if m == nil {
			break
		}
		queueWriteMsg(w, m)
		n++
	}
	w.InsertArray(mark, n)
	queueDone(x, key, en, q)
	return true
}

// queueWriteMsg replies with a message as a map: id (the delivery's
// receipt, "<message>-<delivery>"), payload, priority, deliveries.
func queueWriteMsg(w *resp.Writer, m *engine.QueueMsg) {
	w.Map(4)
	w.BulkString("id")
	w.BulkString(receipt(m))
	w.BulkString("payload")
	w.Bulk(m.Payload)
	w.BulkString("priority")
	w.Int(int64(m.Priority))
	w.BulkString("deliveries")
	w.Int(m.Deliveries)
}

// receipt names one delivery of a message: a consumer whose deadline
// passed cannot acknowledge the message once it went to another, because
// that delivery has another receipt.
func receipt(m *engine.QueueMsg) string {
	return engine.FormatID(m.ID) + "-" + strconv.FormatInt(m.Deliveries, 10)
}

// parseReceipt splits "<message>-<delivery>".
func parseReceipt(b []byte) (id uint64, delivery int64, ok bool) {
	i := bytes.IndexByte(b, '-')
	if i <= 0 || i == len(b)-1 {
		return 0, 0, false
	}
	id, err := strconv.ParseUint(string(b[:i]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	delivery, err = strconv.ParseInt(string(b[i+1:]), 10, 64)
	return id, delivery, err == nil && delivery > 0
}

// held finds the in-flight delivery a receipt names, nil when it is not
// (acknowledged, redelivered, or never given).
func held(q *engine.Queue, id uint64, delivery int64) *engine.QueueMsg {
	if m := q.Held(id); m != nil && m.Deliveries == delivery {
		return m
	}
	return nil
}

// ---- QACK name id [id ...] ----

func cmdQAck(x *Ctx) {
	type rc struct {
		id uint64
		d  int64
	}
	ids := make([]rc, 0, len(x.Args)-2)
	for _, a := range x.Args[2:] {
		id, d, ok := parseReceipt(a)
		if !ok {
			x.Error(errQueueReceipt)
			return
		}
		ids = append(ids, rc{id, d})
	}
	key := x.Args[1]
	q, en := queueGet(x, key)
	if q == nil {
		return
	}
	n := int64(0)
	for _, r := range ids {
		if m := held(q, r.id, r.d); m != nil {
			q.Ack(m)
			n++
		}
	}
	if n > 0 {
		queueDone(x, key, en, q)
	}
	x.W.Int(n)
}

// ---- QNACK name id [REQUEUE|DROP] ----

func cmdQNack(x *Ctx) {
	if len(x.Args) > 4 {
		x.SyntaxError()
		return
	}
	requeue := true
	if len(x.Args) == 4 {
		switch {
		case strEq(x.Args[3], "requeue"):
		case strEq(x.Args[3], "drop"):
			requeue = false
		default:
			x.SyntaxError()
			return
		}
	}
	id, d, ok := parseReceipt(x.Args[2])
	if !ok {
		x.Error(errQueueReceipt)
		return
	}
	key := x.Args[1]
	q, en := queueGet(x, key)
	if q == nil {
		return
	}
	m := held(q, id, d)
	if m == nil {
		x.W.Int(0)
		return
	}
	q.Nack(m, requeue)
	queueDone(x, key, en, q)
	x.W.Int(1)
}

// ---- QPURGE, QDELETE ----

func cmdQPurge(x *Ctx) {
	key := x.Args[1]
	q, en := queueGet(x, key)
	if q == nil {
		return
	}
	n := q.Purge()
	if n > 0 {
		x.Tx.Updated(key, en)
	}
	x.W.Int(n)
}

func cmdQDelete(x *Ctx) {
	en := x.Tx.Get(x.Args[1])
	switch {
	case en == nil:
		x.W.Int(0)
	case en.Kind != engine.KindQueue:
		x.Error(resp.ErrWrongType)
	default:
		x.Tx.Delete(x.Args[1])
		x.W.Int(1)
	}
}

// ---- QREAP name [dlq] ----

// cmdQReap applies what time did to the queue and, when dlq is its
// dead-letter queue, moves its dead messages there (as many as the
// dead-letter queue's MAXDEPTH takes; the rest wait, nothing is lost). The
// sweeper runs it; it is a command so that the move, which changes two
// keys, holds both and is recorded like any write.
func cmdQReap(x *Ctx) {
	if len(x.Args) > 3 {
		x.SyntaxError()
		return
	}
	key := x.Args[1]
	q, en := queueGet(x, key)
	if q == nil {
		return
	}
	moved := int64(0)
	if len(x.Args) == 3 && q.Config.DLQ == string(x.Args[2]) {
		if _, dead := q.NextEvent(); dead {
			moved = queueReap(x, key, en, q, x.Args[2])
		}
	}
	queueSchedule(x, key, q)
	x.W.Int(moved)
}

func queueReap(x *Ctx, key []byte, en *engine.Entry, q *engine.Queue, dlqKey []byte) int64 {
	den := x.Tx.Get(dlqKey)
	if den == nil || den.Kind != engine.KindQueue {
		return 0 // the dead wait in their queue until a DLQ exists again
	}
	dq := den.Obj().(*engine.Queue)
	dq.Advance(x.Tx.Now)
	room := queueReapBatch
	if dq.Config.MaxDepth > 0 {
		room = int(min(int64(room), max(dq.Config.MaxDepth-dq.Len(), 0)))
	}
	dead := q.TakeDead(room)
	for _, m := range dead {
		dq.Publish(m.Payload, m.Priority, 0, x.Tx.Now)
	}
	if len(dead) > 0 {
		x.Tx.Updated(key, en)
		x.Tx.Updated(dlqKey, den)
		queueSchedule(x, dlqKey, dq)
	}
	return int64(len(dead))
}

// ---- QSTATS, QPEEK, QLIST ----

func cmdQStats(x *Ctx) {
	q, _ := queueGet(x, x.Args[1])
	if q == nil {
		return
	}
	ready, delayed, inFlight, dead := q.Counts()
	w := x.W
	w.Map(16)
	kv := func(k string, v int64) { w.BulkString(k); w.Int(v) }
	kv("depth", q.Len())
	kv("ready", ready)
	kv("delayed", delayed)
	kv("in_flight", inFlight)
	kv("dead_pending", dead)
	kv("published", q.Stats.Published)
	kv("delivered", q.Stats.Delivered)
	kv("redelivered", q.Stats.Redelivered)
	kv("acked", q.Stats.Acked)
	kv("nacked", q.Stats.Nacked)
	kv("dead_lettered", q.Stats.DeadLettered)
	kv("dropped", q.Stats.Dropped)
	kv("max_depth", q.Config.MaxDepth)
	kv("ack_deadline_ms", q.Config.AckDeadline)
	kv("max_retries", q.Config.MaxRetries)
	w.BulkString("dlq")
	if q.Config.DLQ == "" {
		w.Null()
	} else {
		w.BulkString(q.Config.DLQ)
	}
}

func cmdQPeek(x *Ctx) {
	count := 1
	if len(x.Args) > 2 {
		if len(x.Args) != 4 || !strEq(x.Args[2], "count") {
			x.SyntaxError()
			return
		}
		n, ok := ParseInt(x.Args[3])
		if !ok || n <= 0 {
			x.Error(errQueueCount)
			return
		}
		count = int(min(n, 1<<30))
	}
	q, _ := queueGet(x, x.Args[1])
	if q == nil {
		return
	}
	w, mark, n := x.W, x.W.Len(), 0
	q.EachReady(func(m *engine.QueueMsg) bool {
		if n == count || w.Over() {
			return false
		}
		queueWriteMsg(w, m)
		n++
		return true
	})
	w.InsertArray(mark, n)
}

// cmdQList lists the caller's queues (of its namespace only: the walk is
// of the session's keyspace), optionally those matching a glob.
func cmdQList(x *Ctx) {
	var g *engine.Glob
	if len(x.Args) == 3 && strEq(x.Args[1], "match") {
		g = engine.NewGlob(x.Args[2], false)
		g.Yielding = true
	} else if len(x.Args) != 1 {
		x.SyntaxError()
		return
	}
	var names [][]byte
	x.Tx.Each(func(k []byte, en *engine.Entry) bool {
		if en.Kind == engine.KindQueue {
			names = append(names, append([]byte(nil), k...))
		}
		return true
	})
	n := 0
	for _, k := range names {
		if g == nil || g.Match(k) {
			names[n] = k
			n++
		}
	}
	names = names[:n]
	slices.SortFunc(names, bytes.Compare) // the walk's order is hash order
	x.W.Array(n)
	for _, k := range names {
		x.W.Bulk(k)
	}
}

// ---- the sweeper ----

// queueSweeper applies time to queues nobody touches: a delayed message
// due, a deadline passed, dead messages to move. Queue commands schedule
// the queue's next event; ten times a second (as key expiry) the sweeper
// runs QREAP on at most queueSweepBatch due queues, through the dispatcher
// on an internal session of the queue's keyspace, so the change is locked,
// recorded and wakes blocked consumers like any command's.
type queueSweeper struct {
	s    *Server
	mu   sync.Mutex
	at   map[queueRef]queueTimer
	h    timerHeap
	once sync.Once
	kick chan struct{}
	// pass is held for each pass over the due queues; tests hold it to
	// keep a server's queues still while they compare its state.
	pass sync.Mutex
}

const queueSweepBatch = 256

type queueRef struct {
	ns   *engine.Namespace
	name string
}

type queueTimer struct {
	at  int64
	dlq string
}

type timerItem struct {
	at  int64
	ref queueRef
}

type timerHeap []timerItem

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerItem)) }
func (h *timerHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

var sweepers sync.Map // *Server → *queueSweeper

func sweeperOf(s *Server) *queueSweeper {
	if v, ok := sweepers.Load(s); ok {
		return v.(*queueSweeper)
	}
	v, _ := sweepers.LoadOrStore(s, &queueSweeper{s: s, at: map[queueRef]queueTimer{}, kick: make(chan struct{}, 1)})
	return v.(*queueSweeper)
}

// schedule asks for QREAP on the queue at time at (or sooner, when already
// asked for sooner). It takes one short mutex; the heap holds at most one
// item per queue whose time moved earlier, plus the ones it replaced,
// which are dropped as they come up.
func (sw *queueSweeper) schedule(ns *engine.Namespace, name, dlq string, at int64) {
	sw.once.Do(func() { go sw.run() })
	ref := queueRef{ns, name}
	sw.mu.Lock()
	cur, ok := sw.at[ref]
	if !ok || at < cur.at {
		sw.at[ref] = queueTimer{at, dlq}
		heap.Push(&sw.h, timerItem{at, ref})
	}
	soon := at <= engine.NowMs()
	sw.mu.Unlock()
	if soon {
		select {
		case sw.kick <- struct{}{}:
		default:
		}
	}
}

// due takes up to n queues whose time has come.
func (sw *queueSweeper) due(now int64, n int) []queueDue {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	var out []queueDue
	for len(sw.h) > 0 && sw.h[0].at <= now && len(out) < n {
		it := heap.Pop(&sw.h).(timerItem)
		cur, ok := sw.at[it.ref]
		if !ok || cur.at != it.at {
			continue // replaced by an earlier time, already taken
		}
		delete(sw.at, it.ref)
		out = append(out, queueDue{it.ref, cur.dlq})
	}
	return out
}

type queueDue struct {
	ref queueRef
	dlq string
}

func (sw *queueSweeper) run() {
	s := sw.s
	c := s.newSession(tenant.SurfaceRESP, LocalTransport{Remote: "queue-sweeper"}, 0)
	c.Authed = true
	tick := time.NewTicker(100 * time.Millisecond)
	defer func() {
		tick.Stop()
		c.Tx.End()
		sweepers.Delete(s)
	}()
	for {
		select {
		case <-s.Done():
			return
		case <-tick.C:
		case <-sw.kick:
		}
		sw.pass.Lock()
		for _, d := range sw.due(engine.NowMs(), queueSweepBatch) {
			args := [][]byte{[]byte("QREAP"), []byte(d.ref.name)}
			if d.dlq != "" {
				args = append(args, []byte(d.dlq))
			}
			c.NS = d.ref.ns
			c.clock = time.Now()
			s.exec(c, args)
			c.W.Reset()
		}
		sw.pass.Unlock()
	}
}
