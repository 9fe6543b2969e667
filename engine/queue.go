package engine

import (
	"cmp"
	"container/heap"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// QueuePriorities is the number of priority levels (0..9, 9 delivered first).
const QueuePriorities = 10

// QueueMsgCharge is what each message held by a queue costs beyond its
// payload (and its consumer's name while in flight): the message record,
// its slot in a priority FIFO, and while delayed or in flight its heap
// item and in-flight map slot, at the worst moment (each just after it
// doubled). Measured as the live heap after a GC (TestQueueChargeCoversHeap,
// Go 1.26 amd64), payloads of 0 to 128 bytes, beyond the payload: ready
// 106-122 bytes, delayed 121-137, in flight 153-169. QueueCharge is the
// queue's own structure (header, ten FIFO headers, the in-flight map and
// heaps), measured with one message per queue: 560-600 bytes beyond the
// key's and the message's charges.
const (
	QueueMsgCharge = 192
	QueueCharge    = 640
)

// QueueMsg is one message of a queue.
type QueueMsg struct {
	ID       uint64
	Payload  []byte
	Priority uint8
	// Deliveries counts how many times it was handed to a consumer.
	Deliveries int64
	// Consumer holds it while in flight, until Deadline (unix ms).
	Consumer string
	Deadline int64
	// Due is when a delayed message becomes ready (unix ms), 0 when it is.
	Due   int64
	state uint8
	at    int // index in the in-flight heap
}

const (
	msgReady uint8 = iota
	msgDelayed
	msgInFlight
	msgDead
)

// QueueConfig is what QCREATE sets.
type QueueConfig struct {
	MaxDepth    int64 // 0: unbounded (the storage quota still applies)
	AckDeadline int64 // ms
	MaxRetries  int64 // deliveries before dead-lettering; 0: unlimited
	DLQ         string
}

// QueueStats are counters since the queue was created.
type QueueStats struct {
	Published, Delivered, Redelivered, Acked, Nacked, DeadLettered, Dropped int64
}

// Queue is a Synap acknowledgment queue: messages delivered highest
// priority first and FIFO within a priority, held by a consumer until
// acknowledged or until their deadline passes, then delivered again, and
// after MaxRetries deliveries moved aside as dead (to the dead-letter queue
// when one is set, by the caller that holds both keys: TakeDead). Every
// change of state that depends on time happens in Advance(now), called by
// each command with its transaction's clock, so a replay with the same
// clocks rebuilds the same state.
type Queue struct {
	Config QueueConfig
	Stats  QueueStats
	// SweepAt and SweepAs are when and under which key the queue last
	// asked the sweeper to advance it (commands/queues.go): a command
	// finding that request still pending and no later than needed skips
	// the sweeper's shared lock. Not part of the state: Clone leaves them.
	SweepAt int64
	SweepAs string
	next    uint64
	ready   [QueuePriorities]fifo
	delay   msgHeap // by Due
	flight  map[uint64]*QueueMsg
	// flightPeak is the most messages in flight since flight was made.
	flightPeak int
	dl         flightHeap
	dead       []*QueueMsg
	n          int64 // every message held, whatever its state
	size       int64
}

// NewQueue returns an empty queue.
func NewQueue(cfg QueueConfig) *Queue {
	return &Queue{Config: cfg, flight: map[uint64]*QueueMsg{}}
}

type fifo struct {
	items []*QueueMsg
	head  int
}

func (f *fifo) push(m *QueueMsg) { f.items = append(f.items, m) }
func (f *fifo) len() int         { return len(f.items) - f.head }
func (f *fifo) pop() *QueueMsg {
	m := f.items[f.head]
	f.items[f.head] = nil
	f.head++
	if f.head == len(f.items) {
		// Drained: a large backing array goes, so a queue that once held
		// many messages does not keep their slots unaccounted.
		if cap(f.items) > 1024 {
			f.items = nil
		}
		f.items, f.head = f.items[:0], 0
	} else if f.head >= 1024 && f.head*2 >= len(f.items) {
		// Reclaim the consumed front so a long-lived queue's slice does
		// not grow with everything ever published.
		n := copy(f.items, f.items[f.head:])
		clear(f.items[n:])
		f.items, f.head = f.items[:n], 0
	}
	return m
}

// pushFront puts a message back at the head (a requeued message keeps its
// place before newer ones of its priority).
func (f *fifo) pushFront(m *QueueMsg) {
	if f.head > 0 {
		f.head--
		f.items[f.head] = m
		return
	}
	f.items = append(f.items, nil)
	copy(f.items[1:], f.items)
	f.items[0] = m
}

type heapItem struct {
	at int64
	id uint64
	m  *QueueMsg
}

// msgHeap orders delayed messages by when they are due.
type msgHeap []heapItem

func (h msgHeap) Len() int { return len(h) }
func (h msgHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || h[i].at == h[j].at && h[i].id < h[j].id
}
func (h msgHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *msgHeap) Push(x any)   { *h = append(*h, x.(heapItem)) }
func (h *msgHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = heapItem{}
	*h = old[:len(old)-1]
	return it
}

// flightHeap orders in-flight messages by deadline; each message knows its
// place (QueueMsg.at), so an ack or nack removes it at once rather than
// leaving an item that would keep the message alive until its deadline.
type flightHeap []*QueueMsg

func (h flightHeap) Len() int { return len(h) }
func (h flightHeap) Less(i, j int) bool {
	return h[i].Deadline < h[j].Deadline || h[i].Deadline == h[j].Deadline && h[i].ID < h[j].ID
}
func (h flightHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].at, h[j].at = i, j
}
func (h *flightHeap) Push(x any) {
	m := x.(*QueueMsg)
	m.at = len(*h)
	*h = append(*h, m)
}
func (h *flightHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	m.at = -1
	return m
}

