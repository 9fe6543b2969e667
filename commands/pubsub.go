package commands

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"synap/pubsub"
	"synap/resp"
	"synap/tenant"
)

// Pub/sub: the RESP commands over the server's hub (package pubsub), which
// the HTTP surfaces share. A session subscribes in its scope: its tenant's
// in cluster mode, "" otherwise (standalone, the operator), so channels,
// patterns and PUBSUB's counts never cross tenants. Messages reach a
// session through its outbox (Session.Push), bounded by the pubsub class
// of client-output-buffer-limit: a publisher never waits for a slow
// subscriber, which is disconnected once over its limit.

const pubsubGroup = "pubsub"

// subscribeFlags are Redis's flags of the (P|S)(UN)SUBSCRIBE rows, plus
// Synap's FlagPubSubContext: they are allowed in RESP2's subscribed mode.
const subscribeFlags = FlagPubSub | FlagNoScript | FlagLoading | FlagStale | FlagPubSubContext

func init() {
	aclSlow := []string{"pubsub", "slow"}
	register(
		&Command{Name: "subscribe", Arity: -2, Flags: subscribeFlags, ACL: aclSlow, Need: tenant.NeedRead,
			Group: pubsubGroup, Since: "2.0.0", Complexity: "O(N) for the N channels to subscribe to",
			Summary: "Listens for messages published to channels.", Run: cmdSubscribe},
		&Command{Name: "psubscribe", Arity: -2, Flags: subscribeFlags, ACL: aclSlow, Need: tenant.NeedRead,
			Group: pubsubGroup, Since: "2.0.0", Complexity: "O(N) for the N patterns to subscribe to",
			Summary: "Listens for messages published to channels that match glob patterns.", Run: cmdPSubscribe},
		&Command{Name: "ssubscribe", Arity: -2, Flags: subscribeFlags, ACL: aclSlow, Need: tenant.NeedRead,
			FirstKey: 1, LastKey: -1, Step: 1,
			Group: pubsubGroup, Since: "7.0.0", Complexity: "O(N) for the N shard channels to subscribe to",
			Summary: "Listens for messages published to shard channels.", Run: cmdSSubscribe},
		&Command{Name: "unsubscribe", Arity: -1, Flags: subscribeFlags, ACL: aclSlow, Need: tenant.NeedRead,
			Group: pubsubGroup, Since: "2.0.0", Complexity: "O(N) for the N channels to unsubscribe from",
			Summary: "Stops listening to messages posted to channels.", Run: cmdUnsubscribe},
		&Command{Name: "punsubscribe", Arity: -1, Flags: subscribeFlags, ACL: aclSlow, Need: tenant.NeedRead,
			Group: pubsubGroup, Since: "2.0.0", Complexity: "O(N) for the N patterns to unsubscribe from",
			Summary: "Stops listening to messages published to channels that match glob patterns.", Run: cmdPUnsubscribe},
		&Command{Name: "sunsubscribe", Arity: -1, Flags: subscribeFlags, ACL: aclSlow, Need: tenant.NeedRead,
			FirstKey: 1, LastKey: -1, Step: 1,
			Group: pubsubGroup, Since: "7.0.0", Complexity: "O(N) for the N shard channels to unsubscribe from",
			Summary: "Stops listening to messages posted to shard channels.", Run: cmdSUnsubscribe},
		// PUBLISH tells its caller how many subscribers took the message:
		// who listens now, nothing stored, so write alone suffices.
		// may_replicate, as in Redis: a CLIENT PAUSE WRITE holds them.
		&Command{Name: "publish", Arity: 3, Flags: FlagPubSub | FlagLoading | FlagStale | FlagFast | FlagMayReplicate,
			ACL: []string{"pubsub", "fast"}, Need: tenant.NeedWrite, Reveals: Never,
			Group: pubsubGroup, Since: "2.0.0", Complexity: "O(N+M): N subscribers of the channel, M patterns",
			Summary: "Posts a message to a channel.", Run: cmdPublish},
		&Command{Name: "spublish", Arity: 3, Flags: FlagPubSub | FlagLoading | FlagStale | FlagFast | FlagMayReplicate,
			ACL: []string{"pubsub", "fast"}, Need: tenant.NeedWrite, Reveals: Never,
			FirstKey: 1, LastKey: 1, Step: 1,
			Group: pubsubGroup, Since: "7.0.0", Complexity: "O(N): N subscribers of the shard channel",
			Summary: "Posts a message to a shard channel.", Run: cmdSPublish},
		&Command{Name: "pubsub", Arity: -2, ACL: []string{"slow"}, Group: pubsubGroup, Since: "2.8.0",
			Complexity: "Depends on the subcommand", Summary: "A container for Pub/Sub commands.",
			Subs: []*Command{
				pubsubSub("channels", -2, "2.8.0", "Lists the active channels, optionally matching a pattern.", cmdPubsubChannels),
				pubsubSub("numsub", -2, "2.8.0", "Counts the subscribers of channels.", cmdPubsubNumsub),
				pubsubSub("numpat", 2, "2.8.0", "Counts the unique patterns subscribed to.", cmdPubsubNumpat),
				pubsubSub("shardchannels", -2, "7.0.0", "Lists the active shard channels, optionally matching a pattern.", cmdPubsubShardChannels),
				pubsubSub("shardnumsub", -2, "7.0.0", "Counts the subscribers of shard channels.", cmdPubsubShardNumsub),
				{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: []string{"slow"},
					Group: pubsubGroup, Since: "6.2.0", Summary: "Lists the PUBSUB subcommands.", Run: cmdPubsubHelp},
			}},
	)
	serverParams = append(serverParams,
		intParam("pubsub-subscriptions-per-client", 0, math.MaxInt32, func(c *Config) *int { return &c.PubSubMaxPerClient }),
		intParam("pubsub-subscriptions-per-tenant", 0, math.MaxInt32, func(c *Config) *int { return &c.PubSubMaxPerTenant }),
	)
}

