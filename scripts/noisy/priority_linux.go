package main

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// schedIdle is SCHED_IDLE of sched_setscheduler(2): the thread runs only
// when no normal thread on its CPU wants to.
const schedIdle = 5

// lowerPriority gives this process nice 19 and SCHED_IDLE, or as much of
// it as the kernel allows, and re-executes it. On Linux both are
// attributes of a thread, not of the process: set on the calling thread
// before execve, they become those of the new program's only thread, and
// every thread the Go runtime starts later inherits them. It returns only
// if the re-exec failed.
func lowerPriority() error {
	runtime.LockOSThread()
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, 19)
	var param struct{ priority int32 }
	_, _, _ = syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, 0, schedIdle, uintptr(unsafe.Pointer(&param)))
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(exe, os.Args, append(os.Environ(), loweredEnv+"=1"))
}
