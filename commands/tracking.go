package commands

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/puzpuzpuz/xsync/v3"

	"synap/resp"
	"synap/tenant"
)

// Client-side caching (CLIENT TRACKING), as Redis 7 keeps it: a client
// that turns tracking on is told when a key it may have cached changes,
// by an "invalidate" push (RESP3) or a message on __redis__:invalidate to
// the connection it redirects to (RESP2).
//
// Default mode remembers the keys each client reads (the keys of the
// readonly rows of the command table) as interests of keyWaits, before the
// read, so a write is either in what the read returns or invalidated
// after it; the key's next change invalidates it for every client that
// read it, once. BCAST mode remembers nothing: every change of a key
// under one of the client's prefixes is sent.
//
// What differs from Redis, on purpose:
//   - keys are remembered per keyspace (a database, or a tenant's), so a
//     write in one never invalidates a read in another;
//   - in cluster mode a tenant's clients track only its own keys, redirect
//     only to its own connections, and hear only its own flushes;
//   - the table is bounded in entries (one per client and key), not in
//     keys, per tenant as well as in all (tracking-table-max-keys,
//     tracking-tenant-max-keys): past a bound the client that just read
//     gives up entries of its own, each with an invalidation, never
//     another client's;
//   - a client whose access key no longer allows reading is disconnected
//     at its next invalidation, as a subscriber is at its next message.

func init() {
	serverParams = append(serverParams,
		intParam("tracking-table-max-keys", 0, math.MaxInt64, func(c *Config) *int64 { return &c.TrackingTableMaxKeys }),
		intParam("tracking-tenant-max-keys", 0, math.MaxInt64, func(c *Config) *int64 { return &c.TrackingTenantMaxKeys }),
	)
}

// trackingChannel is where RESP2 invalidations go, on the connection
// tracking redirects to.
const trackingChannel = "__redis__:invalidate"

// allScopes is the bcast scope of a standalone or operator client: its
// prefixes match keys of every keyspace, as Redis's match every database.
const allScopes = math.MaxUint32

// trackRegistry is the server's client tracking state.
type trackRegistry struct {
	srv      *Server
	items    atomic.Int64 // (client, key) entries of default mode
	units    atomic.Int64 // what entries and prefixes count (trackUnits)
	keys     atomic.Int64 // keys some client tracks
	bcasting atomic.Int64 // BCAST clients; while any, every shard has interest
	// bcast holds the BCAST prefixes by scope (a namespace's id, or
	// allScopes), copied on change: every write reads it.
	bmu   sync.Mutex
	bcast atomic.Pointer[map[uint32][]bcastReg]
	// scopes holds the sessions with tracking on by tenant (nil: standalone
	// and the operator), for flushes and INFO, and each tenant's use
	// (tracking-tenant-max-keys): a tenant's FLUSHDB or INFO walks its own
	// sessions, not every tenant's.
	scopes *xsync.MapOf[*tenant.Tenant, *trackScope]
}

// trackScope is one tenant's tracking sessions and use.
type trackScope struct {
	units atomic.Int64 // its entries and prefixes, in trackUnits
	on    *xsync.MapOf[*Client, *trackState]
}

type bcastReg struct {
	prefix string
	st     *trackState
}

func newTrackRegistry(s *Server) *trackRegistry {
	r := &trackRegistry{srv: s, scopes: xsync.NewMapOf[*tenant.Tenant, *trackScope]()}
	r.bcast.Store(&map[uint32][]bcastReg{})
	return r
}

