package commands

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"synap/resp"
)

// MONITOR streams every command the server runs to the connections that
// asked, one line each, as Redis writes them:
//
//	+1700000000.123456 [0 127.0.0.1:50736] "set" "k" "v"
//
// A command appears once it has run (a failed one too), with the database
// it left the connection in; one refused before running (unknown, arity,
// permissions, limits) does not, nor do admin commands, as in Redis.
// Secrets are redacted as in the slow log, and an argument past 16 KB is
// cut there ("... (N more bytes)"), where Redis quotes it whole.
//
// A monitor's lines are pushes: each is queued on the monitor's own
// session under the pubsub class's output buffer limit, so a monitor that
// reads slowly is disconnected, never waited for. With no monitor a
// command pays one atomic load.
//
// In cluster mode it is the operator's (the table's admin flag): it shows
// every tenant's commands.

func init() {
	register(&Command{Name: "monitor", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale,
		ACL: []string{"admin", "slow", "dangerous"}, Group: "server", Since: "1.0.0", Complexity: "O(1)",
		Summary: "Streams every command the server runs to this connection.", Run: cmdMonitor})
}

type monitors struct {
	mu   sync.Mutex
	list []*Client
	n    atomic.Int32
}

func cmdMonitor(x *Ctx) {
	c := x.C
	if c.inExec {
		// Inside EXEC a reply per command is expected, as in Redis.
		x.Error(errMonitorInExec)
		return
	}
	m := &x.S.mon
	m.mu.Lock()
	if !c.monitoring.Load() {
		c.monitoring.Store(true)
		m.list = append(m.list, c)
		m.n.Store(int32(len(m.list)))
	}
	m.mu.Unlock()
	x.W.OK()
}

// stopMonitor takes c off the monitors (RESET, disconnect).
func (s *Server) stopMonitor(c *Client) {
	m := &s.mon
	m.mu.Lock()
	defer m.mu.Unlock()
	if !c.monitoring.Load() {
		return
	}
	c.monitoring.Store(false)
	for i, o := range m.list {
		if o == c {
			m.list = append(m.list[:i], m.list[i+1:]...)
			break
		}
	}
	m.n.Store(int32(len(m.list)))
}

// feedMonitors sends the line of a command c ran at start to every
// monitor. Only when there is one (the caller checks mon.n).
func (s *Server) feedMonitors(c *Client, cmd *Command, args [][]byte, start time.Time) {
	if cmd.Flags&(FlagAdmin|FlagSkipMonitor) != 0 {
		return
	}
	line := make([]byte, 0, 64)
	line = strconv.AppendInt(line, start.Unix(), 10)
	line = append(line, '.')
	us := strconv.AppendInt(nil, int64(start.Nanosecond()/1000), 10)
	for range 6 - len(us) {
		line = append(line, '0')
	}
	line = append(line, us...)
	line = append(line, " ["...)
	line = strconv.AppendInt(line, int64(c.DB), 10)
	line = append(line, ' ')
	line = append(line, c.Addr...)
	line = append(line, ']')
	for i, a := range args {
		line = append(line, ' ')
		if redacted(cmd, args, i) {
			a = []byte("(redacted)")
		}
		// Quoted, an argument takes up to four times its bytes: Redis
		// sends it whole, but then one client's large value costs every
		// monitor a multiple of it. Cut as the slow log cuts, further on.
		more := len(a) - monitorArgMax
		if more > 0 {
			a = a[:monitorArgMax]
		}
		line = appendRepr(line, a)
		if more > 0 {
			line = append(line[:len(line)-1], "... ("+strconv.Itoa(more)+` more bytes)"`...)
		}
	}
	s.mon.mu.Lock()
	targets := append([]*Client(nil), s.mon.list...)
	s.mon.mu.Unlock()
	for _, m := range targets {
		m.Push(func(w *resp.Writer) { w.Simple(string(line)) })
	}
}

// monitorArgMax is the most of one argument a monitor's line quotes.
const monitorArgMax = 16 << 10

// appendRepr quotes a as Redis's sdscatrepr does: printable bytes as they
// are, quote and backslash escaped, the usual control characters by name
// and any other byte as \xHH.
func appendRepr(b, a []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range a {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch >= 0x20 && ch < 0x7f {
				b = append(b, ch)
			} else {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&15])
			}
		}
	}
	return append(b, '"')
}
