package commands

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"synap/engine"
	"synap/resp/resptest"
	"synap/tenant"
)

func init() {
	for k, v := range hashesIsolation {
		isolationExamples[k] = v
	}
	isolationSeeders = append(isolationSeeders, hashesSeed)
	for k, v := range map[string]tenant.Need{
		"hset": tenant.NeedWrite, "hdel": tenant.NeedWrite, "hincrby": tenant.NeedWrite, "hsetnx": tenant.NeedWrite,
		"hget": tenant.NeedRead, "hgetall": tenant.NeedRead, "hscan": tenant.NeedRead, "hrandfield": tenant.NeedRead,
	} {
		permissionModel[k] = v
	}
	isolationOwnView["hget h1 f1"] = func(r string) bool { return r == `"alice-hv1"` }
	isolationOwnView["hgetall h1"] = func(r string) bool {
		return r == `["f1" "alice-hv1" "f2" "alice-hv2" "n" "10" "fl" "1.5"]`
	}
}

// hashesSeed gives user two hashes whose values name the user.
func hashesSeed(tx *engine.Tx, user string) {
	for key, kv := range map[string][]string{
		"h1": {"f1", user + "-hv1", "f2", user + "-hv2", "n", "10", "fl", "1.5"},
		"h2": {"f1", user + "-hv3"},
	} {
		h := engine.NewHash()
		for i := 0; i < len(kv); i += 2 {
			h.Set([]byte(kv[i]), []byte(kv[i+1]))
		}
		tx.Put([]byte(key), engine.NewObject(engine.KindHash, h))
	}
}

// hashesIsolation: every hash command names its one key, which resolves in
// the caller's namespace, so it reads and changes only the caller's hashes.
var hashesIsolation = map[string][][]string{
	"hset":         {{"hset", "h1", "f1", "alice-new"}, {"hset", "h9", "f", "alice-9"}, {"hset", "user:bob:k1", "f", "x"}},
	"hsetnx":       {{"hsetnx", "h1", "f1", "x"}, {"hsetnx", "h1", "f9", "alice-9"}},
	"hmset":        {{"hmset", "h1", "f1", "a1", "f9", "a9"}},
	"hget":         {{"hget", "h1", "f1"}, {"hget", "h9", "f1"}},
	"hmget":        {{"hmget", "h1", "f1", "f2", "f9"}},
	"hdel":         {{"hdel", "h1", "f1", "f9"}, {"hdel", "h2", "f1"}},
	"hexists":      {{"hexists", "h1", "f1"}, {"hexists", "h9", "f1"}},
	"hlen":         {{"hlen", "h1"}},
	"hstrlen":      {{"hstrlen", "h1", "f1"}},
	"hkeys":        {{"hkeys", "h1"}},
	"hvals":        {{"hvals", "h1"}},
	"hgetall":      {{"hgetall", "h1"}, {"hgetall", "h9"}},
	"hincrby":      {{"hincrby", "h1", "n", "5"}, {"hincrby", "h9", "n", "1"}},
	"hincrbyfloat": {{"hincrbyfloat", "h1", "fl", "0.25"}},
	"hrandfield":   {{"hrandfield", "h1"}, {"hrandfield", "h1", "-10", "WITHVALUES"}, {"hrandfield", "h1", "2"}},
	"hscan":        {{"hscan", "h1", "0", "COUNT", "100"}, {"hscan", "h1", "0", "MATCH", "f*"}},
}

const hashesWrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value"

func hashesArity(name string) string { return "-" + ArityErr(name) }

