package commands

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"synap/engine"
	"synap/resp"
	"synap/tenant"
)

// The generic keyspace family: commands that act on keys whatever their type.

const (
	scanDefaultCount   = 10
	keysGroup          = "generic"
	keyFlagsReadFast   = FlagReadOnly | FlagFast
	keyFlagsWriteFast  = FlagWrite | FlagFast
	keysComplexityOne  = "O(1)"
	keysComplexityKeys = "O(N) where N is the number of keys given"
)

var (
	aclKeyRead      = []string{"keyspace", "read", "fast"}
	aclKeyWrite     = []string{"keyspace", "write", "fast"}
	aclKeyWriteSlow = []string{"keyspace", "write", "slow"}
	aclKeyReadSlow  = []string{"keyspace", "read", "slow"}
	aclKeyDanger    = []string{"keyspace", "write", "slow", "dangerous"}
)

func init() {
	one := func(name string, arity int, flags Flag, acl []string, since, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, ACL: acl,
			Group: keysGroup, Since: since, Complexity: keysComplexityOne, Summary: summary, Run: run}
	}
	many := func(name string, flags Flag, acl []string, since, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: -2, Flags: flags, FirstKey: 1, LastKey: -1, Step: 1, ACL: acl,
			Group: keysGroup, Since: since, Complexity: keysComplexityKeys, Summary: summary, Run: run}
	}
	objectSub := func(name, since, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: 3, Flags: FlagReadOnly, FirstKey: 2, LastKey: 2, Step: 1,
			ACL: aclKeyReadSlow, Group: keysGroup, Since: since, Complexity: keysComplexityOne, Summary: summary, Run: run}
	}
	del := many("del", FlagWrite, aclKeyWriteSlow, "1.0.0", "Removes keys and reports how many existed.", cmdDel)
	del.Need = tenant.NeedDelete
	unlink := many("unlink", keyFlagsWriteFast, aclKeyWrite, "4.0.0", "Removes keys like DEL; Redis frees their memory in the background.", cmdDel)
	unlink.Need = tenant.NeedDelete
	// DEL and UNLINK count the keys they settle (table.go's Acknowledges);
	// plain EXPIRE says whether the key exists, its options compare the TTL.
	// PERSIST (whether there was a TTL), RENAME (no such key), RENAMENX,
	// COPY and MOVE keep the default and need read.
	del.Reveals, unlink.Reveals = Acknowledges, Acknowledges
	expire := func(name, since, summary string, run func(*Ctx)) *Command {
		c := one(name, -3, keyFlagsWriteFast, aclKeyWrite, since, summary, run)
		c.Reveals = func(args [][]byte) bool { return len(args) > 3 }
		return c
	}
	rename := one("rename", 3, FlagWrite, aclKeyWriteSlow, "1.0.0", "Gives a key a new name, replacing whatever the new name held.", cmdRename)
	rename.LastKey = 2
	renamenx := one("renamenx", 3, keyFlagsWriteFast, aclKeyWrite, "1.0.0", "Gives a key a new name only when that name is free.", cmdRenameNX)
	renamenx.LastKey = 2
	cp := one("copy", -3, FlagWrite|FlagDenyOOM, aclKeyWriteSlow, "6.2.0", "Duplicates a key's value and TTL under another name, optionally in another database.", cmdCopy)
	cp.LastKey, cp.Complexity = 2, "O(N) for a collection of N elements, O(1) for a string"
	register(
		del, unlink,
		many("exists", keyFlagsReadFast, aclKeyRead, "1.0.0", "Counts how many of the given keys exist, repeats included.", cmdExists),
		many("touch", keyFlagsReadFast, aclKeyRead, "3.2.1", "Marks keys as just accessed and counts the ones that exist.", cmdTouch),
		one("type", 2, keyFlagsReadFast, aclKeyRead, "1.0.0", "Names the type of value a key holds.", cmdType),
		expire("expire", "1.0.0", "Sets a key's time to live in seconds.", cmdExpire),
		expire("pexpire", "2.6.0", "Sets a key's time to live in milliseconds.", cmdPExpire),
		expire("expireat", "1.2.0", "Makes a key expire at a unix time in seconds.", cmdExpireAt),
		expire("pexpireat", "2.6.0", "Makes a key expire at a unix time in milliseconds.", cmdPExpireAt),
		one("ttl", 2, keyFlagsReadFast, aclKeyRead, "1.0.0", "Reports the seconds a key has left to live.", cmdTTL),
		one("pttl", 2, keyFlagsReadFast, aclKeyRead, "2.6.0", "Reports the milliseconds a key has left to live.", cmdPTTL),
		one("expiretime", 2, keyFlagsReadFast, aclKeyRead, "7.0.0", "Reports the unix time in seconds at which a key expires.", cmdExpireTime),
		one("pexpiretime", 2, keyFlagsReadFast, aclKeyRead, "7.0.0", "Reports the unix time in milliseconds at which a key expires.", cmdPExpireTime),
		one("persist", 2, keyFlagsWriteFast, aclKeyWrite, "2.2.0", "Drops a key's expiry so it lives until deleted.", cmdPersist),
		rename, renamenx, cp,
		one("move", 3, keyFlagsWriteFast, aclKeyWrite, "1.0.0", "Transfers a key to another database.", cmdMove),
		&Command{Name: "keys", Arity: 2, Flags: FlagReadOnly | FlagKeyspace, ACL: []string{"keyspace", "read", "slow", "dangerous"},
			Group: keysGroup, Since: "1.0.0", Complexity: "O(N) over every key of the database",
			Summary: "Lists every key whose name matches a glob pattern.", Run: cmdKeys},
		&Command{Name: "scan", Arity: -2, Flags: FlagReadOnly | FlagKeyspace, ACL: aclKeyReadSlow,
			Group: keysGroup, Since: "2.8.0", Complexity: "O(1) per call, O(N) for a full pass over N keys",
			Summary: "Walks the key names in batches, resuming from a cursor.", Run: cmdScan},
		&Command{Name: "randomkey", Arity: 1, Flags: FlagReadOnly | FlagKeyspace, ACL: aclKeyReadSlow,
			Group: keysGroup, Since: "1.0.0", Complexity: keysComplexityOne,
			Summary: "Picks the name of a key at random.", Run: cmdRandomKey},
		&Command{Name: "dbsize", Arity: 1, Flags: keyFlagsReadFast, ACL: aclKeyRead,
			Group: "server", Since: "1.0.0", Complexity: keysComplexityOne,
			Summary: "Counts the keys of the selected database.", Run: cmdDBSize},
		&Command{Name: "flushdb", Arity: -1, Flags: FlagWrite | FlagKeyspace, ACL: aclKeyDanger, Need: tenant.NeedAdmin,
			Group: "server", Since: "1.0.0", Complexity: "O(N) for the N keys of the database",
			Summary: "Deletes every key of the selected database.", Run: cmdFlushDB},
		&Command{Name: "flushall", Arity: -1, Flags: FlagWrite | FlagKeyspace, ACL: aclKeyDanger, Need: tenant.NeedAdmin,
			Group: "server", Since: "1.0.0", Complexity: "O(N) for the N keys of all databases",
			Summary: "Deletes every key of every database.", Run: cmdFlushAll},
		&Command{Name: "object", Arity: -2, ACL: []string{"slow"}, Group: keysGroup, Since: "2.2.3",
			Complexity: "Depends on the subcommand", Summary: "Inspects how a key's value is stored.",
			Subs: []*Command{
				objectSub("encoding", "2.2.3", "Names the internal representation of a key's value.", cmdObjectEncoding),
				objectSub("refcount", "2.2.3", "Reports how many references share a key's value.", cmdObjectRefcount),
				objectSub("idletime", "2.2.3", "Reports the seconds since a key was last read or written.", cmdObjectIdletime),
				objectSub("freq", "4.0.0", "Reports a key's logarithmic access counter (LFU policies only).", cmdObjectFreq),
				{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: []string{"keyspace", "slow"},
					Group: keysGroup, Since: "6.2.0", Complexity: keysComplexityOne,
					Summary: "Lists the OBJECT subcommands.", Run: cmdObjectHelp},
			}},
	)
	// How each write reaches the write hook (propagate.go).
	setPropagation(map[string]Propagation{
		"copy": Verbatim, "del": Verbatim, "expire": propTTLState, "expireat": propTTLState, "flushall": Verbatim,
		"flushdb": Verbatim, "move": Verbatim, "persist": Verbatim, "pexpire": propTTLState,
		"pexpireat": propTTLState, "rename": Verbatim, "renamenx": Verbatim, "unlink": Verbatim,
	})
}

