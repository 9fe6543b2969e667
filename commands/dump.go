package commands

import (
	"errors"
	"math"
	"strconv"

	"synap/engine"
	"synap/rdb"
	"synap/resp"
)

// DUMP and RESTORE move values to and from redis-server in its own
// serialization format (package rdb): strings, lists, sets, hashes, sorted
// sets and streams (with their consumer groups) both ways. Synap's own
// types (queues) are refused with an error rather than dumped in a form
// Redis could misread.

func init() {
	dump := &Command{Name: "dump", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1,
		ACL: []string{"keyspace", "read", "slow"}, Group: "generic", Since: "2.6.0",
		Complexity: "O(1) to access the key and O(N*M) to serialize it",
		Summary:    "Returns a serialized representation of a key's value.", Run: cmdDump}
	restore := &Command{Name: "restore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1,
		ACL: []string{"keyspace", "write", "slow", "dangerous"}, Group: "generic", Since: "2.6.0",
		Complexity: "O(1) to create the new key and O(N*M) to reconstruct the serialized value",
		Summary:    "Creates a key from a value serialized by DUMP.", Run: cmdRestore,
		// Without REPLACE, BUSYKEY tells whether the key existed.
		Reveals: func(args [][]byte) bool {
			for _, a := range args[4:] {
				if strEq(a, "replace") {
					return false
				}
			}
			return true
		}}
	register(dump, restore)
	setPropagation(map[string]Propagation{"restore": propRestore})
}

func cmdDump(x *Ctx) {
	en := x.Read(x.Args[1])
	if en == nil {
		x.W.Null()
		return
	}
	p := dumpEntry(en)
	if p == nil {
		x.Error(errDumpType)
		return
	}
	x.W.Bulk(p)
}

// dumpEntry serializes en, nil for a type the codec does not write.
func dumpEntry(en *engine.Entry) []byte {
	switch en.Kind {
	case engine.KindString:
		return rdb.DumpString(en.Str())
	case engine.KindList:
		l := en.Obj().(*engine.List)
		items := make([][]byte, 0, l.Len())
		l.Range(0, l.Len()-1, func(_ int, v []byte) bool { items = append(items, v); return true })
		return rdb.DumpList(items)
	case engine.KindSet:
		s := en.Obj().(*engine.Set)
		items := make([][]byte, 0, s.Len())
		s.Each(func(m []byte) bool { items = append(items, append([]byte(nil), m...)); return true })
		return rdb.DumpSet(items)
	case engine.KindHash:
		h := en.Obj().(*engine.Hash)
		pairs := make([][]byte, 0, 2*h.Len())
		h.Each(func(f, v string) bool { pairs = append(pairs, []byte(f), []byte(v)); return true })
		return rdb.DumpHash(pairs)
	case engine.KindZSet:
		z := en.Obj().(*engine.ZSet)
		members, scores := make([][]byte, 0, z.Len()), make([]float64, 0, z.Len())
		z.Each(func(m string, s float64) bool {
			members, scores = append(members, []byte(m)), append(scores, s)
			return true
		})
		return rdb.DumpZSet(members, scores)
	case engine.KindStream:
		return rdb.DumpStream(dumpStream(en.Obj().(*engine.Stream)))
	}
	return nil
}

