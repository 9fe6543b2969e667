package commands

import (
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"synap/engine"
	"synap/resp/resptest"
	"synap/sched"
	"synap/tenant"
)

func init() {
	for k, v := range sortIsolation {
		isolationExamples[k] = v
	}
	isolationSeeders = append(isolationSeeders, sortSeed)
	permissionModel["sort_ro"] = tenant.NeedRead
	// alice's weights order her set 3, 2, 1 (bob's would give 1, 2, 3), and
	// every looked-up value names her: a pattern resolved in bob's
	// namespace would show in the reply.
	isolationOwnView["sort sort:src BY sort:w_* GET sort:o_* GET #"] = func(r string) bool {
		return r == `["alice-o3" "3" "alice-o2" "2" "alice-o1" "1"]`
	}
	isolationOwnView["sort_ro sort:src BY sort:h_*->w GET sort:h_*->f"] = func(r string) bool {
		return r == `["alice-h3" "alice-h2" "alice-h1"]`
	}
}

// sortIsolation: SORT's own key and STORE destination, and every key its
// BY and GET patterns build, resolve in the caller's namespace; a pattern
// spelling another tenant's prefix builds a key name of the caller's own.
var sortIsolation = map[string][][]string{
	"sort": {
		{"sort", "sort:src", "BY", "sort:w_*", "GET", "sort:o_*", "GET", "#"},
		{"sort", "sort:src", "BY", "sort:h_*->w", "DESC", "GET", "sort:h_*->f", "GET", "sort:o_*"},
		{"sort", "sort:src", "GET", "user:bob:sort:o_*", "GET", "user:alice:sort:o_*"},
		{"sort", "sort:src", "ALPHA", "STORE", "sort:dst"},
		{"sort", "sort:src", "BY", "sort:w_*", "GET", "sort:o_*", "STORE", "sort:src"},
		{"sort", "sort:none", "STORE", "sort:o_1"},
	},
	"sort_ro": {
		{"sort_ro", "sort:src", "BY", "sort:h_*->w", "GET", "sort:h_*->f"},
		{"sort_ro", "sort:src", "BY", "nosort", "GET", "user:bob:sort:o_*"},
	},
}

// sortSeed gives user a set to sort, weights that order it differently for
// alice and bob, and values and hash fields naming the user.
func sortSeed(tx *engine.Tx, user string) {
	src := engine.NewSet()
	for i, id := range []string{"1", "2", "3"} {
		src.Add([]byte(id))
		w := strconv.Itoa(3 - i)
		if user == "bob" {
			w = id
		}
		tx.SetString([]byte("sort:w_"+id), []byte(w), 0)
		tx.SetString([]byte("sort:o_"+id), []byte(user+"-o"+id), 0)
		h := engine.NewHash()
		h.Set([]byte("w"), []byte(w))
		h.Set([]byte("f"), []byte(user+"-h"+id))
		tx.Put([]byte("sort:h_"+id), engine.NewObject(engine.KindHash, h))
	}
	tx.Put([]byte("sort:src"), engine.NewObject(engine.KindSet, src))
}

func TestSortNumericAlphaLimit(t *testing.T) {
	c := exactConn(t)
	all := `["-5" "1" "1.5" "2" "3" "10"]`
	runSteps(t, c, []step{
		{cmd: "RPUSH l 3 1 2 10 -5 1.5", want: ":6"},
		{cmd: "SORT l", want: all},
		{cmd: "sort l asc", want: all},
		{cmd: "SORT l DESC", want: `["10" "3" "2" "1.5" "1" "-5"]`},
		{cmd: "SORT l DESC ASC", want: all},
		{cmd: "SORT l ALPHA", want: `["-5" "1" "1.5" "10" "2" "3"]`},
		{cmd: "SORT l ALPHA DESC", want: `["3" "2" "10" "1.5" "1" "-5"]`},
		{cmd: "SORT_RO l DESC", want: `["10" "3" "2" "1.5" "1" "-5"]`},
		// LIMIT: a negative offset counts as 0, a negative count as "all",
		// a range past the end is empty.
		{cmd: "SORT l LIMIT 1 2", want: `["1" "1.5"]`},
		{cmd: "SORT l LIMIT 1 2 DESC", want: `["3" "2"]`},
		{cmd: "SORT l LIMIT -1 2", want: `["-5" "1"]`},
		{cmd: "SORT l LIMIT 0 -5", want: all},
		{cmd: "SORT l LIMIT 4 -1", want: `["3" "10"]`},
		{cmd: "SORT l LIMIT 5 100", want: `["10"]`},
		{cmd: "SORT l LIMIT 6 1", want: `[]`},
		{cmd: "SORT l LIMIT 2 0", want: `[]`},
		{cmd: "SORT l LIMIT 9223372036854775807 9223372036854775807", want: `[]`},
		{cmd: "SORT l LIMIT -9223372036854775808 2", want: `["-5" "1"]`},
		{cmd: "SORT l LIMIT 0 1 LIMIT 2 1", want: `["1.5"]`},
		// The source is unchanged.
		{cmd: "LRANGE l 0 -1", want: `["3" "1" "2" "10" "-5" "1.5"]`},
	})
}

