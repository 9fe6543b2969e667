package commands

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"synap/tenant"
)

// TestExecRefusedWhileWritesAre: while writes are refused (MISCONF), a
// transaction holding a write is refused whole at EXEC with Redis 7.0's
// reply, even when its writes were queued before the refusal began; a
// write sent inside MULTI during the refusal is refused there and dooms
// the transaction; a read-only transaction runs. (Checked against
// redis-server 7.0.15 made to fail its snapshots: the same replies.)
func TestExecRefusedWhileWritesAre(t *testing.T) {
	const misconf = "MISCONF Errors writing to the AOF file: No space left on device"
	srv := startServer(t)
	fp := &fakePersist{}
	srv.SetPersistence(fp)
	refuse := func(msg string) {
		fp.mu.Lock()
		fp.refuse = msg
		fp.mu.Unlock()
	}
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET k old", want: "+OK"},
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET k new", want: "+QUEUED"},
		{cmd: "GET k", want: "+QUEUED"},
	})
	refuse(misconf)
	runSteps(t, c, []step{
		{cmd: "EXEC", want: "-EXECABORT Transaction discarded because of: " + misconf},
		{cmd: "EXEC", want: "-ERR EXEC without MULTI"},
		{cmd: "GET k", want: `"old"`},
		// Reads only: they run.
		{cmd: "MULTI", want: "+OK"},
		{cmd: "GET k", want: "+QUEUED"},
		{cmd: "EXEC", want: `["old"]`},
		// A write sent during the refusal is refused as it is queued.
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET k new", want: "-" + misconf},
		{cmd: "GET k", want: "+QUEUED"},
		{cmd: "EXEC", want: "-EXECABORT Transaction discarded because of previous errors."},
		{cmd: "GET k", want: `"old"`},
	})
	refuse("")
	runSteps(t, c, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET k new", want: "+QUEUED"},
		{cmd: "EXEC", want: "[+OK]"},
		{cmd: "GET k", want: `"new"`},
	})
}

// eventBeforeRecord is a write hook that notes, for each record, whether a
// keyspace event of it was already on its way to a subscriber (queued, or
// pushed to sub) when the record reached the hook.
type eventBeforeRecord struct {
	srv   *Server
	sub   *Session
	early atomic.Int32
	recs  atomic.Int32
}

func (h *eventBeforeRecord) Write(Record) {
	h.recs.Add(1)
	if h.srv.notif.bytes.Load() > 0 || h.sub.HasPushes() {
		h.early.Add(1)
	}
}

// TestKeyspaceEventsAfterTheirRecords: a keyspace event is raised only
// once its write's record is in the log (for a transaction, once EXEC's
// records are): with appendfsync always a subscriber's push then waits
// for that record to be durable like any reply, and never tells of a
// write a crash could still lose.
func TestKeyspaceEventsAfterTheirRecords(t *testing.T) {
	srv := startServer(t)
	sub, err := srv.NewSession(tenant.SurfaceRESP, LocalTransport{Remote: "sub", Local: "sub"})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	h := &eventBeforeRecord{srv: srv, sub: sub}
	srv.SetWriteHook(h)
	c, err := srv.NewSession(tenant.SurfaceRESP, LocalTransport{Remote: "c", Local: "c"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	do := func(s *Session, args ...string) string {
		b := make([][]byte, len(args))
		for i, a := range args {
			b[i] = []byte(a)
		}
		v, err := srv.Call(context.Background(), s, b...)
		if err != nil {
			t.Fatal(err)
		}
		return v.String()
	}
	do(c, "CONFIG", "SET", "notify-keyspace-events", "KA")
	do(sub, "PSUBSCRIBE", "__keyspace@0__:*")
	got, want := 0, 0
	// events waits for the n events the last command raised, so that the
	// hook sees only the next command's.
	events := func(n int) {
		want += n
		for got < want {
			got += sub.TakePushes(sub.W)
			sub.W.Reset()
			time.Sleep(time.Microsecond)
		}
	}
	for i := range 200 {
		k := "k" + strconv.Itoa(i)
		do(c, "SET", k, "v")
		events(1)
		do(c, "RPUSH", "l"+k, "a", "b")
		events(1)
		do(c, "MULTI")
		do(c, "SET", k, "w")
		do(c, "INCR", "n"+k)
		do(c, "EXEC")
		events(2)
	}
	if n := h.early.Load(); n > 0 {
		t.Fatalf("%d of %d records reached the log after their keyspace event was raised", n, h.recs.Load())
	}
}
