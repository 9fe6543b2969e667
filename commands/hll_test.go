package commands

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"testing"

	"synap/commands/hyperloglog"
	"synap/engine"
	"synap/resp/resptest"
	"synap/tenant"
)

func init() {
	for k, v := range hllIsolation {
		isolationExamples[k] = v
	}
	isolationSeeders = append(isolationSeeders, hllSeed)
	for k, v := range map[string]tenant.Need{
		"pfadd": tenant.NeedWrite, "pfmerge": tenant.NeedWrite, "pfcount": tenant.NeedRead, "pfdebug": tenant.NeedServer,
	} {
		permissionModel[k] = v
	}
}

// hllSeed gives user two HyperLogLogs of elements naming the user.
func hllSeed(tx *engine.Tx, user string) {
	for key, els := range map[string][]string{
		"hll1": {user + "-e1", user + "-e2", user + "-e3"},
		"hll2": {user + "-e4"},
	} {
		s := hyperloglog.New()
		for _, e := range els {
			idx, count := hyperloglog.Pattern([]byte(e))
			s, _ = hyperloglog.Set(s, idx, count)
		}
		hyperloglog.Invalidate(s)
		tx.Put([]byte(key), engine.StringEntry(s, true))
	}
}

// hllIsolation: every HyperLogLog command names its keys, which resolve in
// the caller's namespace; PFDEBUG is the operator's.
var hllIsolation = map[string][][]string{
	"pfadd":   {{"pfadd", "hll1", "alice-x"}, {"pfadd", "hll9", "a", "b"}, {"pfadd", "k1", "x"}},
	"pfcount": {{"pfcount", "hll1"}, {"pfcount", "hll1", "hll2", "hll9"}, {"pfcount", "k1"}},
	"pfmerge": {{"pfmerge", "hll9", "hll1", "hll2"}, {"pfmerge", "hll1", "hll2"}},
	"pfdebug": {{"pfdebug", "encoding", "hll1"}, {"pfdebug", "getreg", "hll1"}},
}

const hllNotHLL = "-WRONGTYPE Key is not a valid HyperLogLog string value."

// hllQuote renders a value as the test client shows a bulk string.
func hllQuote(s string) string { return strconv.Quote(s) }