// trackState is one session's tracking, from CLIENT TRACKING ON to OFF.
type trackState struct {
	c    *Client
	opts atomic.Pointer[trackOpts] // replaced whole by a later ON
	// mu guards keys, the keys this client tracks (default mode): its own
	// goroutine adds, writers' goroutines remove. An entry is in keys
	// exactly while the state is among the key's trackers; whoever removes
	// it from there (under the part's mu) counts it out.
	mu     sync.Mutex
	keys   map[*keyInterest]struct{}
	broken atomic.Bool    // the redirect's connection is gone
	home   *trackScope    // where it is listed
	ten    *atomic.Int64  // home's use when it is a tenant's; nil without a tenant
	t      *tenant.Tenant // the tenant tracking was turned on under
	scope  uint32         // the bcast scope
	prefix []string       // BCAST prefixes, sorted (own goroutine)
	cache  bool           // CLIENT CACHING given for the next command
	idx    []int          // key positions, reused
	evict  []*keyInterest // victims, reused
}

type trackOpts struct {
	bcast, optin, optout, noloop bool
	redirect                     int64 // internal id; 0: none
	redirShown                   int64 // as the client gave it
}

// ---- CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO ----

// trackArgs is CLIENT TRACKING's arguments: the options the state will
// hold, and what is applied once.
type trackArgs struct {
	trackOpts
	on       bool
	prefixes []string
}

func parseTracking(x *Ctx) (trackArgs, bool) {
	var a trackArgs
	args := x.Args[3:]
	for j := 0; j < len(args); j++ {
		more := j+1 < len(args)
		switch {
		case strEq(args[j], "redirect") && more:
			j++
			if a.redirShown != 0 {
				x.Error(errTrackRedirTwice)
				return a, false
			}
			id, ok := ParseInt(args[j])
			if !ok {
				x.Error(resp.ErrNotInteger)
				return a, false
			}
			// Only a live connection of the caller's own tenant exists
			// for it (internalID and Sees), as for CLIENT UNBLOCK.
			target, found := x.S.clients.Load(x.C.internalID(id))
			if !found || target.killed.Load() || !x.C.Sees(target) {
				x.Error(errTrackRedirMissing)
				return a, false
			}
			a.redirect, a.redirShown = target.ID, id
		case strEq(args[j], "bcast"):
			a.bcast = true
		case strEq(args[j], "optin"):
			a.optin = true
		case strEq(args[j], "optout"):
			a.optout = true
		case strEq(args[j], "noloop"):
			a.noloop = true
		case strEq(args[j], "prefix") && more:
			j++
			a.prefixes = append(a.prefixes, string(args[j]))
		default:
			x.SyntaxError()
			return a, false
		}
	}
	switch {
	case strEq(x.Args[2], "on"):
		a.on = true
	case strEq(x.Args[2], "off"):
	default:
		x.SyntaxError()
		return a, false
	}
	return a, true
}

func cmdClientTracking(x *Ctx) {
	a, ok := parseTracking(x)
	if !ok {
		return
	}
	c := x.C
	st := c.track.Load()
	if !a.on {
		x.S.track.off(c)
		x.W.OK()
		return
	}
	if !a.bcast && len(a.prefixes) > 0 {
		x.Error(errTrackPrefixNoBcast)
		return
	}
	if st != nil {
		if o := st.opts.Load(); o.bcast != a.bcast {
			x.Error(errTrackBcastSwitch)
			return
		}
	}
	if a.bcast && (a.optin || a.optout) {
		x.Error(errTrackBcastOpt)
		return
	}
	if a.optin && a.optout {
		x.Error(errTrackOptBoth)
		return
	}
	if st != nil {
		if o := st.opts.Load(); (a.optin && o.optout) || (a.optout && o.optin) {
			x.Error(errTrackOptSwitch)
			return
		}
	}
	if a.bcast {
		if msg := prefixCollision(st, a.prefixes); msg != "" {
			x.Error(msg)
			return
		}
		// Prefixes count against the same bounds as entries: a client
		// cannot hold more than its tenant's share of either.
		var units int64
		for _, p := range a.prefixes {
			units += trackUnits(p)
		}
		probe := st
		if probe == nil {
			probe = &trackState{ten: x.S.track.tenantCount(c)}
		}
		if x.S.track.over(probe, units) {
			x.Error(errTrackPrefixBound)
			return
		}
	}
	x.S.track.enable(c, st, a)
	x.W.OK()
}

