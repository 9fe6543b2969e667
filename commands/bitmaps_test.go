package commands

import (
	"strconv"
	"strings"
	"testing"

	"synap/engine"
	"synap/tenant"
)

func init() {
	for k, v := range bitmapsIsolation {
		isolationExamples[k] = v
	}
	isolationSeeders = append(isolationSeeders, bitmapsSeed)
	for k, v := range map[string]tenant.Need{
		"getbit": tenant.NeedRead, "bitcount": tenant.NeedRead, "bitpos": tenant.NeedRead, "bitfield_ro": tenant.NeedRead,
		"bitop": tenant.NeedWrite,
	} {
		permissionModel[k] = v
	}
	isolationOwnView["bitcount bm1"] = func(r string) bool { return r == ":39" } // "alice-bits"
}

// bitmapsSeed gives user a bitmap whose bytes spell the user's name.
func bitmapsSeed(tx *engine.Tx, user string) {
	tx.SetString([]byte("bm1"), []byte(user+"-bits"), 0)
}

// bitmapsIsolation: every bitmap command names its keys, which resolve in
// the caller's namespace.
var bitmapsIsolation = map[string][][]string{
	"setbit":      {{"setbit", "bm1", "0", "1"}, {"setbit", "bm9", "100", "1"}},
	"getbit":      {{"getbit", "bm1", "1"}, {"getbit", "bm9", "1"}},
	"bitcount":    {{"bitcount", "bm1"}, {"bitcount", "bm1", "0", "-1", "BIT"}},
	"bitpos":      {{"bitpos", "bm1", "1"}, {"bitpos", "bm1", "0", "2", "-1"}},
	"bitop":       {{"bitop", "or", "bm9", "bm1", "k1"}, {"bitop", "not", "bm1", "bm1"}, {"bitop", "and", "k1", "bm9"}},
	"bitfield":    {{"bitfield", "bm1", "get", "u8", "0", "incrby", "u8", "8", "1"}, {"bitfield", "bm9", "set", "i16", "#2", "-5"}},
	"bitfield_ro": {{"bitfield_ro", "bm1", "get", "i16", "#1"}},
}

const bitmapsWrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value"

func TestBitmapsSetGetBit(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SETBIT k 7 1", want: ":0"},
		{cmd: "GET k", want: `"\x01"`},
		{cmd: "OBJECT ENCODING k", want: `"raw"`},
		{cmd: "SETBIT k 7 1", want: ":1"},
		{cmd: "SETBIT k 7 0", want: ":1"},
		{cmd: "SETBIT k 0 1", want: ":0"},
		{cmd: "SETBIT k 17 1", want: ":0"},
		{cmd: "GET k", want: `"\x80\x00@"`},
		{cmd: "GETBIT k 0", want: ":1"},
		{cmd: "GETBIT k 1", want: ":0"},
		{cmd: "GETBIT k 17", want: ":1"},
		{cmd: "GETBIT k 4294967295", want: ":0"}, // past the end reads zero
		{cmd: "GETBIT nokey 5", want: ":0"},
		{cmd: "SET s abc", want: "+OK"},
		{cmd: "OBJECT ENCODING s", want: `"embstr"`},
		{cmd: "SETBIT s 7 1", want: ":1"}, // 'a' is 0x61
		{cmd: "OBJECT ENCODING s", want: `"raw"`},
		{cmd: "SET n 12", want: "+OK"},
		{cmd: "GETBIT n 2", want: ":1"}, // the digits' bytes: '1' is 0x31
		{cmd: "SETBIT n 6 1", want: ":0"},
		{cmd: "GET n", want: `"32"`},

		{cmd: "SETBIT k 4294967296 1", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "SETBIT k -1 1", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "SETBIT k abc 1", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "SETBIT k 01 1", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "SETBIT k 0 2", want: "-ERR bit is not an integer or out of range"},
		{cmd: "SETBIT k 0 -1", want: "-ERR bit is not an integer or out of range"},
		{cmd: "SETBIT k 0 x", want: "-ERR bit is not an integer or out of range"},
		{cmd: "GETBIT k 4294967296", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "GETBIT k x", want: "-ERR bit offset is not an integer or out of range"},
		// The offset and bit are checked before the key's kind.
		{cmd: "SETBIT list x 1", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "SETBIT list 0 x", want: "-ERR bit is not an integer or out of range"},
		{cmd: "SETBIT list 0 1", want: bitmapsWrongType},
		{cmd: "GETBIT list 0", want: bitmapsWrongType},
		{cmd: "GETBIT list x", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "SETBIT k 1", want: "-ERR wrong number of arguments for 'setbit' command"},
		{cmd: "GETBIT k", want: "-ERR wrong number of arguments for 'getbit' command"},
	})
	// The largest offset makes a 512 MB string, as in Redis.
	runSteps(t, c, []step{
		{cmd: "SETBIT big 4294967295 1", want: ":0"},
		{cmd: "STRLEN big", want: ":536870912"},
		{cmd: "GETBIT big 4294967295", want: ":1"},
		{cmd: "BITCOUNT big -1 -1", want: ":1"},
		{cmd: "BITPOS big 1 -8", want: ":4294967295"},
		{cmd: "DEL big", want: ":1"},
	})
}