func TestSortErrors(t *testing.T) {
	c := exactConn(t)
	runSteps(t, c, []step{
		{cmd: "RPUSH l 2 1", want: ":2"},
		{cmd: "SORT", want: "-ERR wrong number of arguments for 'sort' command"},
		{cmd: "SORT_RO", want: "-ERR wrong number of arguments for 'sort_ro' command"},
		{cmd: "SORT l foo", want: "-ERR syntax error"},
		{cmd: "SORT l LIMIT 1", want: "-ERR syntax error"},
		{cmd: "SORT l LIMIT a 1", want: "-ERR value is not an integer or out of range"},
		{cmd: "SORT l LIMIT 1 b", want: "-ERR value is not an integer or out of range"},
		{cmd: "SORT l LIMIT 0 99999999999999999999", want: "-ERR value is not an integer or out of range"},
		{cmd: "SORT l LIMIT +1 1", want: "-ERR value is not an integer or out of range"},
		{cmd: "SORT l BY", want: "-ERR syntax error"},
		{cmd: "SORT l GET", want: "-ERR syntax error"},
		{cmd: "SORT l STORE", want: "-ERR syntax error"},
		{cmd: "SORT_RO l STORE dst", want: "-ERR syntax error"},
		{cmd: "SORT l GET # STORE", want: "-ERR syntax error"},
		{cmd: "SET s x", want: "+OK"},
		{cmd: "SORT s", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "SORT_RO s", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "SORT s STORE dst", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		// Options are checked before the key.
		{cmd: "SORT s foo", want: "-ERR syntax error"},
		{cmd: "SORT s LIMIT x 1", want: "-ERR value is not an integer or out of range"},
		{cmd: "HSET h f v", want: ":1"},
		{cmd: "SORT h", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		// A missing key sorts as an empty list.
		{cmd: "SORT nokey", want: "[]"},
		{cmd: "SORT_RO nokey BY w_* GET #", want: "[]"},
		{cmd: "SORT nokey STORE dst", want: ":0"},
		{cmd: "EXISTS dst", want: ":0"},
		// A weight that is not a number fails the whole command, and STORE
		// then stores nothing; ALPHA or no sorting at all needs no numbers.
		{cmd: "RPUSH bad a 1", want: ":2"},
		{cmd: "SORT bad", want: "-" + errSortScore},
		{cmd: "SORT bad LIMIT 0 0", want: "-" + errSortScore},
		{cmd: "SORT bad STORE dst", want: "-" + errSortScore},
		{cmd: "EXISTS dst", want: ":0"},
		{cmd: "SORT bad ALPHA", want: `["1" "a"]`},
		{cmd: "SORT bad BY nosort", want: `["a" "1"]`},
	})
}

// Weights are read as C's strtod reads them.
func TestSortNumberSyntax(t *testing.T) {
	c := exactConn(t)
	for _, tc := range []struct {
		elems []string
		want  string
	}{
		{[]string{"1", " 2", "0"}, `["0" "1" " 2"]`},
		{[]string{"0x10", "5", "0x1p3", "0X.8"}, `["0X.8" "5" "0x1p3" "0x10"]`},
		{[]string{"inf", "-inf", "0", "+Infinity", "-INF"}, `["-INF" "-inf" "0" "+Infinity" "inf"]`},
		{[]string{"", "1", "-1"}, `["-1" "" "1"]`},
		{[]string{"1.", ".5", "1e1", "1.5E+0", "-0", "0"}, `["-0" "0" ".5" "1." "1.5E+0" "1e1"]`},
		{[]string{"0x1p-1030", "1"}, `["0x1p-1030" "1"]`},
		{[]string{"2.2250738585072014e-308", "0e-999"}, `["0e-999" "2.2250738585072014e-308"]`},
		{[]string{"5\x00junk", "6"}, `["5\x00junk" "6"]`},
		{[]string{"1", "2 "}, "-" + errSortScore},
		{[]string{"nan", "1"}, "-" + errSortScore},
		{[]string{" ", "1"}, "-" + errSortScore},
		{[]string{".", "1"}, "-" + errSortScore},
		{[]string{"0x", "1"}, "-" + errSortScore},
		{[]string{"1e", "1"}, "-" + errSortScore},
		{[]string{"1_0", "1"}, "-" + errSortScore},
		{[]string{"infinit", "1"}, "-" + errSortScore},
		// Last: Redis leaves strtod's ERANGE in errno, which then fails
		// later valid weights until something else resets it.
		{[]string{"1e400", "1"}, "-" + errSortScore},
		{[]string{"1e-400", "1"}, "-" + errSortScore},
		{[]string{"1e-310", "1"}, "-" + errSortScore},
	} {
		c.Do("DEL", "x")
		c.Do(append([]string{"RPUSH", "x"}, tc.elems...)...)
		if got := c.Do("SORT", "x"); got != tc.want {
			t.Errorf("SORT of %q: got %s, want %s", tc.elems, got, tc.want)
		}
	}
}

func TestSortStrtod(t *testing.T) {
	for _, tc := range []struct {
		in string
		f  float64
		ok bool
	}{
		{"12", 12, true}, {"\t\n\v\f\r 7", 7, true}, {"-2.5e1", -25, true}, {"0x1.8p1", 3, true},
		{"0x10", 16, true}, {"-infinity", math.Inf(-1), true}, {"", 0, true}, {"abc", 0, false},
		{"1e308", 1e308, true}, {"1e309", math.Inf(1), false}, {"4e-320", 4e-320, false},
		{"0x1p-1074", 0x1p-1074, true}, {"0x1.1p-1074", 0x1p-1074, false}, {"0", 0, true},
	} {
		f, ok := sortStrtod([]byte(tc.in))
		if f != tc.f || ok != tc.ok {
			t.Errorf("sortStrtod(%q) = %v, %v; want %v, %v", tc.in, f, ok, tc.f, tc.ok)
		}
	}
}

func TestSortByAndGet(t *testing.T) {
	c := exactConn(t)
	runSteps(t, c, []step{
		{cmd: "RPUSH u a b c d", want: ":4"},
		{cmd: "MSET w_a 3 w_b 1 w_c 2 o_a A o_b B", want: "+OK"},
		{cmd: "HSET h_a f 30 g x", want: ":2"},
		{cmd: "HSET h_b f 10", want: ":1"},
		// A missing weight counts as 0; equal weights fall back to the elements.
		{cmd: "SORT u BY w_*", want: `["d" "b" "c" "a"]`},
		{cmd: "SORT u BY w_* DESC", want: `["a" "c" "b" "d"]`},
		{cmd: "SORT u BY w_* LIMIT 1 2", want: `["b" "c"]`},
		{cmd: "SORT u BY w_* DESC GET o_* GET #", want: `["A" "a" nil "c" "B" "b" nil "d"]`},
		{cmd: "SORT u BY h_*->f GET h_*->g GET h_*->f", want: `[nil nil nil nil nil "10" "x" "30"]`},
		{cmd: "SORT_RO u BY h_*->f DESC GET #", want: `["a" "b" "d" "c"]`},
		// Only strings are weights and GET values; only hashes have fields.
		{cmd: "SORT u BY nosort GET w_*->f GET h_*", want: `[nil nil nil nil nil nil nil nil]`},
		{cmd: "SORT u BY h_*", want: `["a" "b" "c" "d"]`},
		// Without '*' a GET pattern finds nothing, and a BY pattern keeps
		// the list's order (DESC reverses it), for good: a later BY with
		// '*' does not sort again.
		{cmd: "SORT u BY nosort GET o_a", want: `[nil nil nil nil]`},
		{cmd: "SORT u BY nosort", want: `["a" "b" "c" "d"]`},
		{cmd: "SORT u BY nosort DESC", want: `["d" "c" "b" "a"]`},
		{cmd: "SORT u BY nosort LIMIT 1 2", want: `["b" "c"]`},
		{cmd: "SORT u BY nosort DESC LIMIT 1 2", want: `["c" "b"]`},
		{cmd: "SORT u BY nosort LIMIT 3 9", want: `["d"]`},
		{cmd: "SORT u BY nosort LIMIT 4 9", want: `[]`},
		{cmd: "SORT u BY nosort BY w_* DESC", want: `["d" "c" "b" "a"]`},
		{cmd: "SORT u BY w_* BY nosort", want: `["a" "b" "c" "d"]`},
		{cmd: "SORT u BY # LIMIT 0 2", want: `["a" "b"]`},
		// ALPHA BY compares the looked-up values; missing ones come first.
		{cmd: "MSET x_a pear x_b apple x_c fig", want: "+OK"},
		{cmd: "SORT u BY x_* ALPHA", want: `["d" "b" "c" "a"]`},
		{cmd: "SORT u BY x_* ALPHA DESC", want: `["a" "c" "b" "d"]`},
		{cmd: "SORT u BY x_* ALPHA LIMIT 1 1 GET x_*", want: `["apple"]`},
		// Numeric BY values that are not numbers fail.
		{cmd: "SORT u BY x_*", want: "-" + errSortScore},
		// "->" only reads a field when it follows the '*' and a field name
		// follows it; otherwise it is part of the key name.
		{args: []string{"SORT", "u", "BY", "nosort", "GET", "h_*->"}, want: `[nil nil nil nil]`},
		{args: []string{"SET", "h_a->", "arrow"}, want: "+OK"},
		{args: []string{"SORT", "u", "BY", "nosort", "GET", "h_*->"}, want: `["arrow" nil nil nil]`},
		{args: []string{"HSET", "q->f", "a", "1"}, want: ":1"},
		{args: []string{"SORT", "u", "BY", "nosort", "GET", "q->f*"}, want: `[nil nil nil nil]`},
		{args: []string{"HSET", "h2_a", "x*", "5", "y->z", "6"}, want: ":2"},
		{args: []string{"SORT", "u", "BY", "nosort", "GET", "h2_*->x*", "GET", "h2_*->y->z"}, want: `["5" "6" nil nil nil nil nil nil]`},
		// Only the first '*' is replaced.
		{args: []string{"SET", "a*", "star"}, want: "+OK"},
		{args: []string{"SORT", "u", "BY", "nosort", "LIMIT", "0", "1", "GET", "**"}, want: `["star"]`},
		// Elements and patterns are binary-safe.
		{args: []string{"RPUSH", "bin", "z\x00y", "z"}, want: ":2"},
		{args: []string{"MSET", "w:z\x00y", "1", "w:z", "2", "o:z\x00y", "v\x00v"}, want: "+OK"},
		{args: []string{"SORT", "bin", "BY", "w:*", "GET", "o:*", "GET", "#"}, want: `["v\x00v" "z\x00y" nil "z"]`},
		{args: []string{"SORT", "bin", "BY", "w:*", "DESC", "GET", "#"}, want: `["z" "z\x00y"]`},
	})
}

func TestSortStore(t *testing.T) {
	c := exactConn(t)
	runSteps(t, c, []step{
		{cmd: "RPUSH l 3 1 2", want: ":3"},
		{cmd: "SORT l STORE dst", want: ":3"},
		{cmd: "LRANGE dst 0 -1", want: `["1" "2" "3"]`},
		{cmd: "TYPE dst", want: "+list"},
		// The destination is replaced whatever it held, and loses its TTL.
		{cmd: "SET str x EX 100", want: "+OK"},
		{cmd: "SORT l DESC STORE str", want: ":3"},
		{cmd: "LRANGE str 0 -1", want: `["3" "2" "1"]`},
		{cmd: "TTL str", want: ":-1"},
		// The last STORE counts.
		{cmd: "SORT l STORE d1 STORE d2", want: ":3"},
		{cmd: "EXISTS d1", want: ":0"},
		{cmd: "EXISTS d2", want: ":1"},
		// Sorting into the source itself.
		{cmd: "SORT l STORE l", want: ":3"},
		{cmd: "LRANGE l 0 -1", want: `["1" "2" "3"]`},
		// An empty result deletes the destination.
		{cmd: "SORT l LIMIT 5 1 STORE dst", want: ":0"},
		{cmd: "EXISTS dst", want: ":0"},
		{cmd: "SET dst x", want: "+OK"},
		{cmd: "SORT nokey STORE dst", want: ":0"},
		{cmd: "EXISTS dst", want: ":0"},
		// GET values are stored, a missing one as an empty string.
		{cmd: "MSET o_1 one o_3 three", want: "+OK"},
		{cmd: "SORT l GET o_* GET # STORE dst", want: ":6"},
		{cmd: "LRANGE dst 0 -1", want: `["one" "1" "" "2" "three" "3"]`},
		{cmd: "SORT l BY nosort DESC LIMIT 0 2 STORE dst", want: ":2"},
		{cmd: "LRANGE dst 0 -1", want: `["3" "2"]`},
		{cmd: "OBJECT ENCODING dst", want: `"quicklist"`},
	})
}

func TestSortSetsAndSortedSets(t *testing.T) {
	c := exactConn(t)
	runSteps(t, c, []step{
		{cmd: "SADD s 5 3 10 1", want: ":4"},
		{cmd: "SORT s", want: `["1" "3" "5" "10"]`},
		{cmd: "SORT s DESC LIMIT 0 2", want: `["10" "5"]`},
		{cmd: "SORT s ALPHA", want: `["1" "10" "3" "5"]`},
		// An intset's own order is ascending.
		{cmd: "SORT s BY nosort", want: `["1" "3" "5" "10"]`},
		{cmd: "SORT s BY nosort LIMIT 1 2", want: `["3" "5"]`},
		// Stored, a set is sorted alphabetically rather than kept in its
		// own order.
		{cmd: "SORT s BY nosort STORE dst", want: ":4"},
		{cmd: "LRANGE dst 0 -1", want: `["1" "10" "3" "5"]`},
		{cmd: "SADD t pear apple fig", want: ":3"},
		{cmd: "SORT t ALPHA", want: `["apple" "fig" "pear"]`},
		{cmd: "SORT t BY nosort DESC STORE dst", want: ":3"},
		{cmd: "LRANGE dst 0 -1", want: `["pear" "fig" "apple"]`},
		{cmd: "SORT t", want: "-" + errSortScore},

		{cmd: "ZADD z 3 a 1 b 2 c 2 d", want: ":4"},
		{cmd: "SORT z foo", want: "-ERR syntax error"},
		{cmd: "OBJECT ENCODING z", want: `"listpack"`},
		// Once read by SORT, a sorted set is a skiplist for good, even when
		// the sort itself fails.
		{cmd: "SORT z", want: "-" + errSortScore},
		{cmd: "OBJECT ENCODING z", want: `"skiplist"`},
		{cmd: "ZRANGE z 0 -1", want: `["b" "c" "d" "a"]`},
		{cmd: "SORT z ALPHA", want: `["a" "b" "c" "d"]`},
		{cmd: "SORT z ALPHA DESC LIMIT 1 2", want: `["c" "b"]`},
		// A sorted set's own order is by score.
		{cmd: "SORT z BY nosort", want: `["b" "c" "d" "a"]`},
		{cmd: "SORT z BY nosort DESC", want: `["a" "d" "c" "b"]`},
		{cmd: "SORT z BY nosort LIMIT 1 2", want: `["c" "d"]`},
		{cmd: "SORT z BY nosort DESC LIMIT 1 2", want: `["d" "c"]`},
		{cmd: "SORT z BY nosort LIMIT 3 5", want: `["a"]`},
		{cmd: "SORT z BY nosort DESC LIMIT 3 5", want: `["b"]`},
		{cmd: "SORT z BY nosort DESC LIMIT 5 5", want: `[]`},
		{cmd: "SORT z BY nosort STORE dst", want: ":4"},
		{cmd: "LRANGE dst 0 -1", want: `["b" "c" "d" "a"]`},
		{cmd: "MSET w_a 1 w_b 4 w_c 3 w_d 2", want: "+OK"},
		{cmd: "SORT z BY w_* GET w_*", want: `["1" "2" "3" "4"]`},
	})
}

func TestSortRESP3(t *testing.T) {
	c := exactConn(t)
	if got := c.Do("HELLO", "3"); !strings.Contains(got, `"proto"::3`) {
		t.Fatalf("HELLO 3: %s", got)
	}
	runSteps(t, c, []step{
		{cmd: "RPUSH l b a", want: ":2"},
		{cmd: "SET o_a A", want: "+OK"},
		{cmd: "SORT l ALPHA GET o_* GET #", want: `["A" "a" null "b"]`},
		{cmd: "SORT l ALPHA STORE d", want: ":2"},
		{cmd: "SORT nokey", want: `[]`},
	})
	// RESP3's null is "_", not RESP2's "$-1".
	if err := c.Send(string(resptest.Encode("SORT", "l", "ALPHA", "GET", "o_*"))); err != nil {
		t.Fatal(err)
	}
	want := "*2\r\n$1\r\nA\r\n_\r\n"
	buf := make([]byte, len(want))
	if _, err := io.ReadFull(c.R, buf); err != nil || string(buf) != want {
		t.Errorf("raw RESP3 reply %q (%v), want %q", buf, err, want)
	}
}

// SORT reads its key and every looked-up key, counting hits and misses.
func TestSortKeyspaceStats(t *testing.T) {
	c := exactConn(t)
	runSteps(t, c, []step{
		{cmd: "RPUSH l a b", want: ":2"},
		{cmd: "SET o_a 1", want: "+OK"},
		{cmd: "CONFIG RESETSTAT", want: "+OK"},
		{cmd: "SORT l BY nosort GET o_* GET #", want: `["1" "a" nil "b"]`},
	})
	stats := c.Do("INFO", "stats")
	for _, want := range []string{`keyspace_hits:2\r`, `keyspace_misses:1\r`} {
		if !strings.Contains(stats, want) {
			t.Errorf("INFO stats after SORT lacks %q: %s", want, stats)
		}
	}
}

func TestSortCommandTable(t *testing.T) {
	c := exactConn(t)
	runSteps(t, c, []step{
		{cmd: "COMMAND GETKEYS sort k", want: `["k"]`},
		{cmd: "COMMAND GETKEYS sort k STORE d", want: `["k" "d"]`},
		{cmd: "COMMAND GETKEYS sort k STORE d1 LIMIT 0 1 GET store BY store STORE d2 ALPHA", want: `["k" "d2"]`},
		{cmd: "COMMAND GETKEYS sort_ro k BY w_* GET o_*", want: `["k"]`},
	})
	for _, tc := range []struct{ name, prefix string }{
		{"sort", `[["sort" :-2 [+write +denyoom +movablekeys] :1 :1 :1 [+@write +@set +@sortedset +@list +@slow +@dangerous]`},
		{"sort_ro", `[["sort_ro" :-2 [+readonly +movablekeys] :1 :1 :1 [+@read +@set +@sortedset +@list +@slow +@dangerous]`},
	} {
		if got := c.Do("COMMAND", "INFO", tc.name); !strings.HasPrefix(got, tc.prefix) {
			t.Errorf("COMMAND INFO %s: %s, want a reply starting %s", tc.name, got, tc.prefix)
		}
	}
}

// In cluster mode BY and GET patterns resolve in the caller's namespace:
// the same key names in another tenant's are never read, and STORE writes
// the caller's own key.
func TestSortClusterIsolation(t *testing.T) {
	f := startCluster(t)
	a, b := f.as(t, "alice-rw"), f.as(t, "bob-rw")
	for _, c := range []*resptest.Client{a, b} {
		runSteps(t, c, []step{
			{cmd: "SADD src 1 2 3", want: ":3"},
			{cmd: "MSET o_1 mine1 o_2 mine2", want: "+OK"},
		})
	}
	runSteps(t, b, []step{
		{cmd: "MSET w_1 1 w_2 2 w_3 3 o_3 bob3", want: "+OK"},
		{cmd: "HSET h_1 f bob-h1", want: ":1"},
		{cmd: "SET dst bob-dst", want: "+OK"},
	})
	runSteps(t, a, []step{
		{cmd: "MSET w_1 3 w_2 2 w_3 1", want: "+OK"},
		{cmd: "SORT src BY w_* GET o_* GET #", want: `[nil "3" "mine2" "2" "mine1" "1"]`},
		{cmd: "SORT_RO src BY nosort GET h_*->f GET user:bob:o_*", want: `[nil nil nil nil nil nil]`},
		{cmd: "SORT src BY w_* STORE dst", want: ":3"},
		{cmd: "LRANGE dst 0 -1", want: `["3" "2" "1"]`},
	})
	runSteps(t, b, []step{
		{cmd: "SORT src BY w_* GET o_*", want: `["mine1" "mine2" "bob3"]`},
		{cmd: "GET dst", want: `"bob-dst"`},
	})
}

// SORT needs write permission and read too, since it returns the data or,
// with STORE, how many elements it read; SORT_RO needs read.
func TestSortPermissions(t *testing.T) {
	f := startCluster(t)
	rw := f.as(t, "alice-rw")
	runSteps(t, rw, []step{{cmd: "SADD src 2 1", want: ":2"}})
	ro, w := f.as(t, "alice-ro"), f.as(t, "alice-w")
	runSteps(t, ro, []step{
		{cmd: "SORT_RO src", want: `["1" "2"]`},
		{cmd: "SORT src", want: "-" + NoPermErr("alice-ro", "sort")},
	})
	runSteps(t, w, []step{
		{cmd: "SORT src", want: "-" + NoPermErr("alice-w", "sort")},
		{cmd: "SORT src LIMIT 0 1", want: "-" + NoPermErr("alice-w", "sort")},
		{cmd: "SORT_RO src", want: "-" + NoPermErr("alice-w", "sort_ro")},
		{cmd: "SORT src STORE dst", want: "-" + NoPermErr("alice-w", "sort")},
	})
	runSteps(t, rw, []step{
		{cmd: "LRANGE dst 0 -1", want: `[]`},
		{cmd: "SORT src STORE dst", want: ":2"},
		{cmd: "LRANGE dst 0 -1", want: `["1" "2"]`},
	})
}

// STORE replaces, creates and deletes keys: the namespace's tracked key and
// byte counts must stay those of a recount after every step.
func TestSortStoreAccounting(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for _, args := range [][]string{
		{"RPUSH", "l", "3", "1", "22"},
		{"SADD", "s", "b", "aa"},
		{"ZADD", "z", "1", "x", "2", "yy"},
		{"MSET", "o_1", "one", "o_3", "three", "str", "a-long-string-value"},
		{"SORT", "l", "STORE", "dst"},
		{"SORT", "l", "GET", "o_*", "GET", "#", "STORE", "dst"},
		{"SORT", "s", "ALPHA", "STORE", "str"},
		{"SORT", "z", "BY", "nosort", "STORE", "z"},
		{"SORT", "l", "STORE", "l"},
		{"SORT", "missing", "STORE", "dst"},
		{"SORT", "l", "LIMIT", "9", "1", "STORE", "str"},
	} {
		if got := c.Do(args...); strings.HasPrefix(got, "-") || strings.HasPrefix(got, "ERROR") {
			t.Fatalf("%q: %s", args, got)
		}
		keys, bytes, gotKeys, gotBytes := recount(srv, srv.DBs[0])
		if gotKeys != keys || gotBytes != bytes {
			t.Errorf("after %q: tracked %d keys %d bytes, recount %d keys %d bytes", args, gotKeys, gotBytes, keys, bytes)
		}
	}
	runSteps(t, c, []step{
		{cmd: "DBSIZE", want: ":5"},
		{cmd: "EXISTS dst str", want: ":0"},
		{cmd: "LRANGE z 0 -1", want: `["x" "yy"]`},
	})
}

// A big pooled buffer is cleared with chances to yield between steps when
// no lock is held, and in one go otherwise (under a lock, a yield would
// make others wait for it longer).
func TestSortPoolPutYieldsWhileClearing(t *testing.T) {
	var pool slicePool[sortItem]
	for _, yield := range []bool{true, false} {
		buf := make([]sortItem, 100_000)
		for i := range buf {
			buf[i].elem = []byte("x")
		}
		chances := 0
		sched.Observe(func(resumed bool) {
			if !resumed {
				chances++
			}
		})
		pool.put(buf, yield)
		sched.Observe(nil)
		step := sortClearStep / int(unsafe.Sizeof(sortItem{}))
		if want := (len(buf)+step-1)/step - 1; yield && chances != want || !yield && chances != 0 {
			t.Errorf("yield %v: %d chances to yield while clearing %d items, want %d", yield, chances, len(buf), map[bool]int{true: want, false: 0}[yield])
		}
		for i := range buf {
			if buf[i].elem != nil {
				t.Fatalf("yield %v: item %d not cleared", yield, i)
			}
		}
	}
}