// dumpStream copies a stream into the codec's form: its live entries, its
// counters and its groups, each group's pending entries and consumers.
func dumpStream(s *engine.Stream) *rdb.Stream {
	id := func(i engine.StreamID) rdb.StreamID { return rdb.StreamID{Ms: i.Ms, Seq: i.Seq} }
	out := &rdb.Stream{LastID: id(s.LastID), FirstID: id(s.FirstID()), MaxDeletedID: id(s.MaxDeletedID),
		EntriesAdded: uint64(max(s.EntriesAdded, 0)), Entries: make([]rdb.StreamEntry, 0, s.Len())}
	s.Ascend(engine.StreamID{}, func(e *engine.StreamEntry) bool {
		out.Entries = append(out.Entries, rdb.StreamEntry{ID: id(e.ID), Fields: e.Fields})
		return true
	})
	for _, g := range s.Groups() {
		rg := rdb.StreamGroup{Name: []byte(g.Name), LastID: id(g.LastID), EntriesRead: g.EntriesRead}
		g.PEL.Scan(func(p *engine.StreamPending) bool {
			rg.Pending = append(rg.Pending, rdb.StreamNack{ID: id(p.ID), DeliveryTime: p.DeliveryTime,
				DeliveryCount: uint64(max(p.DeliveryCount, 0))})
			return true
		})
		for _, c := range g.Consumers() {
			rc := rdb.StreamConsumer{Name: []byte(c.Name), SeenTime: c.SeenTime}
			c.PEL.Scan(func(p *engine.StreamPending) bool {
				rc.Pending = append(rc.Pending, id(p.ID))
				return true
			})
			rg.Consumers = append(rg.Consumers, rc)
		}
		out.Groups = append(out.Groups, rg)
	}
	return out
}

// restoredStream builds a stream from the codec's form, which the codec
// has checked to hang together (each pending entry held by one consumer).
func restoredStream(v *rdb.Stream) *engine.Stream {
	id := func(i rdb.StreamID) engine.StreamID { return engine.StreamID{Ms: i.Ms, Seq: i.Seq} }
	s := engine.NewStream()
	for _, e := range v.Entries {
		s.Add(id(e.ID), e.Fields)
	}
	s.LastID, s.MaxDeletedID = id(v.LastID), id(v.MaxDeletedID)
	s.EntriesAdded = int64(min(v.EntriesAdded, math.MaxInt64))
	for _, g := range v.Groups {
		eg := s.CreateGroup(string(g.Name), id(g.LastID), g.EntriesRead)
		nacks := make(map[rdb.StreamID]rdb.StreamNack, len(g.Pending))
		for _, p := range g.Pending {
			nacks[p.ID] = p
		}
		for _, c := range g.Consumers {
			ec := s.CreateConsumer(eg, string(c.Name), c.SeenTime)
			for _, pid := range c.Pending {
				p := nacks[pid]
				s.AddPending(eg, ec, id(pid), p.DeliveryTime, int64(min(p.DeliveryCount, math.MaxInt64)))
			}
		}
	}
	return s
}

// restoredEntry builds the keyspace entry of a decoded value, nil when it
// is an empty collection (Redis refuses those as bad data).
func restoredEntry(v rdb.Value) *engine.Entry {
	switch v.Type {
	case rdb.TypeString:
		return engine.NewString(v.Str)
	case rdb.TypeList:
		if len(v.Items) == 0 {
			return nil
		}
		return engine.NewObject(engine.KindList, engine.NewListOf(v.Items))
	case rdb.TypeSet:
		if len(v.Items) == 0 {
			return nil
		}
		s := engine.NewSet()
		for _, m := range v.Items {
			s.Add(m)
		}
		return engine.NewObject(engine.KindSet, s)
	case rdb.TypeHash:
		if len(v.Items) == 0 {
			return nil
		}
		h := engine.NewHash()
		for i := 0; i+1 < len(v.Items); i += 2 {
			h.Set(v.Items[i], v.Items[i+1])
		}
		return engine.NewObject(engine.KindHash, h)
	case rdb.TypeZSet2:
		if len(v.Items) == 0 {
			return nil
		}
		longest := 0
		for _, m := range v.Items {
			longest = max(longest, len(m))
		}
		z := engine.NewZSet(len(v.Items), longest)
		for i, m := range v.Items {
			z.Set(m, v.Scores[i])
		}
		return engine.NewObject(engine.KindZSet, z)
	case rdb.TypeStreamListpacks2:
		// An empty stream is a value, as in Redis (XADD then XDEL).
		return engine.NewObject(engine.KindStream, restoredStream(v.Stream))
	}
	return nil
}

