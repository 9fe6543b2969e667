package commands

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"synap/engine"
	"synap/resp"
	"synap/resp/resptest"
	"synap/tenant"
)

func init() {
	for k, v := range listsIsolation {
		isolationExamples[k] = v
	}
	isolationSeeders = append(isolationSeeders, listsSeed)
	for k, v := range map[string]tenant.Need{
		"lpush": tenant.NeedWrite, "rpush": tenant.NeedWrite, "lpop": tenant.NeedWrite, "rpop": tenant.NeedWrite,
		"lmove": tenant.NeedWrite, "lrem": tenant.NeedWrite, "lmpop": tenant.NeedWrite,
		"blpop": tenant.NeedWrite, "blmove": tenant.NeedWrite, "blmpop": tenant.NeedWrite,
		"llen": tenant.NeedRead, "lrange": tenant.NeedRead, "lindex": tenant.NeedRead, "lpos": tenant.NeedRead,
	} {
		permissionModel[k] = v
	}
	isolationOwnView["lrange l1 0 -1"] = func(r string) bool { return r == `["alice-lv1" "alice-lv2" "alice-lv3"]` }
	isolationOwnView["lpop l2 5"] = func(r string) bool { return r == `["alice-lv4"]` }
}

// listsSeed gives user two lists whose elements name the user.
func listsSeed(tx *engine.Tx, user string) {
	for key, elems := range map[string][]string{
		"l1": {user + "-lv1", user + "-lv2", user + "-lv3"},
		"l2": {user + "-lv4"},
	} {
		l := engine.NewList()
		for _, e := range elems {
			l.PushBack([]byte(e))
		}
		tx.Put([]byte(key), engine.NewObject(engine.KindList, l))
	}
}

// listsIsolation: every list command names its keys, which resolve in the
// caller's namespace, so it reads, changes and waits on only the caller's
// lists. The blocking forms wait briefly on a key only the caller could fill.
var listsIsolation = map[string][][]string{
	"lpush":      {{"lpush", "l1", "alice-new"}, {"lpush", "l9", "alice-9"}, {"lpush", "user:bob:k1", "x"}},
	"rpush":      {{"rpush", "l1", "alice-new"}, {"rpush", "l9", "alice-9"}},
	"lpushx":     {{"lpushx", "l1", "alice-x"}, {"lpushx", "l9", "alice-x"}},
	"rpushx":     {{"rpushx", "l1", "alice-x"}, {"rpushx", "l9", "alice-x"}},
	"lpop":       {{"lpop", "l1"}, {"lpop", "l2", "5"}, {"lpop", "l9"}},
	"rpop":       {{"rpop", "l1"}, {"rpop", "l1", "2"}},
	"llen":       {{"llen", "l1"}, {"llen", "l9"}},
	"lrange":     {{"lrange", "l1", "0", "-1"}, {"lrange", "l9", "0", "-1"}},
	"lindex":     {{"lindex", "l1", "0"}, {"lindex", "l1", "-1"}},
	"lset":       {{"lset", "l1", "0", "alice-set"}, {"lset", "l9", "0", "x"}},
	"linsert":    {{"linsert", "l1", "BEFORE", "alice-lv2", "alice-ins"}},
	"lrem":       {{"lrem", "l1", "0", "alice-lv1"}},
	"ltrim":      {{"ltrim", "l1", "0", "0"}, {"ltrim", "l2", "1", "0"}},
	"lpos":       {{"lpos", "l1", "alice-lv2"}, {"lpos", "l1", "alice-lv2", "COUNT", "0"}},
	"lmove":      {{"lmove", "l1", "l2", "LEFT", "RIGHT"}, {"lmove", "l1", "l9", "RIGHT", "LEFT"}},
	"rpoplpush":  {{"rpoplpush", "l1", "l2"}, {"rpoplpush", "l2", "l2"}},
	"lmpop":      {{"lmpop", "2", "l9", "l1", "LEFT", "COUNT", "2"}, {"lmpop", "1", "l9", "RIGHT"}},
	"blpop":      {{"blpop", "l9", "l1", "0.01"}, {"blpop", "l9", "0.01"}},
	"brpop":      {{"brpop", "l9", "l2", "0.01"}, {"brpop", "l9", "0.01"}},
	"blmove":     {{"blmove", "l1", "l2", "LEFT", "LEFT", "0.01"}, {"blmove", "l9", "l2", "LEFT", "LEFT", "0.01"}},
	"brpoplpush": {{"brpoplpush", "l1", "l9", "0.01"}, {"brpoplpush", "l9", "l1", "0.01"}},
	"blmpop":     {{"blmpop", "0.01", "2", "l9", "l1", "RIGHT"}, {"blmpop", "0.01", "1", "l9", "LEFT", "COUNT", "3"}},
}

const listsWrongType = "-" + resp.ErrWrongType

