package commands

import (
	"errors"
	"time"

	"synap/resp"
	"synap/tenant"
)

// authoriseElsewhere is authorise for a goroutine other than the waiter's
// own (the connection whose write readied the key): it answers from what
// the directory holds in memory (authoriseCached) and never waits for a
// control-plane call, which could take up to resolveTimeout of that
// connection's time (often another tenant's command) for someone else's
// key. ok is false when only a call could answer: the waiter is left
// parked, marked skipped, and its own goroutine, which re-checks whenever
// the directory generation moves (the move that made this answer
// necessary is still to be seen by it), asks the directory and then
// serves it (waitBlocked). Its own goroutine may have re-checked just
// before skipped was set, and looked at it already: the second look here
// then finds the key re-checked and serves.
func (s *Server) authoriseElsewhere(w *waiter) (msg string, ok bool) {
	if msg, ok = s.authoriseCached(w); ok {
		return msg, true
	}
	w.skipped.Store(true)
	if msg, ok = s.authoriseCached(w); ok {
		w.skipped.Store(false)
	}
	return msg, ok
}

// authoriseCached is authorise answered from the directory's memory alone;
// ok is false when only a directory call could answer.
func (s *Server) authoriseCached(w *waiter) (msg string, ok bool) {
	p := w.p.Load()
	if p == nil || p.Operator || s.Dir == nil {
		return "", true
	}
	if p.Expired(time.Now()) {
		return resp.ErrWrongPass, true
	}
	cur := s.Dir.Generation()
	if cur == w.dirGen.Load() {
		return "", true
	}
	np, err := s.Dir.ResolveCached(w.accessKey)
	switch {
	case errors.Is(err, tenant.ErrUnknownKey):
		return resp.ErrWrongPass, true
	case err != nil:
		return "", false
	case !np.AllowsSurface(w.c.surface):
		return SurfaceErr(np.KeyID, w.c.surface), true
	}
	// As authorise decides from the directory's answer.
	if np != p {
		if np.UserID != p.UserID {
			return errBlockedKeyMoved, true
		}
		if !np.Allows(w.cmd.Need) || (w.cmd.NeedsRead(w.args) && !np.Allows(tenant.NeedRead)) {
			return NoPermErr(np.KeyID, w.cmd.Name), true
		}
		w.p.Store(np)
	}
	w.dirGen.Store(cur)
	return "", true
}
