package commands

import (
	"time"

	"synap/resp"
)

// Replication: Synap has none, and answers as a Redis master without
// replicas does, so that clients which ask (ROLE before choosing a node,
// WAIT after a write they want on replicas) work and are told the truth:
// no replica has anything.

func init() {
	register(
		// Redis's flags (noscript only): it blocks through Ctx.Block, as the
		// blocking pops, without Redis's blocking flag.
		&Command{Name: "wait", Arity: 3, Flags: FlagNoScript, ACL: []string{"slow", "connection"},
			Group: "generic", Since: "3.0.0", Complexity: "O(1)",
			Summary: "Waits for the writes of the connection to reach a number of replicas: none ever does here, so it answers 0 once the timeout passes (at once when no replica is asked for).",
			Run:     cmdWait},
		&Command{Name: "role", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast,
			ACL: []string{"admin", "fast", "dangerous"}, Group: "server", Since: "2.8.12", Complexity: "O(1)",
			// Says nothing of any tenant: every tenant may ask, as clients
			// do before choosing a node (no admin flag, as in Redis).
			Summary: "Returns the replication role: a master with no replicas.", Run: cmdRole},
	)
}

// WAIT numreplicas timeout: with no replicas, 0 at once when numreplicas
// is 0 or less (as Redis counts acknowledgements: 0 >= numreplicas),
// otherwise 0 after timeout milliseconds (0: never, until the client is
// unblocked or goes away), as a Redis master without replicas blocks.
func cmdWait(x *Ctx) {
	n, ok := ParseInt(x.Args[1])
	if !ok {
		x.Error(resp.ErrNotInteger)
		return
	}
	ms, ok := parseMillis(x, x.Args[2])
	if !ok {
		return
	}
	if n <= 0 {
		x.W.Int(0)
		return
	}
	x.Block(nil, time.Duration(ms)*time.Millisecond, func(*Ctx) bool { return false }, func(y *Ctx) { y.W.Int(0) })
}

// parseMillis reads a timeout in milliseconds as Redis does for WAIT and
// CLIENT PAUSE, replying its error when it is not one.
func parseMillis(x *Ctx, arg []byte) (int64, bool) {
	ms, ok := ParseInt(arg)
	switch {
	case !ok:
		x.Error(errStreamTimeoutInt)
	case ms < 0:
		x.Error(errTimeoutNegative)
	default:
		return ms, true
	}
	return 0, false
}

// ROLE: a master at offset 0 with no replicas, as INFO replication says.
func cmdRole(x *Ctx) {
	x.W.Array(3)
	x.W.Bulk([]byte("master"))
	x.W.Int(0)
	x.W.Array(0)
}
