package snapshot

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// startWriteback starts writing [off, off+n) of f back and waits until
// everything before off is written: at most two chunks are in flight.
// The final fsync still makes the file durable; this only bounds what it
// (and every other fsync on the disk meanwhile) must wait for.
func startWriteback(f *os.File, off, n int64) error {
	fd := int(f.Fd())
	err := unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WRITE)
	if err == nil && off > 0 {
		err = unix.SyncFileRange(fd, 0, off, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
	}
	if errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ESPIPE) {
		return nil // a kernel or file that cannot: the final fsync does it all
	}
	return err
}
