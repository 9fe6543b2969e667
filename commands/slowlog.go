package commands

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
)

// SLOWLOG: the commands that ran slowlog-log-slower-than microseconds or
// longer, newest first, as Redis keeps them: an id, the unix time, the
// duration, the arguments (at most 32 shown, each cut at 128 bytes,
// secrets redacted), the client's address and name. The log holds at most
// slowlog-max-len entries.
//
// The duration is the command's, from its start to its end under its
// locks, as INFO commandstats counts it: a blocking command counts the
// attempt that registered it, not the time it waited.
//
// It is the server's log: in cluster mode only the operator reads it
// (the table's admin flag), since it shows every tenant's commands and
// their ids count every tenant's slow ones.

func init() {
	adm := func(name string, arity int, summary, complexity string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: FlagAdmin | FlagLoading | FlagStale,
			ACL: []string{"admin", "slow", "dangerous"}, Group: "server", Since: "2.2.12",
			Summary: summary, Complexity: complexity, Run: run}
	}
	register(&Command{Name: "slowlog", Arity: -2, ACL: []string{"slow"}, Group: "server", Since: "2.2.12",
		Summary: "Groups the commands that read and clear the slow log.", Complexity: "Depends on subcommand.",
		Subs: []*Command{
			adm("get", -2, "Returns the slow log's entries, newest first.", "O(N) where N is the number of entries returned", cmdSlowlogGet),
			adm("len", 2, "Returns the number of entries in the slow log.", "O(1)", cmdSlowlogLen),
			adm("reset", 2, "Clears the slow log.", "O(N) where N is the number of entries in the slowlog", cmdSlowlogReset),
			{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: []string{"slow"}, Group: "server",
				Since: "6.2.0", Summary: "Lists the SLOWLOG subcommands and what they do.", Complexity: "O(1)",
				Run: cmdSlowlogHelp},
		}})
	serverParams = append(serverParams,
		intParam("slowlog-log-slower-than", math.MinInt64, math.MaxInt64, func(c *Config) *int64 { return &c.SlowlogSlowerThan }),
		intParam("slowlog-max-len", 0, math.MaxInt64, func(c *Config) *int64 { return &c.SlowlogMaxLen }),
	)
}

// Redis's bounds on what an entry keeps of a command (slowlog.h).
const (
	slowlogMaxArgs   = 32
	slowlogMaxString = 128
)

type slowEntry struct {
	id, at, usec int64
	args         [][]byte
	addr, name   string
}

// slowlog holds the entries, newest last. Past slowlog-max-len the oldest
// are dropped a quarter at a time, not one per new entry: with a long log
// and every command logged, shifting the whole log on each command would
// hold the lock every connection's slow commands take for that long. Only
// the newest slowlog-max-len are ever shown (shown).
type slowlog struct {
	mu      sync.Mutex
	entries []slowEntry
	next    int64
}

// noteSlow logs the command c ran from start for usec microseconds when
// that is slowlog-log-slower-than or more.
func (s *Server) noteSlow(cfg *Config, c *Client, cmd *Command, args [][]byte, usec int64, start time.Time) {
	if cfg.SlowlogSlowerThan < 0 || usec < cfg.SlowlogSlowerThan || cmd.Flags&FlagSkipSlowlog != 0 {
		return
	}
	e := slowEntry{at: start.Unix(), usec: usec, args: slowArgs(cmd, args), addr: c.Addr, name: c.name}
	l := &s.slow
	l.mu.Lock()
	e.id = l.next
	l.next++
	l.entries = append(l.entries, e)
	if keep := cfg.SlowlogMaxLen; int64(len(l.entries)) > keep+keep/4+16 {
		drop := len(l.entries) - int(keep)
		clear(l.entries[:drop])
		l.entries = append(l.entries[:0], l.entries[drop:]...)
	}
	l.mu.Unlock()
}

// shown is what the log shows: its newest slowlog-max-len entries; mu
// held.
func (l *slowlog) shown(s *Server) []slowEntry {
	return l.entries[len(l.entries)-int(min(int64(len(l.entries)), s.Config().SlowlogMaxLen)):]
}

// slowArgs copies what an entry keeps of args: Redis's cuts, and no
// secret (an access key or password is never kept, whoever reads the log).
func slowArgs(cmd *Command, args [][]byte) [][]byte {
	n := min(len(args), slowlogMaxArgs)
	if len(args) > slowlogMaxArgs {
		n = slowlogMaxArgs - 1
	}
	out := make([][]byte, 0, n+1)
	for i := range n {
		a := args[i]
		switch {
		case redacted(cmd, args, i):
			a = []byte("(redacted)")
		case len(a) > slowlogMaxString:
			a = append(append([]byte(nil), a[:slowlogMaxString]...), "... ("+strconv.Itoa(len(a)-slowlogMaxString)+" more bytes)"...)
		default:
			a = append([]byte(nil), a...)
		}
		out = append(out, a)
	}
	if n < len(args) {
		out = append(out, []byte("... ("+strconv.Itoa(len(args)-n)+" more arguments)"))
	}
	return out
}

// redacted says whether args[i] is a secret: AUTH's arguments, everything
// after HELLO's AUTH, and the value CONFIG SET gives requirepass. Redis
// redacts HELLO's username and password only; a malformed HELLO (an
// access key and no username) would then leave the key in the log.
func redacted(cmd *Command, args [][]byte, i int) bool {
	switch cmd.Name {
	case "auth":
		return i > 0
	case "hello":
		for j := 2; j < i; j++ {
			if strEq(args[j], "auth") {
				return true
			}
		}
	case "config|set":
		return i >= 3 && i%2 == 1 && strEq(args[i-1], "requirepass")
	}
	return false
}

func cmdSlowlogGet(x *Ctx) {
	count := int64(10)
	if len(x.Args) > 3 {
		x.Error(fmt.Sprintf(errStreamSubSyntax, x.Args[1], "SLOWLOG"))
		return
	}
	if len(x.Args) == 3 {
		n, err := strconv.ParseInt(string(x.Args[2]), 10, 64)
		if err != nil || n < -1 {
			x.Error(errSlowlogCount)
			return
		}
		count = n
	}
	// Copied under the lock and written after it: a reply can wait on
	// its client, and every slow command waits for this lock.
	l := &x.S.slow
	l.mu.Lock()
	shown := l.shown(x.S)
	n := int64(len(shown))
	if count >= 0 {
		n = min(n, count)
	}
	out := make([]slowEntry, n)
	for i := range out {
		out[i] = shown[len(shown)-1-i]
	}
	l.mu.Unlock()
	x.W.Array(len(out))
	for i := range out {
		e := &out[i]
		x.W.Array(6)
		x.W.Int(e.id)
		x.W.Int(e.at)
		x.W.Int(e.usec)
		x.W.Array(len(e.args))
		for _, a := range e.args {
			x.W.Bulk(a)
		}
		x.W.BulkString(e.addr)
		x.W.BulkString(e.name)
	}
}

func cmdSlowlogLen(x *Ctx) {
	l := &x.S.slow
	l.mu.Lock()
	n := len(l.shown(x.S))
	l.mu.Unlock()
	x.W.Int(int64(n))
}

func cmdSlowlogReset(x *Ctx) {
	l := &x.S.slow
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
	x.W.OK()
}

func cmdSlowlogHelp(x *Ctx) {
	writeHelp(x,
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	)
}
