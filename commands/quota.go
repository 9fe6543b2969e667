package commands

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"synap/engine"
	"synap/resp"
	"synap/tenant"
)

// A tenant's storage quota counts what the engine accounts (content bytes
// plus a fixed charge per key and per element, see engine.KeyCharge), and
// its key quota counts keys. Both are checked in three places:
//
//   - before the locks, from the arguments alone (overStorage): a write is
//     refused once the tenant is at its limit, or when its arguments' bytes
//     would take it past the limit;
//   - under the command's locks, from the table's key positions
//     (overQuota): the keys the command would create, so a write to
//     existing keys works at max_keys and a MSET of new keys past it is
//     refused whole; and the arguments' bytes, the elements they add and
//     the new keys, at their charges, against the storage quota;
//   - in the handlers that build a value the arguments do not show (STORE
//     destinations, COPY, SETRANGE, SETBIT...), before it is stored
//     (GrowthAllowed, StoreAllowed).

// overStorage is the quota check of a command that may grow data, before
// its locks: storage used, and what the arguments' bytes alone would add.
func overStorage(c *Client, l tenant.Limits, payload int64) string {
	return storageExceeded(c.NS, l, payload)
}

// growthRules say what a write adds beyond its arguments' bytes, for the
// commands whose arguments do not show it: perArg is the charge one
// argument after the key turns into when its element is new (so a LPUSH
// of a million empty elements is held to the 64 MB of charges it takes,
// not to its 0 bytes of content), fixed what a value may grow by whatever
// the arguments (INCR turns "9" into "10").
var growthRules = map[string]struct{ perArg, fixed int64 }{
	"lpush": {perArg: engine.ListElemCharge}, "rpush": {perArg: engine.ListElemCharge},
	"lpushx": {perArg: engine.ListElemCharge}, "rpushx": {perArg: engine.ListElemCharge},
	"linsert": {fixed: engine.ListElemCharge},
	"sadd":    {perArg: engine.SetMemberCharge},
	"hset":    {perArg: engine.HashFieldCharge / 2}, "hmset": {perArg: engine.HashFieldCharge / 2}, // field value
	"hsetnx":  {fixed: engine.HashFieldCharge},
	"hincrby": {fixed: engine.HashFieldCharge + engine.MaxIntLen}, "hincrbyfloat": {fixed: engine.HashFieldCharge}, // the handler checks the number
	"zadd":    {perArg: engine.ZSetMemberCharge / 2}, // score member
	"zincrby": {fixed: engine.ZSetMemberCharge + 8},
	"geoadd":  {perArg: engine.ZSetMemberCharge / 3}, // longitude latitude member
	// An entry's charge, and each field's and value's.
	"xadd":          {perArg: engine.StreamElemCharge, fixed: engine.StreamEntryCharge},
	"xgroup|create": {fixed: engine.StreamGroupCharge}, "xgroup|createconsumer": {fixed: engine.StreamConsumerCharge},
	"incr": {fixed: engine.MaxIntLen}, "decr": {fixed: engine.MaxIntLen},
	"incrby": {fixed: engine.MaxIntLen}, "decrby": {fixed: engine.MaxIntLen},
}

// argsGrowth is what a write's arguments would add to the tenant's
// storage at most, its new keys aside: their bytes, and the charge of the
// elements they add.
func argsGrowth(cmd *Command, args [][]byte) int64 {
	n := int64(0)
	for _, a := range args[1:] {
		n += int64(len(a))
	}
	r := growthRules[cmd.Name]
	if r.perArg > 0 && len(args) > 2 {
		n += r.perArg * int64(len(args)-2)
	}
	return n + r.fixed
}

func storageExceeded(ns *engine.Namespace, l tenant.Limits, add int64) string {
	if lim := l.StorageBytes; lim > 0 {
		if used := ns.Bytes(); used >= lim || used+add > lim {
			return fmt.Sprintf(errQuotaStorage, used, lim)
		}
	}
	return ""
}