func TestListsPushPop(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "LPUSH l a b c", want: ":3"},
		{cmd: "RPUSH l d e", want: ":5"},
		{cmd: "LRANGE l 0 -1", want: `["c" "b" "a" "d" "e"]`},
		{cmd: "LPUSHX nol a", want: ":0"},
		{cmd: "RPUSHX nol a b", want: ":0"},
		{cmd: "EXISTS nol", want: ":0"},
		{cmd: "LPUSHX l x", want: ":6"},
		{cmd: "RPUSHX l y z", want: ":8"},
		{cmd: "LPOP l", want: `"x"`},
		{cmd: "RPOP l", want: `"z"`},
		{cmd: "LPOP l 2", want: `["c" "b"]`},
		{cmd: "RPOP l 2", want: `["y" "e"]`},
		{cmd: "LPOP l 0", want: "[]"},
		{cmd: "LPOP l 10", want: `["a" "d"]`},
		{cmd: "EXISTS l", want: ":0"}, // the last pop removed the key
		{cmd: "LPOP l", want: "nil"},
		{cmd: "LPOP l 0", want: "nil-array"},
		{cmd: "RPOP l 3", want: "nil-array"},
		{cmd: "RPUSH l a", want: ":1"},
		{cmd: "RPOP l 9223372036854775807", want: `["a"]`},
		{cmd: "LPOP l -1", want: "-ERR value is out of range, must be positive"},
		{cmd: "LPOP l abc", want: "-ERR value is out of range, must be positive"},
		{cmd: "LPOP l 99999999999999999999", want: "-ERR value is out of range, must be positive"},
		{cmd: "LPOP l 1 2", want: "-ERR wrong number of arguments for 'lpop' command"},
		{cmd: "RPOP l 1 2", want: "-ERR wrong number of arguments for 'rpop' command"},
		{cmd: "LPUSH l", want: "-ERR wrong number of arguments for 'lpush' command"},
		{cmd: "RPUSHX l", want: "-ERR wrong number of arguments for 'rpushx' command"},
		{args: []string{"RPUSH", "bin", "", "a\x00b\r\n"}, want: ":2"},
		{cmd: "LRANGE bin 0 -1", want: `["" "a\x00b\r\n"]`},
		{cmd: "TYPE bin", want: "+list"},
		{cmd: "OBJECT ENCODING bin", want: `"quicklist"`},
	})
}

// RESP3 changes only the null shapes: both nulls are "_".
func TestListsRESP3Nulls(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.Do("HELLO", "3")
	for _, s := range []step{
		{cmd: "LPOP nol", want: "_"},
		{cmd: "LPOP nol 2", want: "_"},
		{cmd: "LPOP nol 0", want: "_"},
		{cmd: "LINDEX nol 0", want: "_"},
		{cmd: "LPOS nol a", want: "_"},
		{cmd: "LMOVE nol d LEFT LEFT", want: "_"},
		{cmd: "LMPOP 1 nol LEFT", want: "_"},
		{cmd: "BLPOP nol 0.01", want: "_"},
		{cmd: "BLMOVE nol d LEFT LEFT 0.01", want: "_"},
		{cmd: "RPUSH l a", want: ":1"},
		{cmd: "LPOP l 0", want: "*0"},
		{cmd: "LPOS l z COUNT 0", want: "*0"},
	} {
		if got := listsRaw(t, c, strings.Split(s.cmd, " ")...); got != s.want {
			t.Errorf("RESP3 %s: got %q, want %q", s.cmd, got, s.want)
		}
	}
	// RESP2 tells the two nulls apart.
	c.Do("HELLO", "2")
	for _, s := range []step{
		{cmd: "LPOP nol", want: "$-1"},
		{cmd: "LPOP nol 2", want: "*-1"},
		{cmd: "LINDEX nol 0", want: "$-1"},
		{cmd: "LMOVE nol d LEFT LEFT", want: "$-1"},
		{cmd: "RPOPLPUSH nol d", want: "$-1"},
		{cmd: "LMPOP 1 nol LEFT", want: "*-1"},
		{cmd: "BLPOP nol 0.01", want: "*-1"},
		{cmd: "BLMPOP 0.01 1 nol LEFT", want: "*-1"},
		// A blocking move that times out answers a null array, not a null bulk.
		{cmd: "BLMOVE nol d LEFT LEFT 0.01", want: "*-1"},
		{cmd: "BRPOPLPUSH nol d 0.01", want: "*-1"},
	} {
		if got := listsRaw(t, c, strings.Split(s.cmd, " ")...); got != s.want {
			t.Errorf("RESP2 %s: got %q, want %q", s.cmd, got, s.want)
		}
	}
}

// listsRaw sends a command and returns the first line of its reply as sent,
// for replies whose exact type the rendered notation does not show (nulls).
func listsRaw(t *testing.T, c *resptest.Client, args ...string) string {
	t.Helper()
	if err := c.Send(string(resptest.Encode(args...))); err != nil {
		t.Fatal(err)
	}
	_ = c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := c.R.ReadString('\n')
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return strings.TrimSuffix(line, "\r\n")
}

func TestListsRangeIndexSet(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "LRANGE nol 0 -1", want: "[]"},
		{cmd: "LRANGE nol a b", want: "-ERR value is not an integer or out of range"},
		{cmd: "RPUSH l a b c d e", want: ":5"},
		{cmd: "LLEN l", want: ":5"},
		{cmd: "LLEN nol", want: ":0"},
		{cmd: "LRANGE l 0 -1", want: `["a" "b" "c" "d" "e"]`},
		{cmd: "LRANGE l 1 2", want: `["b" "c"]`},
		{cmd: "LRANGE l -2 -1", want: `["d" "e"]`},
		{cmd: "LRANGE l -100 100", want: `["a" "b" "c" "d" "e"]`},
		{cmd: "LRANGE l 3 1", want: "[]"},
		{cmd: "LRANGE l 5 10", want: "[]"},
		{cmd: "LRANGE l -1 -2", want: "[]"},
		{cmd: "LRANGE l -9223372036854775808 9223372036854775807", want: `["a" "b" "c" "d" "e"]`},
		{cmd: "LRANGE l 0 a", want: "-ERR value is not an integer or out of range"},
		{cmd: "LRANGE l 0 99999999999999999999", want: "-ERR value is not an integer or out of range"},

		{cmd: "LINDEX l 0", want: `"a"`},
		{cmd: "LINDEX l -1", want: `"e"`},
		{cmd: "LINDEX l -5", want: `"a"`},
		{cmd: "LINDEX l -6", want: "nil"},
		{cmd: "LINDEX l 5", want: "nil"},
		{cmd: "LINDEX l abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "LINDEX nol abc", want: "nil"}, // the key is looked up first

		{cmd: "LSET l 0 A", want: "+OK"},
		{cmd: "LSET l -1 E", want: "+OK"},
		{cmd: "LSET l 5 x", want: "-ERR index out of range"},
		{cmd: "LSET l -6 x", want: "-ERR index out of range"},
		{cmd: "LSET l abc x", want: "-ERR value is not an integer or out of range"},
		{cmd: "LSET nol 0 x", want: "-ERR no such key"},
		{cmd: "LSET nol abc x", want: "-ERR no such key"},
		{cmd: "LRANGE l 0 -1", want: `["A" "b" "c" "d" "E"]`},
	})
}

