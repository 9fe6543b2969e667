// Package pubsub is the one publish/subscribe hub of a Synap server: every
// surface (RESP, WebSocket, MCP) subscribes through it, and PUBLISH,
// SPUBLISH and keyspace notifications publish through it.
//
// Channels live in scopes: one per tenant in cluster mode, "" for
// standalone mode and the operator. A scope is the whole world its
// subscribers can see: a pattern matches only the scope's channels, and
// PUBSUB counts only the scope's subscriptions, so a tenant can neither
// receive nor observe another tenant's traffic.
//
// Delivery never waits for a subscriber: a Receiver queues the message
// (a session's bounded outbox) or refuses it, and PUBLISH counts those that
// took it. Each scope has its own lock, so one tenant's subscription churn
// or pattern count slows only that tenant's publishers.
package pubsub

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"

	"synap/engine"
)

// Kind is what a subscription names: a channel, a glob pattern over
// channels, or a shard channel (SSUBSCRIBE; a namespace of its own, as in
// Redis, never matched by patterns).
type Kind uint8

const (
	Channel Kind = iota
	Pattern
	Shard
	kinds
)

// Message is one delivery. Pattern is set for a pattern subscription's
// copy (pmessage). The slices alias the publisher's arguments, and the
// message and its frames are reused by the next publish: a receiver copies
// what it needs before Deliver returns and keeps nothing.
type Message struct {
	Kind             Kind
	Pattern, Channel []byte
	Payload          []byte
	// frames caches the message encoded once per wire protocol (index 0:
	// RESP2, 1: RESP3) for a whole fan-out (Frame); the hub clears it
	// whenever it changes the message. bufs keeps their memory from one
	// publish to the next, so a steady stream of publishes encodes without
	// allocating.
	frames [2][]byte
	bufs   [2][]byte
}

// Frame is m encoded for protocol slot i (0: RESP2, 1: RESP3) by encode,
// which appends it to dst; the first receiver of a fan-out that asks
// encodes it, the others copy the same bytes. The frame is valid until
// Deliver returns.
func (m *Message) Frame(i int, encode func(dst []byte, m *Message) []byte) []byte {
	if m.frames[i] == nil {
		m.frames[i] = encode(m.bufs[i][:0], m)
		m.bufs[i] = m.frames[i]
	}
	return m.frames[i]
}

// keepFrameBuf is the largest frame buffer kept for the next publish: a
// single huge payload must not leave its buffer behind in the pool.
const keepFrameBuf = 64 << 10

// messages recycles Publish's messages: each one escapes to the heap
// (receivers are interfaces), and most of its cost is the frames.
var messages = sync.Pool{New: func() any { return new(Message) }}

func getMessage(k Kind, channel, payload []byte) *Message {
	m := messages.Get().(*Message)
	m.Kind, m.Channel, m.Payload = k, channel, payload
	return m
}

// putMessage drops m's references to the publisher's arguments and its
// frames, and gives it back.
func putMessage(m *Message) {
	m.Pattern, m.Channel, m.Payload = nil, nil, nil
	m.frames = [2][]byte{}
	for i, b := range m.bufs {
		if cap(b) > keepFrameBuf {
			m.bufs[i] = nil
		}
	}
	messages.Put(m)
}

// Receiver is a subscriber as the hub sees it. Deliver queues m and reports
// whether it was taken; it must not block nor call back into the hub.
// inline is set when the receiver is the publisher itself: it may write m
// into its own reply stream, ahead of the publish's reply, as Redis does.
type Receiver interface {
	Deliver(m *Message, inline bool) bool
}

// Limits bound what one subscriber and one scope may hold: subscriptions
// (channels, patterns and shard channels together) and the bytes of their
// names. Zero means no bound.
type Limits struct {
	PerSub, PerScope int
	ScopeBytes       int64
}

