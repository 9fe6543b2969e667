package server

import (
	"bytes"
	"math"

	"synap/commands"
	"synap/engine"
)

// warm has the engine bring the keys of the commands already buffered on
// c into the CPU cache together, before they run one by one
// (engine.Tx.Warm). It returns how many buffered commands it covered, so
// the serve loop calls it again only once they have run (or after the
// next read).
//
// A client that pipelines sends many commands per read; each one's key
// lookup would otherwise wait for its own cache misses in turn. Looking
// ahead costs a second parse and table lookup per command (7% of the CPU
// of SADD -P 16), which only pays when there are several keys to load: for
// a lone command, a batch that works on one key (a big set or list being
// filled) or on none, warm stops looking for the next warmSkip reads.
//
// Only the table's plain key positions are used: commands that need a
// KeysFn are skipped, so nothing command-specific runs outside the
// dispatcher's recover, and warming allocates nothing.
func (rc *conn) warm() int {
	s, c := rc.s, rc.c
	if c.NS == nil {
		return 0
	}
	if rc.warmSkip > 0 {
		rc.warmSkip--
		return math.MaxInt // until the next read
	}
	keys := rc.warmKeys[:0]
	n := rc.rd.Ahead(engine.MaxWarm, func(args [][]byte) {
		cmd, errText := s.Table.Resolve(args)
		if errText != "" || cmd == nil || cmd.KeysFn != nil || cmd.Flags&commands.FlagKeyspace != 0 {
			return
		}
		rc.warmIdx = cmd.KeyIndexes(rc.warmIdx[:0], args)
		for _, i := range rc.warmIdx {
			if len(keys) < engine.MaxWarm {
				keys = append(keys, args[i])
			}
		}
	})
	if n > 1 && manyKeys(keys) {
		c.Tx.Warm(c.NS, keys)
	} else {
		// A batch without keys (PUBLISH, PING) gains nothing either: it
		// paid the look-ahead on every read, 8% of PUBLISH's CPU.
		rc.warmSkip = warmSkip
	}
	clear(keys) // they alias the read buffer
	rc.warmKeys = keys[:0]
	return n
}

// warmSkip is how many reads warm ignores after one where looking ahead
// found nothing to gain.
const warmSkip = 16

// manyKeys reports whether keys holds at least two different keys.
func manyKeys(keys [][]byte) bool {
	for _, k := range keys[min(1, len(keys)):] {
		if !bytes.Equal(k, keys[0]) {
			return true
		}
	}
	return false
}