func TestListsInsertRemTrim(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "LINSERT nol BEFORE a b", want: ":0"},
		{cmd: "LINSERT nol middle a b", want: "-ERR syntax error"},
		{cmd: "RPUSH l a b c", want: ":3"},
		{cmd: "LINSERT l middle a b", want: "-ERR syntax error"},
		{cmd: "LINSERT l BEFORE z y", want: ":-1"},
		{cmd: "LINSERT l before a 0", want: ":4"},
		{cmd: "LINSERT l AFTER c d", want: ":5"},
		{cmd: "LINSERT l aFtEr b b2", want: ":6"},
		{cmd: "LRANGE l 0 -1", want: `["0" "a" "b" "b2" "c" "d"]`},

		{cmd: "LREM nol 0 a", want: ":0"},
		{cmd: "LREM nol x a", want: "-ERR value is not an integer or out of range"},
		{cmd: "RPUSH r a b a c a d a", want: ":7"},
		{cmd: "LREM r 2 a", want: ":2"},
		{cmd: "LRANGE r 0 -1", want: `["b" "c" "a" "d" "a"]`},
		{cmd: "LREM r -1 a", want: ":1"},
		{cmd: "LRANGE r 0 -1", want: `["b" "c" "a" "d"]`},
		{cmd: "LREM r 0 zz", want: ":0"},
		{cmd: "RPUSH r a a", want: ":6"},
		{cmd: "LREM r -9223372036854775808 a", want: ":3"}, // Redis's negation leaves it "all"
		{cmd: "LRANGE r 0 -1", want: `["b" "c" "d"]`},
		{cmd: "LREM r 0 b", want: ":1"},
		{cmd: "LREM r 0 c", want: ":1"},
		{cmd: "LREM r 9223372036854775807 d", want: ":1"},
		{cmd: "EXISTS r", want: ":0"},

		{cmd: "LTRIM nol 0 1", want: "+OK"},
		{cmd: "LTRIM nol a 1", want: "-ERR value is not an integer or out of range"},
		{cmd: "RPUSH t a b c d e", want: ":5"},
		{cmd: "LTRIM t 1 -2", want: "+OK"},
		{cmd: "LRANGE t 0 -1", want: `["b" "c" "d"]`},
		{cmd: "LTRIM t -100 100", want: "+OK"},
		{cmd: "LRANGE t 0 -1", want: `["b" "c" "d"]`},
		{cmd: "LTRIM t -1 -1", want: "+OK"},
		{cmd: "LRANGE t 0 -1", want: `["d"]`},
		{cmd: "LTRIM t 2 1", want: "+OK"},
		{cmd: "EXISTS t", want: ":0"},
		{cmd: "RPUSH t a b c", want: ":3"},
		{cmd: "LTRIM t 5 10", want: "+OK"},
		{cmd: "EXISTS t", want: ":0"},
		{cmd: "RPUSH t a b c", want: ":3"},
		{cmd: "LTRIM t 0 -9223372036854775808", want: "+OK"},
		{cmd: "EXISTS t", want: ":0"},
	})
}

func TestListsLPos(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	const rankZero = "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	runSteps(t, c, []step{
		{cmd: "RPUSH l a b c 1 2 3 c c", want: ":8"},
		{cmd: "LPOS l c", want: ":2"},
		{cmd: "LPOS l z", want: "nil"},
		{cmd: "LPOS l c RANK 2", want: ":6"},
		{cmd: "LPOS l c RANK -1", want: ":7"},
		{cmd: "LPOS l c RANK -3", want: ":2"},
		{cmd: "LPOS l c RANK -2 COUNT 0", want: "[:6 :2]"},
		{cmd: "LPOS l c COUNT 0", want: "[:2 :6 :7]"},
		{cmd: "LPOS l c COUNT 2", want: "[:2 :6]"},
		{cmd: "LPOS l c COUNT 2 RANK 2", want: "[:6 :7]"},
		{cmd: "LPOS l c COUNT 0 MAXLEN 7", want: "[:2 :6]"},
		{cmd: "LPOS l c MAXLEN 2 RANK -1 COUNT 0", want: "[:7 :6]"},
		{cmd: "LPOS l c MAXLEN 2", want: "nil"},
		{cmd: "LPOS l z COUNT 0", want: "[]"},
		{cmd: "LPOS l c count 1 count 2", want: "[:2 :6]"},
		{cmd: "LPOS l c COUNT 9223372036854775807", want: "[:2 :6 :7]"},
		{cmd: "LPOS l c RANK 9223372036854775807", want: "nil"},
		{cmd: "LPOS l c RANK -9223372036854775807 COUNT 0", want: "[]"},
		// Redis negates the rank in a C long: this one stays negative, so
		// every match counts and COUNT never stops the walk.
		{cmd: "LPOS l c RANK -9223372036854775808", want: ":7"},
		{cmd: "LPOS l c RANK -9223372036854775808 COUNT 1", want: "[:7 :6 :2]"},
		{cmd: "LPOS l c RANK -9223372036854775808 COUNT 1 MAXLEN 2", want: "[:7 :6]"},

		{cmd: "LPOS l c RANK 0", want: rankZero},
		{cmd: "LPOS l c RANK 2 RANK 0", want: rankZero},
		{cmd: "LPOS l c RANK 0 COUNT -1", want: rankZero}, // options fail in order
		{cmd: "LPOS l c COUNT -1 RANK 0", want: "-ERR COUNT can't be negative"},
		{cmd: "LPOS l c COUNT x", want: "-ERR COUNT can't be negative"},
		{cmd: "LPOS l c COUNT 99999999999999999999", want: "-ERR COUNT can't be negative"},
		{cmd: "LPOS l c MAXLEN -1", want: "-ERR MAXLEN can't be negative"},
		{cmd: "LPOS l c MAXLEN x", want: "-ERR MAXLEN can't be negative"},
		{cmd: "LPOS l c RANK x", want: "-ERR value is not an integer or out of range"},
		{cmd: "LPOS l c RANK", want: "-ERR syntax error"},
		{cmd: "LPOS l c foo 1", want: "-ERR syntax error"},
		{cmd: "LPOS l c foo RANK 0", want: "-ERR syntax error"},
		{cmd: "LPOS nol c", want: "nil"},
		{cmd: "LPOS nol c COUNT 1", want: "[]"},
		{cmd: "LPOS nol c RANK 0", want: rankZero},
	})
}