// Size is the bytes the queue holds, its charges included.
func (q *Queue) Size() int64 { return QueueCharge + q.size + q.n*QueueMsgCharge }

// Len is the number of messages held (ready, delayed, in flight, dead).
func (q *Queue) Len() int64 { return q.n }

func (q *Queue) Encoding() string { return "queue" }

// Clone copies the queue with every message in its state.
func (q *Queue) Clone() Object {
	c := NewQueue(q.Config)
	c.Stats, c.next = q.Stats, q.next
	cp := func(m *QueueMsg) *QueueMsg {
		d := *m
		d.Payload = append([]byte(nil), m.Payload...)
		c.n++
		c.size += int64(len(d.Payload) + len(d.Consumer))
		return &d
	}
	for p := range q.ready {
		f := &q.ready[p]
		for _, m := range f.items[f.head:] {
			c.ready[p].push(cp(m))
		}
	}
	for _, it := range q.delay {
		heap.Push(&c.delay, heapItem{it.at, it.id, cp(it.m)})
	}
	for _, m := range q.dl {
		d := cp(m)
		c.flight[d.ID] = d
		heap.Push(&c.dl, d)
	}
	for _, m := range q.dead {
		c.dead = append(c.dead, cp(m))
	}
	return c
}

// Counts reports messages by state.
func (q *Queue) Counts() (ready, delayed, inFlight, dead int64) {
	for p := range q.ready {
		ready += int64(q.ready[p].len())
	}
	return ready, int64(len(q.delay)), int64(len(q.flight)), int64(len(q.dead))
}

// Full reports whether publishing n more messages would pass MaxDepth.
func (q *Queue) Full(n int64) bool { return q.Config.MaxDepth > 0 && q.n+n > q.Config.MaxDepth }