func TestBitmapsCountPos(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET s foobar", want: "+OK"},
		{cmd: "BITCOUNT s", want: ":26"},
		{cmd: "BITCOUNT s 0 0", want: ":4"},
		{cmd: "BITCOUNT s 1 1", want: ":6"},
		{cmd: "BITCOUNT s 1 1 BYTE", want: ":6"},
		{cmd: "BITCOUNT s 5 30 BIT", want: ":17"},
		{cmd: "BITCOUNT s 5 30 bit", want: ":17"},
		{cmd: "BITCOUNT s -2 -1", want: ":7"},
		{cmd: "BITCOUNT s -100 100", want: ":26"},
		{cmd: "BITCOUNT s 3 1", want: ":0"},
		{cmd: "BITCOUNT s -1 -2", want: ":0"},
		{cmd: "BITCOUNT s -1 -2 foo", want: ":0"}, // decided before the unit is read
		{cmd: "BITCOUNT s 0 -1 foo", want: "-ERR syntax error"},
		{cmd: "BITCOUNT s 1", want: "-ERR syntax error"},
		{cmd: "BITCOUNT s 1 2 BIT x", want: "-ERR syntax error"},
		{cmd: "BITCOUNT s a 1", want: "-ERR value is not an integer or out of range"},
		{cmd: "BITCOUNT nokey", want: ":0"},
		{cmd: "BITCOUNT nokey a b c", want: ":0"}, // a missing key answers before the range is read
		{cmd: "BITCOUNT list", want: bitmapsWrongType},
		{args: []string{"SET", "empty", ""}, want: "+OK"},
		{cmd: "BITCOUNT empty", want: ":0"},
		{cmd: "BITCOUNT empty 0 -1 BIT", want: ":0"},

		{args: []string{"SET", "p", "\xff\xf0\x00"}, want: "+OK"},
		{cmd: "BITPOS p 0", want: ":12"},
		{cmd: "BITPOS p 1", want: ":0"},
		{cmd: "BITPOS p 1 2", want: ":-1"},
		{cmd: "BITPOS p 0 2", want: ":16"},
		{cmd: "BITPOS p 1 7 15 BIT", want: ":7"},
		{cmd: "BITPOS p 0 7 11 BIT", want: ":-1"}, // an explicit end: no zero padding
		{cmd: "BITPOS p 0 7 12 BIT", want: ":12"},
		{cmd: "BITPOS p 0 -1", want: ":16"},
		{cmd: "BITPOS p 1 -1", want: ":-1"},
		{cmd: "BITPOS p 1 5 3", want: ":-1"},
		{args: []string{"SET", "ones", "\xff\xff"}, want: "+OK"},
		{cmd: "BITPOS ones 0", want: ":16"},   // no end: the string continues with zero bits
		{cmd: "BITPOS ones 0 1", want: ":16"}, // a start alone still pads
		{cmd: "BITPOS ones 0 0 -1", want: ":-1"},
		{cmd: "BITPOS nokey 1", want: ":-1"},
		{cmd: "BITPOS nokey 0", want: ":0"},
		{cmd: "BITPOS nokey 1 a", want: ":-1"},
		{cmd: "BITPOS empty 0", want: ":-1"},
		{cmd: "BITPOS nokey 2", want: "-ERR The bit argument must be 1 or 0."},
		{cmd: "BITPOS list 2", want: "-ERR The bit argument must be 1 or 0."},
		{cmd: "BITPOS p x", want: "-ERR value is not an integer or out of range"},
		{cmd: "BITPOS list 1", want: bitmapsWrongType},
		{cmd: "BITPOS p 1 a", want: "-ERR value is not an integer or out of range"},
		{cmd: "BITPOS p 1 0 a foo", want: "-ERR syntax error"}, // the unit is read before the end
		{cmd: "BITPOS p 1 0 1 foo", want: "-ERR syntax error"},
		{cmd: "BITPOS p 1 0 -1 BIT 5", want: "-ERR syntax error"},
		{cmd: "BITPOS p", want: "-ERR wrong number of arguments for 'bitpos' command"},
	})
	// Long runs are skipped a word at a time; the answer is the same.
	long := strings.Repeat("\x00", 1000) + "\x01" + strings.Repeat("\xff", 1000)
	runSteps(t, c, []step{
		{args: []string{"SET", "long", long}, want: "+OK"},
		{cmd: "BITPOS long 1", want: ":8007"},
		{cmd: "BITPOS long 1 3 -1", want: ":8007"},
		{cmd: "BITPOS long 0 1001", want: ":16008"},
		{cmd: "BITPOS long 1 1 8006 BIT", want: ":-1"},
		{cmd: "BITCOUNT long", want: ":8001"},
		{cmd: "BITCOUNT long 8007 8015 BIT", want: ":9"},
	})
}

