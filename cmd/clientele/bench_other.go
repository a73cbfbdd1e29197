//go:build !linux

package main

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux; bench
// stops its server on every way out but being killed.
func setParentDeathSignal(*exec.Cmd) {}
