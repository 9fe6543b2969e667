package commands

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"synap/engine"
	"synap/resp"
	"synap/sched"
)

// The stream family, as Redis 7.0 has it: entries with ids under one key
// (engine.Stream), consumer groups with their pending entries, and the
// blocking reads woken by XADD.

func init() {
	ro, rw, rwOOM := FlagReadOnly, FlagWrite, FlagWrite|FlagDenyOOM
	row := func(name string, arity int, flags Flag, acl []string, since, complexity, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, ACL: acl,
			Group: "stream", Since: since, Complexity: complexity, Summary: summary, Run: run}
	}
	wrFast := []string{"write", "stream", "fast"}
	wrSlow := []string{"write", "stream", "slow"}
	rdFast := []string{"read", "stream", "fast"}
	rdSlow := []string{"read", "stream", "slow"}
	sub := func(name string, arity int, flags Flag, acl []string, since, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 2, LastKey: 2, Step: 1, ACL: acl,
			Group: "stream", Since: since, Complexity: "O(1)", Summary: summary, Run: run}
	}
	help := func(parent string, lines []string) *Command {
		return &Command{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: []string{"stream", "slow"},
			Group: "stream", Since: "5.0.0", Complexity: "O(1)", Summary: "Lists the " + strings.ToUpper(parent) + " subcommands.",
			Run: func(x *Ctx) {
				x.W.Array(len(lines))
				for _, l := range lines {
					x.W.Simple(l)
				}
			}}
	}
	xread := row("xread", -4, ro|FlagBlocking, []string{"read", "stream", "slow", "blocking"}, "5.0.0",
		"O(N) with N the number of entries returned", "Returns the entries of streams after ids, waiting for new ones with BLOCK.", cmdXRead)
	xread.FirstKey, xread.LastKey, xread.Step, xread.KeysFn = 0, 0, 0, xreadKeys
	xreadgroup := row("xreadgroup", -7, rw|FlagBlocking, []string{"write", "stream", "slow", "blocking"}, "5.0.0",
		"O(M) with M the number of entries returned", "Delivers the entries of streams to a consumer of a group, waiting for new ones with BLOCK.", cmdXReadGroup)
	xreadgroup.FirstKey, xreadgroup.LastKey, xreadgroup.Step, xreadgroup.KeysFn = 0, 0, 0, xreadKeys
	// XREADGROUP hands out entries: the key must be allowed to read.
	xreadgroup.Reveals = Always
	// XADD replies with the id it chose; without read a key learns only
	// that, as LPUSH's length.
	xadd := row("xadd", -5, rwOOM|FlagFast, wrFast, "5.0.0", "O(1) when adding an entry, O(N) when trimming",
		"Appends an entry to a stream, creating it when absent.", cmdXAdd)
	xadd.Reveals = Acknowledges
	xack := row("xack", -4, rw|FlagFast, wrFast, "5.0.0", "O(1) for each id", "Acknowledges pending entries of a group.", cmdXAck)
	xack.Reveals = Acknowledges
	xgroup := &Command{Name: "xgroup", Arity: -2, ACL: []string{"slow"}, Group: "stream", Since: "5.0.0",
		Complexity: "Depends on the subcommand", Summary: "Manages consumer groups.",
		Subs: []*Command{
			sub("create", -5, rwOOM, wrSlow, "5.0.0", "Creates a consumer group.", cmdXGroupCreate),
			sub("setid", -5, rw, wrSlow, "5.0.0", "Sets the last delivered id of a consumer group.", cmdXGroupSetID),
			sub("destroy", 4, rw, wrSlow, "5.0.0", "Destroys a consumer group.", cmdXGroupDestroy),
			sub("createconsumer", 5, rwOOM, wrSlow, "6.2.0", "Creates a consumer in a consumer group.", cmdXGroupCreateConsumer),
			sub("delconsumer", 5, rw, wrSlow, "5.0.0", "Deletes a consumer from a consumer group.", cmdXGroupDelConsumer),
			help("xgroup", xgroupHelp),
		}}
	// The group commands report whether what they name existed, no
	// stored content: allowed with write alone.
	for _, s := range xgroup.Subs {
		if s.Flags&FlagWrite != 0 {
			s.Reveals = Acknowledges
		}
	}
	xinfo := &Command{Name: "xinfo", Arity: -2, ACL: []string{"slow"}, Group: "stream", Since: "5.0.0",
		Complexity: "Depends on the subcommand", Summary: "Describes streams, their groups and consumers.",
		Subs: []*Command{
			sub("stream", -3, ro, rdSlow, "5.0.0", "Describes a stream.", cmdXInfoStream),
			sub("groups", 3, ro, rdSlow, "5.0.0", "Lists the consumer groups of a stream.", cmdXInfoGroups),
			sub("consumers", 4, ro, rdSlow, "5.0.0", "Lists the consumers of a group.", cmdXInfoConsumers),
			help("xinfo", xinfoHelp),
		}}
	register(
		xadd,
		row("xlen", 2, ro|FlagFast, rdFast, "5.0.0", "O(1)", "Counts the entries of a stream.", cmdXLen),
		row("xrange", -4, ro, rdSlow, "5.0.0", "O(N) with N the number of entries returned", "Returns the entries of a stream between two ids.", cmdXRange),
		row("xrevrange", -4, ro, rdSlow, "5.0.0", "O(N) with N the number of entries returned", "Returns the entries of a stream between two ids, newest first.", cmdXRevRange),
		// XDEL and XTRIM answer how many entries went: a count, as for SREM.
		withReveals(row("xdel", -3, rw|FlagFast, wrFast, "5.0.0", "O(1) for each id", "Deletes entries of a stream.", cmdXDel), Acknowledges),
		withReveals(row("xtrim", -4, rw, wrSlow, "5.0.0", "O(N) with N the number of entries removed", "Removes the oldest entries of a stream.", cmdXTrim), Acknowledges),
		xread, xreadgroup, xack,
		row("xpending", -3, ro, rdSlow, "5.0.0", "O(N) with N the number of entries returned", "Lists the pending entries of a group.", cmdXPending),
		// A claim hands out the claimed entries.
		withReveals(row("xclaim", -6, rw|FlagFast, wrFast, "5.0.0", "O(log N) for each id", "Gives pending entries to another consumer.", cmdXClaim), Always),
		withReveals(row("xautoclaim", -6, rw|FlagFast, wrFast, "6.2.0", "O(1) per entry claimed", "Gives idle pending entries to another consumer.", cmdXAutoClaim), Always),
		// XSETID's error tells the stream's last id: it needs read.
		row("xsetid", -3, rwOOM|FlagFast, wrFast, "5.0.0", "O(1)", "Sets a stream's last id and counters.", cmdXSetID),
		xgroup, xinfo,
	)
	setPropagation(map[string]Propagation{
		"xadd": propXAdd, "xdel": Verbatim, "xtrim": Verbatim, "xreadgroup": propXReadGroup, "xack": Verbatim,
		"xclaim": Verbatim, "xautoclaim": Verbatim, "xsetid": Verbatim,
		"xgroup|create": Verbatim, "xgroup|setid": Verbatim, "xgroup|destroy": Verbatim,
		"xgroup|createconsumer": Verbatim, "xgroup|delconsumer": Verbatim,
	})
}

func withReveals(c *Command, r func([][]byte) bool) *Command {
	c.Reveals = r
	return c
}

