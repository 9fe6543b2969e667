package resp

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// A refused frame says how much of it is still to arrive, so the server
// can tell a client it may let finish sending (and read the error) from
// one whose rest it could never drain.
func TestReaderRefusalUnread(t *testing.T) {
	tenant := DefaultLimits()
	tenant.PayloadLimit = 60
	for _, tc := range []struct {
		name    string
		lim     Limits
		preAuth bool
		input   string
		msg     string
		unread  int64
	}{
		{"payload, nothing of it sent", tenant, false,
			"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$104857600\r\n",
			"QUOTA payload of at least 104857601 bytes exceeds the limit of 60 bytes", 104857602},
		{"payload, part of it sent", tenant, false,
			"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$204800\r\n" + strings.Repeat("x", 1000),
			"QUOTA payload of at least 204801 bytes exceeds the limit of 60 bytes", 204800 + 2 - 1000},
		{"before AUTH", DefaultLimits(), true,
			"*2\r\n$4\r\nAUTH\r\n$20000\r\n",
			ProtoUnauthBulk, 20002},
		{"past proto-max-bulk-len", DefaultLimits(), false,
			"*2\r\n$3\r\nGET\r\n$9223372036854775807\r\n",
			ProtoInvalidBulk, math.MaxInt64}, // its CRLF would overflow: as good as endless
		{"not a bulk", DefaultLimits(), false,
			"*2\r\n$3\r\nGET\r\n:1\r\n",
			ProtoExpectedDollar(':'), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd := NewReader(strings.NewReader(tc.input), tc.lim)
			_, err := readOneAuth(rd, tc.preAuth)
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a protocol error", err)
			}
			if pe.Msg != tc.msg || pe.Unread != tc.unread {
				t.Fatalf("got %q with %d unread, want %q with %d", pe.Msg, pe.Unread, tc.msg, tc.unread)
			}
		})
	}
}

// readOneAuth is readOne for a client before (preAuth) or after AUTH.
func readOneAuth(rd *Reader, preAuth bool) ([][]byte, error) {
	for i := 0; i < 1<<20; i++ {
		args, err := rd.Next(preAuth)
		if err != nil || args != nil {
			return args, err
		}
		if err := rd.Fill(); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("no progress")
}
