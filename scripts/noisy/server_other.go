//go:build !linux

package main

import "os/exec"

// dieWithParent: only Linux can tie a child's life to its parent's; the
// benchmark reads /proc and is meant for Linux anyway.
func dieWithParent(*exec.Cmd) {}