func TestHashesBasics(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "HSET h f1 v1 f2 v2", want: ":2"},
		{cmd: "HSET h f1 v1b f3 v3", want: ":1"},
		{cmd: "TYPE h", want: "+hash"},
		{cmd: "HGET h f1", want: `"v1b"`},
		{cmd: "HGET h nope", want: "nil"},
		{cmd: "HGET missing f", want: "nil"},
		{cmd: "HMGET h f1 nope f3", want: `["v1b" nil "v3"]`},
		{cmd: "HMGET missing a b", want: "[nil nil]"},
		{cmd: "HLEN h", want: ":3"},
		{cmd: "HLEN missing", want: ":0"},
		{cmd: "HEXISTS h f1", want: ":1"},
		{cmd: "HEXISTS h nope", want: ":0"},
		{cmd: "HEXISTS missing f", want: ":0"},
		{cmd: "HSTRLEN h f1", want: ":3"},
		{cmd: "HSTRLEN h nope", want: ":0"},
		{cmd: "HSTRLEN missing f", want: ":0"},
		{cmd: "HKEYS h", want: `["f1" "f2" "f3"]`},
		{cmd: "HVALS h", want: `["v1b" "v2" "v3"]`},
		{cmd: "HGETALL h", want: `["f1" "v1b" "f2" "v2" "f3" "v3"]`},
		{cmd: "HKEYS missing", want: "[]"},
		{cmd: "HVALS missing", want: "[]"},
		{cmd: "HGETALL missing", want: "[]"},
		{cmd: "HSETNX h f1 x", want: ":0"},
		{cmd: "HSETNX h f4 v4", want: ":1"},
		{cmd: "HSETNX fresh f v", want: ":1"},
		{cmd: "HGETALL fresh", want: `["f" "v"]`},
		{cmd: "HMSET h f5 v5 f1 v1c", want: "+OK"},
		{cmd: "HGET h f1", want: `"v1c"`},
		// A field named twice in one call counts once, the last value wins.
		{cmd: "HSET dup a 1 a 2", want: ":1"},
		{cmd: "HGET dup a", want: `"2"`},
		// Listpack order: arrival order, updates keep their place, removals close the gap.
		{cmd: "HDEL h f2 nope f2", want: ":1"},
		{cmd: "HSET h f2 again", want: ":1"},
		{cmd: "HKEYS h", want: `["f1" "f3" "f4" "f5" "f2"]`},
		{cmd: "HDEL missing f", want: ":0"},
		// The last field removed removes the key.
		{cmd: "HDEL dup a", want: ":1"},
		{cmd: "EXISTS dup", want: ":0"},
		{cmd: "HDEL fresh f nope", want: ":1"},
		{cmd: "EXISTS fresh", want: ":0"},
		{cmd: "HDEL h nope", want: ":0"},
		// Fields and values are binary-safe, empty ones included.
		{args: []string{"HSET", "bin", "", "", "a\x00b", "\r\n"}, want: ":2"},
		{args: []string{"HGET", "bin", ""}, want: `""`},
		{args: []string{"HGET", "bin", "a\x00b"}, want: `"\r\n"`},
		{cmd: "HGETALL bin", want: `["" "" "a\x00b" "\r\n"]`},
		{args: []string{"HSTRLEN", "bin", "a\x00b"}, want: ":2"},
	})
}

func TestHashesArityAndWrongType(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET s x", want: "+OK"},
		{cmd: "HSET h f", want: hashesArity("hset")},
		{cmd: "HSET h f v g", want: hashesArity("hset")},
		{cmd: "HSET s f v g", want: hashesArity("hset")}, // the count is checked before the type
		{cmd: "HMSET h f v g", want: hashesArity("hmset")},
		{cmd: "HMSET h f", want: hashesArity("hmset")},
		{cmd: "HSETNX h f", want: hashesArity("hsetnx")},
		{cmd: "HSETNX h f v x", want: hashesArity("hsetnx")},
		{cmd: "HGET h", want: hashesArity("hget")},
		{cmd: "HGET h f x", want: hashesArity("hget")},
		{cmd: "HMGET h", want: hashesArity("hmget")},
		{cmd: "HDEL h", want: hashesArity("hdel")},
		{cmd: "HEXISTS h", want: hashesArity("hexists")},
		{cmd: "HLEN", want: hashesArity("hlen")},
		{cmd: "HLEN h x", want: hashesArity("hlen")},
		{cmd: "HSTRLEN h", want: hashesArity("hstrlen")},
		{cmd: "HKEYS", want: hashesArity("hkeys")},
		{cmd: "HVALS h x", want: hashesArity("hvals")},
		{cmd: "HGETALL", want: hashesArity("hgetall")},
		{cmd: "HINCRBY h f", want: hashesArity("hincrby")},
		{cmd: "HINCRBYFLOAT h f 1 2", want: hashesArity("hincrbyfloat")},
		{cmd: "HRANDFIELD", want: hashesArity("hrandfield")},
		{cmd: "HSCAN h", want: hashesArity("hscan")},
		{cmd: "EXISTS h", want: ":0"},

		{cmd: "HSET s f v", want: hashesWrongType},
		{cmd: "HMSET s f v", want: hashesWrongType},
		{cmd: "HSETNX s f v", want: hashesWrongType},
		{cmd: "HGET s f", want: hashesWrongType},
		{cmd: "HMGET s f", want: hashesWrongType},
		{cmd: "HDEL s f", want: hashesWrongType},
		{cmd: "HEXISTS s f", want: hashesWrongType},
		{cmd: "HLEN s", want: hashesWrongType},
		{cmd: "HSTRLEN s f", want: hashesWrongType},
		{cmd: "HKEYS s", want: hashesWrongType},
		{cmd: "HVALS s", want: hashesWrongType},
		{cmd: "HGETALL s", want: hashesWrongType},
		{cmd: "HINCRBY s f 1", want: hashesWrongType},
		{cmd: "HINCRBYFLOAT s f 1", want: hashesWrongType},
		{cmd: "HRANDFIELD s", want: hashesWrongType},
		{cmd: "HRANDFIELD s 0", want: hashesWrongType},
		{cmd: "HRANDFIELD s -3 WITHVALUES", want: hashesWrongType},
		{cmd: "HSCAN s 0", want: hashesWrongType},
		{cmd: "HSCAN s 0 COUNT 0", want: hashesWrongType},
		{cmd: "GET s", want: `"x"`},
		// Other commands on a hash.
		{cmd: "HSET h f v", want: ":1"},
		{cmd: "GET h", want: hashesWrongType},
		{cmd: "SET h x", want: "+OK"}, // SET replaces any kind
		{cmd: "TYPE h", want: "+string"},
	})
}