func TestBitmapsBitOp(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET a abcdef", want: "+OK"},
		{cmd: "SET b xyz", want: "+OK"},
		{cmd: "BITOP AND d a b", want: ":6"},
		{cmd: "GET d", want: "\"``b\\x00\\x00\\x00\""},
		{cmd: "OBJECT ENCODING d", want: `"raw"`},
		{cmd: "BITOP or d a b", want: ":6"},
		{cmd: "GET d", want: `"y{{def"`},
		{cmd: "BITOP XOR d a b nokey", want: ":6"},
		{cmd: "GET d", want: `"\x19\x1b\x19def"`},
		{cmd: "BITOP NOT d b", want: ":3"},
		{cmd: "GET d", want: `"\x87\x86\x85"`},
		{cmd: "BITOP AND d a nokey", want: ":6"},
		{cmd: "GET d", want: `"\x00\x00\x00\x00\x00\x00"`},
		{cmd: "BITOP NOT a a", want: ":6"}, // a source may be the destination
		{cmd: "GET a", want: `"\x9e\x9d\x9c\x9b\x9a\x99"`},
		// An empty result deletes the destination, whatever it held.
		{cmd: "BITOP OR list nokey1 nokey2", want: ":0"},
		{cmd: "EXISTS list", want: ":0"},
		{args: []string{"SET", "e", ""}, want: "+OK"},
		{cmd: "BITOP OR d e", want: ":0"},
		{cmd: "EXISTS d", want: ":0"},
		// The destination is replaced: its kind and TTL do not matter.
		{cmd: "SET t v", want: "+OK"},
		{cmd: "EXPIRE t 100", want: ":1"},
		{cmd: "BITOP OR t b", want: ":3"},
		{cmd: "TTL t", want: ":-1"},
		{cmd: "GET t", want: `"xyz"`},

		{cmd: "BITOP foo d a", want: "-ERR syntax error"},
		{cmd: "BITOP NOT d a b", want: "-ERR BITOP NOT must be called with a single source key."},
		{cmd: "BITOP OR d", want: "-ERR wrong number of arguments for 'bitop' command"},
	})
	stringsPutList(srv, "list")
	runSteps(t, c, []step{
		{cmd: "BITOP AND d list a", want: bitmapsWrongType},
		{cmd: "BITOP AND list a", want: ":6"}, // the destination's kind is not checked
		{cmd: "TYPE list", want: "+string"},
	})
}

