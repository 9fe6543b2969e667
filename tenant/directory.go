package tenant

import (
	"context"
	"time"
)

// Directory is where cluster mode learns who an access key belongs to and
// what its tenant may use. The tenants file (package tenant/tenantsfile)
// and HiveHub (package hivehub) implement it; the dispatcher knows only
// this interface, so it never depends on how a directory is kept.
type Directory interface {
	// Resolve returns the principal of a live access key: ErrUnknownKey
	// for a key that is unknown, expired, disabled or revoked,
	// ErrUnavailable when the directory cannot answer now.
	Resolve(ctx context.Context, accessKey string) (*Principal, error)
	// Limits returns a tenant's limits, plan defaults filled in, or
	// ErrUnknownTenant.
	Limits(ctx context.Context, userID string) (Limits, error)
	// ResolveCached answers Resolve from memory alone, for callers that
	// must not wait on (or pay for) a control-plane call: a throttled
	// address, another connection's goroutine. It returns ErrNotCached
	// when only a call could answer.
	ResolveCached(accessKey string) (*Principal, error)
	// Generation moves whenever an earlier answer may no longer hold (a file
	// reload, a cache expiry); holders of principals re-resolve when it does.
	Generation() uint64
}

// Quota is a tenant's quota as a control plane reports it: its limits and
// what it has used so far.
type Quota struct {
	Plan                  string
	Limits                Limits // plan defaults filled in
	StorageUsedBytes      int64
	MonthlyOperationsUsed int64
	// Fetched is when the control plane gave the figures: a cached answer
	// fetched before a month rolled over holds the previous month's
	// operations.
	Fetched time.Time
}

// QuotaSource is a Directory that also knows each tenant's usage (HiveHub
// does; a tenants file does not), from which a tenant's monthly count is
// seeded on its first sight in a month.
type QuotaSource interface {
	Quota(ctx context.Context, userID string) (Quota, error)
}
