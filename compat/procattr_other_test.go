//go:build !linux

package compat

import "os/exec"

// dieWithParent has no portable equivalent outside Linux; the test's
// cleanups stop the servers.
func dieWithParent(*exec.Cmd) {}
