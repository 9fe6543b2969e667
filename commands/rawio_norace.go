//go:build linux && !race

package commands

import (
	"io"
	"net"
)

func newRawIO(nc net.Conn) io.ReadWriter { return newRawSocket(nc) }
