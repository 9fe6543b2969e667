package commands

import (
	"errors"
	"time"

	"synap/hivehub"
	"synap/resp"
	"synap/tenant"
)

// authoriseCached is authorise for a goroutine other than the waiter's own
// (the connection whose write readied the key): it answers from what the
// directory holds in memory and never waits for a control-plane call,
// which could take up to resolveTimeout of that connection's time (often
// another tenant's command) for someone else's key. ok is false when only
// a call could answer: the waiter is then left parked, and its own
// goroutine, which re-checks whenever the directory generation moves,
// asks the directory and serves it (waitBlocked).
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
	case errors.Is(err, hivehub.ErrUnknownKey):
		return resp.ErrWrongPass, true
	case err != nil:
		return "", false
	case !np.AllowsSurface(tenant.SurfaceRESP):
		return SurfaceErr(np.KeyID), true
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