// Publish adds a message, ready at once or delayed until due, and returns
// its id.
func (q *Queue) Publish(payload []byte, prio uint8, due, now int64) uint64 {
	q.next++
	m := &QueueMsg{ID: q.next, Payload: append([]byte(nil), payload...), Priority: prio}
	q.n++
	q.size += int64(len(payload))
	q.Stats.Published++
	if due > now {
		m.Due, m.state = due, msgDelayed
		heap.Push(&q.delay, heapItem{due, m.ID, m})
	} else {
		q.ready[prio].push(m)
	}
	return m.ID
}

// QueueAdvanceBatch bounds the messages one Advance moves, so a command
// (which holds its shard's lock meanwhile) never pays for a million
// messages falling due together; NextEvent then still reports a time that
// has come, and the sweeper goes on with the rest.
const QueueAdvanceBatch = 4096

// Advance applies what time has done by now: delayed messages that are due
// become ready; in-flight messages past their deadline are ready again, or
// dead once they were delivered MaxRetries times; at most
// QueueAdvanceBatch of them, earliest first. It reports whether anything
// changed. The same state and clock always give the same result, which
// replay relies on.
func (q *Queue) Advance(now int64) bool {
	changed := false
	budget := QueueAdvanceBatch
	for len(q.delay) > 0 && q.delay[0].at <= now && budget > 0 {
		budget--
		m := heap.Pop(&q.delay).(heapItem).m
		m.Due, m.state = 0, msgReady
		q.ready[m.Priority].push(m)
		changed = true
	}
	for len(q.dl) > 0 && q.dl[0].Deadline <= now && budget > 0 {
		budget--
		m := q.dl[0]
		q.release(m)
		q.expire(m)
		changed = true
	}
	return changed
}

// release takes an in-flight message back from its consumer.
func (q *Queue) release(m *QueueMsg) {
	heap.Remove(&q.dl, m.at)
	delete(q.flight, m.ID)
	if len(q.flight) == 0 && q.flightPeak > 1024 {
		// Go maps never shrink: once nothing is in flight, a map grown
		// for many messages is replaced, so its buckets are not held
		// unaccounted.
		q.flight, q.flightPeak = map[uint64]*QueueMsg{}, 0
	}
	q.size -= int64(len(m.Consumer))
	m.Consumer, m.Deadline = "", 0
}

// expire handles a message whose delivery failed (deadline passed or
// nacked with requeue): delivered again unless its retries are spent.
func (q *Queue) expire(m *QueueMsg) {
	if q.Config.MaxRetries > 0 && m.Deliveries >= q.Config.MaxRetries {
		q.kill(m)
		return
	}
	m.state = msgReady
	q.ready[m.Priority].pushFront(m)
}

// kill moves a message aside: to the dead list when there is a dead-letter
// queue to take it, dropped otherwise.
func (q *Queue) kill(m *QueueMsg) {
	if q.Config.DLQ == "" {
		q.drop(m)
		q.Stats.Dropped++
		return
	}
	m.state = msgDead
	q.dead = append(q.dead, m)
}

func (q *Queue) drop(m *QueueMsg) {
	q.n--
	q.size -= int64(len(m.Payload))
}

// NextEvent is the earliest time Advance would change something (0: none),
// and whether dead messages wait for the dead-letter queue.
func (q *Queue) NextEvent() (at int64, dead bool) {
	if len(q.delay) > 0 {
		at = q.delay[0].at
	}
	if len(q.dl) > 0 && (at == 0 || q.dl[0].Deadline < at) {
		at = q.dl[0].Deadline
	}
	return at, len(q.dead) > 0
}

// Consume hands the next ready message to consumer, highest priority
// first, held until now+AckDeadline; nil when none is ready.
func (q *Queue) Consume(consumer string, now int64) *QueueMsg {
	for p := QueuePriorities - 1; p >= 0; p-- {
		f := &q.ready[p]
		if f.len() == 0 {
			continue
		}
		m := f.pop()
		m.Deliveries++
		if m.Deliveries > 1 {
			q.Stats.Redelivered++
		}
		q.Stats.Delivered++
		m.state, m.Consumer, m.Deadline = msgInFlight, consumer, now+q.Config.AckDeadline
		q.size += int64(len(consumer))
		q.flight[m.ID] = m
		q.flightPeak = max(q.flightPeak, len(q.flight))
		heap.Push(&q.dl, m)
		return m
	}
	return nil
}