func pubsubSub(name string, arity int, since, summary string, run func(*Ctx)) *Command {
	return &Command{Name: name, Arity: arity, Flags: FlagPubSub | FlagLoading | FlagStale, ACL: []string{"pubsub", "slow"},
		Need: tenant.NeedRead, Group: pubsubGroup, Since: since, Summary: summary, Run: run}
}

// tenantSubBytes bounds the bytes of one tenant's subscription names (each
// charged its length plus the hub's entries): the counts alone would let
// 100,000 names of a megabyte each through.
const tenantSubBytes = 64 << 20

// pubsubScope is c's scope in the hub: its tenant's namespace in cluster
// mode, "" for standalone mode and the operator.
func (c *Session) pubsubScope() string {
	if c.T != nil && c.P != nil {
		return c.P.Namespace()
	}
	return ""
}

// subLimits are what c may subscribe: the per-connection and per-tenant
// caps bind tenants; standalone clients and the operator are Redis's
// (unbounded, as the operator's own choice).
func (s *Server) subLimits(c *Session) pubsub.Limits {
	if c.T == nil {
		return pubsub.Limits{}
	}
	cfg := s.Config()
	return pubsub.Limits{PerSub: cfg.PubSubMaxPerClient, PerScope: cfg.PubSubMaxPerTenant, ScopeBytes: tenantSubBytes}
}

// subscribed reports whether c holds any subscription (Redis's
// CLIENT_PUBSUB flag): in RESP2 it then may run only the rows flagged
// FlagPubSubContext.
func (c *Session) subscribed() bool { return c.ps != nil && c.ps.Active() }

// dropSubscriptions ends every subscription of c: RESET, closing, and a
// session bound to another tenant or to none (it must not go on hearing
// the first tenant's channels).
func (c *Session) dropSubscriptions() {
	if c.ps != nil {
		c.ps.UnsubscribeAll()
	}
}

// subCounts are CLIENT LIST's sub, psub and ssub of c, read from any
// goroutine.
func (c *Session) subCounts() (sub, psub, ssub int64) {
	c.mu.Lock()
	ps := c.ps
	c.mu.Unlock()
	if ps == nil {
		return 0, 0, 0
	}
	return int64(ps.Count(pubsub.Channel)), int64(ps.Count(pubsub.Pattern)), int64(ps.Count(pubsub.Shard))
}

// Deliver queues m for c (the hub's Receiver). A killed session takes
// nothing, so PUBLISH does not count it; inline (c published it itself)
// writes m into c's reply ahead of PUBLISH's own, as Redis does.
func (c *Session) Deliver(m *pubsub.Message, inline bool) bool {
	if c.killed.Load() {
		return false
	}
	if !inline && !c.listenerValid() {
		c.Kill()
		return false
	}
	if inline {
		encodeMessage(c.W, m)
		return true
	}
	proto, lim := c.pushTarget()
	if proto >= 3 {
		return c.pushFrame(m.Frame(1, encodeRESP3), lim)
	}
	return c.pushFrame(m.Frame(0, encodeRESP2), lim)
}

func encodeRESP2(dst []byte, m *pubsub.Message) []byte { return encodeFrame(dst, 2, m) }
func encodeRESP3(dst []byte, m *pubsub.Message) []byte { return encodeFrame(dst, 3, m) }