// lookupNoTouch looks key up without changing its access time; like Redis's
// no-touch lookups it still counts a keyspace hit or miss.
func lookupNoTouch(x *Ctx, key []byte) *engine.Entry {
	en := x.Tx.Peek(key)
	if en == nil {
		x.C.stat.misses++
	} else {
		x.C.stat.hits++
	}
	return en
}

func cmdDel(x *Ctx) {
	n := int64(0)
	for _, k := range x.Args[1:] {
		if x.Tx.Delete(k) {
			n++
		}
	}
	x.W.Int(n)
}

func cmdExists(x *Ctx) {
	n := int64(0)
	for _, k := range x.Args[1:] {
		if lookupNoTouch(x, k) != nil {
			n++
		}
	}
	x.W.Int(n)
}

func cmdTouch(x *Ctx) {
	n := int64(0)
	for _, k := range x.Args[1:] {
		if x.Read(k) != nil {
			n++
		}
	}
	x.W.Int(n)
}

func cmdType(x *Ctx) {
	en := lookupNoTouch(x, x.Args[1])
	if en == nil {
		x.W.Simple("none")
		return
	}
	x.W.Simple(en.Kind.String())
}

// expireCmdArgs is a parsed EXPIRE-family call.
type expireCmdArgs struct {
	at             int64 // absolute unix ms
	nx, xx, gt, lt bool
}

