package commands

import (
	"slices"
	"strings"
	"testing"

	"synap/resp/resptest"
)

// The Redis level Synap declares is the one its encodings and its compat
// baseline are: 7.0.15. Where 7.0 and 7.2 answer differently, a client that
// read 7.0.15 from HELLO gets 7.0's answer.
func TestRedisLevelDeclared(t *testing.T) {
	if !strings.HasPrefix(RedisVersion, resptest.RedisLevel+".") {
		t.Fatalf("RedisVersion %q is not of the level %s the compat tests compare with", RedisVersion, resptest.RedisLevel)
	}
	srv := startServer(t, func(c *Config) { c.RequirePass = "s3cret" })
	c := dial(t, srv)
	runSteps(t, c, []step{
		// Redis 7.2 added "<proto>" to this text.
		{cmd: "HELLO 3", want: "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"},
		{cmd: "AUTH s3cret", want: "+OK"},
	})
	if got := c.Do("HELLO", "3"); !strings.HasPrefix(got, `{"server":"redis" "version":"7.0.15" "proto"::3`) {
		t.Fatalf("HELLO 3: %s", got)
	}
	got := c.Do("INFO", "server")
	if !slices.Contains(strings.Fields(got), "redis_version:7.0.15") {
		t.Fatalf("INFO server has no redis_version:7.0.15: %s", got)
	}
	// Redis 7.0's RESET keeps CLIENT NO-EVICT (7.2 clears it).
	runSteps(t, c, []step{
		{cmd: "CLIENT NO-EVICT on", want: "+OK"},
		{cmd: "RESET", want: "+RESET"},
		{cmd: "AUTH s3cret", want: "+OK"},
	})
	if got := c.Do("CLIENT", "INFO"); !strings.Contains(got, " flags=e ") {
		t.Fatalf("CLIENT INFO after RESET: %s", got)
	}
}
