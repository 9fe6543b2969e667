package compat

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"synap/resp/resptest"
)

// Wire cases look at reply bytes, where go-redis hides the difference
// between a RESP2 null bulk, a RESP2 null array and the RESP3 null.
func init() { connectionCases = append(connectionCases, wireCases...) }

var wireCases = []testCase{
	{name: "reply_wire_types", fn: func(ctx context.Context, t *testing.T, rdb *redis.Client, tg *target) {
		want(t, rdb.Set(ctx, "k", "v", 0), "OK")
		c := dialWire(t, tg.addr)
		if tg.password != "" {
			if got := c.do(t, "AUTH", tg.password); got != "+OK\r\n" {
				t.Fatalf("AUTH: %q", got)
			}
		}
		hello := c.do(t, "HELLO", strconv.Itoa(tg.proto))
		if prefix := byProto(tg, "*14\r\n", "%7\r\n"); len(hello) < len(prefix) || hello[:len(prefix)] != prefix {
			t.Errorf("HELLO %d: reply starts %q, want %q", tg.proto, hello, prefix)
		}
		for _, tc := range []struct {
			args         []string
			resp2, resp3 string
		}{
			{[]string{"GET", "missing"}, "$-1\r\n", "_\r\n"},
			{[]string{"MGET", "missing", "k"}, "*2\r\n$-1\r\n$1\r\nv\r\n", "*2\r\n_\r\n$1\r\nv\r\n"},
			{[]string{"SET", "k", "v", "NX"}, "$-1\r\n", "_\r\n"},
			{[]string{"SET", "k", "v"}, "+OK\r\n", "+OK\r\n"},
			{[]string{"CLIENT", "GETNAME"}, "$-1\r\n", "_\r\n"},
			{[]string{"OBJECT", "ENCODING", "missing"}, "$-1\r\n", "_\r\n"},
			{[]string{"COMMAND", "INFO", "nosuchcommand"}, "*1\r\n$-1\r\n", "*1\r\n_\r\n"},
			{[]string{"COMMAND", "DOCS", "nosuchcommand"}, "*0\r\n", "%0\r\n"},
			{[]string{"CONFIG", "GET", "timeout"}, "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n", "%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"},
			{[]string{"INCRBYFLOAT", "f", "1.5"}, "$3\r\n1.5\r\n", "$3\r\n1.5\r\n"},
			{[]string{"EXISTS", "k"}, ":1\r\n", ":1\r\n"},
			{[]string{"TTL", "missing"}, ":-2\r\n", ":-2\r\n"},
			{[]string{"TYPE", "k"}, "+string\r\n", "+string\r\n"},
			{[]string{"KEYS", "nomatch*"}, "*0\r\n", "*0\r\n"},
			{[]string{"SCAN", "0", "MATCH", "k"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n"},
			{[]string{"LCS", "k", "k", "IDX"},
				"*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:0\r\n*2\r\n:0\r\n:0\r\n$3\r\nlen\r\n:1\r\n",
				"%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:0\r\n*2\r\n:0\r\n:0\r\n$3\r\nlen\r\n:1\r\n"},
			{[]string{"INFO", "nosuchsection"}, "$0\r\n\r\n", "=4\r\ntxt:\r\n"},
			{[]string{"GET"}, "-ERR wrong number of arguments for 'get' command\r\n", "-ERR wrong number of arguments for 'get' command\r\n"},
		} {
			if tc.args[0] == "CONFIG" && tg.kind == kindSynapCluster {
				continue // CONFIG is operator only; a tenant gets NOPERM
			}
			if got, w := c.do(t, tc.args...), byProto(tg, tc.resp2, tc.resp3); got != w {
				t.Errorf("%q in RESP%d: got %q, want %q", tc.args, tg.proto, got, w)
			}
		}
		// Text replies: a bulk string in RESP2, a verbatim "txt" string in RESP3.
		for _, args := range [][]string{{"INFO", "keyspace"}, {"CLIENT", "INFO"}} {
			got := c.do(t, args...)
			if w := byProto(tg, "$", "="); got[:1] != w {
				t.Errorf("%q in RESP%d: got %q, want a %q reply", args, tg.proto, got, w)
			}
			if tg.proto == 3 {
				if _, body, _ := cutLine(got); len(body) < 4 || body[:4] != "txt:" {
					t.Errorf("%q in RESP3: verbatim without the txt: format: %q", args, got)
				}
			}
		}
	}},
}

// wireConn is a raw connection that returns each reply's exact bytes.
type wireConn struct {
	nc net.Conn
	r  *bufio.Reader
}

func dialWire(t *testing.T, addr string) *wireConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &wireConn{nc: nc, r: bufio.NewReader(nc)}
}

func (c *wireConn) do(t *testing.T, args ...string) string {
	t.Helper()
	_ = c.nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(resptest.Encode(args...)); err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	raw, err := readRaw(c.r)
	if err != nil {
		t.Fatalf("%q: %v (read so far %q)", args, err, raw)
	}
	return raw
}

// readRaw reads one complete RESP2/RESP3 value and returns its bytes.
func readRaw(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return line, err
	}
	if len(line) < 3 {
		return line, fmt.Errorf("short line %q", line)
	}
	n, _ := strconv.Atoi(line[1 : len(line)-2])
	switch line[0] {
	case '$', '=', '!':
		if n < 0 {
			return line, nil
		}
		buf := make([]byte, n+2)
		_, err := io.ReadFull(r, buf)
		return line + string(buf), err
	case '*', '~', '>', '%', '|':
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		out := line
		for i := 0; i < n; i++ {
			sub, err := readRaw(r)
			out += sub
			if err != nil {
				return out, err
			}
		}
		if line[0] == '|' { // an attribute precedes the real reply
			sub, err := readRaw(r)
			return out + sub, err
		}
		return out, nil
	}
	return line, nil
}

// cutLine splits a raw reply after its first CRLF.
func cutLine(raw string) (line, rest string, ok bool) {
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] == '\r' && raw[i+1] == '\n' {
			return raw[:i], raw[i+2:], true
		}
	}
	return raw, "", false
}
