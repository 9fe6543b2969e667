package commands

import (
	"math"
	"sync/atomic"

	"synap/engine"
	"synap/sched"
	"synap/tenant"
)

// Eviction (docs/EVICTION.md): before a command that may grow data
// (denyoom) runs, and before it takes any lock, keys are removed one at a
// time, each under its own shard lock, until the write fits: under
// maxmemory with an evicting maxmemory-policy, or under a tenant's storage
// quota when its plan names an eviction_policy. When nothing the policy
// may take remains, the write is refused as it would be without eviction.
//
// What maxmemory bounds under an evicting policy is the dataset (the
// bytes the namespaces account, what MEMORY USAGE sums to), not the
// sampled heap: the heap keeps an evicted key's memory as garbage until
// the collector runs, so evicting on it would take keys whose memory is
// already free. The runtime's memory limit (maxmemory and a quarter,
// memory.go) makes the collector keep the heap near the data.

func init() {
	serverParams = append(serverParams,
		intParam("maxmemory-samples", 1, math.MaxInt32, func(c *Config) *int { return &c.MaxMemorySamples }),
		intParam("lfu-log-factor", 0, math.MaxInt32, func(c *Config) *int { return &c.LFULogFactor }),
		intParam("lfu-decay-time", 0, math.MaxInt32, func(c *Config) *int { return &c.LFUDecayTime }),
	)
}

// ParseEvictionPolicy reads a maxmemory-policy (or a plan's
// eviction_policy) by its Redis name, in any case.
func ParseEvictionPolicy(v string) (engine.Policy, bool) { return engine.ParsePolicy(Lower([]byte(v))) }

// applyEviction gives the engine the live configuration's policy (how
// keys' access is tracked) and LFU parameters.
func (s *Server) applyEviction() {
	cfg := s.Config()
	s.Eng.SetTracking(cfg.MaxMemoryPolicy.LFU())
	s.Eng.SetLFUParams(int64(cfg.LFULogFactor), int64(cfg.LFUDecayTime))
}

// planPolicy is the eviction policy of a tenant's plan: NoEviction when
// the plan names none (its storage quota refuses writes).
func planPolicy(l tenant.Limits) engine.Policy {
	if l.EvictionPolicy == "" {
		return engine.NoEviction
	}
	p, _ := engine.ParsePolicy(l.EvictionPolicy) // checked, lower case, when the plan was read
	return p
}

// applyTenantPolicy makes the tenant's keyspace track its keys as its
// plan's policy ranks them (LFU or LRU), or as the server's when the plan
// names none. Called per command, it writes only when that changed.
func applyTenantPolicy(c *Client, l tenant.Limits) {
	c.srv.Eng.SetNamespaceTracking(c.NS, planPolicy(l))
}

// evictBetweenYields is how many keys one command evicts between
// yields to the connections waiting for the processor: it holds no lock
// between two keys, so those connections may run.
const evictBetweenYields = 64

// evictUntil removes keys of nss under p until fits reports true, or
// nothing p may take remains; it reports whether the write fits.
func (s *Server) evictUntil(nss []*engine.Namespace, p engine.Policy, fits func() bool) bool {
	// Redis accepts any count; past maxSamples more samples only cost
	// time spent while others wait for the processor.
	samples := min(s.Config().MaxMemorySamples, maxSamples)
	for n := 1; !fits(); n++ {
		if _, ok := s.Eng.Evict(nss, p, samples); !ok {
			return false
		}
		if n%evictBetweenYields == 0 {
			sched.Maybe()
		}
	}
	return true
}

// maxSamples is the most keys an eviction samples per keyspace.
const maxSamples = 64

// outOfMemory is maxmemory's check of a command that may grow data
// (denyoom), before its locks: under noeviction the sampled heap against
// maxmemory, as before there were policies; under an evicting policy the
// dataset plus the command's payload, evicting until it fits. A payload
// larger than maxmemory itself is refused without evicting anything: no
// eviction could make room for it, and emptying a cache for a write that
// then fails would be the worst of both. In cluster mode a command evicts
// only in its own keyspace (its tenant's, or the operator's), so one
// tenant's writes never take another's keys; with nothing left there to
// evict it is refused.
func (s *Server) outOfMemory(c *Client, args [][]byte) bool {
	need := int64(0)
	for _, a := range args[1:] {
		need += int64(len(a))
	}
	return s.outOfMemoryFor(c, need)
}

