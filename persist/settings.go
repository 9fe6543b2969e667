package persist

import "synap/commands"

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