// HasReady reports whether a consumer would get a message now.
func (q *Queue) HasReady() bool {
	for p := range q.ready {
		if q.ready[p].len() > 0 {
			return true
		}
	}
	return false
}

// Held returns the in-flight message id, if any.
func (q *Queue) Held(id uint64) *QueueMsg { return q.flight[id] }

// Ack removes an in-flight message for good.
func (q *Queue) Ack(m *QueueMsg) {
	q.release(m)
	q.drop(m)
	q.Stats.Acked++
}

// Nack gives an in-flight message back: delivered again (subject to
// MaxRetries) when requeue, dead-lettered or dropped otherwise.
func (q *Queue) Nack(m *QueueMsg, requeue bool) {
	q.release(m)
	q.Stats.Nacked++
	if requeue {
		q.expire(m)
		return
	}
	q.kill(m)
}

// EachReady calls fn with the ready messages in delivery order, unchanged,
// until it returns false.
func (q *Queue) EachReady(fn func(m *QueueMsg) bool) {
	for p := QueuePriorities - 1; p >= 0; p-- {
		f := &q.ready[p]
		for _, m := range f.items[f.head:] {
			if !fn(m) {
				return
			}
		}
	}
}

// Purge removes the messages that are ready or delayed (in-flight ones stay
// with their consumers, as RabbitMQ's purge leaves unacked ones) and
// returns how many.
func (q *Queue) Purge() int64 {
	var n int64
	for p := range q.ready {
		f := &q.ready[p]
		for f.len() > 0 {
			q.drop(f.pop())
			n++
		}
	}
	for _, it := range q.delay {
		q.drop(it.m)
		n++
	}
	q.delay = nil
	return n
}

// TakeDead removes up to max dead messages for the dead-letter queue.
func (q *Queue) TakeDead(max int) []*QueueMsg {
	if max > len(q.dead) {
		max = len(q.dead)
	}
	out := append([]*QueueMsg(nil), q.dead[:max]...)
	clear(q.dead[:max])
	q.dead = q.dead[max:]
	if len(q.dead) == 0 {
		q.dead = nil
	}
	for _, m := range out {
		q.drop(m)
	}
	q.Stats.DeadLettered += int64(len(out))
	return out
}

// FormatID is how a message id is shown and given back.
func FormatID(id uint64) string { return strconv.FormatUint(id, 10) }

// Dump renders the whole state (settings, counters, every message in its
// state and order), for tests that compare a queue with its replay.
func (q *Queue) Dump() string {
	var b []byte
	b = fmt.Appendf(b, "cfg=%+v stats=%+v next=%d n=%d size=%d", q.Config, q.Stats, q.next, q.n, q.size)
	msg := func(tag string, m *QueueMsg) {
		b = fmt.Appendf(b, " %s{%d %q p%d d%d %q dl%d due%d}", tag, m.ID, m.Payload, m.Priority, m.Deliveries, m.Consumer, m.Deadline, m.Due)
	}
	for p := range q.ready {
		f := &q.ready[p]
		for _, m := range f.items[f.head:] {
			msg("ready", m)
		}
	}
	delayed := slices.Clone(q.delay)
	slices.SortFunc(delayed, func(a, b heapItem) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id)) })
	for _, it := range delayed {
		msg("delayed", it.m)
	}
	ids := slices.Sorted(maps.Keys(q.flight))
	for _, id := range ids {
		msg("flight", q.flight[id])
	}
	for _, m := range q.dead {
		msg("dead", m)
	}
	return string(b)
}
