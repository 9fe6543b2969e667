package commands

import (
	"bytes"
	"strconv"

	"synap/engine"
)

// The rewrites of the write hook: each turns an executed write into
// commands whose replay gives the same data whatever the replaying
// process's clock, random choices or float formatting. They run under the
// write's locks, after it, so the data they read is what the write left.

var (
	bDel       = []byte("DEL")
	bSet       = []byte("SET")
	bPXAT      = []byte("PXAT")
	bKeepTTL   = []byte("KEEPTTL")
	bPExpireAt = []byte("PEXPIREAT")
	bPersist   = []byte("PERSIST")
	bSRem      = []byte("SREM")
	bSAdd      = []byte("SADD")
	bHSet      = []byte("HSET")
	bRPush     = []byte("RPUSH")
	bOne       = []byte("1")
)

// Verbatim records the command as it was sent: its effect depends on
// nothing but its arguments and the data, which the replay has too.
func Verbatim(p *prop) { p.emit(p.x.Args...) }

// propStringState records a write that leaves a string with an absolute
// deadline or none (SET with any options, SETEX, PSETEX): SET key value
// [PXAT deadline], from what is stored, so EX/PX/KEEPTTL and a tenant's
// TTL cap replay to the same deadline. A SET whose deadline had passed
// removed the key: DEL.
func propStringState(p *prop) {
	p.deadlines = true
	key := p.x.Args[1]
	en := p.x.Tx.Peek(key)
	if en == nil || en.Kind != engine.KindString {
		p.emit(bDel, key)
		return
	}
	if at := en.ExpireAt(); at != 0 {
		p.emit(bSet, key, en.Str(), bPXAT, strconv.AppendInt(nil, at, 10))
		return
	}
	p.emit(bSet, key, en.Str())
}

// propTTLState records a change of a key's deadline (EXPIRE, PEXPIRE,
// EXPIREAT, PEXPIREAT, GETEX) as the deadline it left: PEXPIREAT key
// deadline, PERSIST key, or DEL key when a deadline in the past removed it.
func propTTLState(p *prop) {
	p.deadlines = true
	key := p.x.Args[1]
	en := p.x.Tx.Peek(key)
	switch {
	case en == nil:
		p.emit(bDel, key)
	case en.ExpireAt() != 0:
		p.emit(bPExpireAt, key, strconv.AppendInt(nil, en.ExpireAt(), 10))
	default:
		p.emit(bPersist, key)
	}
}

// propIncrByFloat records INCRBYFLOAT as the value it stored: another
// process could format the long double sum differently.
func propIncrByFloat(p *prop) {
	key := p.x.Args[1]
	if en := p.x.Tx.Peek(key); en != nil && en.Kind == engine.KindString {
		p.emit(bSet, key, en.Str(), bKeepTTL)
	}
}

// propHIncrByFloat records HINCRBYFLOAT as HSET of the value it stored.
func propHIncrByFloat(p *prop) {
	key, field := p.x.Args[1], p.x.Args[2]
	en := p.x.Tx.Peek(key)
	if en == nil || en.Kind != engine.KindHash {
		return
	}
	if v, ok := en.Obj().(*engine.Hash).Get(field); ok {
		p.emit(bHSet, key, field, []byte(v))
	}
}

// propSPop records SPOP as SREM of the members it popped (a random choice
// the replay must not make again), read from its reply; DEL when it
// emptied the set. A reply dropped for its size leaves the members
// unknown: the set is then recorded as what remains.
func propSPop(p *prop) {
	key := p.x.Args[1]
	en := p.x.Tx.Peek(key)
	if en == nil {
		p.emit(bDel, key)
		return
	}
	if members, ok := replyBulks(p.reply); ok && len(members) > 0 {
		p.emit(append([][]byte{bSRem, key}, members...)...)
		return
	}
	s, ok := en.Obj().(*engine.Set)
	if !ok {
		return
	}
	args := [][]byte{bSAdd, key}
	s.Each(func(m []byte) bool {
		args = append(args, append([]byte(nil), m...))
		return true
	})
	p.emit(bDel, key)
	p.emit(args...)
}