var xgroupHelp = []string{
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

var xinfoHelp = []string{
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

// xreadBlockedCount bounds what a blocked read is served at once when it
// gave no COUNT, as Redis's XREAD_BLOCKED_DEFAULT_COUNT.
const xreadBlockedCount = 1000

// xinfoFullCount is XINFO STREAM FULL's default COUNT.
const xinfoFullCount = 10

// ---- ids ----

// parseULL is Redis's string2ull: string2ll's strict form, and beyond a
// long long strtoull's lenient one (spaces, a sign) without overflow.
func parseULL(b []byte) (uint64, bool) {
	if v, ok := ParseInt(b); ok {
		return uint64(v), v >= 0
	}
	s := string(b)
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[i:], 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseStreamID is streamGenericParseIDOrReply: "-" and "+" (unless
// strict), "ms" (seq missingSeq) or "ms-seq"; with seqAuto, "ms-*" too
// (auto false for it).
func parseStreamID(b []byte, missingSeq uint64, strict bool, seqAuto *bool) (engine.StreamID, bool) {
	if len(b) > 127 {
		return engine.StreamID{}, false
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return engine.StreamID{}, false
		}
		if b[0] == '-' {
			return engine.StreamID{}, true
		}
		return engine.MaxStreamID, true
	}
	if seqAuto != nil {
		*seqAuto = false
	}
	msPart, seqPart, dash := bytes.Cut(b, []byte{'-'})
	ms, ok := parseULL(msPart)
	if !ok {
		return engine.StreamID{}, false
	}
	seq := missingSeq
	if dash {
		if seqAuto != nil && len(seqPart) == 1 && seqPart[0] == '*' {
			seq = 0
			*seqAuto = true
		} else if seq, ok = parseULL(seqPart); !ok {
			return engine.StreamID{}, false
		}
	}
	return engine.StreamID{Ms: ms, Seq: seq}, true
}

// streamIDArg parses a strict id, replying the error when invalid.
func streamIDArg(x *Ctx, b []byte) (engine.StreamID, bool) {
	id, ok := parseStreamID(b, 0, true, nil)
	if !ok {
		x.Error(errStreamID)
	}
	return id, ok
}

// streamIntervalArg parses a range bound: an id, "-", "+", or an exclusive
// "(id", moved one past itself. It replies the error when invalid.
func streamIntervalArg(x *Ctx, b []byte, start bool) (engine.StreamID, bool) {
	missing := uint64(0)
	if !start {
		missing = math.MaxUint64
	}
	if len(b) > 1 && b[0] == '(' {
		id, ok := parseStreamID(b[1:], missing, true, nil)
		if !ok {
			x.Error(errStreamID)
			return id, false
		}
		if start {
			if id, ok = id.Next(); !ok {
				x.Error(errStreamStartID)
			}
		} else if id, ok = id.Prev(); !ok {
			x.Error(errStreamEndID)
		}
		return id, ok
	}
	id, ok := parseStreamID(b, missing, false, nil)
	if !ok {
		x.Error(errStreamID)
	}
	return id, ok
}

func writeID(x *Ctx, id engine.StreamID) {
	var buf [48]byte
	x.W.Bulk(id.Append(buf[:0]))
}

// writeEntry replies [id, [field, value...]].
func writeEntry(x *Ctx, e *engine.StreamEntry) {
	x.W.Array(2)
	writeID(x, e.ID)
	x.W.Array(len(e.Fields))
	for _, f := range e.Fields {
		x.W.Bulk(f)
	}
}

func streamRead(x *Ctx, key []byte) (*engine.Stream, bool) {
	return readAs[*engine.Stream](x, key, engine.KindStream)
}

func streamWrite(x *Ctx, key []byte) (*engine.Entry, *engine.Stream, bool) {
	return writeAs[*engine.Stream](x, key, engine.KindStream)
}

// streamRange replies the entries between start and end (inclusive), at
// most count (0: all), newest first when rev. Long ranges yield.
func streamRange(x *Ctx, s *engine.Stream, start, end engine.StreamID, count int, rev bool) int {
	n := 0
	if end.Less(start) {
		x.W.Array(0)
		return 0
	}
	var entries []*engine.StreamEntry
	budget, size := x.W.Limit(), int64(0)
	visit := func(e *engine.StreamEntry) bool {
		if (!rev && end.Less(e.ID)) || (rev && e.ID.Less(start)) {
			return false
		}
		entries = append(entries, e)
		n++
		if n&1023 == 0 {
			sched.Maybe()
		}
		if size += entryBytes(e); budget > 0 && size > budget {
			return false // the reply is past the client's bound: no need to gather more
		}
		return count == 0 || n < count
	}
	if rev {
		s.Descend(end, visit)
	} else {
		s.Ascend(start, visit)
	}
	x.W.Array(len(entries))
	for i, e := range entries {
		writeEntry(x, e)
		if i&1023 == 1023 {
			sched.Maybe()
		}
	}
	return len(entries)
}

// entryBytes is at least what an entry takes in a reply ("*2", its id's
// bulk, "*n", each field's bulk): a walk that stops once these pass the
// client's output bound stops only where the reply is over the bound for
// sure, so the client gets the bound's error, never a shortened reply.
func entryBytes(e *engine.StreamEntry) int64 {
	n := int64(16)
	for _, f := range e.Fields {
		n += int64(len(f)) + 5
	}
	return n
}

// pendingReplyMin is at least what one pending entry takes in a reply
// (its id's bulk alone is 9 bytes or more), for the same purpose.
const pendingReplyMin = 8

// ---- XADD, XTRIM ----

type streamTrimArgs struct {
	strategy int // 0 none, 1 maxlen, 2 minid
	maxlen   int64
	minID    engine.StreamID
	approx   bool
	limit    int64
	noMk     bool
	idGiven  bool
	seqAuto  bool
	id       engine.StreamID
	idPos    int
}

// parseStreamTrim is streamParseAddOrTrimArgsOrReply: it returns the index
// of XADD's id (or of the end for XTRIM); ok false once it replied.
func parseStreamTrim(x *Ctx, xadd bool) (a streamTrimArgs, ok bool) {
	args := x.Args
	a.limit = -1
	limitGiven := false
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			a.idPos = i
			goto done
		case (strEq(opt, "maxlen") || strEq(opt, "minid")) && more > 0:
			if a.strategy != 0 {
				x.Error(errStreamTrimBoth)
				return a, false
			}
			a.approx = false
			next := args[i+1]
			if more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.approx = next[0] == '~'
				i++
			}
			if strEq(opt, "maxlen") {
				n, ok := ParseInt(args[i+1])
				if !ok {
					x.Error(resp.ErrNotInteger)
					return a, false
				}
				if n < 0 {
					x.Error(errStreamMaxlen)
					return a, false
				}
				a.maxlen, a.strategy = n, 1
			} else {
				id, ok := streamIDArg(x, args[i+1])
				if !ok {
					return a, false
				}
				a.minID, a.strategy = id, 2
			}
			i++
		case strEq(opt, "limit") && more > 0:
			n, ok := ParseInt(args[i+1])
			if !ok {
				x.Error(resp.ErrNotInteger)
				return a, false
			}
			if n < 0 {
				x.Error(errStreamLimit)
				return a, false
			}
			a.limit, limitGiven = n, true
			i++
		case xadd && strEq(opt, "nomkstream"):
			a.noMk = true
		case xadd:
			var auto bool
			id, ok := parseStreamID(opt, 0, true, &auto)
			if !ok {
				x.Error(errStreamID)
				return a, false
			}
			a.id, a.idGiven, a.seqAuto, a.idPos = id, true, auto, i
			goto done
		default:
			x.Error(resp.ErrSyntax)
			return a, false
		}
	}
	a.idPos = i
done:
	if limitGiven && a.strategy == 0 {
		x.Error(errStreamLimitNoTrim)
		return a, false
	}
	if !xadd && a.strategy == 0 {
		x.Error(errStreamXTrimNoTrim)
		return a, false
	}
	if a.approx {
		if !limitGiven {
			a.limit = 100 * 100 // 100 x stream-node-max-entries, as Redis
		}
	} else {
		if limitGiven {
			x.Error(errStreamLimitExact)
			return a, false
		}
		a.limit = 0
	}
	return a, true
}

