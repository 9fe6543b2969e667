package commands_test

import (
	"net"

	"synap/commands"
	"synap/resp/server"
)

// The tests of package commands serve over TCP with the RESP listener,
// which imports commands: only an external test file may import it.
func init() {
	commands.ServeRESP = func(srv *commands.Server, ln net.Listener) { server.Start(srv, ln) }
}