func TestBitmapsBitField(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	const typeErr = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	runSteps(t, c, []step{
		{cmd: "BITFIELD nk", want: "[]"},
		{cmd: "BITFIELD_RO nk", want: "[]"},
		{cmd: "BITFIELD nk GET u8 0 GET i64 0", want: "[:0 :0]"},
		{cmd: "EXISTS nk", want: ":0"}, // reads create nothing
		{cmd: "BITFIELD f SET i8 0 -100 GET u8 0 GET i4 0 INCRBY u4 4 3", want: "[:0 :156 :-7 :15]"},
		{cmd: "GET f", want: `"\x9f"`},
		{cmd: "OBJECT ENCODING f", want: `"raw"`},
		{cmd: "BITFIELD f SET u8 #1 255 GET u8 8 get U8 0", want: typeErr},
		{cmd: "STRLEN f", want: ":1"}, // a parse error changes nothing
		{cmd: "BITFIELD f SET u8 #1 255 GET u8 8 GET u16 4", want: "[:0 :255 :65520]"},
		{cmd: "BITFIELD f GET u8 #5", want: "[:0]"},
		{cmd: "BITFIELD f INCRBY u2 100 1 GET u2 100", want: "[:1 :1]"},
		{cmd: "STRLEN f", want: ":13"},

		// Overflow policies.
		{cmd: "BITFIELD o SET u8 0 255 INCRBY u8 0 10", want: "[:0 :9]"},
		{cmd: "BITFIELD o OVERFLOW SAT INCRBY u8 0 1000 INCRBY u8 0 -1000", want: "[:255 :0]"},
		{cmd: "BITFIELD o OVERFLOW FAIL INCRBY u8 0 256 INCRBY u8 0 255 INCRBY u8 0 1", want: "[nil :255 nil]"},
		{cmd: "BITFIELD o overflow fail incrby u2 100 5", want: "[nil]"},
		{cmd: "STRLEN o", want: ":13"}, // grown although the write failed, as in Redis
		{cmd: "BITFIELD o OVERFLOW SAT SET u8 0 -1 GET u8 0", want: "[:255 :255]"},
		{cmd: "BITFIELD o SET i8 0 200 GET i8 0 SET u8 0 256 GET u8 0", want: "[:-1 :-56 :200 :0]"},
		{cmd: "BITFIELD o OVERFLOW SAT SET i8 0 200 GET i8 0 INCRBY i8 0 -300", want: "[:0 :127 :-128]"},
		{cmd: "BITFIELD o OVERFLOW SAT SET i8 0 -9223372036854775808 GET i8 0", want: "[:-128 :127]"},
		{cmd: "BITFIELD o OVERFLOW SAT SET i60 0 -8646911284551352320 GET i60 0", want: "[:571957152676052992 :-576460752303423488]"},
		{cmd: "BITFIELD o OVERFLOW SAT SET i60 0 -8646911284551352321 GET i60 0", want: "[:-576460752303423488 :576460752303423487]"},
		{cmd: "BITFIELD o OVERFLOW FAIL SET i8 0 128 SET i8 0 -129 SET i8 0 -128", want: "[nil nil :127]"},
		{cmd: "BITFIELD o SET i64 0 9223372036854775807 INCRBY i64 0 1 OVERFLOW SAT INCRBY i64 0 -1 OVERFLOW FAIL INCRBY i64 0 -1", want: "[:-9151314442816847888 :-9223372036854775808 :-9223372036854775808 nil]"},
		{cmd: "BITFIELD o SET u63 0 -1 GET u63 0 INCRBY u63 0 1", want: "[:4611686018427387904 :9223372036854775807 :0]"},
		{cmd: "BITFIELD o OVERFLOW WRAP SET i3 1 5 GET i3 1", want: "[:0 :-3]"},

		// Arguments.
		{cmd: "BITFIELD nk foo", want: "-ERR syntax error"},
		{cmd: "BITFIELD nk GET u8", want: "-ERR syntax error"},
		{cmd: "BITFIELD nk SET u8 0", want: "-ERR syntax error"},
		{cmd: "BITFIELD nk OVERFLOW", want: "-ERR syntax error"},
		{cmd: "BITFIELD nk OVERFLOW foo GET u8 0", want: "-ERR Invalid OVERFLOW type specified"},
		{cmd: "BITFIELD nk GET U8 0", want: typeErr},
		{cmd: "BITFIELD nk GET u64 0", want: typeErr},
		{cmd: "BITFIELD nk GET i65 0", want: typeErr},
		{cmd: "BITFIELD nk GET u0 0", want: typeErr},
		{cmd: "BITFIELD nk GET i 0", want: typeErr},
		{cmd: "BITFIELD nk GET u8 -1", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "BITFIELD nk GET u8 #-1", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "BITFIELD nk GET u8 #", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "BITFIELD nk GET u8 4294967296", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "BITFIELD nk GET u8 #536870912", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "BITFIELD nk GET i8 #1152921504606846976", want: "-ERR bit offset is not an integer or out of range"}, // wraps negative
		{cmd: "BITFIELD nk GET u8 #536870911", want: "[:0]"},
		{cmd: "BITFIELD nk SET u8 0 x", want: "-ERR value is not an integer or out of range"},
		{cmd: "BITFIELD list GET u8 0", want: bitmapsWrongType},
		{cmd: "BITFIELD list SET u8 0 1", want: bitmapsWrongType},
		{cmd: "BITFIELD list SET u8 x 1", want: "-ERR bit offset is not an integer or out of range"},
		{cmd: "BITFIELD", want: "-ERR wrong number of arguments for 'bitfield' command"},

		{cmd: "BITFIELD_RO f GET u8 8 GET i16 #1", want: "[:255 :0]"},
		{cmd: "BITFIELD_RO f SET u8 0 1", want: "-ERR BITFIELD_RO only supports the GET subcommand"},
		{cmd: "BITFIELD_RO f GET u8 0 SET u8 0 x", want: "-ERR value is not an integer or out of range"},
		{cmd: "BITFIELD_RO list GET u8 0", want: bitmapsWrongType},
		{cmd: "BITFIELD_RO list SET u8 0 1", want: "-ERR BITFIELD_RO only supports the GET subcommand"},
	})
	// RESP3 shapes: a failed write is a null.
	runSteps(t, c, []step{
		{cmd: "HELLO 3", want: c.Do("HELLO", "3")},
		{cmd: "BITFIELD o OVERFLOW FAIL INCRBY u8 0 1000", want: "[null]"},
	})
}