// prefixCollision is Redis's error for prefixes of which one begins
// another, among those given and those the client has, or "".
func prefixCollision(st *trackState, prefixes []string) string {
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range prefixes {
		if st != nil {
			for _, have := range st.prefix {
				if overlap(p, have) {
					return sanitize(fmt.Sprintf(errTrackPrefixExists, p, have))
				}
			}
		}
		for _, q := range prefixes[i+1:] {
			if overlap(p, q) {
				return sanitize(fmt.Sprintf(errTrackPrefixOther, p, q))
			}
		}
	}
	return ""
}

func cmdClientCaching(x *Ctx) {
	st := x.C.track.Load()
	if st == nil {
		x.Error(errCachingNoTracking)
		return
	}
	o := st.opts.Load()
	switch {
	case strEq(x.Args[2], "yes"):
		if !o.optin {
			x.Error(errCachingYes)
			return
		}
	case strEq(x.Args[2], "no"):
		if !o.optout {
			x.Error(errCachingNo)
			return
		}
	default:
		x.SyntaxError()
		return
	}
	st.cache = true
	x.W.OK()
}

func cmdClientGetRedir(x *Ctx) {
	st := x.C.track.Load()
	if st == nil {
		x.W.Int(-1)
		return
	}
	x.W.Int(st.opts.Load().redirShown)
}

func cmdClientTrackingInfo(x *Ctx) {
	st := x.C.track.Load()
	w := x.W
	w.Map(3)
	w.BulkString("flags")
	if st == nil {
		w.Set(1)
		w.BulkString("off")
		w.BulkString("redirect")
		w.Int(-1)
		w.BulkString("prefixes")
		w.Array(0)
		return
	}
	o := st.opts.Load()
	flags := []string{"on"}
	if o.bcast {
		flags = append(flags, "bcast")
	}
	if o.optin {
		flags = append(flags, "optin")
		if st.cache {
			flags = append(flags, "caching-yes")
		}
	}
	if o.optout {
		flags = append(flags, "optout")
		if st.cache {
			flags = append(flags, "caching-no")
		}
	}
	if o.noloop {
		flags = append(flags, "noloop")
	}
	if st.broken.Load() {
		flags = append(flags, "broken_redirect")
	}
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("redirect")
	w.Int(o.redirShown)
	w.BulkString("prefixes")
	w.Array(len(st.prefix))
	for _, p := range st.prefix {
		w.BulkString(p)
	}
}

// ---- turning tracking on and off ----

// enable turns tracking on for c (st: its state, nil when off) with a.
func (r *trackRegistry) enable(c *Client, st *trackState, a trackArgs) {
	if st == nil {
		st = &trackState{c: c, keys: map[*keyInterest]struct{}{}, t: c.T, scope: allScopes, home: r.scope(c.T)}
		if c.T != nil {
			st.scope = c.NS.ID
			st.ten = &st.home.units
		}
		st.home.on.Store(c, st)
		c.track.Store(st)
		// The identity it tracks under, re-checked at every invalidation.
		c.noteListener()
	}
	st.broken.Store(false)
	opts := a.trackOpts
	st.opts.Store(&opts)
	if a.bcast {
		add := a.prefixes
		if len(add) == 0 && len(st.prefix) == 0 {
			add = []string{""}
		}
		r.addPrefixes(st, add)
	}
}

// scope is t's tracking scope (nil: standalone and the operator).
func (r *trackRegistry) scope(t *tenant.Tenant) *trackScope {
	sc, _ := r.scopes.LoadOrCompute(t, func() *trackScope {
		return &trackScope{on: xsync.NewMapOf[*Client, *trackState]()}
	})
	return sc
}

// tenantCount is the use counter of c's tenant, nil without one.
func (r *trackRegistry) tenantCount(c *Client) *atomic.Int64 {
	if c.T == nil {
		return nil
	}
	return &r.scope(c.T).units
}

