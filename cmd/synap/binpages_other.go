//go:build !linux

package main

// releaseStartupPages is Linux's alone (binpages_linux.go).
func releaseStartupPages() int64 { return 0 }
