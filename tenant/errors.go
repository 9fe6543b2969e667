package tenant

import "errors"

// What a Directory answers when it cannot give a principal or limits. The
// dispatcher turns them into the replies users see (WRONGPASS, the
// control-plane error); their texts only reach logs.
var (
	// ErrUnknownKey: unknown, expired, disabled or revoked. Clients get WRONGPASS.
	ErrUnknownKey = errors.New("directory: unknown access key")
	// ErrUnavailable: the control plane cannot answer and the key is not cached.
	ErrUnavailable = errors.New("directory: control plane unavailable")
	// ErrUnknownTenant: no such user.
	ErrUnknownTenant = errors.New("directory: unknown tenant")
	// ErrNotCached: ResolveCached cannot answer without a call.
	ErrNotCached = errors.New("directory: access key not in memory")
)
