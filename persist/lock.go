package persist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// LockName is the lock file in the data directory.
const LockName = "synap.lock"

// lockDir makes sure dir exists and is writable, and takes its lock: a
// second server on the same directory would interleave its writes with
// this one's log and snapshots. The lock is an flock, so it goes with the
// process however it ends (a SIGKILL leaves no stale lock behind).
func lockDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("the data directory %s is not writable: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, _ := os.ReadFile(path)
			return nil, fmt.Errorf("another synap server (pid %s) is using the data directory %s: stop it, or give this one another --dir", string(pid), dir)
		}
		return nil, fmt.Errorf("cannot lock the data directory %s: %w", dir, err)
	}
	if err := f.Truncate(0); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("the data directory %s is not writable: %w", dir, err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("the data directory %s is not writable: %w", dir, err)
	}
	return f, nil
}

// lockForRepair takes dir's lock for a repair of its files (check-log
// --fix), refusing while a server holds it. A directory with no lock file
// has had no server: nothing to take.
func lockForRepair(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return func() {}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open the lock of the data directory %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, _ := os.ReadFile(path)
			return nil, fmt.Errorf("a synap server (pid %s) is using the data directory %s: stop it before repairing its log files", string(pid), dir)
		}
		return nil, fmt.Errorf("cannot lock the data directory %s: %w", dir, err)
	}
	return func() { _ = f.Close() }, nil
}
