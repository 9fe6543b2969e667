package persist

import (
	"synap/commands"
)

// ApplyConfig takes the live persistence settings from the server's
// configuration as CONFIG SET changes them (commands.LiveSettings): before
// CONFIG SET appendfsync always answers, the log holds every later reply
// to it.
func (m *Manager) ApplyConfig(cfg *commands.Config) {
	if m.aof == nil {
		return
	}
	if p, err := ParseFsync(cfg.AppendFsync); err == nil && p != m.aof.Policy() {
		m.aof.SetPolicy(p)
		m.log.Info("appendfsync changed", "appendfsync", p.String())
	}
}

// healLog starts a rewrite when an fsync of the log failed: the snapshot
// holds every record the failed fsync may have lost, and once it is in
// place (Log.Covered) writes are accepted again. Retried every 5 seconds
// while it fails.
func (m *Manager) healLog() {
	if m.aof == nil || m.saving.Load() || !m.aof.HealDue() {
		return
	}
	m.log.Warn("an fsync of the append-only log failed: rewriting it onto a snapshot, which holds what the fsync may have lost; writes are refused (MISCONF) until it is in place")
	m.background(true)
}

// errBgsave is Redis 7.0's refusal while snapshots fail (shared.bgsaveerr),
// word for word: clients and tools match it.
const errBgsave = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. " +
	"Commands that may modify the data set are disabled, because this instance is configured to report errors during writes " +
	"if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."

// snapshotRefusal is the error writes are refused with while the last
// snapshot failed, save points are set and stop-writes-on-bgsave-error is
// yes (Redis's rule, checked before the log's own): a server whose
// snapshots keep failing would otherwise go on taking writes it cannot
// keep. The next snapshot that succeeds lifts it (save points retry every
// 5 seconds).
func (m *Manager) snapshotRefusal() string {
	if m.lastSaveOK.Load() {
		return ""
	}
	if cfg := m.srv.Config(); cfg.StopWritesOnBgsaveError && cfg.Save != "" {
		return errBgsave
	}
	return ""
}
