package resptest

import (
	"bufio"
	"strings"
	"testing"
)

// The three nulls of RESP are different replies: a client library maps
// them to different values (go-redis: redis.Nil for $-1, a nil slice for
// *-1), so a test must see which one the server sent.
func TestReadReplyRendersEachNull(t *testing.T) {
	for _, tc := range []struct{ wire, want string }{
		{"$-1\r\n", "nil"},
		{"*-1\r\n", "nil-array"},
		{"_\r\n", "null"},
		{"*3\r\n$-1\r\n*-1\r\n_\r\n", "[nil nil-array null]"},
		{"$0\r\n\r\n", `""`},
		{"*0\r\n", "[]"},
		{"~-1\r\n", `ERROR: negative length in "~-1\r\n"`},
		{"%-1\r\n", `ERROR: negative length in "%-1\r\n"`},
		{"=-1\r\n", `ERROR: negative length in "=-1\r\n"`},
	} {
		got, err := ReadReply(bufio.NewReader(strings.NewReader(tc.wire)))
		if err != nil {
			got = "ERROR: " + err.Error()
		}
		if got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.wire, got, tc.want)
		}
	}
}
