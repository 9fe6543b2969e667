package commands

import "synap/engine"

// warm has the engine bring the keys of the commands already buffered on
// c into the CPU cache together, before they run one by one
// (engine.Tx.Warm). It returns how many buffered commands it looked at, so
// the serve loop warms again only once they have run.
//
// A client that pipelines sends many commands per read; each one's key
// lookup would otherwise wait for its own cache misses in turn. A lone
// command gains nothing, so nothing is warmed for it.
//
// Only the table's plain key positions are used: commands that need a
// KeysFn are skipped, so nothing command-specific runs outside the
// dispatcher's recover, and warming allocates nothing.
func (s *Server) warm(c *Client) int {
	if c.NS == nil {
		return 0
	}
	keys := c.warmKeys[:0]
	n := c.rd.Ahead(engine.MaxWarm, func(args [][]byte) {
		cmd, errText := s.Table.Resolve(args)
		if errText != "" || cmd == nil || cmd.KeysFn != nil || cmd.Flags&FlagKeyspace != 0 {
			return
		}
		c.warmIdx = cmd.KeyIndexes(c.warmIdx[:0], args)
		for _, i := range c.warmIdx {
			if len(keys) < engine.MaxWarm {
				keys = append(keys, args[i])
			}
		}
	})
	if n > 1 && len(keys) > 1 {
		c.Tx.Warm(c.NS, keys)
	}
	clear(keys) // they alias the read buffer
	c.warmKeys = keys[:0]
	return n
}
