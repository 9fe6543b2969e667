package commands

import (
	"bufio"
	"bytes"
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"synap/resp"
	"synap/resp/resptest"
)

// Replies checked byte for byte against redis-server 7.0.15.
const (
	commandInfoGet = `["get" :2 [+readonly +fast] :1 :1 :1 [+@read +@string +@fast] [] ` +
		`[["flags" [+RO +access] "begin_search" ["type" "index" "spec" ["index" :1]] ` +
		`"find_keys" ["type" "range" "spec" ["lastkey" :0 "keystep" :1 "limit" :0]]]] []]`
	commandInfoGet3 = `["get" :2 ~[+readonly +fast] :1 :1 :1 ~[+@read +@string +@fast] ~[] ` +
		`~[{"flags":~[+RO +access] "begin_search":{"type":"index" "spec":{"index"::1}} ` +
		`"find_keys":{"type":"range" "spec":{"lastkey"::0 "keystep"::1 "limit"::0}}}] ~[]]`
	commandInfoConfigGet = `["config|get" :-3 [+admin +noscript +loading +stale] :0 :0 :0 [+@admin +@slow +@dangerous] [] [] []]`
)

func TestCommandInfo(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "COMMAND INFO get", want: "[" + commandInfoGet + "]"},
		{cmd: "command info GET nosuch CONFIG|GET config|nosuch get|x", want: "[" + commandInfoGet + " nil " + commandInfoConfigGet + " nil nil]"},
		{cmd: "COMMAND INFO time lastsave shutdown info", want: `[` +
			`["time" :1 [+loading +stale +fast] :0 :0 :0 [+@fast] [] [] []] ` +
			`["lastsave" :1 [+loading +stale +fast] :0 :0 :0 [+@admin +@fast +@dangerous] [] [] []] ` +
			`["shutdown" :-1 [+admin +noscript +loading +stale +no_multi +allow_busy] :0 :0 :0 [+@admin +@slow +@dangerous] [] [] []] ` +
			`["info" :-1 [+loading +stale] :0 :0 :0 [+@slow +@dangerous] [] [] []]]`},
		{cmd: "COMMAND INFO client|kill", want: `[["client|kill" :-3 [+admin +noscript +loading +stale] :0 :0 :0 [+@admin +@slow +@dangerous +@connection] [] [] []]]`},
		{cmd: "COMMAND x", want: "-ERR unknown subcommand 'x'. Try COMMAND HELP."},
		{cmd: "COMMAND COUNT x", want: "-ERR wrong number of arguments for 'command|count' command"},
		{cmd: "COMMAND foo", want: "-ERR unknown subcommand 'foo'. Try COMMAND HELP."},
		{cmd: "COMMAND HELP x", want: "-ERR wrong number of arguments for 'command|help' command"},
	})
	c.Do("HELLO", "3")
	runSteps(t, c, []step{
		{cmd: "COMMAND INFO get", want: "[" + commandInfoGet3 + "]"},
		{cmd: "COMMAND INFO nosuch", want: "[null]"},
	})
	// Bare COMMAND is COMMAND INFO without names.
	if all, info := c.Do("COMMAND"), c.Do("COMMAND", "INFO"); all != info || !strings.Contains(all, commandInfoGet3) {
		t.Errorf("COMMAND and COMMAND INFO differ:\n%.300s\n%.300s", all, info)
	}
	// A container lists its subcommands in full, as an array.
	got := c.Do("COMMAND", "INFO", "config")
	if !strings.HasPrefix(got, `[["config" :-2 ~[] :0 :0 :0 ~[+@slow] ~[] ~[] [["config|get" :-3 ~[+admin`) {
		t.Errorf("COMMAND INFO config: %s", got)
	}
}

