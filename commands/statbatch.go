package commands

import "time"

// Server-wide statistics gathered per connection. Every command used to add
// to shared atomics (INFO's totals, the command's COMMANDSTATS row): one
// cache line written by every core for every command of every tenant. A
// connection now counts into its own record and adds it to the shared
// counters with each batch of input, before the batch's replies are sent,
// as it does for its tenant's counters: a client never sees a reply before
// the counts that go with it, so INFO stays exact from any client's view.

// statPending is one connection's uncounted statistics.
type statPending struct {
	cmd                 *Command // the row calls, usec and failed belong to
	calls, usec, failed int64
	commands            int64 // total_commands_processed
	failedCalls         int64
	hits, misses        int64
	// lat is the current command's latencies by bucket, nlat of them.
	lat   [8]latPend
	nlat  uint8
	latNs int64
}

// countCall records one call of cmd that ran for dur, in its latency
// histogram too when latency is set (latency-tracking).
func (c *Client) countCall(cmd *Command, dur time.Duration, latency, failed bool) {
	p := &c.stat
	if p.cmd != cmd {
		p.flushCmd()
		p.cmd = cmd
	}
	p.calls++
	p.usec += int64(dur / time.Microsecond)
	if latency {
		p.noteLatency(int64(dur))
	}
	p.commands++
	if failed {
		p.failed++
		p.failedCalls++
	}
	if p.commands >= pendFlushEvery {
		c.flushStats()
	}
}

// flushCmd adds the gathered calls to their command's row.
func (p *statPending) flushCmd() {
	if p.cmd == nil {
		return
	}
	p.flushLatency()
	st := p.cmd.stats
	if p.calls > 0 {
		st.calls.Add(p.calls)
		st.usec.Add(p.usec)
	}
	if p.failed > 0 {
		st.failed.Add(p.failed)
	}
	p.cmd, p.calls, p.usec, p.failed = nil, 0, 0, 0
}

// flushStats adds the connection's gathered statistics to the server's.
func (c *Client) flushStats() {
	p := &c.stat
	p.flushCmd()
	st := &c.srv.Stats
	if p.commands > 0 {
		st.Commands.Add(p.commands)
	}
	if p.failedCalls > 0 {
		st.FailedCalls.Add(p.failedCalls)
	}
	if p.hits > 0 {
		st.KeyspaceHits.Add(p.hits)
	}
	if p.misses > 0 {
		st.KeyspaceMisses.Add(p.misses)
	}
	*p = statPending{}
}
