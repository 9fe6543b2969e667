// Package commands holds the command table, one file per command family,
// and the dispatcher every surface calls.
package commands

import (
	"sort"
	"strings"
	"sync/atomic"

	"synap/tenant"
)

// Flag is a Redis command flag, as COMMAND INFO lists them.
type Flag uint32

const (
	FlagWrite Flag = 1 << iota
	FlagReadOnly
	FlagDenyOOM
	FlagAdmin
	FlagPubSub
	FlagNoScript
	FlagBlocking
	FlagLoading
	FlagStale
	FlagSkipMonitor
	FlagSkipSlowlog
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagNoMulti
	FlagAllowBusy
	// FlagKeyspace is Synap's own: the command walks or clears the whole
	// keyspace (KEYS, SCAN, FLUSHDB, SORT's lookups), so the dispatcher
	// begins a walk (one shard at a time) and EXEC, to stay atomic, locks
	// every shard; a tenant's MULTI refuses them (holdsEveryShard).
	FlagKeyspace
	// FlagTxControl is Synap's own: the command runs at once inside MULTI
	// instead of being queued (MULTI, EXEC, DISCARD, WATCH, QUIT, RESET).
	FlagTxControl
	// FlagPubSubContext is Synap's own: the command may run while a RESP2
	// session is subscribed (the (P|S)(UN)SUBSCRIBE family, PING, QUIT,
	// RESET); any other is refused there, as in Redis (pubsub.go).
	FlagPubSubContext
	// FlagNoAsyncLoading is Redis's no_async_loading (SAVE, BGSAVE,
	// BGREWRITEAOF): not run while a replica loads in the background.
	FlagNoAsyncLoading
)

var flagNames = []struct {
	f    Flag
	name string
}{
	{FlagWrite, "write"}, {FlagReadOnly, "readonly"}, {FlagDenyOOM, "denyoom"},
	{FlagAdmin, "admin"}, {FlagPubSub, "pubsub"}, {FlagNoScript, "noscript"},
	{FlagBlocking, "blocking"}, {FlagLoading, "loading"}, {FlagStale, "stale"},
	{FlagSkipMonitor, "skip_monitor"}, {FlagSkipSlowlog, "skip_slowlog"},
	{FlagFast, "fast"}, {FlagNoAuth, "no_auth"}, {FlagMayReplicate, "may_replicate"},
	{FlagNoMulti, "no_multi"}, {FlagAllowBusy, "allow_busy"}, {FlagNoAsyncLoading, "no_async_loading"},
}

