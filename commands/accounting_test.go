package commands

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/engine"
)

// recount sums a namespace's keys and value bytes from its data, and reads
// the figures the engine keeps incrementally, both under the same locks so
// active expiry cannot change one between the two.
func recount(srv *Server, ns *engine.Namespace) (keys, bytes, trackedKeys, trackedBytes int64) {
	tx := srv.Eng.NewTx()
	tx.BeginAll(ns, false)
	defer tx.End()
	trackedKeys, trackedBytes = ns.Keys(), ns.Bytes()
	tx.EachStored(func(k []byte, en *engine.Entry) bool {
		keys++
		bytes += int64(len(k)) + engine.KeyCharge
		if en.ExpireAt() != 0 {
			bytes += engine.TTLCharge
		}
		if en.Kind == engine.KindString {
			bytes += int64(len(en.Str()))
		} else if en.Obj() != nil {
			// Size is a counter kept by every mutation; the recount walks
			// the content, so a mutation that forgets to adjust it shows.
			bytes += en.Obj().(interface{ ComputeSize() int64 }).ComputeSize()
			switch o := en.Obj().(type) {
			case *engine.List:
				if o.Packed() {
					bytes += engine.ListPackedCharge + int64(o.Len())*engine.ListPackedElemCharge
				} else {
					bytes += engine.ListCharge + int64(o.Len())*engine.ListElemCharge
				}
			case *engine.Set:
				if o.Packed() {
					bytes += engine.SetPackedCharge + int64(o.Len())*engine.SetPackedMemberCharge
				} else {
					bytes += engine.SetCharge + int64(o.Len())*engine.SetMemberCharge
				}
			case *engine.Hash:
				if o.Packed() {
					bytes += engine.HashPackedCharge + int64(o.Len())*engine.HashPackedFieldCharge
				} else {
					bytes += engine.HashCharge + int64(o.Len())*engine.HashFieldCharge
				}
			case *engine.ZSet:
				if o.Packed() {
					bytes += engine.ZSetPackedCharge + int64(o.Len())*engine.ZSetPackedMemberCharge
				} else {
					bytes += engine.ZSetCharge + int64(o.Len())*engine.ZSetMemberCharge
				}
			case *engine.Stream:
				bytes += engine.StreamCharge + int64(o.Len())*engine.StreamEntryCharge + int64(o.Elems())*engine.StreamElemCharge +
					int64(o.Pending())*engine.StreamPendingCharge + int64(o.ConsumerCount())*engine.StreamConsumerCharge +
					int64(o.GroupCount())*engine.StreamGroupCharge
			}
		}
		return true
	})
	return keys, bytes, trackedKeys, trackedBytes
}

