// Package tenant is the principal behind a connection or request: who it is,
// what it may do, and what it has used.
package tenant

// Perm is a set of HiveHub permissions.
type Perm uint8

const (
	PermRead Perm = 1 << iota
	PermWrite
	PermDelete
	PermAdmin
)

// Need is what a command requires of the caller.
type Need uint8

const (
	// NeedUnset in a table row means "derive it from the flags".
	NeedUnset  Need = iota
	NeedNone        // connection commands: PING, AUTH, HELLO, QUIT
	NeedRead        // only reads
	NeedWrite       // creates or changes data
	NeedDelete      // removes whole keys
	NeedAdmin       // the tenant's own administration (FLUSHDB, CLIENT KILL of its own)
	NeedServer      // server-wide: only the operator, never a tenant key
)

var needNames = [...]string{"unset", "none", "read", "write", "delete", "admin", "server"}

func (n Need) String() string { return needNames[n] }