func TestListsMove(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET s x", want: "+OK"},
		{cmd: "LMOVE nol d up left", want: "-ERR syntax error"},
		{cmd: "LMOVE nol d left up", want: "-ERR syntax error"},
		{cmd: "LMOVE nol s left left", want: "nil"}, // a missing source answers before the destination is looked at
		{cmd: "LMOVE s d left left", want: listsWrongType},
		{cmd: "RPUSH l a b c", want: ":3"},
		{cmd: "LMOVE l s left left", want: listsWrongType},
		{cmd: "LRANGE l 0 -1", want: `["a" "b" "c"]`},
		{cmd: "LMOVE l d LEFT RIGHT", want: `"a"`},
		{cmd: "LMOVE l d right left", want: `"c"`},
		{cmd: "LRANGE d 0 -1", want: `["c" "a"]`},
		{cmd: "LMOVE l l left right", want: `"b"`},
		{cmd: "LRANGE l 0 -1", want: `["b"]`},
		{cmd: "RPOPLPUSH l l", want: `"b"`},
		{cmd: "LRANGE l 0 -1", want: `["b"]`},
		{cmd: "RPOPLPUSH l s", want: listsWrongType},
		{cmd: "RPOPLPUSH s l", want: listsWrongType},
		{cmd: "RPOPLPUSH l other", want: `"b"`},
		{cmd: "EXISTS l", want: ":0"},
		{cmd: "LRANGE other 0 -1", want: `["b"]`},
		{cmd: "RPUSH q 1 2 3", want: ":3"},
		{cmd: "LMOVE q q right left", want: `"3"`},
		{cmd: "LRANGE q 0 -1", want: `["3" "1" "2"]`},
		{cmd: "RPOPLPUSH nol d", want: "nil"},
	})
}

func TestListsMPop(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET s x", want: "+OK"},
		{cmd: "LMPOP 0 l left", want: "-ERR numkeys should be greater than 0"},
		{cmd: "LMPOP -1 l left", want: "-ERR numkeys should be greater than 0"},
		{cmd: "LMPOP x l left", want: "-ERR numkeys should be greater than 0"},
		{cmd: "LMPOP 99999999999999999999 l left", want: "-ERR numkeys should be greater than 0"},
		{cmd: "LMPOP 9223372036854775807 l left", want: "-ERR syntax error"},
		{cmd: "LMPOP 2 l left", want: "-ERR syntax error"},
		{cmd: "LMPOP 2 a b", want: "-ERR syntax error"},
		{cmd: "LMPOP 1 l up", want: "-ERR syntax error"},
		{cmd: "LMPOP 1 l left count", want: "-ERR syntax error"},
		{cmd: "LMPOP 1 l left count 0", want: "-ERR count should be greater than 0"},
		{cmd: "LMPOP 1 l left count -1", want: "-ERR count should be greater than 0"},
		{cmd: "LMPOP 1 l left count x", want: "-ERR count should be greater than 0"},
		{cmd: "LMPOP 1 l left count 1 count 2", want: "-ERR syntax error"},
		{cmd: "LMPOP 1 l left count 0 count 1", want: "-ERR count should be greater than 0"},
		{cmd: "LMPOP 1 l left foo", want: "-ERR syntax error"},
		{cmd: "LMPOP 1 l", want: "-ERR wrong number of arguments for 'lmpop' command"},
		{cmd: "LMPOP 1 nol left", want: "nil-array"},
		{cmd: "LMPOP 1 s left", want: listsWrongType},
		{cmd: "LMPOP 2 nol s left", want: listsWrongType},
		{cmd: "RPUSH l a b c", want: ":3"},
		{cmd: "LMPOP 2 s l left", want: listsWrongType}, // keys are taken in order
		{cmd: "LMPOP 2 l s left", want: `["l" ["a"]]`},
		{cmd: "LMPOP 2 nol l right COUNT 5", want: `["l" ["c" "b"]]`},
		{cmd: "EXISTS l", want: ":0"},
		{cmd: "RPUSH l a b c", want: ":3"},
		{cmd: "LMPOP 1 l LEFT COUNT 9223372036854775807", want: `["l" ["a" "b" "c"]]`},
		{cmd: "COMMAND GETKEYS LMPOP 2 a b LEFT", want: `["a" "b"]`},
		{cmd: "COMMAND GETKEYS BLMPOP 0 2 a b", want: `["a" "b"]`},
		{cmd: "COMMAND GETKEYS BLMPOP 0 3 a b", want: "-ERR Invalid arguments specified for command"},
	})
}

