package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// QueueMsgCharge is measured like the other charges (TestChargesCoverHeap):
// a queue filled to the worst moment of its growth (2^k+1 messages, just
// after the FIFO, the in-flight map and the deadline heap doubled), in each
// state a message can be held in, must not hold more live heap than it
// accounts.
func TestQueueChargeCoversHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a few hundred MB of heap")
	}
	const n = 1<<13 + 1
	e := engineNew(t, 16)
	for _, l := range []int{0, 1, 8, 17, 33, 64, 100, 128} {
		for _, state := range []string{"ready", "delayed", "in flight", "ready in many queues"} {
			ns := e.Namespace(fmt.Sprintf("%s/%d", state, l))
			before := liveHeap()
			engineWrite(e, ns, func(tx *Tx) {
				if state == "ready in many queues" {
					for i := range n {
						q := NewQueue(QueueConfig{AckDeadline: 1000})
						q.Publish(chargeMember(i, l)[:l], 3, 0, tx.Now)
						tx.Put(chargeMember(i, 8), NewObject(KindQueue, q))
					}
					return
				}
				q := NewQueue(QueueConfig{AckDeadline: 1000})
				for i := range n {
					due := int64(0)
					if state == "delayed" {
						due = tx.Now + 1000 + int64(i)
					}
					q.Publish(chargeMember(i, l)[:l], uint8(i%10), due, tx.Now)
				}
				if state == "in flight" {
					// The consumer's name is accounted per message held.
					consumeN(q, "consumer-1", n, tx.Now)
				}
				tx.Put([]byte("q"), NewObject(KindQueue, q))
			})
			heap := liveHeap() - before
			if heap > ns.Bytes() {
				t.Errorf("%s, payload of %d bytes: %d bytes of heap (%.1f per message), %d accounted (%.1f)",
					state, l, heap, float64(heap)/n, ns.Bytes(), float64(ns.Bytes())/n)
			}
			t.Logf("%-20s %3d bytes: heap %6.1f, accounted %6.1f per message", state, l, float64(heap)/n, float64(ns.Bytes())/n)
			engineWrite(e, ns, func(tx *Tx) { tx.Flush() })
		}
	}
}

// The namespace accounts a queue's bytes exactly through every change.
func TestQueueAccounting(t *testing.T) {
	e := engineNew(t, 4)
	ns := e.Namespace("t")
	var q *Queue
	check := func(step string) {
		t.Helper()
		want := int64(1) + KeyCharge + QueueCharge
		if q != nil {
			want = int64(1) + KeyCharge + q.Size()
		}
		if got := ns.Bytes(); got != want {
			t.Errorf("%s: %d bytes accounted, want %d", step, got, want)
		}
	}
	engineWrite(e, ns, func(tx *Tx) {
		q = NewQueue(QueueConfig{AckDeadline: 10, MaxRetries: 2, DLQ: "d"})
		en := NewObject(KindQueue, q)
		tx.Put([]byte("q"), en)
		check("empty")
		q.Publish([]byte("hello"), 1, 0, 100)
		q.Publish([]byte("later"), 1, 200, 100)
		tx.Updated([]byte("q"), en)
		if got, want := q.Size(), int64(QueueCharge+10+2*QueueMsgCharge); got != want {
			t.Errorf("two messages: size %d, want %d", got, want)
		}
		check("published")
		m := consumeN(q, "c", 5, 100)
		if len(m) != 1 || string(m[0].Payload) != "hello" {
			t.Fatalf("consumed %v", m)
		}
		tx.Updated([]byte("q"), en)
		if got, want := q.Size(), int64(QueueCharge+10+1+2*QueueMsgCharge); got != want {
			t.Errorf("one in flight: size %d, want %d", got, want)
		}
		check("consumed")
		q.Advance(300) // the delayed one due, the held one past its deadline
		if r, d, f, dead := q.Counts(); r != 2 || d != 0 || f != 0 || dead != 0 {
			t.Errorf("after the deadline: ready %d delayed %d in flight %d dead %d", r, d, f, dead)
		}
		c := q.Clone().(*Queue)
		if c.Dump() != q.Dump() || c.Size() != q.Size() {
			t.Errorf("clone differs:\n%s\n%s", c.Dump(), q.Dump())
		}
		consumeN(q, "c", 5, 300)
		q.Advance(400) // second delivery of "hello" spent its retries
		if r, d, f, dead := q.Counts(); r != 1 || d != 0 || f != 0 || dead != 1 {
			t.Errorf("after retries: ready %d delayed %d in flight %d dead %d", r, d, f, dead)
		}
		taken := q.TakeDead(10)
		if len(taken) != 1 || string(taken[0].Payload) != "hello" {
			t.Errorf("dead: %v", taken)
		}
		tx.Updated([]byte("q"), en)
		check("dead taken")
		if n := q.Purge(); n != 1 || q.Len() != 0 || q.Size() != QueueCharge {
			t.Errorf("purge removed %d, left %d messages of %d bytes", n, q.Len(), q.Size())
		}
		tx.Updated([]byte("q"), en)
		check("purged")
	})
}

