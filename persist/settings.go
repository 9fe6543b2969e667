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
