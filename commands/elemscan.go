package commands

import "synap/engine"

// matchUnlocked lets go of the command's own locks once HSCAN, SSCAN or
// ZSCAN has taken its candidates (at most COUNT of them, or a small
// collection whole) and returns the glob to filter them with. A pattern
// can cost len(pattern) x len(member) steps, and the key's shard is shared
// by every tenant whose keys hash there: matching under its lock let one
// tenant's HSCAN MATCH stall them all for seconds. The candidates stay
// valid: stored fields, values and members are never changed in place
// (SSCAN copies an intset's and a packed set's, which are).
//
// Inside EXEC the locks are the transaction's, held for all its commands:
// they are kept, and the match does not yield under them.
func matchUnlocked(x *Ctx, pattern []byte) *engine.Glob {
	g := engine.NewGlob(pattern, false)
	if x.C != nil && !x.C.inExec && x.Tx == x.C.Tx {
		x.Tx.Release()
		g.Yielding = true
	}
	return g
}
