package commands

import (
	"fmt"

	"synap/commands/hyperloglog"
	"synap/engine"
	"synap/resp"
)

// HyperLogLog values are strings in Redis's own layout (package
// hyperloglog), so a value written by Synap and one dumped by Redis read
// the same on either side.

func init() {
	hll := func(name string, arity int, flags Flag, first, last int, acl []string, complexity, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, ACL: acl,
			Group: "hyperloglog", Since: "2.8.9", Complexity: complexity, Summary: summary, Run: run}
	}
	// PFADD is the producer of a HyperLogLog: its 0 or 1 says whether the
	// sketch changed (table.go's Acknowledges). PFMERGE replies +OK.
	pfadd := hll("pfadd", -2, FlagWrite|FlagDenyOOM|FlagFast, 1, 1, []string{"write", "hyperloglog", "fast"},
		"O(1) for each element", "Adds elements to a HyperLogLog, creating it when absent.", cmdPFAdd)
	pfadd.Reveals = Acknowledges
	pfmerge := hll("pfmerge", -2, FlagWrite|FlagDenyOOM, 1, -1, []string{"write", "hyperloglog", "slow"},
		"O(N) for N HyperLogLogs", "Stores the union of HyperLogLogs in a destination key.", cmdPFMerge)
	pfmerge.Reveals = Never
	register(
		pfadd,
		// may_replicate, as in Redis (it may rewrite a sparse sketch's
		// cache): a CLIENT PAUSE WRITE holds it.
		hll("pfcount", -2, FlagReadOnly|FlagMayReplicate, 1, -1, []string{"read", "hyperloglog", "slow"},
			"O(1) for one key, O(N) for the union of N keys", "Estimates the number of distinct elements seen by one HyperLogLog or the union of several.", cmdPFCount),
		pfmerge,
		hll("pfdebug", 3, FlagWrite|FlagDenyOOM|FlagAdmin, 2, 2, []string{"write", "hyperloglog", "admin", "slow", "dangerous"},
			"N/A", "Inspects the internals of a HyperLogLog (registers, encoding).", cmdPFDebug),
	)
	// How each write reaches the write hook (propagate.go).
	setPropagation(map[string]Propagation{
		"pfadd": Verbatim, "pfdebug": Verbatim, "pfmerge": Verbatim,
	})
}

// hllLookup checks an existing entry is a HyperLogLog, replying Redis's
// error when it is not. A nil entry is fine.
func hllLookup(x *Ctx, en *engine.Entry) bool {
	switch {
	case en == nil:
		return true
	case en.Kind != engine.KindString:
		x.Error(resp.ErrWrongType)
	case !hyperloglog.Valid(en.Str()):
		x.Error(errHLLType)
	default:
		return true
	}
	return false
}

// hllRoomToGrow checks, before a sparse (or missing) value is changed in
// place, that the tenant's quota has room for it to turn dense: a few
// crafted elements do that, 12 KB from a few bytes, and a change made in
// place cannot be undone once its size is known. It replies and returns
// false when there is no room.
func hllRoomToGrow(x *Ctx, key []byte, en *engine.Entry) bool {
	if en != nil && hyperloglog.Dense(en.Str()) {
		return true
	}
	return x.StoreAllowed(x.Tx, key, hyperloglog.DenseSize)
}

// hllStore saves a changed value: in place for an existing key (keeping its
// TTL, re-accounted), as a new key otherwise. Redis reports such strings'
// encoding as raw.
func hllStore(x *Ctx, key []byte, en *engine.Entry, s []byte) {
	if en == nil {
		x.Tx.Put(key, engine.StringEntry(s, true))
		return
	}
	x.Tx.SetStr(en, s)
	en.Raw = true
	x.Tx.Updated(key, en)
}

func cmdPFAdd(x *Ctx) {
	key := x.Args[1]
	en := x.Tx.Get(key)
	if !hllLookup(x, en) {
		return
	}
	if !hllRoomToGrow(x, key, en) {
		return
	}
	var s []byte
	updated := en == nil
	if updated {
		s = hyperloglog.New()
	} else {
		s = en.Str()
	}
	for _, ele := range x.Args[2:] {
		idx, count := hyperloglog.Pattern(ele)
		var r int
		if s, r = hyperloglog.Set(s, idx, count); r < 0 {
			hllStore(x, key, en, s) // what changed before the corruption stays, as in Redis
			x.Error(errHLLInvalid)
			return
		}
		updated = updated || r > 0
	}
	if updated {
		hyperloglog.Invalidate(s)
	}
	hllStore(x, key, en, s)
	if updated {
		x.W.Int(1)
	} else {
		x.W.Int(0)
	}
}

