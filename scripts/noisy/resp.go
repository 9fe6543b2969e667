package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"synap/resp/resptest"
)

// A raw RESP2 client: the attacks need things a client library hides
// (streaming a 100 MB argument from a small buffer, discarding a multi-GB
// reply without holding it, pipelining thousands of commands in one write),
// and the benchmark must not pay for decoding replies it only counts.
type conn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

// replyError is an error reply from the server, kept apart from I/O errors
// because the table reports what tenant A was told.
type replyError string

func (e replyError) Error() string { return string(e) }

// reply is a decoded reply; bulk strings are kept only when asked for.
type reply struct {
	kind byte // '+', '-', ':', '$', '*', '_'
	str  string
	n    int64
	arr  []reply
}

// readBuf is the read buffer of B's and the loaders' connections;
// attackReadBuf that of tenant A's attack connections, larger so that a
// reply of many megabytes is drained in few system calls.
const (
	readBuf       = 64 << 10
	attackReadBuf = 1 << 20
)

func dial(addr string, rbuf int) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, r: bufio.NewReaderSize(c, rbuf), w: bufio.NewWriterSize(c, 64<<10)}, nil
}

// dialAuth connects and binds the connection to the tenant of key.
func dialAuth(addr, key string) (*conn, error) { return dialAuthBuf(addr, key, readBuf) }

func dialAuthBuf(addr, key string, rbuf int) (*conn, error) {
	c, err := dial(addr, rbuf)
	if err != nil {
		return nil, err
	}
	if _, err := c.do("AUTH", key); err != nil {
		c.close()
		return nil, fmt.Errorf("AUTH: %w", err)
	}
	return c, nil
}

func (c *conn) close() { _ = c.c.Close() }

// send buffers one command; flush writes the buffer.
func (c *conn) send(args ...string) error {
	_, err := c.w.Write(resptest.AppendCommand(nil, args...))
	return err
}

func (c *conn) flush() error { return c.w.Flush() }

// do sends one command and returns its decoded reply, or the error reply
// as a replyError.
func (c *conn) do(args ...string) (reply, error) {
	if err := c.send(args...); err != nil {
		return reply{}, err
	}
	if err := c.flush(); err != nil {
		return reply{}, err
	}
	rep, err := c.read(true)
	if err == nil && rep.kind == '-' {
		err = replyError(rep.str)
	}
	return rep, err
}

// read reads one reply. Without keep, bulk strings and arrays are skipped
// as they stream in, so a reply of any size costs the client no memory.
func (c *conn) read(keep bool) (reply, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return reply{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return reply{}, fmt.Errorf("bad reply line %q", line)
	}
	kind, body := line[0], string(line[1:len(line)-2])
	switch kind {
	case '+', '-':
		return reply{kind: kind, str: body}, nil
	case '_':
		return reply{kind: kind, n: -1}, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		return reply{kind: kind, n: n}, err
	case '$':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil || n < 0 {
			return reply{kind: kind, n: -1}, err
		}
		rep := reply{kind: kind, n: n}
		if keep {
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(c.r, buf); err != nil {
				return reply{}, err
			}
			rep.str = string(buf[:n])
			return rep, nil
		}
		_, err = c.r.Discard(int(n + 2))
		return rep, err
	case '*':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil || n < 0 {
			return reply{kind: kind, n: -1}, err
		}
		rep := reply{kind: kind, n: n}
		for i := int64(0); i < n; i++ {
			el, err := c.read(keep)
			if err != nil {
				return reply{}, err
			}
			if keep {
				rep.arr = append(rep.arr, el)
			} else if el.kind == '-' && rep.str == "" {
				// Inside EXEC's reply the first failed command is what
				// tenant A was told.
				rep.str = el.str
			}
		}
		return rep, nil
	}
	return reply{}, fmt.Errorf("unexpected reply type %q", kind)
}

