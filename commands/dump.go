package commands

import (
	"errors"

	"synap/engine"
	"synap/rdb"
	"synap/resp"
)

// DUMP and RESTORE move values to and from redis-server in its own
// serialization format (package rdb). Strings are supported both ways;
// other types are refused with an error rather than dumped in a form Redis
// could misread.

// errDumpType is DUMP's reply for a type the codec does not write yet.
const errDumpType = "ERR DUMP of this type is not supported yet"

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
	// The hook sees the value restored with an absolute deadline, as SET
	// key value PXAT, so a replay does not depend on when it runs.
	setPropagation(map[string]Propagation{"restore": propStringState})
}

func cmdDump(x *Ctx) {
	en := x.Read(x.Args[1])
	if en == nil {
		x.W.Null()
		return
	}
	if en.Kind != engine.KindString {
		x.Error(errDumpType)
		return
	}
	x.W.Bulk(rdb.DumpString(en.Str))
}

func cmdRestore(x *Ctx) {
	key := x.Args[1]
	var replace, absTTL, idle, freq bool
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
				x.Error("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = true
			j++
		case strEq(x.Args[j], "freq") && more >= 1 && !idle:
			v, ok := x.IntArg(j + 1)
			if !ok {
				return
			}
			if v < 0 || v > 255 {
				x.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = true
			j++
		default:
			x.Error(resp.ErrSyntax)
			return
		}
	}
	old := x.Tx.Get(key)
	if !replace && old != nil {
		x.Error("BUSYKEY Target key name already exists.")
		return
	}
	ttl, ok := x.IntArg(2)
	if !ok {
		return
	}
	if ttl < 0 {
		x.Error("ERR Invalid TTL value, must be >= 0")
		return
	}
	v, err := rdb.Decode(x.Args[3])
	if err != nil {
		if errors.Is(err, rdb.ErrChecksum) {
			x.Error("ERR DUMP payload version or checksum are wrong")
		} else {
			x.Error("ERR Bad data format")
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
	// The decoded value may alias the payload, which the request owns.
	x.Tx.SetString(key, append([]byte(nil), v.Str...), at)
	x.W.OK()
}