// touchedKey is the first key of the write's namespace it changed: the key
// a blocking pop served from (nil when unknown).
func (p *prop) touchedKey() []byte {
	for _, t := range p.w.Keys {
		if t.NS == p.x.Tx.NS() {
			return t.Key
		}
	}
	return nil
}

// changed reports whether the write changed key of its namespace (true
// when it changed more keys than were kept).
func (p *prop) changed(key []byte) bool {
	if p.w.More {
		return true
	}
	for _, t := range p.w.Keys {
		if t.NS == p.x.Tx.NS() && bytes.Equal(t.Key, key) {
			return true
		}
	}
	return false
}

// propBlockingPop records BLPOP, BRPOP, BZPOPMIN and BZPOPMAX as the
// non-blocking pop of the key they popped from: replayed as sent, a
// multi-key pop could take from another key, or block the replay.
func propBlockingPop(name string) Propagation {
	cmd := []byte(name)
	return func(p *prop) {
		if key := p.touchedKey(); key != nil {
			p.emit(cmd, key)
		}
	}
}

// propBlockingMPop records BLMPOP and BZMPOP (timeout numkeys key...
// where [COUNT n]) as LMPOP or ZMPOP of the one key they popped from.
func propBlockingMPop(name string) Propagation {
	cmd := []byte(name)
	return func(p *prop) {
		key := p.touchedKey()
		n, err := strconv.Atoi(string(p.x.Args[2]))
		if key == nil || err != nil || 3+n >= len(p.x.Args) {
			return
		}
		args := [][]byte{cmd, bOne, key}
		p.emit(append(args, p.x.Args[3+n:]...)...)
	}
}

// propBlockingMove records BLMOVE and BRPOPLPUSH as LMOVE and RPOPLPUSH:
// the same arguments without the timeout.
func propBlockingMove(name string) Propagation {
	cmd := []byte(name)
	return func(p *prop) {
		args := append([][]byte{cmd}, p.x.Args[1:len(p.x.Args)-1]...)
		p.emit(args...)
	}
}

// propSortStore records SORT ... STORE with BY or GET lookups as the list
// it stored: the lookups read other keys without holding them, so
// replaying it could read other values. Without lookups it depends only
// on its source, which it held with the destination: verbatim, which
// costs no copy of the list.
func propSortStore(p *prop) {
	o, errText := sortParseArgs(p.x.Args, false)
	if errText != "" || !o.hasStore {
		return // a SORT without STORE changed no data (an encoding at most)
	}
	if !sortLooksUp(&o) {
		Verbatim(p)
		return
	}
	if !p.changed(o.store) {
		return // it stopped before the destination (a quota, a source's encoding)
	}
	en := p.x.Tx.Peek(o.store)
	p.emit(bDel, o.store)
	if en == nil || en.Kind != engine.KindList {
		return
	}
	args := [][]byte{bRPush, o.store}
	l := en.Obj().(*engine.List)
	l.Range(0, l.Len()-1, func(_ int, v []byte) bool {
		args = append(args, v)
		return true
	})
	p.emit(args...)
}

// replyBulks reads the bulk strings of a reply: one bulk, or an array or
// set of them (RESP2 or RESP3).
func replyBulks(b []byte) ([][]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := 1
	if b[0] == '*' || b[0] == '~' {
		var ok bool
		if n, b, ok = replyHeader(b); !ok {
			return nil, false
		}
	}
	out := make([][]byte, 0, n)
	for range n {
		if len(b) == 0 || b[0] != '$' {
			return nil, false
		}
		l, rest, ok := replyHeader(b)
		if !ok || l < 0 || len(rest) < l+2 {
			return nil, false
		}
		out = append(out, rest[:l])
		b = rest[l+2:]
	}
	return out, true
}

// replyHeader reads a header line (*3\r\n, $5\r\n) and returns its number
// and what follows.
func replyHeader(b []byte) (int, []byte, bool) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 1 {
		return 0, nil, false
	}
	n, err := strconv.Atoi(string(b[1:i]))
	return n, b[i+2:], err == nil
}
