package commands

import (
	"context"

	"synap/resp"
)

// Call runs args on c (Exec), waits for a blocked command until it is
// served, times out, or ctx ends (Wait), and returns the reply decoded:
// for callers that need a reply as a value rather than bytes, such as an
// HTTP surface or a test. It consumes what c.W holds. A reply switched
// off (CLIENT REPLY OFF) is the zero Value. When ctx ends or c is killed
// while the command waits, nothing was popped and the error says why.
func (s *Server) Call(ctx context.Context, c *Session, args ...[]byte) (resp.Value, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	w := s.Exec(ctx, c, args)
	for w != nil && w.Postponed() {
		// Held by CLIENT PAUSE: run once the pause lets it go.
		if err := w.Wait(ctx); err != nil {
			c.W.Reset()
			return resp.Value{}, err
		}
		w = s.Resume(ctx, c, w)
	}
	if w != nil {
		if err := w.Wait(ctx); err != nil {
			c.W.Reset()
			return resp.Value{}, err
		}
		if !c.inBatch {
			s.awaitExec(ctx, c, 0)
		}
	}
	c.FlushCounters()
	defer c.W.Reset()
	if c.W.Len() == 0 {
		return resp.Value{}, nil
	}
	// SUBSCRIBE a b answers one confirmation per channel: several values
	// come back as an array of them, one as it is.
	vals, err := resp.ParseValues(c.W.Buf)
	if err != nil || len(vals) == 0 {
		return resp.Value{}, err
	}
	if len(vals) == 1 {
		return vals[0], nil
	}
	return resp.Value{Kind: resp.KindArray, Elems: vals}, nil
}
