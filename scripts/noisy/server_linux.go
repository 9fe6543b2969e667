package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the server if the benchmark dies
// without stopping it (killed, or a crash), rather than leave it running
// with its data.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
