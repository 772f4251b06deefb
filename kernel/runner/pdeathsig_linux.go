package runner

import "syscall"

// setPdeathsig makes the child get sig when the runner dies.
func setPdeathsig(a *syscall.SysProcAttr, sig syscall.Signal) { a.Pdeathsig = sig }
