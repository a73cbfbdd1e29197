package main

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the server bench started if bench itself is
// killed, so that no benchmark server outlives its run.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