// One Advance moves at most QueueAdvanceBatch messages, earliest first, and
// NextEvent still reports a time that has come while more are due.
func TestQueueAdvanceBounded(t *testing.T) {
	q := NewQueue(QueueConfig{AckDeadline: 10})
	n := QueueAdvanceBatch*2 + 5
	for i := range n {
		q.Publish([]byte("m"), 0, 100+int64(i%3), 0)
	}
	for round, want := range []int64{QueueAdvanceBatch, 2 * QueueAdvanceBatch, int64(n)} {
		if !q.Advance(200) {
			t.Fatalf("round %d: nothing changed", round)
		}
		ready, delayed, _, _ := q.Counts()
		if ready != want || delayed != int64(n)-want {
			t.Fatalf("round %d: %d ready, %d delayed; want %d ready", round, ready, delayed, want)
		}
		at, _ := q.NextEvent()
		if more := want < int64(n); more != (at != 0 && at <= 200) {
			t.Fatalf("round %d: next event %d with %d still delayed", round, at, delayed)
		}
	}
	if q.Advance(200) {
		t.Fatal("an Advance with nothing due changed something")
	}
}

// queueRecount is the queue's content summed from its messages, to check
// the counters every operation keeps.
func queueRecount(q *Queue) (n, size int64) {
	add := func(m *QueueMsg) {
		n++
		size += int64(len(m.Payload) + len(m.Consumer))
	}
	for p := range q.ready {
		for _, m := range q.ready[p].items[q.ready[p].head:] {
			add(m)
		}
	}
	for _, it := range q.delay {
		add(it.m)
	}
	for _, m := range q.flight {
		add(m)
	}
	for _, m := range q.dead {
		add(m)
	}
	return n, size
}

// Random operations keep the queue's counts and size equal to a recount,
// the in-flight map and heap in step, and every message in one state.
func TestQueueRandomOperationsKeepCounts(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 11))
		q := NewQueue(QueueConfig{AckDeadline: 5, MaxRetries: int64(r.IntN(3)), DLQ: []string{"", "d"}[r.IntN(2)]})
		now := int64(1000)
		var held []*QueueMsg
		for step := range 2000 {
			now += int64(r.IntN(3))
			switch op := r.IntN(10); {
			case op < 4:
				q.Publish(make([]byte, r.IntN(20)), uint8(r.IntN(10)), now+int64(r.IntN(4)-1), now)
			case op < 6:
				q.Advance(now)
				held = append(held, consumeN(q, fmt.Sprintf("c%d", r.IntN(3)), 1+r.IntN(3), now)...)
			case op < 8 && len(held) > 0:
				i := r.IntN(len(held))
				m := held[i]
				held = append(held[:i], held[i+1:]...)
				q.Advance(now)
				if q.Held(m.ID) != m {
					continue // its deadline passed meanwhile
				}
				switch r.IntN(3) {
				case 0:
					q.Ack(m)
				case 1:
					q.Nack(m, true)
				default:
					q.Nack(m, false)
				}
			case op == 8:
				q.TakeDead(r.IntN(3))
			default:
				if r.IntN(20) == 0 {
					q.Purge()
				} else {
					q.Advance(now)
				}
			}
			n, size := queueRecount(q)
			ready, delayed, inFlight, dead := q.Counts()
			if n != q.n || size != q.size || ready+delayed+inFlight+dead != n || int(inFlight) != len(q.dl) {
				t.Fatalf("seed %d step %d: n %d (recount %d), size %d (recount %d), states %d+%d+%d+%d, heap %d",
					seed, step, q.n, n, q.size, size, ready, delayed, inFlight, dead, len(q.dl))
			}
			for i, m := range q.dl {
				if m.at != i || q.flight[m.ID] != m {
					t.Fatalf("seed %d step %d: in-flight heap out of step at %d", seed, step, i)
				}
			}
		}
	}
}

// consumeN takes up to n messages, as QCONSUME COUNT n does.
func consumeN(q *Queue, consumer string, n int, now int64) []*QueueMsg {
	var out []*QueueMsg
	for range n {
		m := q.Consume(consumer, now)
		if m == nil {
			break
		}
		out = append(out, m)
	}
	return out
}