// each calls fn for every tracking session of t's scope, or of every
// scope when all is set.
func (r *trackRegistry) each(t *tenant.Tenant, all bool, fn func(st *trackState)) {
	visit := func(sc *trackScope) {
		sc.on.Range(func(_ *Client, st *trackState) bool {
			fn(st)
			return true
		})
	}
	if !all {
		if sc, ok := r.scopes.Load(t); ok {
			visit(sc)
		}
		return
	}
	r.scopes.Range(func(_ *tenant.Tenant, sc *trackScope) bool {
		visit(sc)
		return true
	})
}

// off turns c's tracking off and forgets what it tracked: RESET, CLIENT
// TRACKING OFF, closing, and a session bound to another identity.
func (r *trackRegistry) off(c *Client) {
	st := c.track.Load()
	if st == nil {
		return
	}
	c.track.Store(nil)
	st.home.on.Delete(c)
	if len(st.prefix) > 0 {
		r.dropPrefixes(st)
	}
	st.mu.Lock()
	keys := st.keys
	st.keys = map[*keyInterest]struct{}{}
	st.mu.Unlock()
	for in := range keys {
		r.drop(st, in)
	}
}

// drop removes st from the trackers of in's key, if a change has not
// removed it already (and the record with it, once empty), and says
// whether it did.
func (r *trackRegistry) drop(st *trackState, in *keyInterest) bool {
	kw := r.srv.waits
	i, p := kw.part(in.k)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys[in.k] != in {
		return false // released: st was removed with the change
	}
	for j, ref := range in.trackers {
		if ref == st {
			in.trackers = slices.Delete(in.trackers, j, j+1)
			r.counted(st, in.k.key, -1)
			if len(in.trackers) == 0 {
				r.keys.Add(-1)
				kw.release(i, p, in.k, in)
			}
			return true
		}
	}
	return false
}

// counted adds (n = 1) or removes (n = -1) an entry of st's for key.
func (r *trackRegistry) counted(st *trackState, key string, n int64) {
	r.items.Add(n)
	r.charge(st, trackUnits(key)*n)
}

// charge adds n units to the server's and st's tenant's use.
func (r *trackRegistry) charge(st *trackState, n int64) {
	r.units.Add(n)
	if st.ten != nil {
		st.ten.Add(n)
	}
}

// trackUnits is what an entry or a prefix of s counts against the bounds:
// one, and one more per 128 bytes of s, so a table of long keys is
// bounded in bytes as well as in entries.
func trackUnits(s string) int64 { return 1 + int64(len(s))/trackUnitBytes }

const trackUnitBytes = 128

// over reports whether the server's or st's tenant's use passes its bound
// once extra more units are added.
func (r *trackRegistry) over(st *trackState, extra int64) bool {
	cfg := r.srv.Config()
	if m := cfg.TrackingTableMaxKeys; m > 0 && r.units.Load()+extra > m {
		return true
	}
	return st.ten != nil && cfg.TrackingTenantMaxKeys > 0 && st.ten.Load()+extra > cfg.TrackingTenantMaxKeys
}

