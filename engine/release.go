package engine

// Release lets go of every lock before the command is over, for a handler
// that has taken what its reply needs and has costly work left that
// touches no stored data (HSCAN, SSCAN and ZSCAN matching their
// candidates). Like a walk letting go, it runs the walk hook, so tests
// can check that another tenant gets through there.
func (tx *Tx) Release() {
	if tx.n == 0 {
		return
	}
	tx.End()
	tx.e.runWalkHook(false)
}