// SETBIT and BITFIELD keep the key's TTL: they change the string in place.
func TestBitmapsKeepTTL(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "SET k a", want: "+OK"},
		{cmd: "EXPIRE k 100", want: ":1"},
		{cmd: "SETBIT k 100 1", want: ":0"},
		{cmd: "BITFIELD k SET u8 #20 7", want: "[:0]"},
		{cmd: "TTL k", want: ":100"},
		{cmd: "STRLEN k", want: ":21"},
	})
}

// A tenant near its storage quota cannot make a far SETBIT, BITFIELD or
// BITOP allocate what its arguments do not show.
func TestBitmapsQuota(t *testing.T) {
	setCarolLimits(t, "{storage_limit_bytes: 1112, rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, max_keys: -1, monthly_operations_limit: -1}")
	f := startCluster(t)
	c := f.as(t, "carol-rw")
	runSteps(t, c, []step{
		{cmd: "SETBIT k 4294967295 1", want: "-QUOTA storage quota exceeded: used 0 of 1112 bytes"},
		{cmd: "EXISTS k", want: ":0"},
		{cmd: "SETBIT k 7000 1", want: ":0"}, // 1 + 876 bytes and the key's 112 fit
		{cmd: "STRLEN k", want: ":876"},
		{cmd: "SETBIT k 8000 1", want: "-QUOTA storage quota exceeded: used 989 of 1112 bytes"},
		{cmd: "GETBIT k 7000", want: ":1"},
		{cmd: "STRLEN k", want: ":876"},
		{cmd: "SETBIT k 0 1", want: ":0"}, // no growth, no quota
		{cmd: "BITFIELD k SET u8 #4000000 1", want: "-QUOTA storage quota exceeded: used 989 of 1112 bytes"},
		{cmd: "BITFIELD k GET u8 #4000000", want: "[:0]"},
		{cmd: "BITOP NOT k2 k", want: "-QUOTA storage quota exceeded: used 989 of 1112 bytes"},
		{cmd: "BITOP NOT k k", want: ":876"}, // replacing a value of the same size
		// SETRANGE is held to the same rule.
		{cmd: "SETRANGE s 536870000 x", want: "-QUOTA storage quota exceeded: used 989 of 1112 bytes"},
		{cmd: "SETRANGE k 2000 x", want: "-QUOTA storage quota exceeded: used 989 of 1112 bytes"},
		{cmd: "EXISTS s", want: ":0"},
		{cmd: "SETRANGE k 0 xyz", want: ":876"},
	})
	if got := f.srv.Eng.Namespace((&tenant.Principal{UserID: "carol"}).Namespace()).Bytes(); got != 989 {
		t.Errorf("carol stores %d bytes, want 989", got)
	}
}