func (r *trackRegistry) addPrefixes(st *trackState, prefixes []string) {
	r.bmu.Lock()
	defer r.bmu.Unlock()
	if len(st.prefix) == 0 {
		// The first: from now on every shard reports every change.
		if r.bcasting.Add(1) == 1 {
			for i := 0; i < r.srv.Eng.Shards(); i++ {
				r.srv.Eng.AddInterest(i, 1)
			}
		}
	}
	for _, p := range prefixes {
		r.charge(st, trackUnits(p))
	}
	st.prefix = append(st.prefix, prefixes...)
	slices.Sort(st.prefix)
	old := *r.bcast.Load()
	next := make(map[uint32][]bcastReg, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	regs := slices.Clone(next[st.scope])
	for _, p := range prefixes {
		regs = append(regs, bcastReg{prefix: p, st: st})
	}
	next[st.scope] = regs
	r.bcast.Store(&next)
}

func (r *trackRegistry) dropPrefixes(st *trackState) {
	r.bmu.Lock()
	defer r.bmu.Unlock()
	old := *r.bcast.Load()
	next := make(map[uint32][]bcastReg, len(old))
	for k, v := range old {
		next[k] = v
	}
	regs := slices.DeleteFunc(slices.Clone(next[st.scope]), func(g bcastReg) bool { return g.st == st })
	if len(regs) == 0 {
		delete(next, st.scope)
	} else {
		next[st.scope] = regs
	}
	r.bcast.Store(&next)
	for _, p := range st.prefix {
		r.charge(st, -trackUnits(p))
	}
	st.prefix = nil
	if r.bcasting.Add(-1) == 0 {
		for i := 0; i < r.srv.Eng.Shards(); i++ {
			r.srv.Eng.AddInterest(i, -1)
		}
	}
}

// ---- remembering reads ----

// tracked is the dispatcher's hook before a readonly command runs: the
// keys it reads are remembered for c's tracking, if it wants them.
func (s *Server) tracked(c *Client, st *trackState, cmd *Command, args [][]byte) {
	o := st.opts.Load()
	if o.bcast || (o.optin && !st.cache) || (o.optout && st.cache) {
		return
	}
	st.idx = cmd.KeyIndexes(st.idx[:0], args)
	for _, i := range st.idx {
		s.track.remember(st, waitKey{c.NS.ID, string(args[i])})
	}
	s.track.bound(st)
}

// remember adds st as a tracker of k. The client's own set, keyed by the
// key's record, says whether it tracks k already: one pointer hash, where
// scanning the record's trackers and hashing the key string again took
// most of a tracked read.
func (r *trackRegistry) remember(st *trackState, k waitKey) {
	kw := r.srv.waits
	i, p := kw.part(k)
	p.mu.Lock()
	defer p.mu.Unlock()
	in := kw.interest(i, p, k)
	st.mu.Lock()
	if _, ok := st.keys[in]; ok {
		st.mu.Unlock()
		return
	}
	st.keys[in] = struct{}{}
	st.mu.Unlock()
	if len(in.trackers) == 0 {
		r.keys.Add(1)
	}
	in.trackers = append(in.trackers, st)
	r.counted(st, k.key, 1)
}

// bound keeps the table within its bounds after st added entries: while
// the server or st's tenant holds too many, st gives up keys of its own,
// each with an invalidation, so one client never displaces another's
// entries. It gives up at most what it holds.
func (r *trackRegistry) bound(st *trackState) {
	over := func() bool { return r.over(st, 0) }
	for over() {
		st.mu.Lock()
		st.evict = st.evict[:0]
		for in := range st.keys {
			st.evict = append(st.evict, in)
			if len(st.evict) == 16 {
				break
			}
		}
		st.mu.Unlock()
		if len(st.evict) == 0 {
			return
		}
		for _, in := range st.evict {
			if r.drop(st, in) {
				st.mu.Lock()
				delete(st.keys, in)
				st.mu.Unlock()
				r.send(st, []string{in.k.key}, false)
			}
			if !over() {
				return
			}
		}
	}
}

// ---- invalidating ----

// invalidate tells each tracker of in's key that it changed (by: the
// client that changed it, nil for expiry and eviction). The caller holds
// the key's part mu and removes them from the record.
func (r *trackRegistry) invalidate(refs []*trackState, in *keyInterest, by *Client) {
	flushing := by != nil && by.flushing.Load()
	for _, st := range refs {
		st.mu.Lock()
		delete(st.keys, in)
		st.mu.Unlock()
		r.counted(st, in.k.key, -1)
		if flushing || (by == st.c && st.opts.Load().noloop) {
			continue
		}
		r.send(st, []string{in.k.key}, false)
	}
}

// broadcast sends key's change to the BCAST clients whose prefix it has.
func (r *trackRegistry) broadcast(ns uint32, key []byte, by *Client) {
	if by != nil && by.flushing.Load() {
		return
	}
	m := *r.bcast.Load()
	for _, scope := range [2]uint32{ns, allScopes} {
		for _, g := range m[scope] {
			if !strings.HasPrefix(string(key), g.prefix) {
				continue
			}
			if by == g.st.c && g.st.opts.Load().noloop {
				continue
			}
			r.send(g.st, []string{string(key)}, false)
		}
	}
}

// flushed tells every client tracking in the flusher's scope that
// everything may have changed (a null invalidation, as Redis sends after
// FLUSHDB and FLUSHALL): all of them in standalone mode and for the
// operator, the tenant's own in cluster mode.
func (r *trackRegistry) flushed(by *Client) {
	r.each(by.T, by.T == nil, func(st *trackState) { r.send(st, nil, true) })
}

// send pushes an invalidation of keys (null: of everything) for st's
// client: to it in RESP3, or to the connection it redirects to, in RESP3
// or, when that one is subscribed, as a RESP2 message. A RESP2 client
// without a redirect gets nothing, as in Redis.
func (r *trackRegistry) send(st *trackState, keys []string, null bool) {
	c := st.c
	if c.killed.Load() {
		return
	}
	if st.t != nil && !c.listenerValid() {
		// Its key no longer reads this tenant's keys: it must hear
		// nothing more of them, and must not go on serving a cache.
		c.Kill()
		return
	}
	o := st.opts.Load()
	target, redirected := c, false
	if o.redirect != 0 {
		t, ok := r.srv.clients.Load(o.redirect)
		if !ok || t.killed.Load() || t.tenantOf() != st.t {
			st.broken.Store(true)
			proto, lim := c.pushTarget()
			if proto >= 3 {
				w := resp.Writer{Proto: proto}
				w.Push(2)
				w.BulkString("tracking-redir-broken")
				w.Int(o.redirShown)
				c.pushFrame(w.Buf, lim)
			}
			return
		}
		target, redirected = t, true
	}
	proto, lim := target.pushTarget()
	w := resp.Writer{Proto: proto}
	switch {
	case proto >= 3:
		w.Push(2)
		w.BulkString("invalidate")
	case redirected && target.subscribedAny():
		w.Push(3)
		w.BulkString("message")
		w.BulkString(trackingChannel)
	default:
		return
	}
	if null {
		w.Null()
	} else {
		w.Array(len(keys))
		for _, k := range keys {
			w.BulkString(k)
		}
	}
	target.pushFrame(w.Buf, lim)
}

// subscribedAny is subscribed for other goroutines.
func (c *Session) subscribedAny() bool {
	sub, psub, ssub := c.subCounts()
	return sub+psub+ssub > 0
}

// ---- INFO and CLIENT LIST ----

// trackingFlags are CLIENT LIST's tracking flags of c, in Redis's order:
// t while tracking, R when the redirect's connection is gone, B in BCAST
// mode.
func trackingFlags(c *Client) string {
	st := c.track.Load()
	if st == nil {
		return ""
	}
	f := "t"
	if st.broken.Load() {
		f += "R"
	}
	if st.opts.Load().bcast {
		f += "B"
	}
	return f
}

// trackingInfo is INFO's tracking figures as x's client may see them:
// the server's for the operator and standalone, the tenant's own in
// cluster mode.
func trackingInfo(x *Ctx) (clients, keys, items, prefixes int64) {
	r := x.S.track
	t := x.C.T
	distinct := map[waitKey]bool{}
	seen := map[string]bool{}
	r.each(t, t == nil, func(st *trackState) {
		clients++
		if t != nil {
			st.mu.Lock()
			for in := range st.keys {
				distinct[in.k] = true
			}
			items += int64(len(st.keys))
			st.mu.Unlock()
		}
	})
	if t == nil {
		keys, items = r.keys.Load(), r.items.Load()
		for _, regs := range *r.bcast.Load() {
			for _, g := range regs {
				seen[g.prefix] = true
			}
		}
	} else {
		keys = int64(len(distinct))
		for _, g := range (*r.bcast.Load())[x.C.NS.ID] {
			seen[g.prefix] = true
		}
	}
	return clients, keys, items, int64(len(seen))
}