func (a *streamTrimArgs) trim(s *engine.Stream) int64 {
	if a.strategy == 0 {
		return 0
	}
	return s.Trim(a.strategy == 2, a.maxlen, a.minID, a.approx, a.limit)
}

func cmdXAdd(x *Ctx) {
	a, ok := parseStreamTrim(x, true)
	if !ok {
		return
	}
	fields := x.Args[a.idPos+1:]
	if len(fields) < 2 || len(fields)%2 == 1 {
		x.ArityError()
		return
	}
	if a.idGiven && !a.seqAuto && a.id.IsZero() {
		x.Error(errStreamXAddZero)
		return
	}
	key := x.Args[1]
	en, s, ok := streamWrite(x, key)
	if !ok {
		return
	}
	if s == nil {
		if a.noMk {
			x.W.Null()
			return
		}
		s = engine.NewStream()
		en = nil
	}
	if s.LastID == engine.MaxStreamID {
		x.Error(errStreamExhausted)
		return
	}
	var id engine.StreamID
	switch {
	case !a.idGiven:
		now := uint64(max(x.Tx.Now, 0))
		if now > s.LastID.Ms {
			id = engine.StreamID{Ms: now}
		} else {
			id, _ = s.LastID.Next()
		}
	case a.seqAuto:
		id = a.id
		if s.LastID.Ms == a.id.Ms {
			if s.LastID.Seq == math.MaxUint64 {
				x.Error(errStreamXAddSmall)
				return
			}
			id, _ = s.LastID.Next()
		}
	default:
		id = a.id
	}
	if !s.LastID.Less(id) {
		x.Error(errStreamXAddSmall)
		return
	}
	// The storage quota counted the arguments; the charges follow.
	s.Add(id, fields)
	if en == nil {
		en = x.Tx.Put(key, engine.NewObject(engine.KindStream, s))
	}
	writeID(x, id)
	if a.trim(s) > 0 {
		x.keyEvent("xtrim", key)
	}
	x.Tx.Updated(key, en)
}

func cmdXTrim(x *Ctx) {
	key := x.Args[1]
	en, s, ok := streamWrite(x, key)
	if !ok {
		return
	}
	if s == nil {
		x.W.Int(0)
		return
	}
	a, ok := parseStreamTrim(x, false)
	if !ok {
		return
	}
	if a.idPos != len(x.Args) {
		x.Error(resp.ErrSyntax)
		return
	}
	n := a.trim(s)
	if n > 0 {
		x.Tx.Updated(key, en)
	}
	x.W.Int(n)
}

// ---- XLEN, XRANGE, XREVRANGE, XDEL ----

func cmdXLen(x *Ctx) {
	s, ok := streamRead(x, x.Args[1])
	if !ok {
		return
	}
	if s == nil {
		x.W.Int(0)
		return
	}
	x.W.Int(int64(s.Len()))
}

func cmdXRange(x *Ctx)    { xrange(x, false) }
func cmdXRevRange(x *Ctx) { xrange(x, true) }

func xrange(x *Ctx, rev bool) {
	startArg, endArg := x.Args[2], x.Args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ok := streamIntervalArg(x, startArg, true)
	if !ok {
		return
	}
	end, ok := streamIntervalArg(x, endArg, false)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(x.Args); j++ {
		if strEq(x.Args[j], "count") && j+1 < len(x.Args) {
			n, ok := ParseInt(x.Args[j+1])
			if !ok {
				x.Error(resp.ErrNotInteger)
				return
			}
			count = max(n, 0)
			j++
			continue
		}
		x.Error(resp.ErrSyntax)
		return
	}
	s, ok := streamRead(x, x.Args[1])
	if !ok {
		return
	}
	if s == nil {
		x.W.Array(0)
		return
	}
	if count == 0 {
		x.W.NullArray()
		return
	}
	if count < 0 {
		count = 0
	}
	streamRange(x, s, start, end, int(min(count, math.MaxInt32)), rev)
}

func cmdXDel(x *Ctx) {
	key := x.Args[1]
	en, s, ok := streamWrite(x, key)
	if !ok {
		return
	}
	if s == nil {
		x.W.Int(0)
		return
	}
	streamEachID(x, key, en, x.Args[2:], s.Delete)
}

