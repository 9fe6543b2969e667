//go:build !linux

package persist

import "os"

// syncer is File.Sync where there is no fdatasync (on macOS that is
// fcntl F_FULLFSYNC, which Redis uses there too: plain fsync does not
// reach the disk's platters).
type syncer struct{}

func newSyncer() *syncer { return &syncer{} }

func (*syncer) datasync(f *os.File, _ bool) error { return f.Sync() }

func (*syncer) write(f *os.File, d []byte) (int, error) { return f.Write(d) }

func (*syncer) close() {}
