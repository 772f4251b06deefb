//go:build !linux

package runner

import "syscall"

// setPdeathsig does nothing: parent-death signals are a Linux feature.
func setPdeathsig(*syscall.SysProcAttr, syscall.Signal) {}