// parseExpireCmd reads the time and options. unit is the time's unit in ms;
// relative times count from the command's clock. Options are checked before
// the number, as Redis does.
func parseExpireCmd(x *Ctx, unit int64, relative bool) (expireCmdArgs, bool) {
	var a expireCmdArgs
	for _, opt := range x.Args[3:] {
		switch Lower(opt) {
		case "nx":
			a.nx = true
		case "xx":
			a.xx = true
		case "gt":
			a.gt = true
		case "lt":
			a.lt = true
		default:
			x.Error(sanitize(fmt.Sprintf(errUnsupportedOption, opt)))
			return a, false
		}
	}
	if a.nx && (a.xx || a.gt || a.lt) {
		x.Error(resp.ErrNotOnlyOneExpire)
		return a, false
	}
	if a.gt && a.lt {
		x.Error(errExpireGTLT)
		return a, false
	}
	v, ok := x.IntArg(2)
	if !ok {
		return a, false
	}
	invalid := func() (expireCmdArgs, bool) {
		x.Error(fmt.Sprintf(resp.ErrInvalidExpire, x.Cmd.Name))
		return a, false
	}
	if v > math.MaxInt64/unit || v < math.MinInt64/unit {
		return invalid()
	}
	v *= unit
	if relative {
		if v > math.MaxInt64-x.Tx.Now {
			return invalid()
		}
		v += x.Tx.Now
	}
	a.at = v
	return a, true
}

func expireGeneric(x *Ctx, unit int64, relative bool) {
	a, ok := parseExpireCmd(x, unit, relative)
	if !ok {
		return
	}
	key := x.Args[1]
	en := x.Tx.Get(key)
	if en == nil {
		x.W.Int(0)
		return
	}
	cur := en.ExpireAt() // 0: none, which GT and LT treat as infinite
	if (a.nx && cur != 0) || (a.xx && cur == 0) ||
		(a.gt && (cur == 0 || a.at <= cur)) || (a.lt && cur != 0 && a.at >= cur) {
		x.W.Int(0)
		return
	}
	if a.at <= x.Tx.Now {
		// Also covers an absolute 0, which SetExpire would read as "no expiry".
		x.Tx.Delete(key)
	} else {
		x.Tx.SetExpire(key, en, a.at)
	}
	x.W.Int(1)
}

