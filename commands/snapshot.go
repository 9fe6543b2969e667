package commands

import (
	"fmt"

	"synap/engine"
	"synap/tenant"
)

// What a snapshot (package persist/snapshot) needs of the server: the
// write hook's sequence at its cut, keyspaces by the names records use,
// and the queue sweeper told about the queues it loads.

// WriteSeq is the sequence number of the last write handed to the write
// hook (0 with no hook installed). Read under every shard lock (a
// snapshot's cut), it is exactly the writes applied: every write records
// under its locks, and a flush walk holds the cut off until it recorded.
func (s *Server) WriteSeq() uint64 {
	if wh := s.writes.Load(); wh != nil {
		return wh.seq.Load()
	}
	return 0
}

// KeyspaceOf names a namespace as records and snapshots name it.
func KeyspaceOf(ns *engine.Namespace) Keyspace { return keyspaceOf(ns) }

// NamespaceOf is the namespace a keyspace names on this server: a
// tenant's (created on first use, as the tenant's first command would),
// or a standalone database, which must be within databases.
func (s *Server) NamespaceOf(ks Keyspace) (*engine.Namespace, error) {
	if ks.Tenant != "" {
		if ks.DB != 0 {
			return nil, fmt.Errorf("keyspace of tenant %q with database %d", ks.Tenant, ks.DB)
		}
		return s.Eng.Namespace((&tenant.Principal{UserID: ks.Tenant}).Namespace()), nil
	}
	if ks.DB < 0 || ks.DB >= len(s.DBs) {
		return nil, fmt.Errorf("database %d is out of range (databases %d)", ks.DB, len(s.DBs))
	}
	return s.DBs[ks.DB], nil
}

// LoadedQueue tells the queue sweeper about a queue put in place by a
// load rather than by a command, so its delayed messages and deadlines are
// applied even if nobody touches it.
func (s *Server) LoadedQueue(ns *engine.Namespace, key string, q *engine.Queue) {
	at, dead := q.NextEvent()
	if dead {
		at = engine.NowMs()
	}
	if at == 0 {
		return
	}
	q.SweepAs, q.SweepAt = key, at
	sweeperOf(s).schedule(ns, key, q.Config.DLQ, at)
}
