// Package resptest is a raw RESP client for tests. It renders every reply in
// a compact notation that shows the exact RESP type, so a table-driven test
// asserts what a client really receives:
//
//	+OK          simple string     -ERR ...   error
//	:5           integer           "v"        bulk string (Go quoted)
//	nil          $-1 (null bulk)   [a b]      array
//	nil-array    *-1 (null array)  null       _ (RESP3 null)
//	{k:v k2:v2}  map (RESP3)       ~[a b]     set (RESP3)
//	,1.5         double (RESP3)    #t #f      boolean (RESP3)
//	=txt:...     verbatim (RESP3)  >[a b]     push (RESP3)
//	(123)        big number (RESP3)
package resptest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Client is one raw connection.
type Client struct {
	Conn net.Conn
	R    *bufio.Reader
}

// Dial connects to addr.
func Dial(addr string) (*Client, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &Client{Conn: c, R: bufio.NewReader(c)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.Conn.Close() }

// Encode renders args as a RESP multibulk request.
func Encode(args ...string) []byte { return AppendCommand(nil, args...) }

// AppendCommand appends args to b as a RESP multibulk request, so a client
// sending many can reuse one buffer.
func AppendCommand(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// Do sends one command and returns its rendered reply, or "ERROR: ..." when
// the connection fails (closed, timed out).
func (c *Client) Do(args ...string) string {
	if _, err := c.Conn.Write(Encode(args...)); err != nil {
		return "ERROR: " + err.Error()
	}
	return c.Read()
}

// Send writes raw bytes.
func (c *Client) Send(raw string) error {
	_, err := c.Conn.Write([]byte(raw))
	return err
}

// Read reads and renders one reply (5 s timeout).
func (c *Client) Read() string {
	_ = c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := ReadReply(c.R)
	if err != nil {
		return "ERROR: " + err.Error()
	}
	return s
}

// ReadReply reads one RESP2/RESP3 value and renders it.
func ReadReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return "", fmt.Errorf("malformed line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+':
		return "+" + body, nil
	case '-':
		return "-" + body, nil
	case ':':
		return ":" + body, nil
	case ',':
		return "," + body, nil
	case '#':
		return "#" + body, nil
	case '(':
		return "(" + body + ")", nil
	case '_':
		return "null", nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", fmt.Errorf("bad length %q", body)
		}
		if n < 0 {
			if kind != '$' {
				return "", fmt.Errorf("negative length in %q", line)
			}
			return "nil", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		switch kind {
		case '=':
			return "=" + string(buf[:n]), nil
		case '!':
			return "-" + string(buf[:n]), nil
		}
		return strconv.Quote(string(buf[:n])), nil
	case '*', '~', '%', '>', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", fmt.Errorf("bad length %q", body)
		}
		if n < 0 {
			if kind != '*' {
				return "", fmt.Errorf("negative length in %q", line)
			}
			return "nil-array", nil
		}
		count := n
		if kind == '%' || kind == '|' {
			count = 2 * n
		}
		parts := make([]string, 0, count)
		for i := 0; i < count; i++ {
			p, err := ReadReply(r)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		if kind == '%' || kind == '|' {
			var pairs []string
			for i := 0; i < len(parts); i += 2 {
				pairs = append(pairs, parts[i]+":"+parts[i+1])
			}
			return "{" + strings.Join(pairs, " ") + "}", nil
		}
		prefix := map[byte]string{'*': "", '~': "~", '>': ">"}[kind]
		return prefix + "[" + strings.Join(parts, " ") + "]", nil
	}
	return "", fmt.Errorf("unknown reply type %q", line)
}
