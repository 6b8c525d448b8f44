//go:build unix

package pyro

import (
	"net"
	"syscall"
)

// enableBroadcast sets SO_BROADCAST, without which sending to 255.255.255.255 fails.
func enableBroadcast(pc net.PacketConn) error {
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1)
	}); err != nil {
		return err
	}
	return serr
}