func TestHLLCommands(t *testing.T) {
	srv := startServer(t)
	stringsPutList(srv, "list")
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "PFADD h a", want: ":1"},
		// The layout Redis writes, byte for byte: sparse, stale cache.
		{cmd: "GET h", want: hllQuote("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80q\xa6\x84NW")},
		{cmd: "OBJECT ENCODING h", want: `"raw"`},
		{cmd: "PFADD h a", want: ":0"},
		{cmd: "PFADD h", want: ":0"},
		{cmd: "PFCOUNT h", want: ":1"},
		{cmd: "PFADD empty", want: ":1"},
		{cmd: "GET empty", want: hllQuote("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff")},
		{cmd: "PFCOUNT empty", want: ":0"},
		{cmd: "PFCOUNT nokey", want: ":0"},
		{cmd: "PFCOUNT nokey other", want: ":0"},
		{cmd: "PFADD a x y z", want: ":1"},
		{cmd: "GET a", want: hllQuote("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80a\x84\x80X\xcd\x88E\xa0\x84\b")},
		{cmd: "PFADD b z w", want: ":1"},
		{cmd: "PFCOUNT a b", want: ":4"},
		{cmd: "PFCOUNT a b nokey a", want: ":4"},
		{cmd: "PFMERGE c a b", want: "+OK"},
		{cmd: "GET c", want: hllQuote("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80PG\x84Q;\x80X\xcd\x88E\xa0\x84\b")},
		{cmd: "PFCOUNT c", want: ":4"},
		{cmd: "PFMERGE c", want: "+OK"}, // the destination alone
		{cmd: "PFMERGE d nokey", want: "+OK"},
		{cmd: "PFCOUNT d", want: ":0"},
		{cmd: "EXISTS d", want: ":1"},
		{cmd: "PFDEBUG ENCODING c", want: "+sparse"},
		{cmd: "PFDEBUG DECODE c", want: `"Z:4168 v:2,1 Z:4412 v:1,1 Z:6350 v:3,1 Z:1441 v:2,1 z:9"`},
		{cmd: "PFDEBUG decode nokey", want: "-ERR The specified key does not exist"},
		{cmd: "PFDEBUG foo c", want: "-ERR Unknown PFDEBUG subcommand 'foo'"},
		{cmd: "PFDEBUG TODENSE c", want: ":1"},
		{cmd: "PFDEBUG TODENSE c", want: ":0"},
		{cmd: "PFDEBUG ENCODING c", want: "+dense"},
		{cmd: "PFDEBUG DECODE c", want: "-ERR HLL encoding is not sparse"},
		{cmd: "STRLEN c", want: ":12304"},
		{cmd: "PFCOUNT c", want: ":4"},
		{cmd: "PFCOUNT c a", want: ":4"},
		{cmd: "PFMERGE e a c", want: "+OK"}, // a dense source makes the destination dense
		{cmd: "PFDEBUG ENCODING e", want: "+dense"},
		{cmd: "PFCOUNT e", want: ":4"},

		// Wrong kinds and strings that are not HyperLogLogs.
		{cmd: "SET str hello", want: "+OK"},
		{cmd: "PFADD str a", want: hllNotHLL},
		{cmd: "PFCOUNT str", want: hllNotHLL},
		{cmd: "PFCOUNT h str", want: hllNotHLL},
		{cmd: "PFMERGE str", want: hllNotHLL},
		{cmd: "PFMERGE d str", want: hllNotHLL},
		{cmd: "PFMERGE str h", want: hllNotHLL},
		{cmd: "PFDEBUG getreg str", want: hllNotHLL},
		{cmd: "PFADD list a", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "PFCOUNT list", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "PFCOUNT h list", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "PFMERGE d list", want: "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{cmd: "PFADD", want: "-ERR wrong number of arguments for 'pfadd' command"},
		{cmd: "PFCOUNT", want: "-ERR wrong number of arguments for 'pfcount' command"},
		{cmd: "PFMERGE", want: "-ERR wrong number of arguments for 'pfmerge' command"},
		{cmd: "PFDEBUG encoding", want: "-ERR wrong number of arguments for 'pfdebug' command"},
	})
}