func TestHashesIncr(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	notInt := "-ERR value is not an integer or out of range"
	notFloat := "-ERR value is not a valid float"
	runSteps(t, c, []step{
		{cmd: "SET s x", want: "+OK"},
		{cmd: "HINCRBY c f 5", want: ":5"},
		{cmd: "HINCRBY c f -7", want: ":-2"},
		{cmd: "HGET c f", want: `"-2"`},
		{cmd: "HINCRBY c f abc", want: notInt},
		{cmd: "HINCRBY c f 01", want: notInt},
		{cmd: "HINCRBY c f +1", want: notInt},
		{cmd: "HINCRBY c f 1.5", want: notInt},
		{cmd: "HINCRBY c f 9223372036854775808", want: notInt},
		{cmd: "HINCRBY s f abc", want: notInt}, // the increment is checked before the type
		{cmd: "HINCRBY missing f abc", want: notInt},
		{cmd: "EXISTS missing", want: ":0"},
		{cmd: "HSET c s abc", want: ":1"},
		{cmd: "HINCRBY c s 1", want: "-ERR hash value is not an integer"},
		{args: []string{"HSET", "c", "sp", " 1"}, want: ":1"},
		{cmd: "HINCRBY c sp 1", want: "-ERR hash value is not an integer"},
		{cmd: "HSET c plus +1", want: ":1"},
		{cmd: "HINCRBY c plus 1", want: "-ERR hash value is not an integer"},
		{cmd: "HSET c max 9223372036854775807 min -9223372036854775808", want: ":2"},
		{cmd: "HINCRBY c max 1", want: "-ERR increment or decrement would overflow"},
		{cmd: "HINCRBY c max 0", want: ":9223372036854775807"},
		{cmd: "HINCRBY c min -1", want: "-ERR increment or decrement would overflow"},
		{cmd: "HINCRBY c min 9223372036854775807", want: ":-1"},
		{cmd: "HINCRBY c new -9223372036854775808", want: ":-9223372036854775808"},

		{cmd: "HINCRBYFLOAT c x 1.5", want: `"1.5"`},
		{cmd: "HINCRBYFLOAT c x 10", want: `"11.5"`},
		{cmd: "HINCRBYFLOAT c f 1", want: `"-1"`},
		{cmd: "HINCRBYFLOAT c t 0.1", want: `"0.1"`},
		{cmd: "HINCRBYFLOAT c t 0.1", want: `"0.2"`},
		{cmd: "HINCRBYFLOAT c t 0.1", want: `"0.3"`},
		{cmd: "HINCRBYFLOAT c hex 0x10", want: `"16"`},
		{cmd: "HINCRBYFLOAT c e 3.0e3", want: `"3000"`},
		{cmd: "HINCRBYFLOAT c z -0", want: `"0"`},
		{cmd: "HINCRBYFLOAT c tiny 1e-20", want: `"0"`},
		{cmd: "HINCRBYFLOAT c one 1", want: `"1"`},
		{cmd: "HINCRBYFLOAT c one 1e-20", want: `"1"`},
		{cmd: "HINCRBYFLOAT c f abc", want: notFloat},
		{cmd: "HINCRBYFLOAT c f nan", want: notFloat},
		{args: []string{"HINCRBYFLOAT", "c", "f", " 1"}, want: notFloat},
		{cmd: "HINCRBYFLOAT c f 1e5000", want: notFloat},
		{cmd: "HINCRBYFLOAT c f inf", want: "-ERR value is NaN or Infinity"},
		{cmd: "HINCRBYFLOAT c f -inf", want: "-ERR value is NaN or Infinity"},
		{cmd: "HINCRBYFLOAT s f inf", want: "-ERR value is NaN or Infinity"}, // before the type
		{cmd: "HINCRBYFLOAT s f abc", want: notFloat},
		{cmd: "HINCRBYFLOAT c s 1", want: "-ERR hash value is not a float"},
		{cmd: "HSET c inf inf nan nan", want: ":2"},
		{cmd: "HINCRBYFLOAT c inf 1", want: "-ERR increment would produce NaN or Infinity"},
		{cmd: "HINCRBYFLOAT c nan 1", want: "-ERR hash value is not a float"},
		{cmd: "HINCRBYFLOAT c max 1", want: `"9223372036854775808"`},
		{cmd: "HGET c max", want: `"9223372036854775808"`},
		{cmd: "HINCRBY c max 1", want: "-ERR hash value is not an integer"},
		{cmd: "HINCRBYFLOAT c min 1.5", want: `"0.5"`},
	})
	// 1e308 as a long double prints every digit, and the field then holds a
	// value too long for a listpack.
	got := c.Do("HINCRBYFLOAT", "d", "f", "1e308")
	if !strings.HasPrefix(got, `"99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223`) || len(got) != 310 {
		t.Errorf("HINCRBYFLOAT d f 1e308 = %s", got)
	}
	// Near the top of the long double range: the sum of two overflows it.
	if got := c.Do("HINCRBYFLOAT", "d", "big", "1e4932"); !strings.HasPrefix(got, `"100000000000000000000601894938796389132383777425453311477378`) || len(got) != 4935 {
		t.Errorf("HINCRBYFLOAT d big 1e4932 = %.40s... (%d bytes)", got, len(got))
	}
	runSteps(t, c, []step{
		{cmd: "HINCRBYFLOAT d big 1e4932", want: "-ERR increment would produce NaN or Infinity"},
		{cmd: "OBJECT ENCODING d", want: `"hashtable"`},
	})
}