func cmdExpire(x *Ctx)    { expireGeneric(x, 1000, true) }
func cmdPExpire(x *Ctx)   { expireGeneric(x, 1, true) }
func cmdExpireAt(x *Ctx)  { expireGeneric(x, 1000, false) }
func cmdPExpireAt(x *Ctx) { expireGeneric(x, 1, false) }

// ttlGeneric replies -2 for a missing key, -1 for a persistent one, else the
// remaining (or, when absolute, the deadline) time, rounded to seconds unless ms.
func ttlGeneric(x *Ctx, ms, absolute bool) {
	en := lookupNoTouch(x, x.Args[1])
	switch {
	case en == nil:
		x.W.Int(-2)
		return
	case en.ExpireAt() == 0:
		x.W.Int(-1)
		return
	}
	t := en.ExpireAt()
	if !absolute {
		t = max(t-x.Tx.Now, 0)
	}
	if !ms {
		t = (t + 500) / 1000
	}
	x.W.Int(t)
}

func cmdTTL(x *Ctx)         { ttlGeneric(x, false, false) }
func cmdPTTL(x *Ctx)        { ttlGeneric(x, true, false) }
func cmdExpireTime(x *Ctx)  { ttlGeneric(x, false, true) }
func cmdPExpireTime(x *Ctx) { ttlGeneric(x, true, true) }

func cmdPersist(x *Ctx) {
	key := x.Args[1]
	en := x.Tx.Get(key)
	if en == nil || en.ExpireAt() == 0 {
		x.W.Int(0)
		return
	}
	x.Tx.SetExpire(key, en, 0)
	x.W.Int(1)
}

func cmdRename(x *Ctx)   { renameGeneric(x, false) }
func cmdRenameNX(x *Ctx) { renameGeneric(x, true) }

func renameGeneric(x *Ctx, nx bool) {
	src, dst := x.Args[1], x.Args[2]
	en := x.Tx.Get(src)
	if en == nil {
		x.Error(resp.ErrNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			x.W.Int(0)
		} else {
			x.W.OK()
		}
		return
	}
	if nx && x.Tx.Exists(dst) {
		x.W.Int(0)
		return
	}
	// Remove the source first: Put reuses en for a new key and rewrites its
	// size, which removing it afterwards would then subtract wrongly.
	at := en.ExpireAt()
	x.Tx.Delete(src)
	x.Tx.PutExpire(dst, en, at)
	if nx {
		x.W.Int(1)
	} else {
		x.W.OK()
	}
}

// numberedDBs reports whether the client sits on one of the server's
// numbered databases; a tenant's keyspace has no sibling databases to reach.
func numberedDBs(x *Ctx) bool {
	return x.C.DB >= 0 && x.C.DB < len(x.S.DBs) && x.S.DBs[x.C.DB] == x.C.NS
}

// dbIndexArg parses a database index as Redis's getIntFromObjectOrReply and
// selectDb do, replying the error when it is not a valid one.
func dbIndexArg(x *Ctx, i int) (int, bool) {
	v, ok := x.IntArg(i)
	if !ok {
		return 0, false
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		x.Error(errIntRange)
		return 0, false
	}
	if v < 0 || v >= int64(len(x.S.DBs)) {
		x.Error(resp.ErrDBIndex)
		return 0, false
	}
	return int(v), true
}

type copyCmdArgs struct {
	db      int // -1: the current database
	replace bool
}

func parseCopyCmd(x *Ctx) (copyCmdArgs, bool) {
	a := copyCmdArgs{db: -1}
	for i := 3; i < len(x.Args); i++ {
		switch opt := Lower(x.Args[i]); {
		case opt == "replace":
			a.replace = true
		case opt == "db" && i+1 < len(x.Args):
			db, ok := dbIndexArg(x, i+1)
			if !ok {
				return a, false
			}
			a.db = db
			i++
		default:
			x.SyntaxError()
			return a, false
		}
	}
	return a, true
}