// encodeFrame appends m to dst as proto's push, sized once: growing the
// frame append by append was a tenth of a publish's CPU.
func encodeFrame(dst []byte, proto int, m *pubsub.Message) []byte {
	w := resp.Writer{Buf: dst, Proto: proto}
	w.Grow(len(m.Pattern) + len(m.Channel) + len(m.Payload) + frameOverhead)
	encodeMessage(&w, m)
	return w.Buf
}

// frameOverhead bounds a message frame's bytes beyond its pattern, channel
// and payload: the headers, lengths and the word "pmessage".
const frameOverhead = 4*24 + len("pmessage")

func encodeMessage(w *resp.Writer, m *pubsub.Message) {
	switch m.Kind {
	case pubsub.Pattern:
		w.Push(4)
		w.BulkString("pmessage")
		w.Bulk(m.Pattern)
	case pubsub.Shard:
		w.Push(3)
		w.BulkString("smessage")
	default:
		w.Push(3)
		w.BulkString("message")
	}
	w.Bulk(m.Channel)
	w.Bulk(m.Payload)
}

// confirmCount is the count a (un)subscribe confirmation carries: shard
// channels are counted apart from channels and patterns, as in Redis.
func confirmCount(ps *pubsub.Sub, k pubsub.Kind) int64 {
	if ps == nil {
		return 0
	}
	if k == pubsub.Shard {
		return int64(ps.Count(pubsub.Shard))
	}
	return int64(ps.Total())
}

func confirm(w *resp.Writer, verb string, name []byte, n int64) {
	w.Push(3)
	w.BulkString(verb)
	if name == nil {
		w.Null()
	} else {
		w.Bulk(name)
	}
	w.Int(n)
}

func cmdSubscribe(x *Ctx)  { subscribe(x, pubsub.Channel, "subscribe") }
func cmdPSubscribe(x *Ctx) { subscribe(x, pubsub.Pattern, "psubscribe") }
func cmdSSubscribe(x *Ctx) { subscribe(x, pubsub.Shard, "ssubscribe") }

func subscribe(x *Ctx, k pubsub.Kind, verb string) {
	c := x.C
	if c.ps == nil {
		ps := x.S.Hub.NewSub(c)
		c.mu.Lock() // CLIENT LIST of other sessions reads it
		c.ps = ps
		c.mu.Unlock()
	}
	c.noteListener()
	scope := c.pubsubScope()
	lim := x.S.subLimits(c)
	for _, name := range x.Args[1:] {
		if err := c.ps.Subscribe(scope, k, string(name), lim); err != nil {
			// The names before stay subscribed, each confirmed; the
			// error tells which limit and where to raise it.
			switch err {
			case pubsub.ErrSubLimit:
				x.Error(fmt.Sprintf(errSubLimitClient, lim.PerSub))
			case pubsub.ErrScopeLimit:
				x.Error(fmt.Sprintf(errSubLimitTenant, lim.PerScope))
			default:
				x.Error(fmt.Sprintf(errSubLimitBytes, lim.ScopeBytes))
			}
			return
		}
		confirm(x.W, verb, name, confirmCount(c.ps, k))
	}
}

func cmdUnsubscribe(x *Ctx)  { unsubscribe(x, pubsub.Channel, "unsubscribe") }
func cmdPUnsubscribe(x *Ctx) { unsubscribe(x, pubsub.Pattern, "punsubscribe") }
func cmdSUnsubscribe(x *Ctx) { unsubscribe(x, pubsub.Shard, "sunsubscribe") }

func unsubscribe(x *Ctx, k pubsub.Kind, verb string) {
	ps := x.C.ps
	if len(x.Args) == 1 {
		var names []string
		if ps != nil {
			names = ps.Names(k)
		}
		if len(names) == 0 {
			confirm(x.W, verb, nil, confirmCount(ps, k))
			return
		}
		for _, name := range names {
			ps.Unsubscribe(k, name)
			confirm(x.W, verb, []byte(name), confirmCount(ps, k))
		}
		return
	}
	for _, name := range x.Args[1:] {
		if ps != nil {
			ps.Unsubscribe(k, string(name))
		}
		confirm(x.W, verb, name, confirmCount(ps, k))
	}
}

func cmdPublish(x *Ctx) {
	n := x.S.Hub.Publish(x.C.pubsubScope(), pubsub.Channel, x.Args[1], x.Args[2], x.C)
	x.C.delivered = x.C.delivered || n > 0
	x.W.Int(int64(n))
}