// applyTTLCap gives the tenant's keyspace its plan's TTL cap; the engine
// applies it to every write that creates a key or sets, keeps or removes a
// TTL (see Namespace.SetMaxTTL).
func applyTTLCap(c *Client, t *tenant.Tenant) {
	m := t.Limits().MaxTTLSeconds
	if m <= 0 || m > maxTTLCapSeconds {
		m = 0 // none, or beyond any deadline a clock can add it to
	}
	c.NS.SetMaxTTL(m * 1000)
}

// maxTTLCapSeconds is about 34,000 years: a larger cap caps nothing.
const maxTTLCapSeconds = 1 << 40

// GrowthAllowed refuses, with the storage quota's text, a write about to
// add grow bytes that its arguments did not announce (SETRANGE or SETBIT
// far out turns a few argument bytes into up to 512 MB), before anything
// is allocated. It replies and returns false when refused.
func (x *Ctx) GrowthAllowed(grow int64) bool {
	t := x.C.T
	if grow <= 0 || t == nil {
		return true
	}
	if msg := storageExceeded(x.Tx.NS(), t.Limits(), grow); msg != "" {
		t.Rejected(tenant.RejectQuota)
		x.Error(msg)
		return false
	}
	return true
}

// StoreAllowed is GrowthAllowed for a value about to replace key's in tx
// (a STORE destination, COPY): value is what it will account
// (Entry.ValueSize), the growth that less what key accounts now.
func (x *Ctx) StoreAllowed(tx *engine.Tx, key []byte, value int64) bool {
	if x.C.T == nil {
		return true
	}
	return x.GrowthAllowed(tx.Growth(key, value))
}

// KeyAllowed refuses, with the key quota's text, creating key when the
// tenant is at max_keys. It is for a command that locks its destination
// itself (SORT ... STORE runs under a walk), which overQuota could not
// check under the dispatcher's locks. It replies and returns false when
// refused.
func (x *Ctx) KeyAllowed(tx *engine.Tx, key []byte) bool {
	t := x.C.T
	if t == nil {
		return true
	}
	lim := t.Limits().MaxKeys
	if lim <= 0 || tx.Exists(key) {
		return true
	}
	if n := tx.NS().Keys(); n >= lim {
		t.Rejected(tenant.RejectQuota)
		x.Error(fmt.Sprintf(errQuotaKeys, n, lim))
		return false
	}
	return true
}

// createRule says which of a command's keys it may create, for the key
// quota. Most writes (denyoom) may create every key they name (SET, MSET,
// LPUSH...); these name sources they only read or empty. SMOVE is not
// denyoom in Redis, yet may create its destination: its rule makes it
// checked too. RENAME needs none: it never adds a key.
type createRule uint8

const (
	createAll   createRule = iota
	createFirst            // STORE commands: the destination comes first
	createLast             // moves and copies: the destination comes last
	// SORT and GEORADIUS: a destination only when STORE is given, and it
	// is then the last key found.
	createLastOfMany
	createNone // needs the key to exist already (LPUSHX, LSET...)
)

var createRules = map[string]createRule{
	"sunionstore": createFirst, "sinterstore": createFirst, "sdiffstore": createFirst,
	"zunionstore": createFirst, "zinterstore": createFirst, "zdiffstore": createFirst,
	"zrangestore": createFirst, "geosearchstore": createFirst, "pfmerge": createFirst,
	"bitop": createFirst,
	"copy":  createLast, "lmove": createLast, "rpoplpush": createLast, "smove": createLast,
	"blmove": createLast, "brpoplpush": createLast,
	"lpushx": createNone, "rpushx": createNone, "lset": createNone, "linsert": createNone, "pfdebug": createNone,
	"sort": createLastOfMany, "georadius": createLastOfMany, "georadiusbymember": createLastOfMany,
}

// collectionCharge is the charge of a new key's collection, by the group of
// the command that creates it (LPUSH makes a list...).
var collectionCharge = map[string]int64{
	"list": engine.ListCharge, "set": engine.SetCharge, "hash": engine.HashCharge,
	"sorted-set": engine.ZSetCharge, "geo": engine.ZSetCharge, "stream": engine.StreamCharge,
}