func TestCommandCountAndList(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	all := srv.Table.All()
	runSteps(t, c, []step{
		{cmd: "COMMAND COUNT", want: ":" + strconv.Itoa(len(all))},
		{cmd: "COMMAND LIST FILTERBY PATTERN config*", want: `["config" "config|get" "config|set" "config|resetstat" "config|help"]`},
		{cmd: "COMMAND LIST FILTERBY pattern CONFIG|G*", want: `["config|get"]`},
		{cmd: "COMMAND LIST FILTERBY ACLCAT nosuch", want: "[]"},
		{cmd: "COMMAND LIST FILTERBY MODULE x", want: "[]"},
		{cmd: "COMMAND LIST FILTERBY", want: "-ERR syntax error"},
		{cmd: "COMMAND LIST FILTERBY foo x", want: "-ERR syntax error"},
		{cmd: "COMMAND LIST x y z", want: "-ERR syntax error"},
		{cmd: "COMMAND LIST FILTERBY PATTERN x y", want: "-ERR syntax error"},
	})
	// Without a filter every command and subcommand is listed once.
	want := 0
	for _, cmd := range all {
		want += 1 + len(cmd.Subs)
	}
	list := commandStrings(t, c.Do("COMMAND", "LIST"))
	if len(list) != want || !slices.Contains(list, "command|list") || !slices.Contains(list, "get") {
		t.Errorf("COMMAND LIST: %d names, want %d: %v", len(list), want, list)
	}
	// ACL categories include those implied by flags (admin → dangerous).
	dangerous := commandStrings(t, c.Do("COMMAND", "LIST", "FILTERBY", "ACLCAT", "DANGEROUS"))
	for _, name := range []string{"config|get", "client|kill", "info", "lastsave"} {
		if !slices.Contains(dangerous, name) {
			t.Errorf("ACLCAT dangerous lacks %s: %v", name, dangerous)
		}
	}
	if slices.Contains(dangerous, "client|id") || slices.Contains(dangerous, "get") {
		t.Errorf("ACLCAT dangerous lists safe commands: %v", dangerous)
	}
}

func TestCommandGetKeys(t *testing.T) {
	srv := startServer(t)
	// A command whose keys only a function can find, like ZUNIONSTORE's.
	srv.Table.add(&Command{Name: "commandtestmovable", Arity: -3, Flags: FlagWrite, ACL: []string{"sortedset"},
		FirstKey: 1, LastKey: 1, Step: 1, KeysFn: commandTestKeys, Run: func(x *Ctx) { x.W.OK() }})
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "COMMAND GETKEYS", want: "-ERR wrong number of arguments for 'command|getkeys' command"},
		{cmd: "COMMAND GETKEYS get", want: "-ERR wrong number of arguments for 'command|getkeys' command"},
		{cmd: "COMMAND GETKEYS nosuch a", want: "-ERR Invalid command specified"},
		{cmd: "COMMAND GETKEYS get a b", want: "-ERR Invalid number of arguments specified for command"},
		{cmd: "COMMAND GETKEYS ping x", want: "-ERR The command has no key arguments"},
		{cmd: "COMMAND GETKEYS config get x", want: "-ERR The command has no key arguments"},
		{cmd: "COMMAND GETKEYS config nosuch x", want: "-ERR Invalid command specified"},
		{cmd: "COMMAND GETKEYS GET k", want: `["k"]`},
		{cmd: "COMMAND GETKEYS mset a 1 b 2", want: `["a" "b"]`},
		{cmd: "COMMAND GETKEYS mset a 1 b", want: `["a" "b"]`},
		{cmd: "COMMAND GETKEYS commandtestmovable d 2 a b", want: `["d" "a" "b"]`},
		{cmd: "COMMAND GETKEYS commandtestmovable d 3 a b", want: "-ERR Invalid arguments specified for command"},
		// movablekeys and a second, unknown key spec for what KeysFn finds.
		{cmd: "COMMAND INFO commandtestmovable", want: `[["commandtestmovable" :-3 [+write +movablekeys] :1 :1 :1 ` +
			`[+@write +@sortedset +@slow] [] [` +
			`["flags" [+RW +update] "begin_search" ["type" "index" "spec" ["index" :1]] "find_keys" ["type" "range" "spec" ["lastkey" :0 "keystep" :1 "limit" :0]]] ` +
			`["flags" [+RW +update] "begin_search" ["type" "unknown" "spec" []] "find_keys" ["type" "unknown" "spec" []]]] []]]`},
	})
}

// commandTestKeys finds "dest numkeys key..." keys, none when numkeys lies.
func commandTestKeys(args [][]byte) []int {
	n, err := strconv.Atoi(string(args[2]))
	if err != nil || n < 1 || 3+n > len(args) {
		return nil
	}
	out := []int{1}
	for i := 0; i < n; i++ {
		out = append(out, 3+i)
	}
	return out
}

func TestCommandDocs(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	cg := srv.Table.Lookup([]byte("config")).Sub([]byte("get"))
	docs := `["summary" ` + strconv.Quote(cg.Summary) + ` "since" "2.0.0" "group" "server" "complexity" ` + strconv.Quote(cg.Complexity) + `]`
	runSteps(t, c, []step{
		{cmd: "COMMAND DOCS config|get", want: `["config|get" ` + docs + `]`},
		{cmd: "COMMAND DOCS nosuch config|get get|x", want: `["config|get" ` + docs + `]`},
		{cmd: "COMMAND DOCS nosuch", want: "[]"},
	})
	got := c.Do("COMMAND", "DOCS", "config")
	if !strings.HasPrefix(got, `["config" ["summary" `) || !strings.Contains(got, `"subcommands" ["config|get" `+docs) {
		t.Errorf("COMMAND DOCS config: %s", got)
	}
	c.Do("HELLO", "3")
	want := `{"config|get":{"summary":` + strconv.Quote(cg.Summary) + ` "since":"2.0.0" "group":"server" "complexity":` + strconv.Quote(cg.Complexity) + `}}`
	if got := c.Do("COMMAND", "DOCS", "CONFIG|GET"); got != want {
		t.Errorf("COMMAND DOCS in RESP3: got %s, want %s", got, want)
	}
	// Every command has docs: all of them come back without names.
	if got := c.Do("COMMAND", "DOCS"); strings.Count(got, `"group":`) < len(srv.Table.All()) {
		t.Errorf("COMMAND DOCS without names lists too few commands: %.200s", got)
	}
}

