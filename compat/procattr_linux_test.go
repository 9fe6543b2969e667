package compat

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill a redis-server the suite started if
// the test binary dies without running its cleanups (a panic in a server
// goroutine, a timeout), so no server is left behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
