//go:build linux && !race

package server

import (
	"io"
	"net"
)

func newRawIO(nc net.Conn) io.ReadWriter { return newRawSocket(nc) }
