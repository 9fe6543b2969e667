package commands

import (
	"strconv"
	"testing"
)

// discardHook drops every record: what delivering costs, without a consumer's own work.
type discardHook struct{}

func (discardHook) Write(Record) {}

// BenchmarkWriteHook is the dispatcher's cost per write with no hook (what
// every server pays) and with one that drops the records (what recording
// adds): go test -run X -bench WriteHook ./commands
func BenchmarkWriteHook(b *testing.B) {
	cmds := map[string][]string{
		"SET": {"SET", "", "value"}, "INCR": {"INCR", ""}, "LPUSH": {"LPUSH", "", "v"},
		"SADD": {"SADD", "", "m"}, "HSET": {"HSET", "", "f", "v"},
	}
	for _, hook := range []string{"none", "discard"} {
		for _, name := range []string{"SET", "INCR", "LPUSH", "SADD", "HSET"} {
			b.Run(hook+"/"+name, func(b *testing.B) {
				srv := newTestServer()
				if hook == "discard" {
					srv.SetWriteHook(discardHook{})
				}
				c := benchClient(b, srv)
				keys := make([][]byte, 1024)
				for i := range keys {
					keys[i] = []byte("key:" + strconv.Itoa(i))
				}
				args := make([][]byte, len(cmds[name]))
				for i, a := range cmds[name] {
					args[i] = []byte(a)
				}
				b.ResetTimer()
				for i := range b.N {
					args[1] = keys[i%len(keys)]
					if name == "LPUSH" || name == "SADD" {
						args[1] = keys[0] // grows one value; SADD adds nothing after the first
					}
					srv.Exec(nil, c, args)
					if i%16 == 15 {
						c.flushTenant()
						c.W.Reset()
					}
				}
			})
		}
	}
}
