//go:build !linux

package main

import "errors"

// lowerPriority: the benchmark reads /proc and is meant for Linux; elsewhere
// the attack process keeps its priority (the header then says so).
func lowerPriority() error { return errors.New("not supported on this system") }