func TestHashesEncoding(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	v64, v65 := strings.Repeat("v", 64), strings.Repeat("v", 65)
	runSteps(t, c, []step{
		{args: []string{"HSET", "a", "f", v64}, want: ":1"},
		{cmd: "OBJECT ENCODING a", want: `"listpack"`},
		{args: []string{"HSET", "a", v64, "v"}, want: ":1"},
		{cmd: "OBJECT ENCODING a", want: `"listpack"`},
		// HSETNX on an existing field stores nothing, so converts nothing.
		{args: []string{"HSETNX", "a", "f", v65}, want: ":0"},
		{cmd: "OBJECT ENCODING a", want: `"listpack"`},
		{args: []string{"HSET", "a", "f", v65}, want: ":0"},
		{cmd: "OBJECT ENCODING a", want: `"hashtable"`},
		// One-way: shrinking the value or the hash does not go back.
		{cmd: "HSET a f short", want: ":0"},
		{cmd: "HDEL a " + v64, want: ":1"},
		{cmd: "OBJECT ENCODING a", want: `"hashtable"`},
		{args: []string{"HINCRBY", "b", v65, "1"}, want: ":1"},
		{cmd: "OBJECT ENCODING b", want: `"hashtable"`},
		{args: []string{"HINCRBYFLOAT", "b2", v65, "1.5"}, want: `"1.5"`},
		{cmd: "OBJECT ENCODING b2", want: `"hashtable"`},
		// A new key starts over as a listpack.
		{cmd: "DEL a", want: ":1"},
		{cmd: "HSET a f v", want: ":1"},
		{cmd: "OBJECT ENCODING a", want: `"listpack"`},
	})
	args := []string{"HSET", "n"}
	for i := range 512 {
		args = append(args, "f"+strconv.Itoa(i), "v")
	}
	runSteps(t, c, []step{
		{args: args, want: ":512"},
		{cmd: "OBJECT ENCODING n", want: `"listpack"`},
		{cmd: "HSET n f512 v", want: ":1"},
		{cmd: "OBJECT ENCODING n", want: `"hashtable"`},
		{cmd: "HDEL n f512 f0 f1", want: ":3"},
		{cmd: "OBJECT ENCODING n", want: `"hashtable"`},
		{cmd: "HLEN n", want: ":510"},
		// COPY keeps the encoding and makes an independent hash.
		{cmd: "COPY n n2", want: ":1"},
		{cmd: "OBJECT ENCODING n2", want: `"hashtable"`},
		{cmd: "HSET n2 f2 changed", want: ":0"},
		{cmd: "HGET n f2", want: `"v"`},
		{cmd: "HGET n2 f2", want: `"changed"`},
	})
}