// propRestore records a RESTORE as RESTORE key deadline payload ABSTTL
// REPLACE, so a replay does not depend on when it runs, or as DEL when the
// key did not survive (a deadline already past).
func propRestore(p *prop) {
	p.deadlines = true
	key := p.x.Args[1]
	en := p.x.Tx.Peek(key)
	if en == nil {
		p.emit(bDel, key)
		return
	}
	p.emit([]byte("RESTORE"), key, strconv.AppendInt(nil, en.ExpireAt(), 10), p.x.Args[3],
		[]byte("ABSTTL"), []byte("REPLACE"))
}

func cmdRestore(x *Ctx) {
	key := x.Args[1]
	var replace, absTTL, idle, freq bool
	idleSecs, freqVal := int64(-1), int64(-1)
	for j := 4; j < len(x.Args); j++ {
		more := len(x.Args) - j - 1
		switch {
		case strEq(x.Args[j], "replace"):
			replace = true
		case strEq(x.Args[j], "absttl"):
			absTTL = true
		case strEq(x.Args[j], "idletime") && more >= 1 && !freq:
			v, ok := x.IntArg(j + 1)
			if !ok {
				return
			}
			if v < 0 {
				x.Error(errRestoreIdle)
				return
			}
			idle, idleSecs = true, v
			j++
		case strEq(x.Args[j], "freq") && more >= 1 && !idle:
			v, ok := x.IntArg(j + 1)
			if !ok {
				return
			}
			if v < 0 || v > 255 {
				x.Error(errRestoreFreq)
				return
			}
			freq, freqVal = true, v
			j++
		default:
			x.Error(resp.ErrSyntax)
			return
		}
	}
	old := x.Tx.Get(key)
	if !replace && old != nil {
		x.Error(errBusyKey)
		return
	}
	ttl, ok := x.IntArg(2)
	if !ok {
		return
	}
	if ttl < 0 {
		x.Error(errRestoreTTL)
		return
	}
	// Compressed strings claim their sizes: they may expand to no more
	// than the caller could store (a tenant's storage left; otherwise
	// proto-max-bulk-len, the most one string may hold), so a few payload
	// bytes cannot make the server allocate what it would then refuse.
	expand := uint64(max(x.S.Config().ProtoMaxBulkLen, 0))
	if t := x.C.T; t != nil {
		if lim := t.Limits().StorageBytes; lim > 0 {
			expand = min(expand, uint64(max(lim-x.Tx.NS().Bytes(), 0)))
		}
	}
	v, err := rdb.DecodeWithin(x.Args[3], expand)
	if errors.Is(err, rdb.ErrTooLarge) {
		// The refusal the value itself would get: the storage quota's,
		// or for a string past proto-max-bulk-len Redis's load error.
		if x.C.T != nil && !x.GrowthAllowed(int64(expand)+1) {
			return
		}
		x.Error(errBadDataFormat)
		return
	}
	var en *engine.Entry
	if err == nil {
		if en = restoredEntry(v); en == nil {
			err = rdb.ErrFormat
		}
	}
	if err != nil {
		if errors.Is(err, rdb.ErrChecksum) {
			x.Error(errDumpChecksum)
		} else {
			x.Error(errBadDataFormat)
		}
		return
	}
	at := ttl
	if ttl != 0 && !absTTL {
		at = x.Tx.Now + ttl
	}
	if at != 0 && at <= x.Tx.Now {
		// Already expired: Redis replies OK and leaves no key.
		if old != nil {
			x.Tx.Delete(key)
		}
		x.W.OK()
		return
	}
	// The payload's bytes were checked at dispatch, but a few bytes can
	// decode to many elements, each charged: the value itself is checked.
	if !x.StoreAllowed(x.Tx, key, en.ValueSize()) {
		return
	}
	stored := x.Tx.PutExpire(key, en, at)
	// As Redis's objectSetLRUOrLFU: the one the namespace tracks applies.
	x.S.Eng.SetAccess(x.Tx.NS(), stored, idleSecs, freqVal)
	x.W.OK()
}