// Every command answers WRONGTYPE on another kind of value, after the
// argument errors Redis checks first.
func TestListsWrongType(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.Do("SET", "s", "x")
	runSteps(t, c, []step{
		{cmd: "LPUSH s a", want: listsWrongType},
		{cmd: "RPUSH s a", want: listsWrongType},
		{cmd: "LPUSHX s a", want: listsWrongType},
		{cmd: "RPUSHX s a", want: listsWrongType},
		{cmd: "LPOP s", want: listsWrongType},
		{cmd: "LPOP s 0", want: listsWrongType},
		{cmd: "LPOP s -1", want: "-ERR value is out of range, must be positive"},
		{cmd: "RPOP s 2", want: listsWrongType},
		{cmd: "LLEN s", want: listsWrongType},
		{cmd: "LRANGE s 0 -1", want: listsWrongType},
		{cmd: "LRANGE s a b", want: "-ERR value is not an integer or out of range"},
		{cmd: "LINDEX s 0", want: listsWrongType},
		{cmd: "LINDEX s abc", want: listsWrongType},
		{cmd: "LSET s 0 x", want: listsWrongType},
		{cmd: "LSET s abc x", want: listsWrongType},
		{cmd: "LINSERT s BEFORE a b", want: listsWrongType},
		{cmd: "LINSERT s middle a b", want: "-ERR syntax error"},
		{cmd: "LREM s 0 a", want: listsWrongType},
		{cmd: "LREM s x a", want: "-ERR value is not an integer or out of range"},
		{cmd: "LTRIM s 0 1", want: listsWrongType},
		{cmd: "LTRIM s a 1", want: "-ERR value is not an integer or out of range"},
		{cmd: "LPOS s a", want: listsWrongType},
		{cmd: "LPOS s a RANK 0", want: "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"},
		{cmd: "LMOVE s d LEFT LEFT", want: listsWrongType},
		{cmd: "RPOPLPUSH s d", want: listsWrongType},
		{cmd: "LMPOP 1 s LEFT", want: listsWrongType},
		{cmd: "BLPOP s 0", want: listsWrongType},
		{cmd: "BLPOP nol s 0", want: listsWrongType},
		{cmd: "BLPOP s abc", want: "-ERR timeout is not a float or out of range"},
		{cmd: "BRPOP s -1", want: "-ERR timeout is negative"},
		{cmd: "BLMOVE s d LEFT LEFT 0", want: listsWrongType},
		{cmd: "BLMOVE s d up LEFT abc", want: "-ERR syntax error"},
		{cmd: "BLMOVE s d LEFT LEFT abc", want: "-ERR timeout is not a float or out of range"},
		{cmd: "BRPOPLPUSH s d 0", want: listsWrongType},
		{cmd: "BRPOPLPUSH s d x", want: "-ERR timeout is not a float or out of range"},
		{cmd: "BLMPOP 0 1 s LEFT", want: listsWrongType},
		{cmd: "BLMPOP abc 0 s LEFT", want: "-ERR numkeys should be greater than 0"},
		{cmd: "BLMPOP abc 1 s up", want: "-ERR syntax error"},
		{cmd: "BLMPOP -1 1 s LEFT", want: "-ERR timeout is negative"},
		{cmd: "RPUSH l a", want: ":1"},
		{cmd: "BLPOP l s 0", want: `["l" "a"]`}, // keys are taken in order
		{cmd: "RPUSH l a", want: ":1"},
		{cmd: "BLMOVE l s LEFT LEFT 0", want: listsWrongType},
		{cmd: "GET s", want: `"x"`},
	})
}

// Writes grow and shrink the namespace's bytes by exactly the elements'
// lengths, and the list's own counter matches a recount after each step.
func TestListsAccounting(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	steps := [][]string{
		{"RPUSH", "l", "aaa", "bb", "c"}, {"LPUSH", "l", "dddd"}, {"LSET", "l", "0", "x"},
		{"LSET", "l", "-1", "yyyyyy"}, {"LINSERT", "l", "AFTER", "bb", "zzzzz"}, {"LREM", "l", "0", "bb"},
		{"LTRIM", "l", "1", "-1"}, {"LMOVE", "l", "m", "LEFT", "RIGHT"}, {"RPOPLPUSH", "m", "l"},
		{"LPOP", "l", "2"}, {"RPUSH", "m", "qq"}, {"LMPOP", "2", "l", "m", "RIGHT", "COUNT", "5"},
		{"RPUSH", "m", "a", "bcd"}, {"BLPOP", "m", "l", "0"}, {"BLMOVE", "m", "l", "LEFT", "LEFT", "0"},
		{"RPOP", "l", "9"}, {"RPOP", "m", "9"},
	}
	for _, args := range steps {
		reply := c.Do(args...)
		if strings.HasPrefix(reply, "-") || strings.HasPrefix(reply, "ERROR") {
			t.Fatalf("%q: %s", args, reply)
		}
		keys, bytes, gotKeys, gotBytes := recount(srv, srv.DBs[0])
		if keys != gotKeys || bytes != gotBytes {
			t.Fatalf("after %q: tracked %d keys %d bytes, recount %d keys %d bytes", args, gotKeys, gotBytes, keys, bytes)
		}
		for _, k := range []string{"l", "m"} {
			stringsTx(srv, k, false, func(tx *engine.Tx, key []byte) {
				if en := tx.Peek(key); en != nil {
					l := en.Obj().(*engine.List)
					if l.Size() != l.ComputeSize() || l.Len() == 0 {
						t.Fatalf("after %q: %s has Size %d, ComputeSize %d, Len %d", args, k, l.Size(), l.ComputeSize(), l.Len())
					}
				}
			})
		}
	}
	if got := srv.DBs[0].Bytes(); got != 0 {
		t.Errorf("every list emptied, yet %d bytes accounted", got)
	}
}

