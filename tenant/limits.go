package tenant

// Unlimited marks a limit HiveHub explicitly lifted (-1).
const Unlimited = -1

// Limits are what a tenant's plan allows. A value of Unlimited means no limit.
type Limits struct {
	StorageBytes      int64
	MonthlyOperations int64
	MaxKeys           int64
	RequestsPerSecond int64
	Burst             int64
	MaxConnections    int64
	MaxPayloadBytes   int64
	MaxTTLSeconds     int64
	// MaxInputBytesPerSecond bounds the bytes the tenant's connections
	// send, together (Tenant.SpendInput): past it they are read more
	// slowly, not refused.
	MaxInputBytesPerSecond int64
	// EvictionPolicy, when it names one of Redis's evicting policies
	// (allkeys-lru...), makes a write that would pass StorageBytes evict
	// keys of the tenant's own keyspace instead of being refused; ""
	// or "noeviction" refuses (EvictionPolicies).
	EvictionPolicy string
}

// EvictionPolicies are the values a plan's eviction_policy may take.
var EvictionPolicies = []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}

// ValidEvictionPolicy reports whether p is "" or one of EvictionPolicies.
func ValidEvictionPolicy(p string) bool {
	if p == "" {
		return true
	}
	for _, v := range EvictionPolicies {
		if v == p {
			return true
		}
	}
	return false
}

// PlanDefaults are used when a limit is missing or zero (README, the
// tenants file): only an explicit -1 means unlimited, so a control plane
// that forgets a field cannot lift a limit by accident.
var PlanDefaults = map[string]Limits{
	"free": {StorageBytes: 64 << 20, MonthlyOperations: 1_000_000, MaxKeys: 100_000,
		RequestsPerSecond: 100, Burst: 200, MaxConnections: 20, MaxPayloadBytes: 1 << 20, MaxTTLSeconds: Unlimited,
		MaxInputBytesPerSecond: 16 << 20},
	"pro": {StorageBytes: 1 << 30, MonthlyOperations: 100_000_000, MaxKeys: 10_000_000,
		RequestsPerSecond: 5_000, Burst: 10_000, MaxConnections: 500, MaxPayloadBytes: 16 << 20, MaxTTLSeconds: Unlimited,
		MaxInputBytesPerSecond: 256 << 20},
}

// WithDefaults fills missing (zero) limits from the plan's defaults, or the
// free plan's for an unknown plan.
func (l Limits) WithDefaults(plan string) Limits {
	d, ok := PlanDefaults[plan]
	if !ok {
		d = PlanDefaults["free"]
	}
	fill := func(v *int64, def int64) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&l.StorageBytes, d.StorageBytes)
	fill(&l.MonthlyOperations, d.MonthlyOperations)
	fill(&l.MaxKeys, d.MaxKeys)
	fill(&l.RequestsPerSecond, d.RequestsPerSecond)
	fill(&l.Burst, d.Burst)
	fill(&l.MaxConnections, d.MaxConnections)
	fill(&l.MaxPayloadBytes, d.MaxPayloadBytes)
	fill(&l.MaxTTLSeconds, d.MaxTTLSeconds)
	fill(&l.MaxInputBytesPerSecond, d.MaxInputBytesPerSecond)
	return l
}
