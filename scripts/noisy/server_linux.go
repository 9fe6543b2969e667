package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the server when the benchmark exits
// without stopping it (interrupted, killed, a fatal error): a server left
// behind would hold gigabytes on a machine others share.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
