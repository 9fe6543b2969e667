//go:build !linux

package snapshot

import "os"

// startWriteback: without sync_file_range the final fsync writes the
// whole snapshot.
func startWriteback(*os.File, int64, int64) error { return nil }
