//go:build !linux

package benchkit

import "time"

// CPU accounting is only implemented for Linux; elsewhere the CPU column stays empty.
func selfCPU() (time.Duration, bool)       { return 0, false }
func pidCPU(pid int) (time.Duration, bool) { return 0, false }