// listsMillion stores a list of n elements of 10 bytes under key.
func listsMillion(srv *Server, key string, n int) {
	stringsTx(srv, key, true, func(tx *engine.Tx, k []byte) {
		l := engine.NewList()
		for i := range n {
			l.PushBack(strconv.AppendInt([]byte("e-"), int64(10_000_000+i), 10))
		}
		tx.Put(k, engine.NewObject(engine.KindList, l))
	})
}

// LRANGE 0 -1 over a million elements: the time the reply takes to build
// (the time the key's shard stays locked) is logged, and the reply is
// complete. Other keys' shards stay free meanwhile.
func TestListsLRangeMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a million-element list")
	}
	srv := startServer(t)
	const n = 1_000_000
	listsMillion(srv, "big", n)
	var l *engine.List
	stringsTx(srv, "big", false, func(tx *engine.Tx, k []byte) { l = tx.Peek(k).Obj().(*engine.List) })

	w := resp.NewWriter()
	start := time.Now()
	listWriteElems(w, l, 0, n-1)
	took := time.Since(start)
	if want := len("*1000000\r\n") + n*len("$10\r\ne-10000000\r\n"); len(w.Buf) != want {
		t.Fatalf("reply of %d bytes, want %d", len(w.Buf), want)
	}
	t.Logf("LRANGE 0 -1 over %d elements: reply of %d bytes built in %v", n, len(w.Buf), took)

	c, other := dial(t, srv), dial(t, srv)
	if err := c.Send(string(resptest.Encode("LRANGE", "big", "0", "-1"))); err != nil {
		t.Fatal(err)
	}
	runSteps(t, other, []step{{cmd: "PING", want: "+PONG"}, {cmd: "RPUSH small x", want: ":1"}})
	_ = c.Conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	head, err := c.R.ReadString('\n')
	if err != nil || head != "*1000000\r\n" {
		t.Fatalf("LRANGE reply header %q, %v", head, err)
	}
	for i := range n {
		if _, err := c.R.ReadString('\n'); err != nil {
			t.Fatalf("element %d: %v", i, err)
		}
		v, err := c.R.ReadString('\n')
		if err != nil || (i == n-1 && v != "e-10999999\r\n") {
			t.Fatalf("element %d: %q, %v", i, v, err)
		}
	}
	if got := c.Do("LLEN", "big"); got != ":1000000" {
		t.Errorf("LLEN after: %s", got)
	}
}

func BenchmarkListsLRangeMillion(b *testing.B) {
	srv := startServer(b)
	listsMillion(srv, "big", 1_000_000)
	var l *engine.List
	stringsTx(srv, "big", false, func(tx *engine.Tx, k []byte) { l = tx.Peek(k).Obj().(*engine.List) })
	w := resp.NewWriter()
	b.ResetTimer()
	for range b.N {
		w.Buf = nil // a connection's first big reply: the buffer is sized from nothing
		listWriteElems(w, l, 0, l.Len()-1)
	}
	b.SetBytes(int64(len(w.Buf)))
}

// ---- blocking ----

// Waiters on one key are served in arrival order, by a push from another
// connection, one element each; the rest of the push stays.
func TestListsBlockingOrder(t *testing.T) {
	srv := startServer(t)
	admin, a, b, d := dial(t, srv), dial(t, srv), dial(t, srv), dial(t, srv)
	blockingSend(t, a, "BLPOP", "k", "0")
	blockingAwait(t, admin, 1)
	blockingSend(t, b, "BRPOP", "other", "k", "0")
	blockingAwait(t, admin, 2)
	blockingSend(t, d, "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2")
	blockingAwait(t, admin, 3)
	runSteps(t, admin, []step{{cmd: "RPUSH k x y z w v", want: ":5"}})
	blockingReplyIs(t, a, "first waiter", `["k" "x"]`)
	blockingReplyIs(t, b, "second waiter (BRPOP)", `["k" "v"]`)
	blockingReplyIs(t, d, "third waiter (BLMPOP COUNT 2)", `["k" ["y" "z"]]`)
	runSteps(t, admin, []step{{cmd: "LRANGE k 0 -1", want: `["w"]`}})

	// One element serves one waiter; the next push serves the next.
	blockingSend(t, a, "BLPOP", "q", "0")
	blockingAwait(t, admin, 1)
	blockingSend(t, b, "BLPOP", "q", "0")
	blockingAwait(t, admin, 2)
	runSteps(t, admin, []step{{cmd: "LPUSH q 1", want: ":1"}})
	blockingReplyIs(t, a, "first", `["q" "1"]`)
	blockingAwait(t, admin, 1)
	runSteps(t, admin, []step{{cmd: "RPUSH q 2", want: ":1"}, {cmd: "EXISTS q", want: ":0"}})
	blockingReplyIs(t, b, "second", `["q" "2"]`)
	// The served connections go on normally.
	runSteps(t, a, []step{{cmd: "PING", want: "+PONG"}})
	runSteps(t, b, []step{{cmd: "PING", want: "+PONG"}})
}

