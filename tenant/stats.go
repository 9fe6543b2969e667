package tenant

import (
	"sort"
	"sync"
	"sync/atomic"

	"synap/sched"
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
	// rejected is allocated on the first refusal: most tenants are never
	// refused, and 56 bytes of zeros took the tenant to the next size
	// class.
	rejected atomic.Pointer[[rejectCount]atomic.Int64]

	limits atomic.Pointer[Limits]
	rate   bucket
	opsCounter
	// Share is the tenant's recent use of the processor, which decides
	// whether its connections let other tenants' go first (one word: the
	// struct stays in its size class).
	Share sched.Share
}

// Rejected counts a refused command or connection.
func (t *Tenant) Rejected(r Reject) {
	c := t.rejected.Load()
	if c == nil {
		c = new([rejectCount]atomic.Int64)
		if !t.rejected.CompareAndSwap(nil, c) {
			c = t.rejected.Load()
		}
	}
	c[r].Add(1)
}

// RejectedCount is how many were refused for r.
func (t *Tenant) RejectedCount(r Reject) int64 {
	if c := t.rejected.Load(); c != nil {
		return c[r].Load()
	}
	return 0
}

// Limits are the tenant's limits in force.
func (t *Tenant) Limits() Limits {
	if l := t.limits.Load(); l != nil {
		return *l
	}
	return Limits{}
}

// SetLimits replaces the limits in force; every connection sees it on its next command.
func (t *Tenant) SetLimits(l Limits) {
	if old := t.limits.Load(); old != nil && *old == l {
		return // every AUTH refreshes them, mostly to the same
	}
	t.limits.Store(internLimits(l))
}

// limitsInterned shares one copy of each distinct Limits between the
// tenants that have it: a plan gives thousands of tenants the same limits,
// 80 bytes each. The copies are never written. The table is bounded (the
// directory, not tenants, chooses limits, but a control plane giving each
// tenant its own would otherwise grow it for the life of the process):
// past limitsInternMax distinct values a tenant gets a copy of its own.
var limitsInterned struct {
	mu sync.Mutex
	m  map[Limits]*Limits
}

const limitsInternMax = 1024

func internLimits(l Limits) *Limits {
	limitsInterned.mu.Lock()
	defer limitsInterned.mu.Unlock()
	if p := limitsInterned.m[l]; p != nil {
		return p
	}
	p := &l
	if limitsInterned.m == nil {
		limitsInterned.m = map[Limits]*Limits{}
	}
	if len(limitsInterned.m) < limitsInternMax {
		limitsInterned.m[l] = p
	}
	return p
}

// CommandCounts counts calls per command table row. A tenant runs a few
// of the table's 240-odd commands, and a server holds thousands of
// tenants: only the rows called are kept, sorted by row, so a tenant that
// ran AUTH and SET holds 32 bytes of counts (blocks of 16 counters
// allocated on first use held 384; a full table, 2 KB: 20 MB for 10,000
// tenants). Clients add their counts in batches (once per pipeline read),
// so the lock is taken once per batch, not per command.
type CommandCounts struct {
	mu   sync.Mutex
	rows []commandCount
	n    int
}

type commandCount struct {
	row   int32
	calls int64
}

// NewCommandCounts makes counters for a table of n rows.
func NewCommandCounts(n int) CommandCounts { return CommandCounts{n: n} }

// Len is the number of rows counted.
func (c *CommandCounts) Len() int { return c.n }

// find is the position of row i in c.rows, or where it would go.
func (c *CommandCounts) find(i int) (int, bool) {
	return sort.Find(len(c.rows), func(k int) int { return i - int(c.rows[k].row) })
}

// Add counts n calls of row i.
func (c *CommandCounts) Add(i int, n int64) {
	if i < 0 || i >= c.n {
		panic("tenant: command row out of range")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.find(i)
	if !ok {
		c.rows = append(c.rows, commandCount{})
		copy(c.rows[k+1:], c.rows[k:])
		c.rows[k] = commandCount{row: int32(i)}
	}
	c.rows[k].calls += n
}

// Load is the calls of row i.
func (c *CommandCounts) Load(i int) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.find(i); ok {
		return c.rows[k].calls
	}
	return 0
}

// Total is the calls of every row.
func (c *CommandCounts) Total() (n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.rows {
		n += r.calls
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