// Random command sequences over a small keyspace: after every step the
// tracked key and byte counts must equal a recount of what is stored
// (expired keys not yet reclaimed included, as the counters count them), so
// quotas are enforced on the truth. Active expiry runs now and then too.
func TestAccountingMatchesRecount(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	rng := rand.New(rand.NewPCG(7, 11))
	key := func() string { return "k" + strconv.Itoa(rng.IntN(12)) }
	val := func() string {
		b := make([]byte, rng.IntN(70))
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	gens := []func() []string{
		func() []string { return []string{"SET", key(), val()} },
		func() []string { return []string{"XADD", key(), "MAXLEN", "~", "5", "*", val(), val()} },
		func() []string { return []string{"XADD", key(), "*", "f", val(), "g", val()} },
		func() []string { return []string{"XTRIM", key(), "MAXLEN", strconv.Itoa(rng.IntN(4))} },
		func() []string { return []string{"XDEL", key(), "0-1", strconv.FormatInt(time.Now().UnixMilli(), 10)} },
		func() []string {
			return []string{"XGROUP", "CREATE", key(), "g" + strconv.Itoa(rng.IntN(3)), "0", "MKSTREAM"}
		},
		func() []string {
			return []string{"XREADGROUP", "GROUP", "g" + strconv.Itoa(rng.IntN(3)), val(), "COUNT", "2", "STREAMS", key(), ">"}
		},
		func() []string {
			return []string{"XAUTOCLAIM", key(), "g" + strconv.Itoa(rng.IntN(3)), val(), "0", "0"}
		},
		func() []string { return []string{"XGROUP", "DESTROY", key(), "g" + strconv.Itoa(rng.IntN(3))} },
		func() []string { return []string{"SET", key(), val(), "PX", strconv.Itoa(1 + rng.IntN(3))} },
		func() []string { return []string{"SET", key(), val(), "KEEPTTL", "GET"} },
		func() []string { return []string{"APPEND", key(), val()} },
		func() []string { return []string{"SETRANGE", key(), strconv.Itoa(rng.IntN(90)), val()} },
		func() []string {
			return []string{"INCRBY", "n" + strconv.Itoa(rng.IntN(3)), strconv.Itoa(rng.IntN(2000000) - 1000000)}
		},
		func() []string { return []string{"INCRBYFLOAT", "f", "1.5"} },
		func() []string { return []string{"DEL", key(), key()} },
		func() []string { return []string{"GETDEL", key()} },
		func() []string { return []string{"GETSET", key(), val()} },
		func() []string { return []string{"MSET", key(), val(), key(), val()} },
		func() []string { return []string{"RENAME", key(), key()} },
		func() []string { return []string{"COPY", key(), key(), "REPLACE"} },
		func() []string { return []string{"PEXPIRE", key(), strconv.Itoa(rng.IntN(3))} },
		func() []string { return []string{"EXPIRE", key(), "-1"} },
		func() []string { return []string{"GETEX", key(), "PX", "1"} },
		func() []string { return []string{"PERSIST", key()} },
		func() []string { return []string{"MOVE", key(), "1"} },
		func() []string { return []string{"FLUSHDB"} },
	}
	// The other data types: keys collide with the strings above on purpose
	// (WRONGTYPE, overwrites by SET, RENAME and COPY across kinds).
	n := func() string { return strconv.Itoa(rng.IntN(40)) }
	typed := [][]string{
		{"HSET", "$k", "f$n", "$v", "f$n", "$v"}, {"HSETNX", "$k", "f$n", "$v"}, {"HDEL", "$k", "f$n", "f$n"},
		{"HINCRBY", "$k", "c$n", "$n"}, {"HINCRBYFLOAT", "$k", "c$n", "1.25"},
		{"LPUSH", "$k", "$v", "$v"}, {"RPUSH", "$k", "$v"}, {"LPOP", "$k"}, {"RPOP", "$k", "2"},
		{"LSET", "$k", "0", "$v"}, {"LINSERT", "$k", "BEFORE", "$v", "$v"}, {"LREM", "$k", "0", "$v"},
		{"LTRIM", "$k", "1", "-2"}, {"LMOVE", "$k", "$k", "LEFT", "RIGHT"}, {"RPOPLPUSH", "$k", "$k"},
		{"SADD", "$k", "$n", "$v"}, {"SREM", "$k", "$n", "$n"}, {"SPOP", "$k"}, {"SMOVE", "$k", "$k", "$n"},
		{"SINTERSTORE", "$k", "$k", "$k"}, {"SUNIONSTORE", "$k", "$k", "$k"}, {"SDIFFSTORE", "$k", "$k", "$k"},
		{"ZADD", "$k", "$n", "m$n", "$n", "$v"}, {"ZINCRBY", "$k", "2", "m$n"}, {"ZREM", "$k", "m$n"},
		{"ZPOPMIN", "$k"}, {"ZPOPMAX", "$k", "2"}, {"ZREMRANGEBYRANK", "$k", "0", "1"},
		{"ZREMRANGEBYSCORE", "$k", "0", "$n"}, {"ZUNIONSTORE", "$k", "2", "$k", "$k"},
		{"ZINTERSTORE", "$k", "2", "$k", "$k"}, {"ZRANGESTORE", "$k", "$k", "0", "-1"},
		{"PFADD", "$k", "$v", "$v"}, {"PFMERGE", "$k", "$k"},
		{"SETBIT", "$k", "$n", "1"}, {"BITOP", "OR", "$k", "$k", "$k"},
		{"BITFIELD", "$k", "SET", "u8", "#$n", "200"},
		{"GEOADD", "$k", "13.36", "38.11", "m$n"},
		{"SORT", "$k", "ALPHA", "STORE", "$k"},
	}
	for _, tmpl := range typed {
		if srv.Table.Lookup([]byte(tmpl[0])) == nil {
			t.Logf("%s not implemented yet: not part of the sequence", tmpl[0])
			continue
		}
		gens = append(gens, func() []string {
			out := make([]string, len(tmpl))
			for i, a := range tmpl {
				a = strings.ReplaceAll(a, "$k", key())
				a = strings.ReplaceAll(a, "$n", n())
				out[i] = strings.ReplaceAll(a, "$v", val())
			}
			return out
		})
	}
	for step := 0; step < 6000; step++ {
		args := gens[rng.IntN(len(gens))]()
		reply := c.Do(args...)
		if len(reply) > 6 && reply[:6] == "ERROR:" {
			t.Fatalf("step %d %q: %s", step, args, reply)
		}
		if step%10 == 0 {
			time.Sleep(time.Millisecond) // let some short TTLs pass
			srv.Eng.ReclaimExpired()
		}
		for i, ns := range srv.DBs[:2] {
			keys, bytes, gotKeys, gotBytes := recount(srv, ns)
			if gotBytes != bytes {
				t.Fatalf("step %d after %q: db%d tracks %d bytes, recount %d", step, args, i, gotBytes, bytes)
			}
			if gotKeys != keys {
				t.Fatalf("step %d after %q: db%d tracks %d keys, recount %d", step, args, i, gotKeys, keys)
			}
		}
	}
}