// BLMOVE moves as soon as the source has an element, which can serve a
// waiter on the destination in turn.
func TestListsBlockingMove(t *testing.T) {
	srv := startServer(t)
	admin, a, b := dial(t, srv), dial(t, srv), dial(t, srv)
	blockingSend(t, a, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
	blockingAwait(t, admin, 1)
	blockingSend(t, b, "BLPOP", "dst", "0")
	blockingAwait(t, admin, 2)
	runSteps(t, admin, []step{{cmd: "RPUSH src x y", want: ":2"}})
	blockingReplyIs(t, a, "BLMOVE", `"y"`)
	blockingReplyIs(t, b, "BLPOP on the destination", `["dst" "y"]`)
	runSteps(t, admin, []step{{cmd: "LRANGE src 0 -1", want: `["x"]`}, {cmd: "EXISTS dst", want: ":0"}})

	// A destination of another kind ends the wait with WRONGTYPE and leaves
	// the element for the next waiter (Redis 7.0.15).
	runSteps(t, admin, []step{{cmd: "DEL src", want: ":1"}, {cmd: "SET dst str", want: "+OK"}})
	blockingSend(t, a, "BRPOPLPUSH", "src", "dst", "0")
	blockingAwait(t, admin, 1)
	blockingSend(t, b, "BLPOP", "src", "0")
	blockingAwait(t, admin, 2)
	runSteps(t, admin, []step{{cmd: "RPUSH src v", want: ":1"}})
	blockingReplyIs(t, a, "BRPOPLPUSH onto a string", listsWrongType)
	blockingReplyIs(t, b, "the next waiter", `["src" "v"]`)
	runSteps(t, admin, []step{{cmd: "GET dst", want: `"str"`}, {cmd: "EXISTS src", want: ":0"}})
}

// Fractional timeouts end the wait with a null array; 0 waits until served.
func TestListsBlockingTimeout(t *testing.T) {
	srv := startServer(t)
	admin, a := dial(t, srv), dial(t, srv)
	runSteps(t, a, []step{
		{cmd: "BLPOP k 0.1", want: "nil-array"},
		{cmd: "BRPOP k k2 0.05", want: "nil-array"},
		{cmd: "BLMOVE k d LEFT LEFT .1", want: "nil-array"},
		{cmd: "BRPOPLPUSH k d 0.01", want: "nil-array"},
		{cmd: "BLMPOP 0.1 2 k k2 RIGHT COUNT 3", want: "nil-array"},
		{cmd: "EXISTS k k2 d", want: ":0"},
	})
	blockingSend(t, a, "BLPOP", "k", "0")
	blockingAwait(t, admin, 1)
	// Long past any timeout a bug could have put on 0, the client still waits.
	time.Sleep(1200 * time.Millisecond)
	blockingAwait(t, admin, 1)
	runSteps(t, admin, []step{{cmd: "RPUSH k late", want: ":1"}})
	blockingReplyIs(t, a, "BLPOP k 0", `["k" "late"]`)
}

// A waiter killed or gone is released and never served: the element goes
// to the next waiter or stays in the list.
func TestListsBlockingKillAndDisconnect(t *testing.T) {
	srv := startServer(t)
	admin, a, b := dial(t, srv), dial(t, srv), dial(t, srv)
	id := strings.TrimPrefix(a.Do("CLIENT", "ID"), ":")
	blockingSend(t, a, "BLPOP", "k", "0")
	blockingAwait(t, admin, 1)
	blockingSend(t, b, "BLPOP", "k", "0")
	blockingAwait(t, admin, 2)
	runSteps(t, admin, []step{{cmd: "CLIENT KILL ID " + id, want: ":1"}})
	if got := a.Read(); !strings.HasPrefix(got, "ERROR") {
		t.Errorf("killed client read %s, want the connection closed", got)
	}
	blockingAwait(t, admin, 1)
	runSteps(t, admin, []step{{cmd: "RPUSH k x y", want: ":2"}})
	blockingReplyIs(t, b, "the remaining waiter", `["k" "x"]`)
	runSteps(t, admin, []step{{cmd: "LRANGE k 0 -1", want: `["y"]`}, {cmd: "DEL k", want: ":1"}})

	gone := dial(t, srv)
	blockingSend(t, gone, "BRPOP", "k", "0")
	blockingAwait(t, admin, 1)
	_ = gone.Close()
	blockingAwait(t, admin, 0)
	runSteps(t, admin, []step{{cmd: "RPUSH k z", want: ":1"}, {cmd: "LRANGE k 0 -1", want: `["z"]`}})
}

// What Redis 7.0.15 does when a waited-on key is deleted, replaced by
// another kind, renamed onto or copied onto: a waiter is served only from
// a list that has elements once the change is over, and waits otherwise.
// Every element pushed is distinct, so a waiter served too early shows in
// the reply it finally gets.
func TestListsBlockingKeyChanges(t *testing.T) {
	srv := startServer(t)
	admin, a := dial(t, srv), dial(t, srv)
	block := func() {
		t.Helper()
		blockingSend(t, a, "BLPOP", "k", "0")
		blockingAwait(t, admin, 1)
	}

	block()
	runSteps(t, admin, []step{{cmd: "SET k str", want: "+OK"}})
	blockingAwait(t, admin, 1)
	runSteps(t, admin, []step{{cmd: "DEL k", want: ":1"}, {cmd: "RPUSH k v1", want: ":1"}})
	blockingReplyIs(t, a, "after the string went and a list came", `["k" "v1"]`)

	block()
	runSteps(t, admin, []step{
		{cmd: "MULTI", want: "+OK"}, {cmd: "RPUSH k v2", want: "+QUEUED"}, {cmd: "DEL k", want: "+QUEUED"},
		{cmd: "EXEC", want: "[:1 :1]"},
	})
	runSteps(t, admin, []step{
		{cmd: "MULTI", want: "+OK"}, {cmd: "RPUSH k v3", want: "+QUEUED"}, {cmd: "SET k str", want: "+QUEUED"},
		{cmd: "EXEC", want: "[:1 +OK]"},
	})
	runSteps(t, admin, []step{
		{cmd: "MULTI", want: "+OK"}, {cmd: "DEL k", want: "+QUEUED"}, {cmd: "RPUSH k v4", want: "+QUEUED"},
		{cmd: "PEXPIRE k 0", want: "+QUEUED"}, {cmd: "EXEC", want: "[:1 :1 :1]"},
	})
	blockingAwait(t, admin, 1)
	runSteps(t, admin, []step{{cmd: "RPUSH src v5", want: ":1"}, {cmd: "RENAME src k", want: "+OK"}})
	blockingReplyIs(t, a, "a list renamed onto the key", `["k" "v5"]`)
	runSteps(t, admin, []step{{cmd: "EXISTS k src", want: ":0"}})

	block()
	runSteps(t, admin, []step{
		{cmd: "MULTI", want: "+OK"}, {cmd: "RPUSH k v6 v7", want: "+QUEUED"}, {cmd: "LPOP k", want: "+QUEUED"},
		{cmd: "EXEC", want: `[:2 "v6"]`},
	})
	blockingReplyIs(t, a, "what the transaction left", `["k" "v7"]`)

	block()
	runSteps(t, admin, []step{{cmd: "SET src str", want: "+OK"}, {cmd: "RENAME src k", want: "+OK"}})
	blockingAwait(t, admin, 1)
	runSteps(t, admin, []step{{cmd: "RPUSH src2 v8", want: ":1"}, {cmd: "COPY src2 k REPLACE", want: ":1"}})
	blockingReplyIs(t, a, "a list copied onto the key", `["k" "v8"]`)
	runSteps(t, admin, []step{{cmd: "LRANGE src2 0 -1", want: `["v8"]`}})

	block()
	runSteps(t, admin, []step{
		{cmd: "SELECT 1", want: "+OK"}, {cmd: "RPUSH k v9", want: ":1"}, {cmd: "MOVE k 0", want: ":1"},
		{cmd: "SELECT 0", want: "+OK"},
	})
	blockingReplyIs(t, a, "a list moved in from another database", `["k" "v9"]`)

	// At the call BLPOP answers WRONGTYPE for the first key of another
	// kind; once waiting, a key of another kind is passed over.
	runSteps(t, admin, []step{{cmd: "SET s str", want: "+OK"}})
	runSteps(t, a, []step{{cmd: "BLPOP k s 0", want: listsWrongType}, {cmd: "DEL s", want: ":1"}})
	blockingSend(t, a, "BLPOP", "s", "k", "0")
	blockingAwait(t, admin, 1)
	runSteps(t, admin, []step{{cmd: "SET s str", want: "+OK"}})
	blockingAwait(t, admin, 1)
	runSteps(t, admin, []step{{cmd: "RPUSH k v10", want: ":1"}})
	blockingReplyIs(t, a, "the list among the keys", `["k" "v10"]`)
}

// Inside MULTI a blocking pop cannot wait: it answers at once, a null
// array, or a null bulk for the moves (as LMOVE on an empty source).
func TestListsBlockingInMulti(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "MULTI", want: "+OK"},
		{cmd: "BLPOP k 0", want: "+QUEUED"},
		{cmd: "BLMOVE k d LEFT LEFT 0", want: "+QUEUED"},
		{cmd: "BLMPOP 0 1 k LEFT", want: "+QUEUED"},
		{cmd: "BRPOPLPUSH k d 0", want: "+QUEUED"},
		{cmd: "RPUSH k a b", want: "+QUEUED"},
		{cmd: "BRPOP k 0", want: "+QUEUED"},
		{cmd: "BLMOVE k d LEFT LEFT 0", want: "+QUEUED"},
		{cmd: "EXEC", want: `[nil-array nil nil-array nil :2 ["k" "b"] "a"]`},
	})
	if got := listsRaw(t, c, "MULTI"); got != "+OK" {
		t.Fatal(got)
	}
	for _, cmd := range []string{"BLPOP k 0", "BLMOVE k d LEFT LEFT 0", "BLMPOP 0 1 k LEFT", "BRPOPLPUSH k d 0"} {
		listsRaw(t, c, strings.Split(cmd, " ")...)
	}
	if got := listsRaw(t, c, "EXEC"); got != "*4" {
		t.Fatalf("EXEC: %s", got)
	}
	var got []string
	for range 4 {
		line, _ := c.R.ReadString('\n')
		got = append(got, strings.TrimSuffix(line, "\r\n"))
	}
	if strings.Join(got, " ") != "*-1 $-1 *-1 $-1" {
		t.Errorf("RESP2 nulls in EXEC: %q, want *-1 $-1 *-1 $-1", got)
	}
}

// A tenant blocked on a key is not woken by another tenant's key of the
// same name.
func TestListsBlockingTenants(t *testing.T) {
	f := startCluster(t)
	alice, alice2, bob := f.as(t, "alice-rw"), f.as(t, "alice-admin"), f.as(t, "bob-rw")
	blockingSend(t, alice, "BLPOP", "q", "0")
	blockingAwait(t, alice2, 1)
	runSteps(t, bob, []step{{cmd: "RPUSH q bob-secret", want: ":1"}, {cmd: "LRANGE q 0 -1", want: `["bob-secret"]`}})
	blockingAwait(t, alice2, 1)
	runSteps(t, alice2, []step{{cmd: "RPUSH q alice-own", want: ":1"}})
	blockingReplyIs(t, alice, "alice after her own push", `["q" "alice-own"]`)
}