// outOfMemoryFor is outOfMemory for a write of need bytes.
func (s *Server) outOfMemoryFor(c *Client, need int64) bool {
	cfg := s.Config()
	limit := cfg.MaxMemory
	if limit <= 0 {
		return false
	}
	p := cfg.MaxMemoryPolicy
	if !p.Evicts() {
		return s.heapBytes.Load() > limit
	}
	if need > limit {
		return true
	}
	nss := s.DBs
	if cfg.ClusterMode {
		nss = []*engine.Namespace{c.NS}
	}
	return !s.evictUntil(nss, p, func() bool { return s.datasetBytes()+need <= limit })
}

// datasetBytes is what every namespace accounts. Summed exactly when
// there are few namespaces (standalone databases, a small cluster);
// otherwise from the sum taken every memorySampleEvery, less what
// eviction freed since, so a write never pays for a walk over thousands
// of tenants.
func (s *Server) datasetBytes() int64 {
	nss := s.Eng.Namespaces()
	if len(nss) <= exactDatasetNamespaces {
		var n int64
		for _, ns := range nss {
			n += ns.Bytes()
		}
		return n
	}
	return s.dataset.sampled.Load() - (s.Eng.EvictedBytes() - s.dataset.evictedAt.Load())
}

// exactDatasetNamespaces is how many namespaces datasetBytes sums per call.
const exactDatasetNamespaces = 64

// datasetSample is datasetBytes' sum for many namespaces, with what
// eviction had freed when it was taken.
type datasetSample struct {
	sampled, evictedAt atomic.Int64
}

// sampleDataset refreshes the sum datasetBytes uses past
// exactDatasetNamespaces (sampleMemory calls it).
func (s *Server) sampleDataset() {
	nss := s.Eng.Namespaces()
	if len(nss) <= exactDatasetNamespaces || s.Config().MaxMemory <= 0 {
		return
	}
	evicted := s.Eng.EvictedBytes()
	var n int64
	for _, ns := range nss {
		n += ns.Bytes()
	}
	// Keys evicted during the sum may be in it or not: counting them as
	// freed after it errs towards evicting less.
	s.dataset.evictedAt.Store(evicted)
	s.dataset.sampled.Store(n)
}

// tenantEvicts is a tenant's storage quota under a plan that evicts:
// keys of its own keyspace are evicted until what the write may add fits
// under the quota (its arguments, their element charges, and each key it
// names counted as new, with a TTL and its collection's charge: the
// quota's check under the locks must not refuse it for want of room the
// eviction could have made). Without anything left to evict the usual
// checks refuse it.
func (s *Server) tenantEvicts(c *Client, l tenant.Limits, cmd *Command, args [][]byte) {
	p := planPolicy(l)
	lim := l.StorageBytes
	if !p.Evicts() || lim <= 0 {
		return
	}
	need := evictNeed(cmd, args)
	if need > lim {
		return // nothing evicted could make room
	}
	ns := c.NS
	s.evictUntil([]*engine.Namespace{ns}, p, func() bool { return ns.Bytes()+need <= lim })
}

// evictNeed is what a write may add to a tenant's storage at most, as
// tenantEvicts makes room for it.
func evictNeed(cmd *Command, args [][]byte) int64 {
	keys := int64(len(cmd.KeyIndexes(nil, args)))
	return argsGrowth(cmd, args) + keys*(engine.KeyCharge+engine.TTLCharge+collectionCharge[cmd.Group])
}

// tenantEvictsExec is tenantEvicts for EXEC, before it locks: room for
// every queued write at once, since the quota is checked again for each
// under the transaction's locks, where nothing can be evicted.
func (s *Server) tenantEvictsExec(c *Client, m *multiState) {
	if c.T == nil {
		return
	}
	l := c.T.Limits()
	p := planPolicy(l)
	if !p.Evicts() || l.StorageBytes <= 0 {
		return
	}
	need := int64(0)
	for _, q := range m.queue {
		if q.cmd != nil && q.cmd.Flags&FlagDenyOOM != 0 {
			need += evictNeed(q.cmd, q.args)
		}
	}
	if need == 0 || need > l.StorageBytes {
		return
	}
	ns, lim := c.NS, l.StorageBytes
	s.evictUntil([]*engine.Namespace{ns}, p, func() bool { return ns.Bytes()+need <= lim })
}

// execOutOfMemory is EXEC's maxmemory check, before it takes its locks:
// a transaction with a command that may grow data evicts first (room for
// all the queued arguments), or is discarded as Redis discards it.
func (s *Server) execOutOfMemory(c *Client, m *multiState) bool {
	if s.Config().MaxMemory <= 0 {
		return false
	}
	need, grows := int64(0), false
	for _, q := range m.queue {
		if q.cmd != nil && q.cmd.Flags&FlagDenyOOM != 0 {
			grows = true
		}
		for _, a := range q.args[1:] {
			need += int64(len(a))
		}
	}
	return grows && s.outOfMemoryFor(c, need)
}
