package tenant

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Reject reasons counted per tenant.
type Reject int

const (
	RejectNoPerm Reject = iota
	RejectQuota
	RejectRateLimit
	RejectWrongPass
	RejectSurface
	RejectConnections
	RejectPayload
	rejectCount
)

var rejectNames = [...]string{"noperm", "quota", "ratelimit", "wrongpass", "surface", "connections", "payload"}

func (r Reject) String() string { return rejectNames[r] }

// RejectNames lists the reasons in a stable order.
func RejectNames() []string { return rejectNames[:] }

// Tenant is the live state of one user: connections, counters, limits.
// Its key and byte counts live in its engine namespace, kept by the engine.
type Tenant struct {
	UserID      string
	Connections atomic.Int64
	Hits        atomic.Int64
	Misses      atomic.Int64
	// Commands counts calls by the command's table index.
	Commands CommandCounts
	rejected [rejectCount]atomic.Int64

	limits atomic.Pointer[Limits]
	rate   bucket
	opsCounter
}

// Rejected counts a refused command or connection.
func (t *Tenant) Rejected(r Reject) { t.rejected[r].Add(1) }

// RejectedCount is how many were refused for r.
func (t *Tenant) RejectedCount(r Reject) int64 { return t.rejected[r].Load() }

// Limits are the tenant's limits in force.
func (t *Tenant) Limits() Limits {
	if l := t.limits.Load(); l != nil {
		return *l
	}
	return Limits{}
}

// SetLimits replaces the limits in force; every connection sees it on its next command.
func (t *Tenant) SetLimits(l Limits) { t.limits.Store(&l) }

// CommandCounts counts calls per command table row. A tenant runs a few
// of the table's 240-odd commands, and a server holds thousands of
// tenants: the counters come in blocks of commandBlock, each allocated on
// its block's first call, so a tenant that ran SET and GET holds one or
// two blocks (128 bytes each) and the block pointers, not 2 KB of zeros
// (20 MB for 10,000 tenants).
type CommandCounts struct {
	blocks []atomic.Pointer[[commandBlock]atomic.Int64]
	n      int
}

const commandBlock = 16

// NewCommandCounts makes counters for a table of n rows.
func NewCommandCounts(n int) CommandCounts {
	return CommandCounts{blocks: make([]atomic.Pointer[[commandBlock]atomic.Int64], (n+commandBlock-1)/commandBlock), n: n}
}

// Len is the number of rows counted.
func (c *CommandCounts) Len() int { return c.n }

// Add counts n calls of row i.
func (c *CommandCounts) Add(i int, n int64) {
	p := &c.blocks[i/commandBlock]
	b := p.Load()
	if b == nil {
		b = new([commandBlock]atomic.Int64)
		if !p.CompareAndSwap(nil, b) {
			b = p.Load()
		}
	}
	b[i%commandBlock].Add(n)
}

// Load is the calls of row i.
func (c *CommandCounts) Load(i int) int64 {
	if b := c.blocks[i/commandBlock].Load(); b != nil {
		return b[i%commandBlock].Load()
	}
	return 0
}

// Total is the calls of every row.
func (c *CommandCounts) Total() (n int64) {
	for i := range c.blocks {
		if b := c.blocks[i].Load(); b != nil {
			for j := range b {
				n += b[j].Load()
			}
		}
	}
	return n
}

// Registry holds the tenants seen since start.
type Registry struct {
	mu       sync.RWMutex
	byID     map[string]*Tenant
	commands int
}

// NewRegistry makes a registry whose tenants count commands of a table of n rows.
func NewRegistry(commands int) *Registry {
	return &Registry{byID: map[string]*Tenant{}, commands: commands}
}

// Get returns the tenant, creating it on first sight.
func (r *Registry) Get(userID string) *Tenant {
	r.mu.RLock()
	t := r.byID[userID]
	r.mu.RUnlock()
	if t != nil {
		return t
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if t = r.byID[userID]; t == nil {
		t = &Tenant{UserID: userID, Commands: NewCommandCounts(r.commands)}
		r.byID[userID] = t
	}
	return t
}

// Lookup returns a known tenant or nil.
func (r *Registry) Lookup(userID string) *Tenant {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byID[userID]
}

// All lists tenants sorted by user id.
func (r *Registry) All() []*Tenant {
	r.mu.RLock()
	out := make([]*Tenant, 0, len(r.byID))
	for _, t := range r.byID {
		out = append(out, t)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}