func TestCommandHelp(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	got := c.Do("command", "help")
	if !strings.HasPrefix(got, "[+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are: +(no subcommand) ") ||
		!strings.HasSuffix(got, " +HELP +    Prints this help.]") {
		t.Errorf("COMMAND HELP: %s", got)
	}
}

// TestCommandGoRedis checks that go-redis parses COMMAND's reply in both
// protocols, as cluster clients do on connect.
func TestCommandGoRedis(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr().String(), Protocol: proto})
		// COMMAND INFO without names has COMMAND's reply.
		cmd := redis.NewCommandsInfoCmd(ctx, "command", "info")
		_ = rdb.Process(ctx, cmd)
		infos, err := cmd.Result()
		if err != nil {
			t.Fatalf("RESP%d: %v", proto, err)
		}
		get := infos["get"]
		if len(infos) != len(srv.Table.All()) || get == nil || get.Arity != 2 || !get.ReadOnly ||
			get.FirstKeyPos != 1 || !slices.Equal(get.ACLFlags, []string{"@read", "@string", "@fast"}) {
			t.Errorf("RESP%d: %d commands, get=%+v", proto, len(infos), get)
		}
		all, err := rdb.Command(ctx).Result()
		if err != nil || len(all) != len(infos) || !reflect.DeepEqual(all["get"], get) {
			t.Errorf("RESP%d COMMAND: %d commands (%v), COMMAND INFO %d; get %+v", proto, len(all), err, len(infos), all["get"])
		}
		_ = rdb.Close()
	}
}

// TestCommandWriteInfo checks the derivation of flags and key specs on rows
// no family has.
func TestCommandWriteInfo(t *testing.T) {
	for _, tc := range []struct {
		cmd  *Command
		want string
	}{
		{&Command{Name: "rw", Arity: -2, Flags: FlagWrite | FlagMayReplicate | FlagAllowBusy | FlagFast, FirstKey: 1, LastKey: -1, Step: 2},
			`["rw" :-2 [+write +fast +allow_busy] :1 :-1 :2 [+@write +@fast] [] [["flags" [+RW +update] ` +
				`"begin_search" ["type" "index" "spec" ["index" :1]] "find_keys" ["type" "range" "spec" ["lastkey" :-1 "keystep" :2 "limit" :0]]]] []]`},
		{&Command{Name: "ro", Arity: 4, Flags: FlagReadOnly | FlagBlocking, ACL: []string{"@list", "custom"}, FirstKey: 2, LastKey: 3, Step: 1},
			`["ro" :4 [+readonly +blocking] :2 :3 :1 [+@read +@list +@slow +@blocking +@custom] [] [["flags" [+RO +access] ` +
				`"begin_search" ["type" "index" "spec" ["index" :2]] "find_keys" ["type" "range" "spec" ["lastkey" :1 "keystep" :1 "limit" :0]]]] []]`},
		{&Command{Name: "pub", Arity: 3, Flags: FlagPubSub | FlagLoading},
			`["pub" :3 [+pubsub +loading] :0 :0 :0 [+@pubsub +@slow] [] [] []]`},
	} {
		w := resp.NewWriter()
		commandWriteInfo(w, tc.cmd)
		got, err := resptest.ReadReply(bufio.NewReader(bytes.NewReader(w.Buf)))
		if err != nil || got != tc.want {
			t.Errorf("%s: got %s (%v), want %s", tc.cmd.Name, got, err, tc.want)
		}
	}
}

// commandStrings splits a rendered array of bulk strings.
func commandStrings(t *testing.T, reply string) []string {
	t.Helper()
	if !strings.HasPrefix(reply, "[") || !strings.HasSuffix(reply, "]") {
		t.Fatalf("not an array: %s", reply)
	}
	var out []string
	for _, f := range strings.Fields(reply[1 : len(reply)-1]) {
		s, err := strconv.Unquote(f)
		if err != nil {
			t.Fatalf("not a bulk string %q in %s", f, reply)
		}
		out = append(out, s)
	}
	return out
}