func TestHashesKeepTTL(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "HSET h f v g w", want: ":2"},
		{cmd: "EXPIRE h 1000", want: ":1"},
		{cmd: "HSET h f v2", want: ":0"},
		{cmd: "HINCRBY h n 1", want: ":1"},
		{cmd: "HINCRBYFLOAT h x 1", want: `"1"`},
		{cmd: "HDEL h g", want: ":1"},
		{cmd: "HSETNX h y 1", want: ":1"},
		{cmd: "TTL h", want: ":1000"},
		{cmd: "HDEL h f n x y", want: ":4"},
		{cmd: "TTL h", want: ":-2"},
	})
}

func TestHashesRandField(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET s x", want: "+OK"},
		{cmd: "HSET h a 1 b 2 c 3", want: ":3"},
		{cmd: "HSET one f v", want: ":1"},
		{cmd: "HRANDFIELD missing", want: "nil"},
		{cmd: "HRANDFIELD missing 3", want: "[]"},
		{cmd: "HRANDFIELD missing -3 WITHVALUES", want: "[]"},
		{cmd: "HRANDFIELD h 0", want: "[]"},
		{cmd: "HRANDFIELD h 0 WITHVALUES", want: "[]"},
		{cmd: "HRANDFIELD h 3 x", want: "-ERR syntax error"},
		{cmd: "HRANDFIELD h 3 WITHVALUES x", want: "-ERR syntax error"},
		{cmd: "HRANDFIELD h abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "HRANDFIELD missing abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "HRANDFIELD s abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "HRANDFIELD missing 1 foo", want: "-ERR syntax error"},
		{cmd: "HRANDFIELD s 1 foo", want: "-ERR syntax error"},
		{cmd: "HRANDFIELD h -9223372036854775808", want: "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
		{cmd: "HRANDFIELD h 9223372036854775807 WITHVALUES", want: "-ERR value is out of range"},
		{cmd: "HRANDFIELD h -4611686018427387904 withvalues", want: "-ERR value is out of range"},
		// A count of at least the hash's size is the whole hash, in order.
		{cmd: "HRANDFIELD h 3", want: `["a" "b" "c"]`},
		{cmd: "HRANDFIELD h 100 WITHVALUES", want: `["a" "1" "b" "2" "c" "3"]`},
		{cmd: "HRANDFIELD one", want: `"f"`},
		{cmd: "HRANDFIELD one 1", want: `["f"]`},
		{cmd: "HRANDFIELD one -3", want: `["f" "f" "f"]`},
		{cmd: "HRANDFIELD one -2 WITHVALUES", want: `["f" "v" "f" "v"]`},
		// Synap refuses a reply no client could take instead of exhausting
		// its memory building it (Redis dies of it).
		{cmd: "HRANDFIELD h -9223372036854775807", want: "-" + errRandTooBig},
		{cmd: "HRANDFIELD h -4611686018427387903 WITHVALUES", want: "-" + errRandTooBig},
	})
	c.Do("HELLO", "3")
	runSteps(t, c, []step{
		{cmd: "HRANDFIELD missing", want: "null"},
		{cmd: "HRANDFIELD missing 2 WITHVALUES", want: "[]"},
		{cmd: "HRANDFIELD h 5 WITHVALUES", want: `[["a" "1"] ["b" "2"] ["c" "3"]]`},
		{cmd: "HRANDFIELD h 5", want: `["a" "b" "c"]`},
		{cmd: "HRANDFIELD one -2 WITHVALUES", want: `[["f" "v"] ["f" "v"]]`},
		{cmd: "HRANDFIELD one 1 WITHVALUES", want: `[["f" "v"]]`},
	})
}

