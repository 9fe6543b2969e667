// Package hivehub resolves access keys to principals and tenants to limits:
// HiveHub over HTTP, or a local tenants file for self-hosted cluster mode.
package hivehub

import (
	"context"
	"errors"

	"synap/tenant"
)

var (
	// ErrUnknownKey: unknown, expired, disabled or revoked. Clients get WRONGPASS.
	ErrUnknownKey = errors.New("hivehub: unknown access key")
	// ErrUnavailable: the control plane cannot answer and the key is not cached.
	ErrUnavailable = errors.New("hivehub: control plane unavailable")
	// ErrUnknownTenant: no such user.
	ErrUnknownTenant = errors.New("hivehub: unknown tenant")
	// ErrNotCached: ResolveCached cannot answer without a call.
	ErrNotCached = errors.New("hivehub: access key not in the cache")
)

// Directory is where cluster mode learns who a key belongs to and what the
// tenant may use.
type Directory interface {
	// Resolve returns the principal of a live access key.
	Resolve(ctx context.Context, accessKey string) (*tenant.Principal, error)
	// Limits returns a tenant's limits, plan defaults filled in.
	Limits(ctx context.Context, userID string) (tenant.Limits, error)
	// ResolveCached answers Resolve from memory alone, for callers that
	// must not wait on (or pay for) a control-plane call: a throttled
	// address, another tenant's goroutine. It returns ErrNotCached when
	// only a call could answer.
	ResolveCached(accessKey string) (*tenant.Principal, error)
	// Generation moves whenever an earlier answer may no longer hold (a file
	// reload, a cache expiry); holders of principals re-resolve when it does.
	Generation() uint64
}