// streamEachID applies op to each id of args (all parsed first: one bad id
// refuses the command before anything changes), replies with how many op
// reported done, and marks the key updated if any was.
func streamEachID(x *Ctx, key []byte, en *engine.Entry, args [][]byte, op func(engine.StreamID) bool) {
	ids := make([]engine.StreamID, 0, len(args))
	for _, b := range args {
		id, ok := streamIDArg(x, b)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	n := 0
	for _, id := range ids {
		if op(id) {
			n++
		}
	}
	if n > 0 {
		x.Tx.Updated(key, en)
	}
	x.W.Int(int64(n))
}

// ---- XSETID ----

func cmdXSetID(x *Ctx) {
	key := x.Args[1]
	id, ok := streamIDArg(x, x.Args[2])
	if !ok {
		return
	}
	added := int64(-1)
	var maxDel engine.StreamID
	maxDelGiven := false
	for i := 3; i < len(x.Args); i++ {
		more := len(x.Args) - 1 - i
		switch {
		case strEq(x.Args[i], "entriesadded") && more > 0:
			n, ok := ParseInt(x.Args[i+1])
			if !ok {
				x.Error(resp.ErrNotInteger)
				return
			}
			if n < 0 {
				x.Error(errStreamEntriesAdded)
				return
			}
			added = n
			i++
		case strEq(x.Args[i], "maxdeletedid") && more > 0:
			if maxDel, ok = streamIDArg(x, x.Args[i+1]); !ok {
				return
			}
			if id.Less(maxDel) {
				x.Error(errStreamSetIDMaxDel)
				return
			}
			maxDelGiven = true
			i++
		default:
			x.Error(resp.ErrSyntax)
			return
		}
	}
	en, s, ok := streamWrite(x, key)
	if !ok {
		return
	}
	if s == nil {
		x.Error(resp.ErrNoSuchKey)
		return
	}
	// Only the last live entry bounds the new last id: Redis lets XSETID
	// move it back over deleted ones.
	if s.Len() > 0 && id.Less(lastLive(s)) {
		x.Error(errStreamSetIDSmall)
		return
	}
	if added != -1 && int64(s.Len()) > added {
		x.Error(errStreamSetIDAdded)
		return
	}
	s.LastID = id
	if added != -1 {
		s.EntriesAdded = added
	}
	if maxDelGiven && !maxDel.IsZero() {
		s.MaxDeletedID = maxDel
	}
	x.Tx.Updated(key, en)
	x.W.Simple("OK")
}

func lastLive(s *engine.Stream) engine.StreamID {
	var id engine.StreamID
	s.Descend(engine.MaxStreamID, func(e *engine.StreamEntry) bool {
		id = e.ID
		return false
	})
	return id
}

// ---- XREAD, XREADGROUP ----

// xreadKeys finds the keys after STREAMS: the first half of what follows.
func xreadKeys(args [][]byte) []int {
	for i := 1; i < len(args); i++ {
		switch {
		case strEq(args[i], "streams"):
			n := (len(args) - i - 1) / 2
			out := make([]int, n)
			for j := range out {
				out[j] = i + 1 + j
			}
			return out
		case strEq(args[i], "block") || strEq(args[i], "count"):
			i++
		case strEq(args[i], "group"):
			i += 2
		}
	}
	return nil
}

type xreadArgs struct {
	group, consumer []byte
	count           int64
	block           bool
	timeout         time.Duration
	noack           bool
	keys            [][]byte
	idArgs          [][]byte
	ids             []engine.StreamID
	streamsAt       int
	countGiven      bool
}

func parseXRead(x *Ctx, isGroup bool) (a xreadArgs, ok bool) {
	args := x.Args
	streamsArg := 0
	for i := 1; i < len(args); i++ {
		more := len(args) - 1 - i
		o := args[i]
		switch {
		case strEq(o, "block") && more > 0:
			i++
			ms, ok := ParseInt(args[i])
			if !ok {
				x.Error(errStreamTimeoutInt)
				return a, false
			}
			if ms < 0 {
				x.Error(errTimeoutNegative)
				return a, false
			}
			a.block, a.timeout = true, time.Duration(min(ms, int64(100*365*24*time.Hour/time.Millisecond)))*time.Millisecond
		case strEq(o, "count") && more > 0:
			i++
			n, ok := ParseInt(args[i])
			if !ok {
				x.Error(resp.ErrNotInteger)
				return a, false
			}
			a.count, a.countGiven = max(n, 0), true
		case strEq(o, "streams") && more > 0:
			streamsArg = i + 1
			if (len(args)-streamsArg)%2 != 0 {
				// Redis 7.0 names XREAD and '$' for XREADGROUP too.
				x.Error(errStreamUnbalanced)
				return a, false
			}
			i = len(args)
		case strEq(o, "group") && more >= 2:
			if !isGroup {
				x.Error(errStreamGroupXRead)
				return a, false
			}
			a.group, a.consumer = args[i+1], args[i+2]
			i += 2
		case strEq(o, "noack"):
			if !isGroup {
				x.Error(errStreamNoackXRead)
				return a, false
			}
			a.noack = true
		default:
			x.Error(resp.ErrSyntax)
			return a, false
		}
	}
	if streamsArg == 0 {
		x.Error(resp.ErrSyntax)
		return a, false
	}
	if isGroup && a.group == nil {
		x.Error(errStreamMissingGroup)
		return a, false
	}
	n := (len(args) - streamsArg) / 2
	a.streamsAt = streamsArg
	a.keys = args[streamsArg : streamsArg+n]
	a.idArgs = args[streamsArg+n:]
	a.ids = make([]engine.StreamID, n)
	return a, true
}

// resolveXReadIDs checks each key (type, group) and turns "$" into the
// stream's last id; ">" becomes the maximum id. It replies on error.
func resolveXReadIDs(x *Ctx, a *xreadArgs, isGroup bool) bool {
	for i, key := range a.keys {
		en := x.Tx.Peek(key)
		if en != nil && en.Kind != engine.KindStream {
			x.Error(resp.ErrWrongType)
			return false
		}
		var s *engine.Stream
		if en != nil {
			s = en.Obj().(*engine.Stream)
		}
		if isGroup && (s == nil || s.Group(a.group) == nil) {
			x.Error(fmt.Sprintf(errStreamNoGroupRead, key, a.group))
			return false
		}
		arg := a.idArgs[i]
		switch {
		case len(arg) == 1 && arg[0] == '$':
			if isGroup {
				x.Error(errStreamDollarGroup)
				return false
			}
			if s != nil {
				a.ids[i] = s.LastID
			}
			continue
		case len(arg) == 1 && arg[0] == '>':
			if !isGroup {
				x.Error(errStreamGtXRead)
				return false
			}
			a.ids[i] = engine.MaxStreamID
			continue
		}
		id, ok := streamIDArg(x, arg)
		if !ok {
			return false
		}
		a.ids[i] = id
	}
	return true
}

func cmdXRead(x *Ctx)      { xreadCmd(x, false) }
func cmdXReadGroup(x *Ctx) { xreadCmd(x, true) }

func xreadCmd(x *Ctx, isGroup bool) {
	a, ok := parseXRead(x, isGroup)
	if !ok || !resolveXReadIDs(x, &a, isGroup) {
		return
	}
	if xreadServe(x, &a, isGroup, false, nil) {
		return
	}
	if !a.block {
		x.W.NullArray()
		return
	}
	// The waiter keeps the resolved form: "$" as the id it stood for, no
	// BLOCK, and the COUNT a blocked read is served with, so that serving
	// it later reads what this command would have, and so that a served
	// XREADGROUP reaches the write hook as a plain one (propagate).
	waitArgs := [][]byte{x.Args[0]}
	if isGroup {
		waitArgs = append(waitArgs, []byte("GROUP"), a.group, a.consumer)
		if a.noack {
			waitArgs = append(waitArgs, []byte("NOACK"))
		}
	}
	count := a.count
	if count == 0 {
		count = xreadBlockedCount
	}
	waitArgs = append(waitArgs, []byte("COUNT"), strconv.AppendInt(nil, count, 10), []byte("STREAMS"))
	waitArgs = append(waitArgs, a.keys...)
	for i, id := range a.ids {
		if isGroup {
			waitArgs = append(waitArgs, a.idArgs[i])
		} else {
			waitArgs = append(waitArgs, id.Append(nil))
		}
	}
	x.Args = waitArgs
	x.Block(a.keys, a.timeout, func(y *Ctx) bool {
		b, ok := parseXRead(y, isGroup)
		if !ok {
			return true
		}
		for i, arg := range b.idArgs {
			if len(arg) == 1 && arg[0] == '>' {
				b.ids[i] = engine.MaxStreamID
			} else {
				b.ids[i], _ = parseStreamID(arg, 0, true, nil)
			}
		}
		return xreadServe(y, &b, isGroup, true, y.Ready)
	}, func(y *Ctx) { y.W.NullArray() })
}

// xreadServe replies with the streams that have entries for the read, and
// reports whether it replied. Serving a waiter (blocked), only the ready
// key is served when known, one stream as Redis serves a blocked read, and
// a group destroyed meanwhile ends the wait with NOGROUP.
func xreadServe(x *Ctx, a *xreadArgs, isGroup, blocked bool, ready []byte) bool {
	type hit struct {
		i     int
		s     *engine.Stream
		g     *engine.StreamGroup
		after engine.StreamID
		hist  bool
		news  []*engine.StreamEntry // what a group read delivers
	}
	var hits []hit
	for i, key := range a.keys {
		if blocked && ready != nil && !bytes.Equal(key, ready) {
			continue
		}
		var en *engine.Entry
		if blocked {
			en = x.Tx.Peek(key)
		} else {
			en = x.Read(key)
		}
		if en == nil || en.Kind != engine.KindStream {
			continue
		}
		s := en.Obj().(*engine.Stream)
		gt := a.ids[i]
		var g *engine.StreamGroup
		if isGroup {
			if g = s.Group(a.group); g == nil {
				if blocked {
					x.Error(errStreamGroupGone)
					return true
				}
				continue
			}
			if gt != engine.MaxStreamID {
				from, _ := gt.Next()
				hits = append(hits, hit{i, s, g, from, true, nil})
				continue
			}
			if s.Len() > 0 && g.LastID.Less(lastLive(s)) {
				hits = append(hits, hit{i, s, g, g.LastID, false, streamAfter(s, g.LastID, a.count)})
			}
		} else if s.Len() > 0 && gt.Less(lastLive(s)) {
			hits = append(hits, hit{i, s, nil, gt, false, nil})
		}
		if blocked && len(hits) > 0 {
			break
		}
	}
	if len(hits) == 0 {
		return false
	}
	if isGroup && !a.noack {
		// Each delivered entry becomes a pending one: its charge is held to
		// the storage quota before anything is delivered.
		n := int64(0)
		for _, h := range hits {
			n += int64(len(h.news)) * engine.StreamPendingCharge
			if h.g.Consumer(a.consumer) == nil {
				n += engine.StreamConsumerCharge + int64(len(a.consumer))
			}
		}
		if !x.GrowthAllowed(n) {
			return true
		}
	}
	resp3 := x.C.Proto() == 3
	if resp3 {
		x.W.Map(len(hits))
	} else {
		x.W.Array(len(hits))
	}
	for _, h := range hits {
		if !resp3 {
			x.W.Array(2)
		}
		key := a.keys[h.i]
		x.W.Bulk(key)
		if h.g == nil {
			start, _ := h.after.Next()
			streamRange(x, h.s, start, engine.MaxStreamID, int(min(a.count, math.MaxInt32)), false)
			continue
		}
		now := x.Tx.Now
		c := h.g.Consumer(a.consumer)
		if c == nil {
			c = h.s.CreateConsumer(h.g, string(a.consumer), now)
			x.keyEvent("xgroup-createconsumer", key)
		}
		c.SeenTime = now
		if h.hist {
			xreadHistory(x, h.s, c, h.after, a.count)
		} else {
			xreadDeliver(x, h.s, h.g, c, h.news, a.noack)
		}
		x.Tx.Updated(key, x.Tx.Peek(key))
	}
	return true
}

// xreadHistory replies the consumer's pending entries from start on: a
// deleted entry as [id, nil]; each one delivered again counts a delivery.
func xreadHistory(x *Ctx, s *engine.Stream, c *engine.StreamConsumer, start engine.StreamID, count int64) {
	// Delivery counts change, so it walks as far as COUNT says whatever the
	// output bound (see streamAfter); the consumer's list is quota-bounded.
	var out []*engine.StreamPending
	c.PEL.Ascend(&engine.StreamPending{ID: start}, func(p *engine.StreamPending) bool {
		out = append(out, p)
		if len(out)&1023 == 0 {
			sched.Maybe()
		}
		return count == 0 || int64(len(out)) < count
	})
	x.W.Array(len(out))
	for _, p := range out {
		e := s.Get(p.ID)
		if e == nil {
			x.W.Array(2)
			writeID(x, p.ID)
			x.W.NullArray()
			continue
		}
		p.DeliveryTime = x.Tx.Now
		p.DeliveryCount++
		writeEntry(x, e)
	}
}

// streamAfter lists the entries after id, at most count (0: all).
// Unlike a plain read it does not stop at the client's output bound: what
// a group read delivers must depend only on the stream, the group and
// COUNT, so that its record replays the same (a reply past the bound is
// still dropped, the entries stay pending, as when Redis disconnects such
// a client). It is bounded anyway: each entry delivered becomes a pending
// entry, held to the tenant's storage quota before anything is delivered.
func streamAfter(s *engine.Stream, id engine.StreamID, count int64) []*engine.StreamEntry {
	start, ok := id.Next()
	if !ok {
		return nil
	}
	var out []*engine.StreamEntry
	s.Ascend(start, func(e *engine.StreamEntry) bool {
		out = append(out, e)
		if len(out)&1023 == 0 {
			sched.Maybe()
		}
		return count == 0 || int64(len(out)) < count
	})
	return out
}

// xreadDeliver replies the entries out (those after the group's last id),
// moving the last id and the group's read counter, and adds them to the
// consumer's pending entries unless NOACK.
func xreadDeliver(x *Ctx, s *engine.Stream, g *engine.StreamGroup, c *engine.StreamConsumer, out []*engine.StreamEntry, noack bool) {
	x.W.Array(len(out))
	for _, e := range out {
		if g.LastID.Less(e.ID) {
			if g.EntriesRead != -1 && !streamTombstonesFrom(s, e.ID) {
				g.EntriesRead++
			} else if s.EntriesAdded != 0 {
				g.EntriesRead = streamEstimateRead(s, e.ID)
			}
			g.LastID = e.ID
		}
		writeEntry(x, e)
		if !noack {
			s.AddPending(g, c, e.ID, x.Tx.Now, 1)
		}
	}
}

// streamTombstonesFrom is streamRangeHasTombstones(s, from, +).
func streamTombstonesFrom(s *engine.Stream, from engine.StreamID) bool {
	if s.Len() == 0 || s.MaxDeletedID.IsZero() {
		return false
	}
	if s.MaxDeletedID.Less(s.FirstID()) {
		return false
	}
	return !s.MaxDeletedID.Less(from)
}

// streamEstimateRead is streamEstimateDistanceFromFirstEverEntry: the
// entries-read counter of id, or -1 when it cannot be known.
func streamEstimateRead(s *engine.Stream, id engine.StreamID) int64 {
	if s.EntriesAdded == 0 {
		return 0
	}
	if s.Len() == 0 && id.Compare(s.LastID) < 1 {
		return s.EntriesAdded
	}
	switch id.Compare(s.LastID) {
	case 0:
		return s.EntriesAdded
	case 1:
		return -1
	}
	first := s.FirstID()
	if s.MaxDeletedID.IsZero() || s.MaxDeletedID.Less(first) {
		switch id.Compare(first) {
		case -1:
			return s.EntriesAdded - int64(s.Len())
		case 0:
			return s.EntriesAdded - int64(s.Len()) + 1
		}
	}
	return -1
}

// streamLag is the group's lag as XINFO reports it; ok false for nil.
func streamLag(s *engine.Stream, g *engine.StreamGroup) (int64, bool) {
	if s.EntriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != -1 && !streamTombstonesFrom(s, g.LastID) {
		return s.EntriesAdded - g.EntriesRead, true
	}
	if r := streamEstimateRead(s, g.LastID); r != -1 {
		return s.EntriesAdded - r, true
	}
	return 0, false
}

// ---- groups ----

// xgroupLookup finds the stream and, for the subcommands that need it,
// the group; it replies the error when either is missing.
func xgroupLookup(x *Ctx, needGroup bool) (*engine.Entry, *engine.Stream, *engine.StreamGroup, bool) {
	key, name := x.Args[2], x.Args[3]
	en, s, ok := streamWrite(x, key)
	if !ok {
		return nil, nil, nil, false
	}
	if s == nil {
		x.Error(errStreamGroupNoKey)
		return nil, nil, nil, false
	}
	g := s.Group(name)
	if needGroup && g == nil {
		x.Error(fmt.Sprintf(errStreamNoGroup, name, key))
		return nil, nil, nil, false
	}
	return en, s, g, true
}

// parseEntriesRead reads XGROUP CREATE's and SETID's options from index 5.
func parseXGroupOpts(x *Ctx, create bool) (mkstream bool, entriesRead int64, ok bool) {
	entriesRead = -1
	for i := 5; i < len(x.Args); i++ {
		switch {
		case create && strEq(x.Args[i], "mkstream"):
			mkstream = true
		case strEq(x.Args[i], "entriesread") && i+1 < len(x.Args):
			n, ok := ParseInt(x.Args[i+1])
			if !ok {
				x.Error(resp.ErrNotInteger)
				return false, 0, false
			}
			if n < 0 && n != -1 {
				x.Error(errStreamEntriesRead)
				return false, 0, false
			}
			entriesRead = n
			i++
		default:
			x.Error(fmt.Sprintf(errStreamSubSyntax, x.Args[1], "XGROUP"))
			return false, 0, false
		}
	}
	return mkstream, entriesRead, true
}

func cmdXGroupCreate(x *Ctx) {
	if len(x.Args) > 8 {
		x.Error(fmt.Sprintf(errStreamSubSyntax, x.Args[1], "XGROUP"))
		return
	}
	mk, entriesRead, ok := parseXGroupOpts(x, true)
	if !ok {
		return
	}
	key, name := x.Args[2], x.Args[3]
	en, s, ok := streamWrite(x, key)
	if !ok {
		return
	}
	if s == nil && !mk {
		x.Error(errStreamGroupNoKey)
		return
	}
	var id engine.StreamID
	if a := x.Args[4]; len(a) == 1 && a[0] == '$' {
		if s != nil {
			id = s.LastID
		}
	} else if id, ok = streamIDArg(x, a); !ok {
		return
	}
	if s != nil && s.Group(name) != nil {
		x.Error(errStreamBusyGroup)
		return
	}
	if s == nil {
		s = engine.NewStream()
		en = x.Tx.Put(key, engine.NewObject(engine.KindStream, s))
	}
	s.CreateGroup(string(name), id, entriesRead)
	x.Tx.Updated(key, en)
	x.W.Simple("OK")
}

func cmdXGroupSetID(x *Ctx) {
	if len(x.Args) != 5 && len(x.Args) != 7 {
		x.Error(fmt.Sprintf(errStreamSubSyntax, x.Args[1], "XGROUP"))
		return
	}
	_, entriesRead, ok := parseXGroupOpts(x, false)
	if !ok {
		return
	}
	en, s, g, ok := xgroupLookup(x, true)
	if !ok {
		return
	}
	var id engine.StreamID
	if a := x.Args[4]; len(a) == 1 && a[0] == '$' {
		id = s.LastID
	} else if id, ok = parseStreamID(a, 0, false, nil); !ok {
		x.Error(errStreamID)
		return
	}
	g.LastID, g.EntriesRead = id, entriesRead
	x.Tx.Updated(x.Args[2], en)
	x.W.Simple("OK")
}

func cmdXGroupDestroy(x *Ctx) {
	en, s, g, ok := xgroupLookup(x, false)
	if !ok {
		return
	}
	if g == nil {
		x.W.Int(0)
		return
	}
	s.DestroyGroup(g)
	x.Tx.Updated(x.Args[2], en)
	x.W.Int(1)
}

func cmdXGroupCreateConsumer(x *Ctx) {
	en, s, g, ok := xgroupLookup(x, true)
	if !ok {
		return
	}
	if s.CreateConsumer(g, string(x.Args[4]), x.Tx.Now) == nil {
		x.W.Int(0)
		return
	}
	x.Tx.Updated(x.Args[2], en)
	x.W.Int(1)
}

func cmdXGroupDelConsumer(x *Ctx) {
	en, s, g, ok := xgroupLookup(x, true)
	if !ok {
		return
	}
	c := g.Consumer(x.Args[4])
	if c == nil {
		x.W.Int(0)
		return
	}
	n := c.PEL.Len()
	s.DeleteConsumer(g, c)
	x.Tx.Updated(x.Args[2], en)
	x.W.Int(int64(n))
}

// ---- XACK, XPENDING, XCLAIM, XAUTOCLAIM ----

func cmdXAck(x *Ctx) {
	key := x.Args[1]
	en, s, ok := streamWrite(x, key)
	if !ok {
		return
	}
	var g *engine.StreamGroup
	if s != nil {
		g = s.Group(x.Args[2])
	}
	if g == nil {
		x.W.Int(0)
		return
	}
	streamEachID(x, key, en, x.Args[3:], func(id engine.StreamID) bool { return s.Ack(g, id) })
}

// groupOf finds key's group for XPENDING, XCLAIM and XAUTOCLAIM, replying
// NOGROUP when the key or the group is missing.
func groupOf(x *Ctx, write bool) (*engine.Entry, *engine.Stream, *engine.StreamGroup, bool) {
	key, name := x.Args[1], x.Args[2]
	var en *engine.Entry
	if write {
		en = x.Tx.Get(key)
	} else {
		en = x.Read(key)
	}
	if en != nil && en.Kind != engine.KindStream {
		x.Error(resp.ErrWrongType)
		return nil, nil, nil, false
	}
	var s *engine.Stream
	var g *engine.StreamGroup
	if en != nil {
		s = en.Obj().(*engine.Stream)
		g = s.Group(name)
	}
	if g == nil {
		x.Error(fmt.Sprintf(errStreamNoKeyGroup, key, name))
		return nil, nil, nil, false
	}
	return en, s, g, true
}

func cmdXPending(x *Ctx) {
	n := len(x.Args)
	if n != 3 && (n < 6 || n > 9) {
		x.Error(resp.ErrSyntax)
		return
	}
	var minIdle, count int64
	var start, end engine.StreamID
	var consumer []byte
	if n >= 6 {
		at := 3
		if strEq(x.Args[3], "idle") {
			v, ok := ParseInt(x.Args[4])
			if !ok {
				x.Error(resp.ErrNotInteger)
				return
			}
			minIdle = v
			if n < 8 {
				x.Error(resp.ErrSyntax)
				return
			}
			at += 2
		}
		c, ok := ParseInt(x.Args[at+2])
		if !ok {
			x.Error(resp.ErrNotInteger)
			return
		}
		count = max(c, 0)
		if start, ok = streamIntervalArg(x, x.Args[at], true); !ok {
			return
		}
		if end, ok = streamIntervalArg(x, x.Args[at+1], false); !ok {
			return
		}
		if at+3 < n {
			consumer = x.Args[at+3]
		}
	}
	_, _, g, ok := groupOf(x, false)
	if !ok {
		return
	}
	if n == 3 {
		x.W.Array(4)
		x.W.Int(int64(g.PEL.Len()))
		if g.PEL.Len() == 0 {
			x.W.Null()
			x.W.Null()
			x.W.NullArray()
			return
		}
		first, _ := g.PEL.Min()
		last, _ := g.PEL.Max()
		writeID(x, first.ID)
		writeID(x, last.ID)
		cs := g.Consumers()
		k := 0
		for _, c := range cs {
			if c.PEL.Len() > 0 {
				k++
			}
		}
		x.W.Array(k)
		for _, c := range cs {
			if c.PEL.Len() > 0 {
				x.W.Array(2)
				x.W.BulkString(c.Name)
				x.W.BulkInt(int64(c.PEL.Len()))
			}
		}
		return
	}
	pel := g.PEL
	if consumer != nil {
		c := g.Consumer(consumer)
		if c == nil {
			x.W.Array(0)
			return
		}
		pel = c.PEL
	}
	now := x.Tx.Now
	var out []*engine.StreamPending
	steps, budget := 0, x.W.Limit()
	pel.Ascend(&engine.StreamPending{ID: start}, func(p *engine.StreamPending) bool {
		if count == 0 || end.Less(p.ID) {
			return false
		}
		if steps++; steps&1023 == 0 {
			sched.Maybe()
		}
		if minIdle != 0 && now-p.DeliveryTime < minIdle {
			return true
		}
		out = append(out, p)
		count--
		return budget == 0 || int64(len(out))*pendingReplyMin <= budget
	})
	x.W.Array(len(out))
	for _, p := range out {
		x.W.Array(4)
		writeID(x, p.ID)
		x.W.BulkString(p.Consumer.Name)
		x.W.Int(max(now-p.DeliveryTime, 0))
		x.W.Int(p.DeliveryCount)
	}
}

func cmdXClaim(x *Ctx) {
	en, s, g, ok := groupOf(x, true)
	if !ok {
		return
	}
	minIdle, ok := ParseInt(x.Args[4])
	if !ok {
		x.Error(errStreamClaimMinIdle)
		return
	}
	minIdle = max(minIdle, 0)
	j := 5
	var ids []engine.StreamID
	for ; j < len(x.Args); j++ {
		id, ok := parseStreamID(x.Args[j], 0, true, nil)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := x.Tx.Now
	retry, delivery := int64(-1), int64(-1)
	force, justid := false, false
	var lastID engine.StreamID
	for ; j < len(x.Args); j++ {
		more := len(x.Args) - 1 - j
		opt := x.Args[j]
		switch {
		case strEq(opt, "force"):
			force = true
		case strEq(opt, "justid"):
			justid = true
		case strEq(opt, "idle") && more > 0:
			j++
			v, ok := ParseInt(x.Args[j])
			if !ok {
				x.Error(errStreamClaimIdle)
				return
			}
			delivery = now - v
		case strEq(opt, "time") && more > 0:
			j++
			v, ok := ParseInt(x.Args[j])
			if !ok {
				x.Error(errStreamClaimTime)
				return
			}
			delivery = v
		case strEq(opt, "retrycount") && more > 0:
			j++
			v, ok := ParseInt(x.Args[j])
			if !ok {
				x.Error(errStreamClaimRetry)
				return
			}
			retry = v
		case strEq(opt, "lastid") && more > 0:
			j++
			if lastID, ok = streamIDArg(x, x.Args[j]); !ok {
				return
			}
		default:
			x.Error(fmt.Sprintf(errStreamClaimOption, opt))
			return
		}
	}
	changed := false
	if g.LastID.Less(lastID) {
		g.LastID = lastID
		changed = true
	}
	if delivery == -1 || delivery < 0 || delivery > now {
		delivery = now
	}
	var c *engine.StreamConsumer
	type claimed struct {
		id engine.StreamID
		e  *engine.StreamEntry
	}
	var out []claimed
	for _, id := range ids {
		p := g.GetPending(id)
		e := s.Get(id)
		if e == nil {
			if p != nil {
				s.Ack(g, id)
				changed = true
			}
			continue
		}
		fresh := false
		if p == nil {
			if !force {
				continue
			}
			fresh = true
		}
		if !fresh && minIdle != 0 && now-p.DeliveryTime < minIdle {
			continue
		}
		if c == nil {
			if c = g.Consumer(x.Args[3]); c == nil {
				c = s.CreateConsumer(g, string(x.Args[3]), now)
				x.keyEvent("xgroup-createconsumer", x.Args[1])
			}
			c.SeenTime = now
		}
		if fresh {
			p = s.AddPending(g, c, id, delivery, 1)
		} else {
			s.MovePending(p, c)
		}
		p.DeliveryTime = delivery
		if retry >= 0 {
			p.DeliveryCount = retry
		} else if !justid {
			p.DeliveryCount++
		}
		changed = true
		out = append(out, claimed{id, e})
	}
	x.W.Array(len(out))
	for _, cl := range out {
		if justid {
			writeID(x, cl.id)
		} else {
			writeEntry(x, cl.e)
		}
	}
	if changed || c != nil {
		x.Tx.Updated(x.Args[1], en)
	}
}

func cmdXAutoClaim(x *Ctx) {
	minIdle, ok := ParseInt(x.Args[4])
	if !ok {
		x.Error(errStreamAutoClaimMinIdle)
		return
	}
	minIdle = max(minIdle, 0)
	start, ok := streamIntervalArg(x, x.Args[5], true)
	if !ok {
		return
	}
	count, justid := int64(100), false
	for j := 6; j < len(x.Args); j++ {
		more := len(x.Args) - 1 - j
		switch {
		case strEq(x.Args[j], "count") && more > 0:
			v, ok := ParseInt(x.Args[j+1])
			if !ok || v < 1 || v > math.MaxInt64/16 {
				x.Error(errStreamAutoClaimCount)
				return
			}
			count = v
			j++
		case strEq(x.Args[j], "justid"):
			justid = true
		default:
			x.Error(resp.ErrSyntax)
			return
		}
	}
	en, s, g, ok := groupOf(x, true)
	if !ok {
		return
	}
	now := x.Tx.Now
	attempts := count * 10
	var claimedIDs []*engine.StreamEntry
	var deleted []engine.StreamID
	var c *engine.StreamConsumer
	cursor := start
	next := engine.StreamID{}
	changed := false
	// It claims as COUNT says whatever the output bound, so that its
	// record replays the same; COUNT x 10 bounds the visits.
	steps := 0
	for {
		if steps++; steps&1023 == 0 {
			sched.Maybe()
		}
		if attempts == 0 || count == 0 {
			// Redis's cursor is the entry after the last one visited.
			if p := pelFrom(g, cursor); p != nil {
				next = p.ID
			}
			break
		}
		attempts--
		p := pelFrom(g, cursor)
		if p == nil {
			break
		}
		if nx, ok := p.ID.Next(); ok {
			cursor = nx
		} else {
			cursor = p.ID
			attempts, count = 0, 0 // nothing can follow the maximum id
		}
		e := s.Get(p.ID)
		if e == nil {
			s.Ack(g, p.ID)
			deleted = append(deleted, p.ID)
			changed = true
			count--
			continue
		}
		if minIdle != 0 && now-p.DeliveryTime < minIdle {
			continue
		}
		if c = g.Consumer(x.Args[3]); c == nil {
			c = s.CreateConsumer(g, string(x.Args[3]), now)
			x.keyEvent("xgroup-createconsumer", x.Args[1])
		}
		c.SeenTime = now
		s.MovePending(p, c)
		p.DeliveryTime = now
		if !justid {
			p.DeliveryCount++
		}
		changed = true
		claimedIDs = append(claimedIDs, e)
		count--
	}
	x.W.Array(3)
	writeID(x, next)
	x.W.Array(len(claimedIDs))
	for _, e := range claimedIDs {
		if justid {
			writeID(x, e.ID)
		} else {
			writeEntry(x, e)
		}
	}
	x.W.Array(len(deleted))
	for _, id := range deleted {
		writeID(x, id)
	}
	if changed || c != nil {
		x.Tx.Updated(x.Args[1], en)
	}
}

// pelFrom is the first pending entry of g at or after id.
func pelFrom(g *engine.StreamGroup, id engine.StreamID) *engine.StreamPending {
	var out *engine.StreamPending
	g.PEL.Ascend(&engine.StreamPending{ID: id}, func(p *engine.StreamPending) bool {
		out = p
		return false
	})
	return out
}

// ---- XINFO ----

func xinfoStream(x *Ctx, key []byte) (*engine.Stream, bool) {
	en := x.Read(key)
	if en == nil {
		x.Error(resp.ErrNoSuchKey)
		return nil, false
	}
	if en.Kind != engine.KindStream {
		x.Error(resp.ErrWrongType)
		return nil, false
	}
	return en.Obj().(*engine.Stream), true
}

func cmdXInfoConsumers(x *Ctx) {
	s, ok := xinfoStream(x, x.Args[2])
	if !ok {
		return
	}
	g := s.Group(x.Args[3])
	if g == nil {
		x.Error(fmt.Sprintf(errStreamNoGroup, x.Args[3], x.Args[2]))
		return
	}
	cs := g.Consumers()
	x.W.Array(len(cs))
	for _, c := range cs {
		x.W.Map(3)
		x.W.BulkString("name")
		x.W.BulkString(c.Name)
		x.W.BulkString("pending")
		x.W.Int(int64(c.PEL.Len()))
		x.W.BulkString("idle")
		x.W.Int(max(x.Tx.Now-c.SeenTime, 0))
	}
}

func cmdXInfoGroups(x *Ctx) {
	s, ok := xinfoStream(x, x.Args[2])
	if !ok {
		return
	}
	gs := s.Groups()
	x.W.Array(len(gs))
	for _, g := range gs {
		x.W.Map(6)
		x.W.BulkString("name")
		x.W.BulkString(g.Name)
		x.W.BulkString("consumers")
		x.W.Int(int64(g.ConsumerCount()))
		x.W.BulkString("pending")
		x.W.Int(int64(g.PEL.Len()))
		x.W.BulkString("last-delivered-id")
		writeID(x, g.LastID)
		writeEntriesReadLag(x, s, g)
	}
}

func writeEntriesReadLag(x *Ctx, s *engine.Stream, g *engine.StreamGroup) {
	x.W.BulkString("entries-read")
	if g.EntriesRead != -1 {
		x.W.Int(g.EntriesRead)
	} else {
		x.W.Null()
	}
	x.W.BulkString("lag")
	if lag, ok := streamLag(s, g); ok {
		x.W.Int(lag)
	} else {
		x.W.Null()
	}
}

func cmdXInfoStream(x *Ctx) {
	full, count := false, int64(xinfoFullCount)
	args := x.Args
	s, ok := xinfoStream(x, args[2])
	if !ok {
		return
	}
	if len(args) > 3 {
		if len(args) > 6 || len(args) == 5 || !strEq(args[3], "full") || (len(args) == 6 && !strEq(args[4], "count")) {
			x.Error(fmt.Sprintf(errStreamSubSyntax, args[1], "XINFO"))
			return
		}
		full = true
		if len(args) == 6 {
			n, ok := ParseInt(args[5])
			if !ok {
				x.Error(resp.ErrNotInteger)
				return
			}
			count = max(n, 0)
		}
	}
	if full {
		x.W.Map(9)
	} else {
		x.W.Map(10)
	}
	x.W.BulkString("length")
	x.W.Int(int64(s.Len()))
	x.W.BulkString("radix-tree-keys")
	x.W.Int(int64(s.Nodes()))
	x.W.BulkString("radix-tree-nodes")
	x.W.Int(int64(s.Nodes() + 1))
	x.W.BulkString("last-generated-id")
	writeID(x, s.LastID)
	x.W.BulkString("max-deleted-entry-id")
	writeID(x, s.MaxDeletedID)
	x.W.BulkString("entries-added")
	x.W.Int(s.EntriesAdded)
	x.W.BulkString("recorded-first-entry-id")
	writeID(x, s.FirstID())
	if !full {
		x.W.BulkString("groups")
		x.W.Int(int64(s.GroupCount()))
		x.W.BulkString("first-entry")
		xinfoEdge(x, s, false)
		x.W.BulkString("last-entry")
		xinfoEdge(x, s, true)
		return
	}
	// FULL is bounded by COUNT for entries and for each PEL; COUNT 0 means
	// all, as in Redis, and walks with yields.
	x.W.BulkString("entries")
	streamRange(x, s, engine.StreamID{}, engine.MaxStreamID, int(min(count, math.MaxInt32)), false)
	x.W.BulkString("groups")
	gs := s.Groups()
	x.W.Array(len(gs))
	for _, g := range gs {
		x.W.Map(7)
		x.W.BulkString("name")
		x.W.BulkString(g.Name)
		x.W.BulkString("last-delivered-id")
		writeID(x, g.LastID)
		writeEntriesReadLag(x, s, g)
		x.W.BulkString("pel-count")
		x.W.Int(int64(g.PEL.Len()))
		x.W.BulkString("pending")
		pend := firstPending(g.PEL, count, x.W.Limit())
		x.W.Array(len(pend))
		for _, p := range pend {
			x.W.Array(4)
			writeID(x, p.ID)
			x.W.BulkString(p.Consumer.Name)
			x.W.Int(p.DeliveryTime)
			x.W.Int(p.DeliveryCount)
		}
		cs := g.Consumers()
		x.W.BulkString("consumers")
		x.W.Array(len(cs))
		for _, c := range cs {
			x.W.Map(4)
			x.W.BulkString("name")
			x.W.BulkString(c.Name)
			x.W.BulkString("seen-time")
			x.W.Int(c.SeenTime)
			x.W.BulkString("pel-count")
			x.W.Int(int64(c.PEL.Len()))
			x.W.BulkString("pending")
			cp := firstPending(c.PEL, count, x.W.Limit())
			x.W.Array(len(cp))
			for _, p := range cp {
				x.W.Array(3)
				writeID(x, p.ID)
				x.W.Int(p.DeliveryTime)
				x.W.Int(p.DeliveryCount)
			}
		}
	}
}

func firstPending(pel interface {
	Scan(func(*engine.StreamPending) bool)
}, count, budget int64) []*engine.StreamPending {
	var out []*engine.StreamPending
	pel.Scan(func(p *engine.StreamPending) bool {
		out = append(out, p)
		if len(out)&1023 == 0 {
			sched.Maybe()
		}
		if budget > 0 && int64(len(out))*pendingReplyMin > budget {
			return false
		}
		return count == 0 || int64(len(out)) < count
	})
	return out
}

func xinfoEdge(x *Ctx, s *engine.Stream, last bool) {
	var e *engine.StreamEntry
	fn := func(en *engine.StreamEntry) bool {
		e = en
		return false
	}
	if last {
		s.Descend(engine.MaxStreamID, fn)
	} else {
		s.Ascend(engine.StreamID{}, fn)
	}
	if e == nil {
		x.W.Null()
		return
	}
	writeEntry(x, e)
}

// ---- propagation ----

// propXAdd records XADD with the id it chose in place of "*" or "ms-*", so
// replay adds the same id whatever its clock or its stream's last id.
func propXAdd(p *prop) {
	args := p.x.Args
	en := p.x.Tx.Peek(args[1])
	if en == nil || en.Kind != engine.KindStream {
		p.emit(args...)
		return
	}
	pos := xaddIDPos(args)
	if pos < 0 {
		p.emit(args...)
		return
	}
	out := make([][]byte, len(args))
	copy(out, args)
	out[pos] = en.Obj().(*engine.Stream).LastID.Append(nil)
	p.emit(out...)
}

// xaddIDPos finds XADD's id argument after its options.
func xaddIDPos(args [][]byte) int {
	for i := 2; i < len(args); i++ {
		switch {
		case strEq(args[i], "nomkstream"):
		case strEq(args[i], "maxlen") || strEq(args[i], "minid"):
			if i+2 < len(args) && (string(args[i+1]) == "~" || string(args[i+1]) == "=") {
				i++
			}
			i++
		case strEq(args[i], "limit"):
			i++
		default:
			return i
		}
	}
	return -1
}

// propXReadGroup records XREADGROUP without BLOCK: run under the clock of
// the record (replay pins it) on the same stream and group, it delivers
// the same entries to the same consumer with the same times. A served
// waiter already holds that form (xreadCmd), with the COUNT it was served
// with.
func propXReadGroup(p *prop) {
	args := p.x.Args
	out := make([][]byte, 0, len(args))
	for i := 0; i < len(args); i++ {
		if strEq(args[i], "streams") {
			out = append(out, args[i:]...)
			break
		}
		if strEq(args[i], "block") && i+1 < len(args) {
			i++
			continue
		}
		out = append(out, args[i])
	}
	p.emit(out...)
}
