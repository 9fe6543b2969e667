// Package resp owns the wire: a bounded RESP reader that is the only parser
// untrusted bytes ever reach, a reply writer that speaks RESP2 and RESP3, and
// Redis's error texts.
package resp

// Limits are the input bounds enforced before any byte of a command is
// trusted. The defaults are Redis's.
type Limits struct {
	// MaxBulkLen is proto-max-bulk-len: the largest single argument.
	MaxBulkLen int64
	// MaxMultibulkLen is the largest argument count a client may announce.
	MaxMultibulkLen int64
	// MaxInlineLen bounds an inline (telnet style) request line, and any
	// header line ("*n" or "$n") that has no CRLF yet.
	MaxInlineLen int
	// MaxQueryBuf is client-query-buffer-limit: bytes buffered for one
	// connection while a command is incomplete.
	MaxQueryBuf int64
	// Before a client authenticates (when a password is required) Redis
	// allows at most 10 arguments of at most 16 KB each.
	PreAuthMaxArgs    int64
	PreAuthMaxBulkLen int64
	// WholeCommand makes MaxQueryBuf count every byte of the command being
	// assembled, its finished arguments too, instead of Redis's count of the
	// argument still arriving: a tenant's or an unauthenticated client's
	// buffered input then has a bound of its own, whatever the arguments.
	WholeCommand bool
	// PayloadLimit, when positive, is a tenant's max_payload_bytes: a
	// command announcing more than PayloadLimit+PayloadSlack bytes of
	// arguments (after the command name) is refused from its headers,
	// before the bytes are buffered. Smaller overshoots are read and
	// refused by the dispatcher, which keeps the connection.
	PayloadLimit int64
}

// PayloadSlack is how far past a tenant's payload limit a command is still
// read whole so that it can be refused without closing the connection.
const PayloadSlack = 64 << 10

// PreAuthQueryBuf bounds the whole command an unauthenticated client may
// have buffered: one argument of PreAuthMaxBulkLen plus its headers. AUTH
// and HELLO need far less.
const PreAuthQueryBuf = 16<<10 + 1<<10

// DefaultLimits returns Redis's defaults.
func DefaultLimits() Limits {
	return Limits{
		MaxBulkLen:        512 << 20,
		MaxMultibulkLen:   1<<31 - 1, // INT_MAX, as Redis
		MaxInlineLen:      64 << 10,
		MaxQueryBuf:       1 << 30,
		PreAuthMaxArgs:    10,
		PreAuthMaxBulkLen: 16 << 10,
	}
}