func cmdCopy(x *Ctx) {
	a, ok := parseCopyCmd(x)
	if !ok {
		return
	}
	dst := x.Tx
	if a.db >= 0 && a.db != x.C.DB {
		if !numberedDBs(x) {
			x.Error(errCopyCluster)
			return
		}
		dst = x.Tx.In(x.S.DBs[a.db])
	}
	src, to := x.Args[1], x.Args[2]
	if dst.NS() == x.Tx.NS() && bytes.Equal(src, to) {
		x.Error(resp.ErrSameObject)
		return
	}
	en := x.Read(src)
	if en == nil {
		x.W.Int(0)
		return
	}
	if !a.replace && dst.Exists(to) {
		x.W.Int(0)
		return
	}
	if !x.StoreAllowed(dst, to, en.ValueSize()) {
		return
	}
	dst.PutExpire(to, en.Clone(), en.ExpireAt())
	x.W.Int(1)
}

func cmdMove(x *Ctx) {
	if !numberedDBs(x) {
		x.Error(errMoveCluster)
		return
	}
	db, ok := dbIndexArg(x, 2)
	if !ok {
		return
	}
	if db == x.C.DB {
		x.Error(resp.ErrSameObject)
		return
	}
	key := x.Args[1]
	en := x.Tx.Get(key)
	if en == nil {
		x.W.Int(0)
		return
	}
	dst := x.Tx.In(x.S.DBs[db])
	if dst.Exists(key) {
		x.W.Int(0)
		return
	}
	at := en.ExpireAt()
	x.Tx.Delete(key)
	dst.PutExpire(key, en, at)
	x.W.Int(1)
}

// cmdKeys walks the keyspace a shard (and a batch) at a time, never holding
// every shard; names are matched after each batch's lock is let go, so a
// costly pattern costs only the caller's time.
func cmdKeys(x *Ctx) {
	pattern := x.Args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	// The names go straight into the reply and the count in front of them
	// at the end: collected first, 1M names were 24 MB of pointers (and
	// its doublings) for the GC to allocate and scan.
	start, n := x.W.Len(), 0
	g := engine.NewGlob(pattern, false)
	x.Tx.EachKeyBatch(func(keys [][]byte) bool {
		// Under a walk nothing is held here, and a long match may yield;
		// inside EXEC the transaction holds every shard.
		g.Yielding = !x.Tx.Active()
		for _, k := range keys {
			if all || g.Match(k) {
				x.W.Bulk(k)
				n++
			}
		}
		// Past the reply bound the reply is replaced by an error: the rest
		// of the walk would be wasted.
		return !x.W.Over()
	})
	x.W.InsertArray(start, n)
}