// hashesFill gives key n fields "f0".."f<n-1>" with values "v0"...
func hashesFill(t *testing.T, c *resptest.Client, key string, n int) {
	t.Helper()
	args := []string{"HSET", key}
	for i := range n {
		args = append(args, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	if got := c.Do(args...); got != ":"+strconv.Itoa(n) {
		t.Fatalf("HSET %s with %d fields: %s", key, n, got)
	}
}

// hashesList parses a rendered flat array of bulk strings.
func hashesList(t *testing.T, reply string) []string {
	t.Helper()
	if !strings.HasPrefix(reply, "[") || !strings.HasSuffix(reply, "]") {
		t.Fatalf("not an array: %s", reply)
	}
	body := reply[1 : len(reply)-1]
	if body == "" {
		return nil
	}
	var out []string
	for _, q := range strings.Split(body, " ") {
		s, err := strconv.Unquote(q)
		if err != nil {
			t.Fatalf("element %s of %s: %v", q, reply, err)
		}
		out = append(out, s)
	}
	return out
}

// Random picks: distinct fields of the hash for a positive count (through
// both ways of drawing them), repeats allowed for a negative one, values
// matching fields, and every field reachable.
func TestHashesRandFieldPicks(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	hashesFill(t, c, "h", 100)
	for _, count := range []int{1, 10, 50, 51, 99} {
		for range 20 {
			got := hashesList(t, c.Do("HRANDFIELD", "h", strconv.Itoa(count), "WITHVALUES"))
			if len(got) != 2*count {
				t.Fatalf("HRANDFIELD h %d WITHVALUES: %d elements", count, len(got))
			}
			seen := map[string]bool{}
			for i := 0; i < len(got); i += 2 {
				f, v := got[i], got[i+1]
				if seen[f] {
					t.Fatalf("HRANDFIELD h %d: %s twice", count, f)
				}
				seen[f] = true
				if !strings.HasPrefix(f, "f") || v != "v"+f[1:] {
					t.Fatalf("HRANDFIELD h %d: pair %q %q", count, f, v)
				}
			}
		}
	}
	// 5000 picks miss a given field of 100 with probability 0.99^5000 < 1e-21.
	got := hashesList(t, c.Do("HRANDFIELD", "h", "-5000"))
	seen := map[string]bool{}
	for _, f := range got {
		seen[f] = true
	}
	if len(got) != 5000 || len(seen) != 100 {
		t.Errorf("HRANDFIELD h -5000: %d picks of %d distinct fields, want 5000 of 100", len(got), len(seen))
	}
	seen = map[string]bool{}
	for range 5000 {
		f, err := strconv.Unquote(c.Do("HRANDFIELD", "h"))
		if err != nil {
			t.Fatal(err)
		}
		seen[f] = true
	}
	if len(seen) != 100 {
		t.Errorf("5000 single picks found %d distinct fields of 100", len(seen))
	}
	if got := c.Do("HRANDFIELD", "h", "-1000000"); strings.Count(got, `"`) != 2_000_000 {
		t.Errorf("HRANDFIELD h -1000000 did not reply a million picks")
	}
}

func TestHashesScan(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET s x", want: "+OK"},
		{cmd: "HSET h a 1 b 2 c 3 ab 4", want: ":4"},
		{cmd: "HSCAN missing 0", want: `["0" []]`},
		// Options are read only once the key is a hash.
		{cmd: "HSCAN missing 0 COUNT 0", want: `["0" []]`},
		{cmd: "HSCAN missing 0 foo", want: `["0" []]`},
		{cmd: "HSCAN missing abc", want: "-ERR invalid cursor"},
		{cmd: "HSCAN s abc", want: "-ERR invalid cursor"},
		{cmd: "HSCAN h abc", want: "-ERR invalid cursor"},
		{cmd: "HSCAN h 18446744073709551616", want: "-ERR invalid cursor"},
		{cmd: "HSCAN h 0 COUNT 0", want: "-ERR syntax error"},
		{cmd: "HSCAN h 0 COUNT -1", want: "-ERR syntax error"},
		{cmd: "HSCAN h 0 COUNT abc", want: "-ERR value is not an integer or out of range"},
		{cmd: "HSCAN h 0 COUNT 9223372036854775808", want: "-ERR value is not an integer or out of range"},
		{cmd: "HSCAN h 0 MATCH", want: "-ERR syntax error"},
		{cmd: "HSCAN h 0 TYPE string", want: "-ERR syntax error"},
		{cmd: "HSCAN h 0 NOVALUES", want: "-ERR syntax error"},
		{cmd: "HSCAN h 0 foo bar", want: "-ERR syntax error"},
		// A listpack hash comes whole in one call, whatever the cursor and count.
		{cmd: "HSCAN h 0", want: `["0" ["a" "1" "b" "2" "c" "3" "ab" "4"]]`},
		{cmd: "HSCAN h 5 COUNT 1", want: `["0" ["a" "1" "b" "2" "c" "3" "ab" "4"]]`},
		{cmd: "HSCAN h -1", want: `["0" ["a" "1" "b" "2" "c" "3" "ab" "4"]]`},
		{cmd: "HSCAN h 0 MATCH a* COUNT 1", want: `["0" ["a" "1" "ab" "4"]]`},
		{cmd: "HSCAN h 0 match A*", want: `["0" []]`},
		{cmd: "HSCAN h 0 COUNT 1 COUNT 5 MATCH b MATCH *", want: `["0" ["a" "1" "b" "2" "c" "3" "ab" "4"]]`},
		{cmd: "HSCAN h 0 MATCH ?", want: `["0" ["a" "1" "b" "2" "c" "3"]]`},
	})
	c.Do("HELLO", "3")
	runSteps(t, c, []step{
		{cmd: "HSCAN h 0 MATCH b", want: `["0" ["b" "2"]]`},
		{cmd: "HSCAN missing 0", want: `["0" []]`},
	})
}