func TestBitmapsAccounting(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	ns := srv.DBs[0]
	steps := [][]string{
		{"SETBIT", "a", "100", "1"}, {"SETBIT", "a", "5", "1"}, {"SETBIT", "a", "1000", "0"},
		{"SET", "b", "xy"}, {"SETBIT", "b", "200", "1"},
		{"BITFIELD", "c", "SET", "u8", "#30", "7", "INCRBY", "i5", "3", "1"},
		{"BITFIELD", "c", "OVERFLOW", "FAIL", "INCRBY", "u2", "900", "9"},
		{"BITOP", "OR", "d", "a", "b", "c"}, {"BITOP", "AND", "d", "a", "nokey"}, {"BITOP", "NOT", "a", "b"},
		{"BITOP", "OR", "a", "nokey"}, {"APPEND", "b", "zzz"}, {"SETBIT", "b", "5000", "1"},
	}
	for _, args := range steps {
		if got := c.Do(args...); strings.HasPrefix(got, "-") {
			t.Fatalf("%q: %s", args, got)
		}
		keys, bytes, gotKeys, gotBytes := recount(srv, ns)
		if keys != gotKeys || bytes != gotBytes {
			t.Fatalf("after %q: tracked %d keys %d bytes, recount %d keys %d bytes", args, gotKeys, gotBytes, keys, bytes)
		}
	}
	if got := c.Do("STRLEN", "b"); got != ":"+strconv.Itoa(5000/8+1) {
		t.Errorf("STRLEN b: %s", got)
	}
}