// skip consumes one whole reply (and the RESP3 pushes before it), however
// large or nested, without
// decoding it: no allocation per element, bulk payloads discarded straight
// from the read buffer (never copied out of it), arrays walked with a
// counter rather than recursion. It is how tenant A reads: a remote
// attacker does not need its replies, and the cost of reading them must
// not show up as B's latency. It returns the first error reply inside
// (EXEC's reply carries one per failed command), or "".
func (c *conn) skip() (string, error) {
	var firstErr string
	for pending := int64(1); pending > 0; pending-- {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return firstErr, err
		}
		if len(line) < 3 || line[len(line)-2] != '\r' {
			return firstErr, fmt.Errorf("bad reply line %q", line)
		}
		kind, body := line[0], line[1:len(line)-2]
		switch kind {
		case '+', ':', '_', '#', ',', '(':
		case '-':
			if firstErr == "" {
				firstErr = string(body)
			}
		case '$', '*', '=', '!', '%', '~', '>':
			n, ok := atoi(body)
			if !ok {
				return firstErr, fmt.Errorf("bad length in %q", line)
			}
			if n < 0 {
				continue
			}
			switch kind {
			case '*', '~':
				pending += n
				continue
			case '%':
				pending += 2 * n
				continue
			case '>':
				// A push (RESP3) comes between replies, never inside
				// one: its elements, then the reply still owed.
				pending += n + 1
				continue
			}
			if _, err := c.r.Discard(int(n + 2)); err != nil {
				return firstErr, err
			}
		default:
			return firstErr, fmt.Errorf("unexpected reply type %q", kind)
		}
	}
	return firstErr, nil
}

// atoi parses a RESP length (possibly -1) without allocating.
func atoi(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		n = n*10 + int64(ch-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// scanCursor reads a SCAN reply, keeping only the next cursor: the keys
// are skipped like any other reply of tenant A.
func (c *conn) scanCursor() (string, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return "", err
	}
	if len(line) > 3 && line[0] == '-' {
		return "", replyError(line[1 : len(line)-2])
	}
	if string(line) != "*2\r\n" {
		return "", fmt.Errorf("unexpected SCAN reply %q", line)
	}
	cursor, err := c.read(true)
	if err != nil {
		return "", err
	}
	if cursor.kind != '$' {
		return "", fmt.Errorf("unexpected SCAN cursor %+v", cursor)
	}
	_, err = c.skip()
	return cursor.str, err
}

// firstError is the first error a reply carries, at the top level or as an
// element of an array (EXEC), or "".
func (r reply) firstError() string {
	if r.kind == '-' || r.kind == '*' {
		return r.str
	}
	return ""
}

// pipeline writes cmds on c while reading their replies, so neither side
// waits for the other, and returns the first error reply or I/O error.
func pipeline(c *conn, cmds [][]string) error {
	werr := make(chan error, 1)
	go func() {
		for _, cmd := range cmds {
			if err := c.send(cmd...); err != nil {
				werr <- err
				return
			}
		}
		werr <- c.flush()
	}()
	var first error
	for range cmds {
		rep, err := c.read(false)
		if err != nil {
			return err
		}
		if e := rep.firstError(); e != "" && first == nil {
			first = replyError(e)
		}
	}
	if err := <-werr; err != nil {
		return err
	}
	return first
}

// pipelineRaw writes payload, n commands already encoded, while skipping
// their n replies, and returns the first error reply or I/O error. The
// attacks encode their commands once and send the same bytes each time.
func pipelineRaw(c *conn, payload []byte, n int) error {
	werr := make(chan error, 1)
	go func() {
		_, err := c.c.Write(payload)
		werr <- err
	}()
	var first error
	for i := 0; i < n; i++ {
		e, err := c.skip()
		if err != nil {
			return err
		}
		if e != "" && first == nil {
			first = replyError(e)
		}
	}
	if err := <-werr; err != nil {
		return err
	}
	return first
}

// describe renders an error for the table: the server's own text, or what
// happened to the connection.
func describe(err error) string {
	var re replyError
	if errors.As(err, &re) {
		return string(re)
	}
	if errors.Is(err, io.EOF) {
		return "connection closed by the server"
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return "connection: " + ne.Err.Error()
	}
	return err.Error()
}