// hashesScanAll runs a full HSCAN with count, calling between after each
// call that does not end it, and returns every field it returned.
func hashesScanAll(t *testing.T, c *resptest.Client, key string, count int, match string, between func()) map[string]int {
	t.Helper()
	seen := map[string]int{}
	cursor := "0"
	for calls := 0; ; calls++ {
		args := []string{"HSCAN", key, cursor, "COUNT", strconv.Itoa(count)}
		if match != "" {
			args = append(args, "MATCH", match)
		}
		reply := c.Do(args...)
		head, rest, ok := strings.Cut(reply, " [")
		if !ok || !strings.HasPrefix(head, `["`) || !strings.HasSuffix(rest, "]]") {
			t.Fatalf("HSCAN reply %s", reply)
		}
		cursor = strings.Trim(head, `["`)
		items := hashesList(t, "["+rest[:len(rest)-1])
		if len(items) > 2*count {
			t.Fatalf("HSCAN COUNT %d returned %d fields", count, len(items)/2)
		}
		for i := 0; i < len(items); i += 2 {
			seen[items[i]]++
		}
		if cursor == "0" {
			return seen
		}
		if calls > 100000 {
			t.Fatal("HSCAN does not end")
		}
		if between != nil {
			between()
		}
	}
}

func TestHashesScanHashtable(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	hashesFill(t, c, "h", 1000)
	seen := hashesScanAll(t, c, "h", 7, "", nil)
	if len(seen) != 1000 {
		t.Fatalf("a full scan returned %d fields of 1000", len(seen))
	}
	for f, n := range seen {
		if n != 1 {
			t.Errorf("an undisturbed scan returned %s %d times", f, n)
		}
	}
	seen = hashesScanAll(t, c, "h", 50, "f1*", nil)
	if len(seen) != 111 { // f1, f10-f19, f100-f199
		t.Errorf("MATCH f1* returned %d fields, want 111", len(seen))
	}
	if got := c.Do("HSCAN", "h", "0", "COUNT", "3"); strings.HasPrefix(got, `["0" `) {
		t.Errorf("a hashtable scan of 1000 fields with COUNT 3 ended at once: %s", got)
	}
}

// The cursor guarantee through the server: another client adds, updates
// and removes fields between the calls of a scan, and every field present
// for the whole scan is returned.
func TestHashesScanUnderChurn(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	other := dial(t, srv)
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 20 {
		key := "h" + strconv.Itoa(round)
		n := 600 + rng.IntN(1500)
		hashesFill(t, c, key, n)
		stable := map[string]bool{}
		for i := range n {
			stable["f"+strconv.Itoa(i)] = true
		}
		next := n
		seen := hashesScanAll(t, c, key, 1+rng.IntN(40), "", func() {
			for range rng.IntN(20) {
				switch rng.IntN(3) {
				case 0:
					f := "f" + strconv.Itoa(rng.IntN(next))
					other.Do("HDEL", key, f)
					delete(stable, f)
				case 1:
					other.Do("HSET", key, "f"+strconv.Itoa(next), "new")
					next++
				default:
					other.Do("HSET", key, "f"+strconv.Itoa(rng.IntN(next)), "updated")
				}
			}
		})
		for f := range stable {
			if seen[f] == 0 {
				t.Fatalf("round %d: %s, present for the whole scan, was not returned", round, f)
			}
		}
	}
}