// Errors of Subscribe when a limit would be passed.
var (
	ErrSubLimit   = errors.New("pubsub: per-connection subscription limit")
	ErrScopeLimit = errors.New("pubsub: per-tenant subscription limit")
	ErrScopeBytes = errors.New("pubsub: per-tenant subscription bytes limit")
)

// nameCost is what a subscription is charged beyond its name's bytes: the
// map entries in the scope and the subscriber (measured order of size).
const nameCost = 96

// Hub holds the scopes.
type Hub struct {
	mu     sync.RWMutex
	scopes map[string]*scope
}

// New returns an empty hub.
func New() *Hub { return &Hub{scopes: map[string]*scope{}} }

// subSet is one name's subscribers. Publish walks it as a slice: ranging
// over a map cost a tenth of a publish to one subscriber, in starting the
// iteration alone. pos finds a subscriber in a big set in O(1) for its
// removal; a small set is searched instead, and needs no map.
type subSet struct {
	subs []*Sub
	pos  map[*Sub]int // nil while len(subs) <= smallSet
}

// smallSet is the most subscribers a set searches linearly.
const smallSet = 16

func (set *subSet) add(s *Sub) {
	if set.pos != nil {
		set.pos[s] = len(set.subs)
	}
	set.subs = append(set.subs, s)
	if set.pos == nil && len(set.subs) > smallSet {
		set.pos = make(map[*Sub]int, len(set.subs))
		for i, x := range set.subs {
			set.pos[x] = i
		}
	}
}

// remove takes s out of set (moving the last subscriber into its place);
// it reports whether set is now empty.
func (set *subSet) remove(s *Sub) bool {
	i := -1
	if set.pos != nil {
		if at, ok := set.pos[s]; ok {
			i = at
			delete(set.pos, s)
		}
	} else {
		for j, x := range set.subs {
			if x == s {
				i = j
				break
			}
		}
	}
	if i < 0 {
		return len(set.subs) == 0
	}
	last := len(set.subs) - 1
	if i != last {
		set.subs[i] = set.subs[last]
		if set.pos != nil {
			set.pos[set.subs[i]] = i
		}
	}
	set.subs[last] = nil
	set.subs = set.subs[:last]
	return len(set.subs) == 0
}

type scope struct {
	name string
	mu   sync.RWMutex
	// by kind: name → subscribers. Patterns are matched with engine.Match,
	// Redis's glob.
	names [kinds]map[string]*subSet
	// n and bytes are the scope's subscriptions and what they are charged
	// (Limits.PerScope, ScopeBytes).
	n     int
	bytes int64
	// attached counts the Subs bound to the scope: the scope leaves the hub
	// when the last one goes, so a server that saw many tenants keeps none
	// of their empty scopes.
	attached int
}

// Sub is one subscriber's subscriptions, all in one scope. Its methods are
// called from the subscriber's own goroutine; the counts may be read from
// any (CLIENT LIST).
type Sub struct {
	hub *Hub
	r   Receiver
	sc  *scope
	// index holds each name with its sequence number, so UNSUBSCRIBE with
	// no names answers in subscription order and one name leaves in O(1).
	index [kinds]map[string]uint64
	seq   uint64
	count [kinds]atomic.Int64
}

// NewSub returns a subscriber delivering to r, with no subscriptions.
func (h *Hub) NewSub(r Receiver) *Sub { return &Sub{hub: h, r: r} }

// Scope is the scope s is bound to ("" when it has no subscriptions).
func (s *Sub) Scope() string {
	if s.sc == nil {
		return ""
	}
	return s.sc.name
}

// Count is s's subscriptions of kind k.
func (s *Sub) Count(k Kind) int { return int(s.count[k].Load()) }

// Total is s's channel and pattern subscriptions, the count SUBSCRIBE and
// PSUBSCRIBE report (shard channels are counted apart, as in Redis).
func (s *Sub) Total() int { return s.Count(Channel) + s.Count(Pattern) }

// Active reports whether s holds any subscription.
func (s *Sub) Active() bool { return s.Total()+s.Count(Shard) > 0 }

