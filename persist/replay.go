package persist

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"synap/commands"
)

// replayWindow is how many records recovery holds to put them back in
// sequence order. Records reach the log in the order their writers
// appended them, which for writes on different shards may differ from
// their numbers (and an EXEC's block may have other writes between its
// records in the file); the distance is bounded by how many writers run
// at once, far below this.
const replayWindow = 1 << 16

// replayer applies recovered records through the normal command path, in
// sequence order, each under its own pinned clock.
type replayer struct {
	srv   *commands.Server
	log   *slog.Logger
	after uint64 // records up to this seq are in the snapshot
	h     recHeap
	held  map[uint64]struct{} // the seqs in h

	sessions map[string]*commands.Session
	dbs      map[*commands.Session]int

	inMulti   bool
	multiSess *commands.Session
	multiNext uint64

	Applied, Failed, Dropped int
	// Duplicates counts records whose seq was already applied or held:
	// the writer's broken path writes a failed batch again in the next
	// file, and a write must not be applied twice.
	Duplicates int
	Last       uint64
	// applied is the sequence number applied last.
	applied uint64
	// Err stops recovery: a record the server as configured cannot hold.
	Err error
}

func newReplayer(srv *commands.Server, after uint64, log *slog.Logger) *replayer {
	return &replayer{srv: srv, log: log, after: after, Last: after, applied: after,
		sessions: map[string]*commands.Session{}, dbs: map[*commands.Session]int{}, held: map[uint64]struct{}{}}
}

// add takes a record (its arguments aliasing the reader's buffer).
func (r *replayer) add(rec commands.Record) {
	if rec.Seq > r.Last {
		r.Last = rec.Seq
	}
	if rec.Seq <= r.after {
		return
	}
	if _, dup := r.held[rec.Seq]; dup || rec.Seq <= r.applied {
		r.Duplicates++
		return
	}
	if ks := rec.Keyspace; ks.Tenant == "" && (ks.DB < 0 || ks.DB >= len(r.srv.DBs)) {
		if r.Err == nil {
			r.Err = fmt.Errorf("the log holds writes to database %d but databases is %d: start with --databases %d or more", ks.DB, len(r.srv.DBs), ks.DB+1)
		}
		return
	}
	if r.h.Len() == 0 && rec.Seq == r.applied+1 {
		// In order, as nearly every record is: applied straight from the
		// reader's buffer, with no copy and no heap.
		r.apply(rec)
		return
	}
	heap.Push(&r.h, own(rec))
	r.held[rec.Seq] = struct{}{}
	if r.h.Len() > replayWindow {
		// A number that never comes (its writer was killed before it
		// appended): the window holds far more than any reordering.
		r.apply(r.pop())
	}
	for r.h.Len() > 0 && r.h[0].Seq == r.applied+1 {
		r.apply(r.pop())
	}
}

// finish applies what is held and closes the sessions.
func (r *replayer) finish() {
	for r.h.Len() > 0 {
		r.apply(r.pop())
	}
	if r.inMulti {
		r.discard()
	}
	r.srv.Eng.PinClock(0)
	for _, s := range r.sessions {
		s.Close()
	}
}

func (r *replayer) pop() commands.Record {
	rec := heap.Pop(&r.h).(commands.Record)
	delete(r.held, rec.Seq)
	return rec
}

func (r *replayer) session(ks commands.Keyspace) *commands.Session {
	s := r.sessions[ks.Tenant]
	if s == nil {
		s = r.srv.ReplaySession(commands.Keyspace{Tenant: ks.Tenant})
		r.sessions[ks.Tenant] = s
	}
	if ks.Tenant == "" && r.dbs[s] != ks.DB {
		r.exec(s, [][]byte{[]byte("SELECT"), []byte(strconv.Itoa(ks.DB))}, 0)
		r.dbs[s] = ks.DB
	}
	return s
}

// discard drops a transaction whose EXEC never reached the log: the crash
// came before it was acknowledged, and none of it is applied.
func (r *replayer) discard() {
	r.exec(r.multiSess, [][]byte{[]byte("DISCARD")}, 0)
	r.inMulti = false
	r.Dropped++
	r.log.Warn("recovery: a transaction whose end was never logged is dropped whole (it was never acknowledged)", "seq", r.multiNext)
}

func (r *replayer) apply(rec commands.Record) {
	r.applied = rec.Seq
	if r.inMulti && rec.Seq != r.multiNext {
		r.discard()
	}
	s := r.session(rec.Keyspace)
	r.srv.Eng.PinClock(rec.Time)
	r.exec(s, rec.Args, rec.Seq)
	name := strings.ToLower(string(rec.Args[0]))
	switch {
	case name == "multi":
		r.inMulti, r.multiSess, r.multiNext = true, s, rec.Seq+1
	case r.inMulti:
		r.multiNext = rec.Seq + 1
		if name == "exec" {
			r.inMulti = false
		}
	}
}

func (r *replayer) exec(s *commands.Session, args [][]byte, seq uint64) {
	if w := r.srv.Exec(context.Background(), s, args); w != nil {
		w.Cancel() // a record never blocks; this one would wait forever
	}
	if len(s.W.Buf) > 0 && s.W.Buf[0] == '-' {
		r.Failed++
		if r.Failed <= 10 {
			r.log.Warn("recovery: a record was refused", "seq", seq, "command", string(args[0]),
				"reply", strings.TrimSpace(string(s.W.Buf[1:min(len(s.W.Buf), 200)])))
		}
	} else if seq != 0 {
		r.Applied++
	}
	s.W.Reset()
}

// own copies a record's arguments out of the reader's buffer.
func own(rec commands.Record) commands.Record {
	n := 0
	for _, a := range rec.Args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	args := make([][]byte, len(rec.Args))
	for i, a := range rec.Args {
		buf = append(buf, a...)
		args[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	rec.Args = args
	return rec
}

type recHeap []commands.Record

func (h recHeap) Len() int           { return len(h) }
func (h recHeap) Less(i, j int) bool { return h[i].Seq < h[j].Seq }
func (h recHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *recHeap) Push(x any)        { *h = append(*h, x.(commands.Record)) }
func (h *recHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = commands.Record{}
	*h = old[:len(old)-1]
	return x
}