// Names lists the Redis flag names set in f.
func (f Flag) Names() []string {
	var out []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Command is one row of the table. Everything the server decides about a
// command before running it (arity, keys, locks, permission, quota) is read
// from here; nothing is special-cased by name.
type Command struct {
	Name  string // lower case; a subcommand's is "parent|sub"
	Arity int    // n: exactly n arguments with the name; -n: at least n
	Flags Flag
	// Key positions as COMMAND INFO gives them: first, last (negative counts
	// from the end), step. 0,0,0 for none.
	FirstKey, LastKey, Step int
	// KeysFn finds keys whose positions depend on other arguments
	// (movablekeys). It returns argument indexes.
	KeysFn func(args [][]byte) []int
	// ACL categories without the '@'.
	ACL []string
	// Need is the permission a tenant's key must have; unset means derived
	// from the flags (write → write, readonly → read, admin → server,
	// otherwise none).
	Need tenant.Need
	// Reveals says whether a command that needs write or delete tells its
	// caller, for these arguments, something about stored content that the
	// command did not itself settle: then the key must be allowed to read
	// too (the rule is written out in README.md, "Permissions: which
	// commands also need read"). A write or delete row that leaves it nil
	// reveals always (finish), so a command added later is safe until its
	// row says otherwise with Never, Acknowledges, OptionAt or a function of
	// its arguments.
	Reveals func(args [][]byte) bool
	// Propagate is how an executed write reaches the write hook: Verbatim,
	// or a rewrite that makes its replay deterministic (propagate.go). Every
	// write row sets it, next to the row in its family file.
	Propagate Propagation
	// Docs for COMMAND DOCS.
	Group, Summary, Since, Complexity string

	Subs []*Command // CONFIG GET, CLIENT LIST...
	Run  func(*Ctx)

	parent *Command
	sub    map[string]*Command
	stats  *cmdStats
	// Index is the row's position in its table, for per-tenant counters.
	Index int
}

type cmdStats struct {
	calls, usec, rejected, failed atomic.Int64
	lat                           atomic.Pointer[latHist] // latency.go; nil until its first call
}

// Table is the set of commands, looked up by case-insensitive name.
type Table struct {
	byName map[string]*Command
	sorted []*Command
	rows   int
}

var registry []*Command

// register adds a family's commands; each family file calls it from init.
func register(cmds ...*Command) { registry = append(registry, cmds...) }

// NewTable builds the table from every registered family. Each table gets
// its own copy of the rows, so servers in one process keep separate stats.
func NewTable() *Table {
	t := &Table{byName: map[string]*Command{}}
	for _, c := range registry {
		t.add(c)
	}
	return t
}

// clone copies a registered row and its subcommands with fresh statistics.
func clone(c *Command) *Command {
	cp := &Command{
		Name: c.Name, Arity: c.Arity, Flags: c.Flags, FirstKey: c.FirstKey, LastKey: c.LastKey, Step: c.Step,
		KeysFn: c.KeysFn, ACL: c.ACL, Need: c.Need, Reveals: c.Reveals, Propagate: c.Propagate, Group: c.Group, Summary: c.Summary, Since: c.Since,
		Complexity: c.Complexity, Run: c.Run, stats: &cmdStats{},
	}
	for _, s := range c.Subs {
		cp.Subs = append(cp.Subs, clone(s))
	}
	return cp
}

// Count is the number of rows, subcommands included (the range of Index).
func (t *Table) Count() int { return t.rows }

func (t *Table) add(c *Command) {
	c = clone(c)
	if _, dup := t.byName[c.Name]; dup {
		panic("commands: duplicate command " + c.Name)
	}
	t.finish(c, nil)
	t.byName[c.Name] = c
	t.sorted = append(t.sorted, c)
	sort.Slice(t.sorted, func(i, j int) bool { return t.sorted[i].Name < t.sorted[j].Name })
}

func (t *Table) finish(c *Command, parent *Command) {
	c.parent = parent
	c.Index = t.rows
	t.rows++
	if parent != nil && !strings.Contains(c.Name, "|") {
		c.Name = parent.Name + "|" + c.Name
	}
	if c.Need == tenant.NeedUnset {
		switch {
		case c.Flags&FlagAdmin != 0:
			c.Need = tenant.NeedServer
		case c.Flags&FlagWrite != 0:
			c.Need = tenant.NeedWrite
		case c.Flags&FlagReadOnly != 0:
			c.Need = tenant.NeedRead
		default:
			c.Need = tenant.NeedNone
		}
	}
	if c.Reveals == nil && (c.Need == tenant.NeedWrite || c.Need == tenant.NeedDelete) {
		c.Reveals = Always
	}
	if len(c.Subs) > 0 {
		c.sub = map[string]*Command{}
		for _, s := range c.Subs {
			t.finish(s, c)
			c.sub[s.Name[strings.IndexByte(s.Name, '|')+1:]] = s
		}
	}
}

// Lookup finds a command by name in any case. It does not allocate.
func (t *Table) Lookup(name []byte) *Command {
	var tmp [32]byte
	if len(name) > len(tmp) {
		return t.byName[strings.ToLower(string(name))]
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		tmp[i] = c
	}
	return t.byName[string(tmp[:len(name)])]
}

// All returns the commands sorted by name.
func (t *Table) All() []*Command { return t.sorted }

// Sub finds a subcommand by name in any case.
func (c *Command) Sub(name []byte) *Command {
	if c.sub == nil {
		return nil
	}
	return c.sub[strings.ToLower(string(name))]
}

// Parent is the container command of a subcommand, nil otherwise.
func (c *Command) Parent() *Command { return c.parent }

// Always is a Reveals for commands that return the value in every form.
func Always([][]byte) bool { return true }

// Never is a Reveals for writes whose reply is the same whatever the key
// held (SET, MSET, HMSET, LTRIM: +OK), so it tells a key without read
// nothing.
func Never([][]byte) bool { return false }

// Acknowledges is a Reveals for the plain producers: unconditional writes
// that name what they add, overwrite or remove, and reply with the count or
// length Redis gives (LPUSH, SADD, HSET, DEL...). The count tells whether
// the named members, fields or keys existed, or how long the key is, never
// a stored value, and the probe leaves them in the state the write sets
// whatever they held. It is allowed without read because a write-only key
// could not feed a list, set or hash from any client otherwise.
func Acknowledges([][]byte) bool { return false }

// OptionAt is a Reveals for a producer whose options make it conditional
// or make it report on stored values (ZADD NX/XX/GT/LT/CH/INCR, GEOADD
// NX/XX/CH): options come first, so it reveals when the argument at index i
// is one of opts.
func OptionAt(i int, opts ...string) func([][]byte) bool {
	lower := make([]string, len(opts))
	for j, o := range opts {
		lower[j] = strings.ToLower(o)
	}
	// Runs before every such write in cluster mode: no allocation.
	return func(args [][]byte) bool {
		if i >= len(args) {
			return false
		}
		for _, o := range lower {
			if strEq(args[i], o) {
				return true
			}
		}
		return false
	}
}

// NeedsRead reports whether a caller must also hold read permission.
func (c *Command) NeedsRead(args [][]byte) bool {
	return c.Reveals != nil && c.Reveals(args)
}

// HasKeys reports whether the command takes key arguments.
func (c *Command) HasKeys() bool { return c.FirstKey > 0 || c.KeysFn != nil }

// ArityOK checks an argument count (name included) against Arity.
func (c *Command) ArityOK(n int) bool {
	if c.Arity >= 0 {
		return n == c.Arity
	}
	return n >= -c.Arity
}

// KeyIndexes appends the argument indexes of the keys in args.
func (c *Command) KeyIndexes(dst []int, args [][]byte) []int {
	if c.KeysFn != nil {
		return append(dst, c.KeysFn(args)...)
	}
	if c.FirstKey <= 0 || c.FirstKey >= len(args) {
		return dst
	}
	last := c.LastKey
	if last < 0 {
		last = len(args) + last
	}
	if last >= len(args) {
		last = len(args) - 1
	}
	step := c.Step
	if step <= 0 {
		step = 1
	}
	for i := c.FirstKey; i <= last; i += step {
		dst = append(dst, i)
	}
	return dst
}