// Names are s's subscriptions of kind k in the order they were made.
func (s *Sub) Names(k Kind) []string {
	out := make([]string, 0, len(s.index[k]))
	for name := range s.index[k] {
		out = append(out, name)
	}
	sort.Slice(out, func(i, j int) bool { return s.index[k][out[i]] < s.index[k][out[j]] })
	return out
}

// Has reports whether s is subscribed to name as kind k.
func (s *Sub) Has(k Kind, name string) bool {
	_, ok := s.index[k][name]
	return ok
}

// Subscribe adds name of kind k in scope (s's scope must be scope or none:
// the caller drops everything first when its scope changes). Subscribing
// again to a name held is no change. It refuses, changing nothing, when a
// limit would be passed.
func (s *Sub) Subscribe(scopeName string, k Kind, name string, lim Limits) error {
	if s.sc != nil && s.sc.name != scopeName {
		s.UnsubscribeAll()
	}
	if s.Has(k, name) {
		return nil
	}
	if lim.PerSub > 0 && s.Total()+s.Count(Shard) >= lim.PerSub {
		return ErrSubLimit
	}
	if s.sc == nil {
		s.sc = s.hub.attach(scopeName)
	}
	sc := s.sc
	cost := int64(len(name)) + nameCost
	sc.mu.Lock()
	switch {
	case lim.PerScope > 0 && sc.n >= lim.PerScope:
		sc.mu.Unlock()
		s.detachIfIdle()
		return ErrScopeLimit
	case lim.ScopeBytes > 0 && sc.bytes+cost > lim.ScopeBytes:
		sc.mu.Unlock()
		s.detachIfIdle()
		return ErrScopeBytes
	}
	m := sc.names[k]
	if m == nil {
		m = map[string]*subSet{}
		sc.names[k] = m
	}
	set := m[name]
	if set == nil {
		set = &subSet{}
		m[name] = set
	}
	set.add(s)
	sc.n++
	sc.bytes += cost
	sc.mu.Unlock()
	if s.index[k] == nil {
		s.index[k] = map[string]uint64{}
	}
	s.seq++
	s.index[k][name] = s.seq
	s.count[k].Add(1)
	return nil
}

// Unsubscribe removes name of kind k; it reports whether s held it.
func (s *Sub) Unsubscribe(k Kind, name string) bool {
	if _, ok := s.index[k][name]; !ok {
		return false
	}
	sc := s.sc
	sc.mu.Lock()
	if set := sc.names[k][name]; set != nil && set.remove(s) {
		delete(sc.names[k], name)
	}
	sc.n--
	sc.bytes -= int64(len(name)) + nameCost
	sc.mu.Unlock()
	delete(s.index[k], name)
	s.count[k].Add(-1)
	s.detachIfIdle()
	return true
}

// UnsubscribeAll drops every subscription of s (RESET, closing, a session
// bound to another tenant).
func (s *Sub) UnsubscribeAll() {
	if s.sc == nil {
		return
	}
	sc := s.sc
	sc.mu.Lock()
	for k := Kind(0); k < kinds; k++ {
		for name := range s.index[k] {
			if set := sc.names[k][name]; set != nil && set.remove(s) {
				delete(sc.names[k], name)
			}
			sc.n--
			sc.bytes -= int64(len(name)) + nameCost
		}
		s.index[k] = nil
		s.count[k].Store(0)
	}
	sc.mu.Unlock()
	s.detachIfIdle()
}

// detachIfIdle lets go of s's scope once s holds nothing there.
func (s *Sub) detachIfIdle() {
	if s.sc == nil || s.Active() {
		return
	}
	s.hub.detach(s.sc)
	s.sc = nil
}

func (h *Hub) attach(name string) *scope {
	h.mu.Lock()
	defer h.mu.Unlock()
	sc := h.scopes[name]
	if sc == nil {
		sc = &scope{name: name}
		h.scopes[name] = sc
	}
	sc.attached++
	return sc
}

