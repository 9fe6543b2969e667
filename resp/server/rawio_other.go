//go:build !linux || race

package server

import (
	"io"
	"net"
)

// newRawIO is the connection itself where raw socket calls are not used:
// off Linux, and under the race detector, which learns from net.Conn's
// reads and writes that a message sent happens before it is received
// (internal/poll annotates them). Raw calls would hide that edge and turn
// every test that talks to the server into a false report. The raw path is
// covered by the tests run without -race (make test runs commands and
// compat once more without it).
func newRawIO(nc net.Conn) io.ReadWriter { return nc }
