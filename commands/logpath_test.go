package commands

import "testing"

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
