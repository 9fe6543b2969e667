//go:build !linux

package persist

import "os"

// datasync is File.Sync where there is no fdatasync (on macOS that is
// fcntl F_FULLFSYNC, which Redis uses there too: plain fsync does not
// reach the disk's platters).
func datasync(f *os.File) error { return f.Sync() }