func (h *Hub) detach(sc *scope) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sc.attached--
	if sc.attached == 0 {
		delete(h.scopes, sc.name)
	}
}

func (h *Hub) scope(name string) *scope {
	h.mu.RLock()
	sc := h.scopes[name]
	h.mu.RUnlock()
	return sc
}

// Publish delivers payload on channel in scope to the channel's
// subscribers and, for a Channel, to every pattern that matches it (a
// subscriber holding both gets both, as in Redis). It returns how many
// deliveries were taken. self is the publisher's own receiver, if it is
// one (nil otherwise). The scope's read lock is held while delivering, so
// an unsubscribe that returned has no delivery still in flight.
func (h *Hub) Publish(scopeName string, k Kind, channel, payload []byte, self Receiver) int {
	sc := h.scope(scopeName)
	if sc == nil {
		return 0
	}
	n := 0
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	m := getMessage(k, channel, payload)
	defer putMessage(m)
	if set := sc.names[k][string(channel)]; set != nil {
		for _, sub := range set.subs {
			if sub.r.Deliver(m, sub.r == self) {
				n++
			}
		}
	}
	if k != Channel || len(sc.names[Pattern]) == 0 {
		return n
	}
	m.Kind = Pattern
	for pat, set := range sc.names[Pattern] {
		if !engine.Match([]byte(pat), channel, false) {
			continue
		}
		m.Pattern = []byte(pat)
		m.frames = [2][]byte{}
		for _, sub := range set.subs {
			if sub.r.Deliver(m, sub.r == self) {
				n++
			}
		}
	}
	return n
}

// Active reports whether scope has any subscriber: a publisher with
// something costly to prepare (a keyspace event's copy) asks first.
func (h *Hub) Active(scopeName string) bool { return h.scope(scopeName) != nil }

// Channels lists scope's channels of kind k (Channel or Shard) that have a
// subscriber, those matching pattern when it is not nil, sorted.
func (h *Hub) Channels(scopeName string, k Kind, pattern []byte) []string {
	sc := h.scope(scopeName)
	if sc == nil {
		return nil
	}
	var out []string
	sc.mu.RLock()
	for name := range sc.names[k] {
		if pattern == nil || engine.Match(pattern, []byte(name), false) {
			out = append(out, name)
		}
	}
	sc.mu.RUnlock()
	sort.Strings(out)
	return out
}

// NumSub is how many subscribers scope's channel of kind k has.
func (h *Hub) NumSub(scopeName string, k Kind, channel string) int {
	sc := h.scope(scopeName)
	if sc == nil {
		return 0
	}
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	if set := sc.names[k][channel]; set != nil {
		return len(set.subs)
	}
	return 0
}

// NumPat is how many distinct patterns scope's subscribers hold.
func (h *Hub) NumPat(scopeName string) int {
	sc := h.scope(scopeName)
	if sc == nil {
		return 0
	}
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return len(sc.names[Pattern])
}

// Counts are the distinct channels, patterns and shard channels with
// subscribers, in scope, or in every scope when all is set (INFO of the
// server as a whole).
func (h *Hub) Counts(scopeName string, all bool) (channels, patterns, shards int) {
	var scopes []*scope
	h.mu.RLock()
	if all {
		for _, sc := range h.scopes {
			scopes = append(scopes, sc)
		}
	} else if sc := h.scopes[scopeName]; sc != nil {
		scopes = append(scopes, sc)
	}
	h.mu.RUnlock()
	for _, sc := range scopes {
		sc.mu.RLock()
		channels += len(sc.names[Channel])
		patterns += len(sc.names[Pattern])
		shards += len(sc.names[Shard])
		sc.mu.RUnlock()
	}
	return channels, patterns, shards
}

// Scopes is how many scopes hold subscriptions (tests: an emptied scope
// must not linger).
func (h *Hub) Scopes() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.scopes)
}
