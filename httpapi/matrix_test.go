package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"synap/resp/resptest"
)

// The permission matrix, differential: every key runs the same commands
// over RESP, REST and WebSocket, and each surface must refuse exactly what
// RESP refuses, with the same text (they are one dispatcher). Commands
// run RESP, then REST, then WebSocket, on the same data.
func TestHTTPPermissionMatrixMatchesRESP(t *testing.T) {
	f := start(t, cluster)
	cmds := [][]string{
		{"SET", "k", "v"}, {"GET", "k"}, {"GETDEL", "k"}, {"DEL", "k"}, {"INCR", "n"},
		{"HSET", "h", "f", "v"}, {"HGETALL", "h"}, {"LPUSH", "l", "x"}, {"LRANGE", "l", "0", "-1"},
		{"KEYS", "*"}, {"SCAN", "0"}, {"DBSIZE"}, {"EXISTS", "k"}, {"EXPIRE", "n", "100"},
		{"CLIENT", "LIST"}, {"INFO", "keyspace"}, {"CONFIG", "GET", "maxmemory"}, {"FLUSHALL"},
		{"FLUSHDB"}, {"SELECT", "1"}, {"NOSUCH", "k"},
	}
	for _, key := range []string{"alice-rw", "alice-ro", "alice-w", "alice-del", "alice-admin", "bob-rw"} {
		rc, err := resptest.Dial(f.resp)
		if err != nil {
			t.Fatal(err)
		}
		if got := rc.Do("AUTH", secret(key)); got != "+OK" {
			t.Fatalf("AUTH %s over RESP: %s", key, got)
		}
		ws, _, err := dialWS(t, f, secret(key))
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range cmds {
			want := rc.Do(cmd...)
			wantErr := ""
			if strings.HasPrefix(want, "-") {
				wantErr = want[1:]
			}
			args := make([]any, len(cmd))
			for i, a := range cmd {
				args[i] = a
			}
			rest := f.cmd(t, secret(key), args...)
			var body struct {
				Error *string `json:"error"`
			}
			_ = json.Unmarshal([]byte(rest.body), &body)
			restErr := ""
			if body.Error != nil {
				restErr = *body.Error
			}
			if restErr != wantErr {
				t.Errorf("%s %q: REST error %q (status %d), RESP %q", key, cmd, restErr, rest.status, wantErr)
			}
			if wantErr == "" && rest.status != 200 {
				t.Errorf("%s %q: REST status %d for a success", key, cmd, rest.status)
			}
			b, _ := json.Marshal(map[string]any{"cmd": args})
			wsSend(t, ws, string(b))
			body.Error = nil
			_ = json.Unmarshal([]byte(wsRead(t, ws)), &body)
			wsErr := ""
			if body.Error != nil {
				wsErr = *body.Error
			}
			if wsErr != wantErr {
				t.Errorf("%s %q: WebSocket error %q, RESP %q", key, cmd, wsErr, wantErr)
			}
		}
		rc.Close()
	}
}
