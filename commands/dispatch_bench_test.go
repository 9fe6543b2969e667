package commands

import (
	"fmt"
	"testing"
)

// BenchmarkCommandPath is what GET and SET cost on the server from
// dispatch to reply, as redis-benchmark drives them: 100k keys of
// redis-benchmark's names, 3-byte values, batches of 16; SET overwrites
// keys that exist. go test -run X -bench CommandPath -benchmem ./commands
func BenchmarkCommandPath(b *testing.B) {
	const keyspace = 100000
	for _, name := range []string{"GET", "SET"} {
		b.Run(name, func(b *testing.B) {
			srv := newTestServer()
			c := benchClient(b, srv)
			keys := make([][]byte, keyspace)
			for i := range keys {
				keys[i] = fmt.Appendf(nil, "key:%012d", i)
				srv.Exec(nil, c, [][]byte{[]byte("SET"), keys[i], []byte("xxx")})
				c.W.Reset()
			}
			args := [][]byte{[]byte(name), nil, []byte("xxx")}
			if name == "GET" {
				args = args[:2]
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				args[1] = keys[(i*7919)%keyspace]
				srv.Exec(nil, c, args)
				if i%16 == 15 {
					c.flushTenant()
					c.W.Reset()
				}
			}
		})
	}
}