func cmdSPublish(x *Ctx) {
	n := x.S.Hub.Publish(x.C.pubsubScope(), pubsub.Shard, x.Args[1], x.Args[2], x.C)
	x.C.delivered = x.C.delivered || n > 0
	x.W.Int(int64(n))
}

// TookDelivered reports whether c published to a subscriber since it was
// last asked: its connection lets the subscribers it woke write before it
// writes its own replies.
func (c *Session) TookDelivered() bool {
	d := c.delivered
	c.delivered = false
	return d
}

func pubsubChannels(x *Ctx, k pubsub.Kind) {
	if len(x.Args) > 3 {
		// Redis checks this one in the handler, with its own text.
		x.Error(fmt.Sprintf(errPubsubSubArgs, clip(x.Args[1], 128)))
		return
	}
	var pattern []byte
	if len(x.Args) == 3 {
		pattern = x.Args[2]
	}
	names := x.S.Hub.Channels(x.C.pubsubScope(), k, pattern)
	x.W.Array(len(names))
	for _, n := range names {
		x.W.BulkString(n)
	}
}

func pubsubNumsub(x *Ctx, k pubsub.Kind) {
	scope := x.C.pubsubScope()
	x.W.Array(2 * (len(x.Args) - 2))
	for _, ch := range x.Args[2:] {
		x.W.Bulk(ch)
		x.W.Int(int64(x.S.Hub.NumSub(scope, k, string(ch))))
	}
}

func cmdPubsubChannels(x *Ctx)      { pubsubChannels(x, pubsub.Channel) }
func cmdPubsubShardChannels(x *Ctx) { pubsubChannels(x, pubsub.Shard) }
func cmdPubsubNumsub(x *Ctx)        { pubsubNumsub(x, pubsub.Channel) }
func cmdPubsubShardNumsub(x *Ctx)   { pubsubNumsub(x, pubsub.Shard) }
func cmdPubsubNumpat(x *Ctx)        { x.W.Int(int64(x.S.Hub.NumPat(x.C.pubsubScope()))) }

var pubsubHelpLines = []string{
	"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANNELS [<pattern>]",
	"    List the channels with subscribers, those matching <pattern> if given.",
	"NUMPAT",
	"    Count the distinct patterns subscribed to.",
	"NUMSUB [<channel> ...]",
	"    Count the subscribers of each channel (pattern subscriptions not included).",
	"SHARDCHANNELS [<pattern>]",
	"    List the shard channels with subscribers, those matching <pattern> if given.",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Count the subscribers of each shard channel.",
	"HELP",
	"    Prints this help.",
}

func cmdPubsubHelp(x *Ctx) {
	x.W.Array(len(pubsubHelpLines))
	for _, l := range pubsubHelpLines {
		x.W.Simple(l)
	}
}

// listenerAuth is the identity a session's subscriptions were made under,
// readable by publishers on other goroutines. A subscriber that only
// listens sends no command, so the dispatcher never re-checks its key:
// the publishers do, from the directory's memory, before delivering.
type listenerAuth struct {
	p   atomic.Pointer[tenant.Principal]
	key atomic.Pointer[string]
	gen atomic.Uint64
}

// noteListener records c's identity for its subscriptions and its client
// tracking (SUBSCRIBE, CLIENT TRACKING, and AUTH or a re-check that keeps
// them).
func (c *Session) noteListener() {
	if c.ps == nil && c.track.Load() == nil {
		return
	}
	key := c.accessKey
	c.psAuth.key.Store(&key)
	c.psAuth.gen.Store(c.dirGen)
	c.psAuth.p.Store(c.P)
}

// listenerValid reports whether c's key still holds for listening to its
// tenant's channels: not expired, and, once the directory moved, still
// known to it (from its memory, never a call), for the same tenant, with
// read and c's surface. When only a call could tell, delivery goes on:
// the answer comes with the session's next command.
func (c *Session) listenerValid() bool {
	a := &c.psAuth
	p := a.p.Load()
	s := c.srv
	if p == nil || p.Operator || s.Dir == nil {
		return true
	}
	if p.Expired(time.Now()) {
		return false
	}
	cur := s.Dir.Generation()
	if cur == a.gen.Load() {
		return true
	}
	np, err := s.Dir.ResolveCached(*a.key.Load())
	switch {
	case errors.Is(err, tenant.ErrUnknownKey):
		return false
	case err != nil:
		return true
	case np.UserID != p.UserID || !np.Allows(tenant.NeedRead) || !np.AllowsSurface(c.surface):
		return false
	}
	a.p.Store(np)
	a.gen.Store(cur)
	return true
}
