package commands

import (
	"strings"
	"testing"
)

func TestConnectionCommands(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "PING", want: "+PONG"},
		{cmd: "ping hello", want: `"hello"`},
		{cmd: "PING a b", want: "-ERR wrong number of arguments for 'ping' command"},
		{cmd: "ECHO x", want: `"x"`},
		{cmd: "ECHO", want: "-ERR wrong number of arguments for 'echo' command"},
		{cmd: "NOSUCH a b", want: "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "},
		{cmd: "SELECT 15", want: "+OK"},
		{cmd: "SELECT 16", want: "-ERR DB index is out of range"},
		{cmd: "SELECT x", want: "-ERR value is not an integer or out of range"},
		{cmd: "AUTH x", want: "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"},
		{cmd: "AUTH default x", want: "+OK"},
		{cmd: "AUTH bob x", want: "-WRONGPASS invalid username-password pair or user is disabled."},
		{cmd: "HELLO 4", want: "-NOPROTO unsupported protocol version"},
		{cmd: "HELLO x", want: "-ERR Protocol version is not an integer or out of range"},
		{cmd: "HELLO 3 FOO", want: "-ERR Syntax error in HELLO option 'FOO'"},
		{cmd: "RESET", want: "+RESET"},
	})
	got := c.Do("HELLO", "3", "SETNAME", "conn1")
	if !strings.HasPrefix(got, `{"server":"redis" "version":`) || !strings.Contains(got, `"proto"::3`) {
		t.Fatalf("HELLO 3: %s", got)
	}
	if got := c.Do("QUIT"); got != "+OK" {
		t.Fatalf("QUIT: %s", got)
	}
}

func TestRequirePass(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.RequirePass = "s3cret" })
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "PING", want: "-NOAUTH Authentication required."},
		{cmd: "HELLO 3", want: "-" + errHelloNoAuth},
		{cmd: "AUTH wrong", want: "-WRONGPASS invalid username-password pair or user is disabled."},
		{cmd: "AUTH s3cret", want: "+OK"},
		{cmd: "PING", want: "+PONG"},
	})
	c2 := dial(t, srv)
	if got := c2.Do("HELLO", "2", "AUTH", "default", "s3cret"); !strings.HasPrefix(got, `["server" "redis"`) {
		t.Fatalf("HELLO AUTH: %s", got)
	}
}
