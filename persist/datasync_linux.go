package persist

import (
	"os"
	"syscall"
)

// datasync is fdatasync, as Redis calls it on Linux: the data and the
// size, not the timestamps.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