func TestHashesRESP3(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.Do("HELLO", "3")
	runSteps(t, c, []step{
		{cmd: "HSET h f1 v1 f2 v2", want: ":2"},
		{cmd: "HGETALL h", want: `{"f1":"v1" "f2":"v2"}`},
		{cmd: "HGETALL missing", want: "{}"},
		{cmd: "HKEYS h", want: `["f1" "f2"]`},
		{cmd: "HKEYS missing", want: "[]"},
		{cmd: "HVALS h", want: `["v1" "v2"]`},
		{cmd: "HGET h nope", want: "null"},
		{cmd: "HMGET h f1 nope", want: `["v1" null]`},
		{cmd: "HEXISTS h f1", want: ":1"},
		{cmd: "HINCRBYFLOAT h n 2.5", want: `"2.5"`},
		{cmd: "HSCAN h 0 COUNT 1", want: `["0" ["f1" "v1" "f2" "v2" "n" "2.5"]]`},
	})
}

// Storage accounting stays exact through every hash mutation: the tracked
// bytes equal a recount, and every hash's Size its ComputeSize.
func TestHashesAccounting(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	rng := rand.New(rand.NewPCG(8, 9))
	key := func() string { return "h" + strconv.Itoa(rng.IntN(4)) }
	field := func() string { return "f" + strconv.Itoa(rng.IntN(600)) }
	val := func() string { return strings.Repeat("x", rng.IntN(80)) }
	gens := []func() []string{
		func() []string { return []string{"HSET", key(), field(), val(), field(), val()} },
		func() []string { return []string{"HMSET", key(), field(), val()} },
		func() []string { return []string{"HSETNX", key(), field(), val()} },
		func() []string { return []string{"HDEL", key(), field(), field(), field()} },
		func() []string {
			return []string{"HINCRBY", key(), "n" + strconv.Itoa(rng.IntN(3)), strconv.Itoa(rng.IntN(2000000) - 1000000)}
		},
		func() []string { return []string{"HINCRBYFLOAT", key(), "x" + strconv.Itoa(rng.IntN(3)), "1.25"} },
		func() []string { return []string{"COPY", key(), key(), "REPLACE"} },
		func() []string { return []string{"RENAME", key(), key()} },
		func() []string { return []string{"DEL", key()} },
		func() []string { return []string{"SET", key(), val()} },
	}
	for step := range 4000 {
		args := gens[rng.IntN(len(gens))]()
		if reply := c.Do(args...); strings.HasPrefix(reply, "ERROR:") {
			t.Fatalf("step %d %q: %s", step, args, reply)
		}
		ns := srv.DBs[0]
		keys, bytes, gotKeys, gotBytes := recount(srv, ns)
		if gotBytes != bytes || gotKeys != keys {
			t.Fatalf("step %d after %q: tracks %d keys %d bytes, recount %d keys %d bytes", step, args, gotKeys, gotBytes, keys, bytes)
		}
		tx := srv.Eng.NewTx()
		tx.BeginAll(ns, false)
		tx.Each(func(k []byte, en *engine.Entry) bool {
			if h, ok := en.Obj().(*engine.Hash); ok {
				if h.Size() != h.ComputeSize() {
					t.Errorf("step %d after %q: %s Size %d, ComputeSize %d", step, args, k, h.Size(), h.ComputeSize())
				}
				if h.Len() == 0 {
					t.Errorf("step %d after %q: empty hash %s kept", step, args, k)
				}
			}
			return true
		})
		tx.End()
		if t.Failed() {
			return
		}
	}
}

// A hash of a million fields read whole: how long the reply holds the
// shard lock (go test -bench HashesHGetAll ./commands).
func BenchmarkHashesHGetAll1M(b *testing.B) {
	srv := startServer(b)
	c := dial(b, srv)
	const n = 1_000_000
	for i := 0; i < n; i += 10000 {
		args := []string{"HSET", "big"}
		for j := i; j < i+10000; j++ {
			args = append(args, "field:"+strconv.Itoa(j), "value:"+strconv.Itoa(j))
		}
		c.Do(args...)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := c.Conn.Write(resptest.Encode("HGETALL", "big")); err != nil {
			b.Fatal(err)
		}
		if got := c.Read(); !strings.HasPrefix(got, `["field:0" "value:0"`) {
			b.Fatalf("HGETALL: %.40s", got)
		}
	}
}
