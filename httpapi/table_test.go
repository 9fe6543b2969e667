package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"synap/commands"
	"synap/resp/resptest"
)

// Generated from the command table: every command (and subcommand) that
// does not block or change what the connection is, run with placeholder
// arguments by a read-write and a read-only key over RESP and then REST,
// must be refused over REST exactly when RESP refuses it, with the same
// text. A command added to the table later is covered without editing
// this test.
func TestHTTPTableMatchesRESP(t *testing.T) {
	f := start(t, cluster)
	skip := map[string]bool{
		// They change the connection (RESP keeps the change, a REST
		// request's session ends), or hold it.
		"select": true, "auth": true, "hello": true, "reset": true, "quit": true, "monitor": true,
		"client|reply": true, "client|pause": true, "client|unpause": true, "client|kill": true,
		"multi": true, "exec": true, "discard": true, "watch": true, "unwatch": true, "shutdown": true,
		"debug": true,
	}
	var rows []*commands.Command
	for _, c := range f.srv.Table.All() {
		if len(c.Subs) > 0 {
			rows = append(rows, c.Subs...)
			continue
		}
		rows = append(rows, c)
	}
	checked := 0
	for _, key := range []string{"alice-rw", "alice-ro"} {
		rc, err := resptest.Dial(f.resp)
		if err != nil {
			t.Fatal(err)
		}
		if got := rc.Do("AUTH", secret(key)); got != "+OK" {
			t.Fatal(got)
		}
		for _, row := range rows {
			parent, _, _ := strings.Cut(row.Name, "|")
			if skip[row.Name] || skip[parent] || row.Flags&(commands.FlagBlocking|commands.FlagTxControl|commands.FlagNoAuth|commands.FlagPubSub) != 0 {
				continue
			}
			args := strings.Split(row.Name, "|")
			n := row.Arity
			if n < 0 {
				n = -n
			}
			for len(args) < n {
				args = append(args, "k")
			}
			want := rc.Do(args...)
			wantErr := ""
			if strings.HasPrefix(want, "-") {
				wantErr = want[1:]
			}
			jargs := make([]any, len(args))
			for i, a := range args {
				jargs[i] = a
			}
			got := f.cmd(t, secret(key), jargs...)
			var body struct {
				Error *string `json:"error"`
			}
			_ = json.Unmarshal([]byte(got.body), &body)
			gotErr := ""
			if body.Error != nil {
				gotErr = *body.Error
			}
			if gotErr != wantErr {
				t.Errorf("%s %q: REST %d %q, RESP %q", key, args, got.status, gotErr, wantErr)
			}
			checked++
		}
		rc.Close()
	}
	t.Logf("%d commands compared", checked)
	if checked < 200 {
		t.Errorf("only %d commands compared", checked)
	}
}