// overQuota applies the quotas under the command's locks, where what
// exists is known: it counts the distinct keys the command would create
// (those of its table key positions the rule above allows that do not
// exist now) and refuses the command whole when they do not fit the key
// quota, or when its arguments, the charges of the elements they add and
// of the new keys do not fit the storage quota. It replies and returns
// true when refused. EXEC's queued commands pass here too, against what
// the transaction stored before them.
func (x *Ctx) overQuota() bool {
	c := x.C
	if c.T == nil || x.Cmd.Flags&FlagWrite == 0 || !x.Tx.Active() {
		return false
	}
	rule, ruled := createRules[x.Cmd.Name]
	if x.Cmd.Flags&FlagDenyOOM == 0 && !ruled {
		return false
	}
	l := c.T.Limits()
	if l.MaxKeys <= 0 && l.StorageBytes <= 0 {
		return false
	}
	idx := x.Cmd.KeyIndexes(c.keyIdx[:0], x.Args) // the lock's scratch, done with by now
	c.keyIdx = idx
	switch rule {
	case createFirst:
		idx = idx[:min(len(idx), 1)]
	case createLast:
		idx = idx[max(len(idx)-1, 0):]
	case createNone:
		idx = idx[:0]
	case createLastOfMany:
		if len(idx) < 2 {
			idx = idx[:0]
		} else {
			idx = idx[len(idx)-1:]
		}
	}
	created := x.newKeys(idx)
	if created == 0 && x.Cmd.Flags&FlagDenyOOM == 0 {
		return false // SMOVE between existing sets works at the limit, as in Redis
	}
	ns := x.Tx.NS()
	msg := ""
	if n := ns.Keys(); l.MaxKeys > 0 && created > 0 && n+created > l.MaxKeys {
		msg = fmt.Sprintf(errQuotaKeys, n, l.MaxKeys)
		if n < l.MaxKeys {
			msg = fmt.Sprintf(errQuotaKeysCreate, n, l.MaxKeys, created)
		}
	} else {
		per := engine.KeyCharge + collectionCharge[x.Cmd.Group]
		if ns.MaxTTL() > 0 {
			per += engine.TTLCharge
		}
		msg = storageExceeded(ns, l, argsGrowth(x.Cmd, x.Args)+created*per)
	}
	if msg == "" {
		return false
	}
	c.T.Rejected(tenant.RejectQuota)
	x.Error(msg)
	return true
}

// newKeys counts the distinct keys at the argument positions idx that do
// not exist.
func (x *Ctx) newKeys(idx []int) int64 {
	n := int64(0)
	if len(idx) <= 16 {
		for j, i := range idx {
			k := x.Args[i]
			dup := false
			for _, p := range idx[:j] {
				if bytes.Equal(x.Args[p], k) {
					dup = true
					break
				}
			}
			if !dup && !x.Tx.Exists(k) {
				n++
			}
		}
		return n
	}
	seen := make(map[string]struct{}, len(idx))
	for _, i := range idx {
		k := x.Args[i]
		if _, dup := seen[string(k)]; dup {
			continue
		}
		seen[string(k)] = struct{}{}
		if !x.Tx.Exists(k) {
			n++
		}
	}
	return n
}

// payloadTooBigLead is the fixed start of resp.ErrPayloadTooBig, which
// tells a payload refused from its headers among protocol errors.
var payloadTooBigLead = resp.ErrPayloadTooBig[:strings.IndexByte(resp.ErrPayloadTooBig, '%')]

// CountProtocolError counts a protocol error that closes c's connection,
// and penalises its tenant's next authentication (closePenalties); one refused from its headers for the tenant's payload limit also counts
// in the tenant's statistics, like a payload refused after reading.
func (s *Server) CountProtocolError(c *Session, msg string) {
	s.Stats.ProtocolErrors.Add(1)
	if c.T == nil {
		return
	}
	if strings.HasPrefix(msg, payloadTooBigLead) {
		c.T.Rejected(tenant.RejectPayload)
	}
	s.penalties.closed(c.T, time.Now())
}