// Values that pass the header check but whose registers are damaged, and
// headers that fail it, get Redis's two different errors.
func TestHLLCorrupt(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	hdr := "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
	dense := "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
	for _, kv := range [][2]string{
		{"short", hdr + "\x7f\xfe"}, // one register short of 16384
		{"long", hdr + "\x7f\xff\x80"},
		{"cut", hdr + "\x7f"},
		{"badenc", "HYLL\x02" + hdr[5:] + "\x7f\xff"},
		{"densesize", dense + strings.Repeat("\x00", 100)},
		{"magic", "HYLX" + hdr[4:] + "\x7f\xff"},
		{"tiny", "HYLL"},
	} {
		if got := c.Do("SET", kv[0], kv[1]); got != "+OK" {
			t.Fatal(got)
		}
	}
	const corrupt = "-INVALIDOBJ Corrupted HLL object detected"
	runSteps(t, c, []step{
		{cmd: "PFCOUNT short", want: corrupt},
		{cmd: "PFCOUNT long", want: corrupt},
		{cmd: "PFCOUNT cut", want: corrupt},
		{cmd: "PFCOUNT short long", want: corrupt},
		{cmd: "PFMERGE d short", want: corrupt},
		{cmd: "EXISTS d", want: ":0"},
		{cmd: "PFADD long a", want: ":1"}, // the register is found before the damage
		{cmd: "PFDEBUG TODENSE short", want: corrupt},
		{cmd: "PFDEBUG GETREG long", want: corrupt},
		{cmd: "PFCOUNT badenc", want: hllNotHLL},
		{cmd: "PFCOUNT densesize", want: hllNotHLL},
		{cmd: "PFCOUNT magic", want: hllNotHLL},
		{cmd: "PFCOUNT tiny", want: hllNotHLL},
	})
	// Opcodes must cover exactly 16384 registers, no more and no fewer,
	// whichever command reads them.
	for _, tc := range []struct{ body, count, merge string }{
		{"\x7f\xff\x00", corrupt, corrupt},        // one zero too many
		{"\x7f\xff\x40\x00", corrupt, corrupt},    // a second XZERO
		{"\x7f\xfe\x81", corrupt, corrupt},        // a VAL run crossing the end
		{"\x7f\xfe\x01", corrupt, corrupt},        // a ZERO run crossing the end
		{"\x7f\xfe\x80", ":1", "+OK"},             // exactly 16384
		{"\x00\x7f\xfd\x84", ":1", "+OK"},         // ZERO, XZERO, VAL
		{"\x83\x7f\xfb", ":4", "+OK"},             // a VAL run of 1 over 4 registers
		{"\x7f\xfe\x80\x00", corrupt, corrupt},    // trailing opcode past the end
		{"\xfc\x7f\xfe", ":1", "+OK"},             // VAL of 32, the largest
		{"\x80\x80\x80\x80\x7f\xfb", ":4", "+OK"}, // unmerged VALs are still valid
		{"\x3f\x3f\x3f\x3f\x7e\xff", ":0", "+OK"}, // only ZERO runs and an XZERO
		{"\x7f\xff", ":0", "+OK"},
	} {
		if got := c.Do("SET", "x", hdr+tc.body); got != "+OK" {
			t.Fatal(got)
		}
		runSteps(t, c, []step{
			{cmd: "PFCOUNT x", want: tc.count},
			{cmd: "PFCOUNT x nokey", want: tc.count},
			{cmd: "PFMERGE m x", want: tc.merge},
		})
	}
	// A valid cache is trusted, as Redis trusts it.
	if got := c.Do("SET", "cached", hdr[:8]+"\x2a\x00\x00\x00\x00\x00\x00\x00\x7f\xff"); got != "+OK" {
		t.Fatal(got)
	}
	if got := c.Do("PFCOUNT", "cached"); got != ":42" {
		t.Errorf("PFCOUNT of a value caching 42: %s", got)
	}
}