// scanCursorArg reads a SCAN cursor as Redis's strtoul-based parser does: an
// optional sign (a negative value wraps around), an empty string is 0.
func scanCursorArg(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	neg := b[0] == '-'
	if b[0] == '-' || b[0] == '+' {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// elemScanOpts reads HSCAN's, SSCAN's and ZSCAN's options (COUNT, MATCH)
// from the fourth argument, left to right as Redis does, so the first bad
// one decides the error; TYPE is SCAN's only. Redis reads them only once
// the key is known to exist. pattern is nil for every element.
func elemScanOpts(x *Ctx) (count int, pattern []byte, ok bool) {
	count = scanDefaultCount
	for i := 3; i < len(x.Args); i += 2 {
		switch {
		case i+1 >= len(x.Args):
			x.SyntaxError()
			return 0, nil, false
		case strEq(x.Args[i], "count"):
			n, ok := x.IntArg(i + 1)
			if !ok {
				return 0, nil, false
			}
			if n < 1 {
				x.SyntaxError()
				return 0, nil, false
			}
			count = int(min(n, math.MaxInt32))
		case strEq(x.Args[i], "match"):
			pattern = x.Args[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil
			}
		default:
			x.SyntaxError()
			return 0, nil, false
		}
	}
	return count, pattern, true
}

// replyEmptyScan is the reply of an element scan of a missing key.
func replyEmptyScan(x *Ctx) {
	x.W.Array(2)
	x.W.BulkString("0")
	x.W.Array(0)
}

type keyScanArgs struct {
	cursor  uint64
	count   int
	match   bool // filter by pattern
	pattern []byte
	typ     *string // nil: every type
}

func parseKeyScan(x *Ctx) (keyScanArgs, bool) {
	a := keyScanArgs{count: scanDefaultCount}
	var ok bool
	if a.cursor, ok = scanCursorArg(x.Args[1]); !ok {
		x.Error(errInvalidCursor)
		return a, false
	}
	for i := 2; i < len(x.Args); i += 2 {
		if i+1 >= len(x.Args) {
			x.SyntaxError()
			return a, false
		}
		switch opt := x.Args[i]; {
		case strEq(opt, "count"):
			n, ok := x.IntArg(i + 1)
			if !ok {
				return a, false
			}
			if n < 1 {
				x.SyntaxError()
				return a, false
			}
			a.count = int(min(n, math.MaxInt32))
		case strEq(opt, "match"):
			a.pattern = x.Args[i+1]
			a.match = !(len(a.pattern) == 1 && a.pattern[0] == '*')
		case strEq(opt, "type"):
			// An unknown name is no error: it just matches nothing.
			typ := string(x.Args[i+1])
			a.typ = &typ
		default:
			x.SyntaxError()
			return a, false
		}
	}
	return a, true
}

// scanMatchChunk bounds the names one SCAN with MATCH gathers before they
// are matched: they are written into the reply unfiltered (under the
// shard's lock nothing costly runs) and filtered in place afterwards, so a
// huge COUNT with a rare pattern stops early and returns its cursor, as
// COUNT is only a hint, instead of filling the reply bound with names it
// would drop.
const scanMatchChunk = 1 << 20

// cmdScan writes the names straight into the reply as the walk finds them
// and puts the cursor and the count in front at the end: collected as a
// slice first, each call of COUNT 1000 made ~70 KB of garbage, and a
// tenant cycling SCAN over a big keyspace drove GC cycles that mark
// every tenant's heap.
func cmdScan(x *Ctx) {
	a, ok := parseKeyScan(x)
	if !ok {
		return
	}
	w := x.W
	start, n := w.Len(), 0
	// The names are written under the shard's shared lock: no yield
	// there, the walk yields between its holds.
	noYield := w.NoYield
	w.NoYield = true
	next := x.Tx.ScanUntil(a.cursor, a.count, func(k []byte, en *engine.Entry) bool {
		if a.typ == nil || strings.EqualFold(*a.typ, en.Kind.String()) {
			w.Bulk(k)
			n++
		}
		return !w.Over() && (!a.match || w.Len()-start < scanMatchChunk)
	})
	w.NoYield = noYield
	if a.match && !w.Over() {
		// After the walk, under no lock (but EXEC's): the names are
		// matched where they were written and the kept ones moved down.
		g := engine.NewGlob(a.pattern, false)
		g.Yielding = !x.Tx.Active()
		n = scanFilter(w, start, g)
	}
	var cur [20]byte
	w.InsertBulkArray(start, 2, strconv.AppendUint(cur[:0], next, 10), n)
}

// scanFilter keeps, of the bulk strings written in w from start on, those
// g matches, and returns how many it kept.
func scanFilter(w *resp.Writer, start int, g *engine.Glob) int {
	buf := w.Buf
	r, out, kept := start, start, 0
	for r < len(buf) {
		// "$<len>\r\n<name>\r\n", as Writer.Bulk wrote it.
		i := r + 1
		size := 0
		for buf[i] != '\r' {
			size = size*10 + int(buf[i]-'0')
			i++
		}
		name := buf[i+2 : i+2+size]
		end := i + 2 + size + 2
		if g.Match(name) {
			out += copy(buf[out:], buf[r:end])
			kept++
		}
		r = end
	}
	w.Truncate(out)
	return kept
}

func cmdDBSize(x *Ctx) { x.W.Int(x.C.NS.Keys()) }

func cmdRandomKey(x *Ctx) {
	k := x.Tx.RandomKey()
	if k == nil {
		x.W.Null()
		return
	}
	x.W.Bulk(k)
}

// flushModeOK checks FLUSHDB/FLUSHALL's one optional word. Both modes free
// synchronously here: the keys are gone before the reply either way.
func flushModeOK(x *Ctx) bool {
	if len(x.Args) == 1 {
		return true
	}
	if len(x.Args) == 2 {
		if m := Lower(x.Args[1]); m == "sync" || m == "async" {
			return true
		}
	}
	x.SyntaxError()
	return false
}

func cmdFlushDB(x *Ctx) {
	if !flushModeOK(x) {
		return
	}
	x.C.flushing.Store(true)
	x.Tx.Flush()
	x.C.flushing.Store(false)
	x.S.track.flushed(x.C)
	x.W.OK()
}

func cmdFlushAll(x *Ctx) {
	if !flushModeOK(x) {
		return
	}
	x.C.flushing.Store(true)
	defer x.S.track.flushed(x.C)
	defer x.C.flushing.Store(false)
	switch {
	case !numberedDBs(x):
		// A tenant's "all" is its own keyspace, never another's.
		x.Tx.Flush()
	case x.C.P != nil && x.C.P.Operator:
		// The operator's FLUSHALL in cluster mode clears every tenant too.
		for _, ns := range x.S.Eng.Namespaces() {
			x.Tx.In(ns).Flush()
		}
	default:
		for _, ns := range x.S.DBs {
			x.Tx.In(ns).Flush()
		}
	}
	x.W.OK()
}

// objectStringEncoding is what Redis would report for a string value.
func objectStringEncoding(en *engine.Entry) string {
	v := en.Str()
	if _, ok := ParseInt(v); ok && !en.Raw {
		return "int"
	}
	if len(v) <= 44 && !en.Raw {
		return "embstr"
	}
	return "raw"
}

func cmdObjectEncoding(x *Ctx) {
	en := lookupNoTouch(x, x.Args[2])
	switch {
	case en == nil:
		x.W.Null()
	case en.Kind == engine.KindString:
		x.W.BulkString(objectStringEncoding(en))
	case en.Obj() != nil:
		x.W.BulkString(en.Obj().Encoding())
	default:
		x.W.BulkString("unknown")
	}
}

func cmdObjectRefcount(x *Ctx) {
	en := lookupNoTouch(x, x.Args[2])
	if en == nil {
		x.W.Null()
		return
	}
	// Redis shares the integers 0-9999 between keys and reports them as
	// immortal; clients that inspect REFCOUNT see the same figure here.
	if en.Kind == engine.KindString && objectStringEncoding(en) == "int" {
		if v, _ := ParseInt(en.Str()); v >= 0 && v < 10000 {
			x.W.Int(2147483647)
			return
		}
	}
	x.W.Int(1)
}

func cmdObjectIdletime(x *Ctx) {
	en := lookupNoTouch(x, x.Args[2])
	if en == nil {
		x.W.Null()
		return
	}
	if x.S.Eng.TracksLFU(x.Tx.NS()) {
		x.Error(errIdleLFU)
		return
	}
	x.W.Int(x.S.Eng.IdleSeconds(en))
}

func cmdObjectFreq(x *Ctx) {
	en := lookupNoTouch(x, x.Args[2])
	if en == nil {
		x.W.Null()
		return
	}
	// The keyspace's policy decides: the server's maxmemory-policy, or a
	// tenant plan's eviction_policy.
	if !x.S.Eng.TracksLFU(x.Tx.NS()) {
		x.Error(errFreqNoLFU)
		return
	}
	x.W.Int(x.S.Eng.Freq(en))
}

var objectHelpLines = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Name the internal representation that stores the value of <key>.",
	"FREQ <key>",
	"    Report the logarithmic access counter of <key>; only kept under an LFU",
	"    maxmemory policy.",
	"IDLETIME <key>",
	"    Report how many seconds ago <key> was last read or written.",
	"REFCOUNT <key>",
	"    Report how many references point at the value of <key>.",
	"HELP",
	"    Prints this help.",
}

func cmdObjectHelp(x *Ctx) {
	x.W.Array(len(objectHelpLines))
	for _, l := range objectHelpLines {
		x.W.Simple(l)
	}
}