func cmdPFCount(x *Ctx) {
	if len(x.Args) > 2 {
		var regs [hyperloglog.Registers]uint8
		for _, key := range x.Args[1:] {
			en := x.Read(key)
			if !hllLookup(x, en) {
				return
			}
			if en != nil && !hyperloglog.Max(&regs, en.Str()) {
				x.Error(errHLLInvalid)
				return
			}
		}
		x.W.Int(int64(hyperloglog.CountRegisters(&regs)))
		return
	}
	key := x.Args[1]
	en := x.Read(key)
	if !hllLookup(x, en) {
		return
	}
	if en == nil {
		x.W.Int(0)
		return
	}
	// Redis caches the cardinality in the value although PFCOUNT is a
	// read-only command. Changing the value needs the key's lock held
	// exclusively (as inside an EXEC that writes); under a shared lock the
	// value stays as it is and the next PFCOUNT computes again.
	write := x.Tx.Writable()
	if write {
		en.Raw = true
	}
	s := en.Str()
	card, cached := hyperloglog.Cached(s)
	if !cached {
		var ok bool
		if card, ok = hyperloglog.Count(s); !ok {
			x.Error(errHLLInvalid)
			return
		}
		if write {
			hyperloglog.SetCached(s, card)
			hllStore(x, key, en, s)
		}
	}
	x.W.Int(int64(card))
}

func cmdPFMerge(x *Ctx) {
	var regs [hyperloglog.Registers]uint8
	dense := false
	for _, key := range x.Args[1:] {
		en := x.Read(key)
		if !hllLookup(x, en) {
			return
		}
		if en == nil {
			continue
		}
		dense = dense || hyperloglog.Dense(en.Str())
		if !hyperloglog.Max(&regs, en.Str()) {
			x.Error(errHLLInvalid)
			return
		}
	}
	key := x.Args[1]
	en := x.Tx.Get(key)
	if !hllRoomToGrow(x, key, en) { // the loop checked its type
		return
	}
	var s []byte
	if en == nil {
		s = hyperloglog.New()
	} else {
		s = en.Str()
	}
	if dense {
		var ok bool
		if s, ok = hyperloglog.ToDense(s); !ok {
			x.Error(errHLLInvalid)
			return
		}
	}
	for i, v := range regs {
		if v != 0 {
			s, _ = hyperloglog.Set(s, i, v)
		}
	}
	hyperloglog.Invalidate(s)
	hllStore(x, key, en, s)
	x.W.OK()
}

func cmdPFDebug(x *Ctx) {
	sub, key := x.Args[1], x.Args[2]
	en := x.Tx.Get(key)
	if en == nil {
		x.Error(errPFDebugNoKey)
		return
	}
	if !hllLookup(x, en) {
		return
	}
	en.Raw = true
	s := en.Str()
	switch {
	case strEq(sub, "getreg"), strEq(sub, "todense"):
		sparse := !hyperloglog.Dense(s)
		if sparse && !hllRoomToGrow(x, key, en) {
			return
		}
		if sparse {
			d, ok := hyperloglog.ToDense(s)
			if !ok {
				x.Error(errHLLInvalid)
				return
			}
			s = d
			hllStore(x, key, en, s)
		}
		if strEq(sub, "todense") {
			if sparse {
				x.W.Int(1)
			} else {
				x.W.Int(0)
			}
			return
		}
		x.W.Array(hyperloglog.Registers)
		for i := range hyperloglog.Registers {
			x.W.Int(int64(hyperloglog.Register(s, i)))
		}
	case strEq(sub, "decode"):
		if hyperloglog.Dense(s) {
			x.Error(errHLLNotSparse)
			return
		}
		x.W.Bulk(hyperloglog.Decode(s))
	case strEq(sub, "encoding"):
		if hyperloglog.Dense(s) {
			x.W.Simple("dense")
		} else {
			x.W.Simple("sparse")
		}
	default:
		x.Error(sanitize(fmt.Sprintf(errPFDebugSub, sub)))
	}
}