// hllFill adds el:0 ... el:n-1 to key, pipelined in batches.
func hllFill(t *testing.T, c *resptest.Client, key, prefix string, n int) {
	t.Helper()
	const batch = 10000
	sent := 0
	for i := 0; i < n; i += batch {
		args := []string{"PFADD", key}
		for j := i; j < min(n, i+batch); j++ {
			args = append(args, prefix+strconv.Itoa(j))
		}
		if err := c.Send(string(resptest.Encode(args...))); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	for range sent {
		if got := c.Read(); got != ":1" && got != ":0" {
			t.Fatalf("PFADD: %s", got)
		}
	}
}

// The same elements give the same bytes and the same estimates as
// redis-server 7.0.15 (figures taken from it), through the sparse range,
// the switch to dense and beyond.
func TestHLLMatchesRedis(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for _, tc := range []struct {
		n        int
		count    string
		encoding string
		size     string
		sha      string
	}{
		{1, ":1", "+sparse", ":21", "e8131e43fcc99b3a8ae00c1650a10d4d1aa24bbeddf5c4c49eef40d59e87422c"},
		{10, ":10", "+sparse", ":48", "0e9eb357c8eebc63439b4b7da82ccd9c49d31358d9622ec7b2486eb61b8c7192"},
		{100, ":100", "+sparse", ":289", "36ab75237d7752fcdc9941216ac9d501992d18693db8d43c1ec9c4802d39c21d"},
		{1000, ":999", "+sparse", ":1892", "a18a0f485230f4b2868d77a230ac57813a1b8d9b2c0abe55c75c29d14869ba17"},
		{10000, ":10019", "+dense", ":12304", "9a2e8282973a5e94600de60b0eb9c3a6b6bf70766bc2bfe73eb75007147bf2e6"},
		{100000, ":98893", "+dense", ":12304", "df7f9fda0c79c41ed50daf347e935954f9c021795998c59384e638ddfc94096d"},
	} {
		key := "h" + strconv.Itoa(tc.n)
		hllFill(t, c, key, "el:", tc.n)
		// The bytes before PFCOUNT caches anything.
		v, err := strconv.Unquote(c.Do("GET", key))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256([]byte(v)); hex.EncodeToString(sum[:]) != tc.sha {
			t.Errorf("%d elements: the value differs from Redis's (%d bytes)", tc.n, len(v))
		}
		runSteps(t, c, []step{
			{cmd: "STRLEN " + key, want: tc.size},
			{cmd: "PFDEBUG ENCODING " + key, want: tc.encoding},
			{cmd: "PFCOUNT " + key, want: tc.count},
		})
	}
	// A dense value read back from its bytes counts the same.
	v := c.Do("GET", "h100000")
	uq, _ := strconv.Unquote(v)
	if got := c.Do("SET", "copy", uq); got != "+OK" {
		t.Fatal(got)
	}
	runSteps(t, c, []step{
		{cmd: "PFCOUNT copy", want: ":98893"},
		{cmd: "PFCOUNT h10 h100 h1000", want: ":999"},
		{cmd: "PFMERGE m h1000 h10000", want: "+OK"},
		{cmd: "PFCOUNT m", want: ":10019"},
	})
}

// A sparse value turns dense once it passes 3000 bytes, exactly where
// Redis turns it (its hll-sparse-max-bytes default).
func TestHLLPromotion(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	last := ""
	for i := 0; i < 5000; i++ {
		c.Do("PFADD", "p", "el:"+strconv.Itoa(i))
		if enc := c.Do("PFDEBUG", "ENCODING", "p"); enc == "+dense" {
			// Redis turns dense at el:1703, from 2999 sparse bytes.
			if i != 1703 || last != ":2999" {
				t.Errorf("dense at el:%d from %s sparse bytes; Redis: el:1703 from 2999", i, last)
			}
			return
		}
		last = c.Do("STRLEN", "p")
	}
	t.Fatal("never turned dense")
}

// The estimate over a million distinct elements is within three standard
// errors (3 × 0.81%) of the truth, and is the very number Redis gives.
func TestHLLMillion(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	const n = 1_000_000
	hllFill(t, c, "m", "element:", n)
	got := c.Do("PFCOUNT", "m")
	est, err := strconv.Atoi(strings.TrimPrefix(got, ":"))
	if err != nil {
		t.Fatal(got)
	}
	rel := math.Abs(float64(est-n)) / n
	t.Logf("PFCOUNT over %d distinct elements: %d, error %.4f%%", n, est, 100*rel)
	if rel > 3*0.0081 {
		t.Errorf("error %.4f%% exceeds 3 standard errors", 100*rel)
	}
	if est != 1010357 {
		t.Errorf("PFCOUNT %d, Redis gives 1010357 for the same elements", est)
	}
}

// PFADD and PFMERGE change a value in place: its TTL stays.
func TestHLLKeepsTTL(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	runSteps(t, c, []step{
		{cmd: "PFADD h a", want: ":1"},
		{cmd: "EXPIRE h 100", want: ":1"},
		{cmd: "PFADD h b c", want: ":1"},
		{cmd: "TTL h", want: ":100"},
		{cmd: "PFMERGE h h", want: "+OK"},
		{cmd: "TTL h", want: ":100"},
	})
}

func TestHLLAccounting(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	ns := srv.DBs[0]
	check := func(what string) {
		t.Helper()
		keys, bytes, gotKeys, gotBytes := recount(srv, ns)
		if keys != gotKeys || bytes != gotBytes {
			t.Fatalf("after %s: tracked %d keys %d bytes, recount %d keys %d bytes", what, gotKeys, gotBytes, keys, bytes)
		}
	}
	for i := range 60 {
		key := "h" + strconv.Itoa(i%4)
		args := []string{"PFADD", key}
		for j := range 1 + i*i {
			args = append(args, strconv.Itoa(i)+":"+strconv.Itoa(j))
		}
		c.Do(args...)
		check("PFADD")
		c.Do("PFMERGE", "m"+strconv.Itoa(i%3), key, "h"+strconv.Itoa((i+1)%4))
		check("PFMERGE")
		c.Do("PFCOUNT", key)
		check("PFCOUNT")
		if i%7 == 0 {
			c.Do("PFDEBUG", "TODENSE", key)
			check("PFDEBUG TODENSE")
		}
	}
}
