package commands

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"synap/engine"
	"synap/resp/resptest"
	"synap/tenant"
)

// quotaCarol runs a cluster whose tenant carol has the given limits (the
// others lifted), and returns a connection of carol's and her namespace.
func quotaCarol(t *testing.T, limits string) (*clusterFixture, *resptest.Client, *engine.Namespace) {
	t.Helper()
	setCarolLimits(t, "{rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, "+
		"monthly_operations_limit: -1, max_payload_bytes: -1, "+limits+"}")
	f := startCluster(t)
	ns := f.srv.Eng.Namespace((&tenant.Principal{UserID: "carol"}).Namespace())
	return f, f.as(t, "carol-rw"), ns
}

// quotaArgs is cmd followed by n generated arguments.
func quotaArgs(n int, gen func(i int) []string, cmd ...string) []string {
	out := append([]string(nil), cmd...)
	for i := range n {
		out = append(out, gen(i)...)
	}
	return out
}

func quotaMember(i, n int) string { return fmt.Sprintf("%0*d", n, i) }

// Every type accounts its key, its content, and the documented charge per
// key, per collection and per element, so what a tenant stores is bounded
// by the memory it really takes: 20,000 empty list elements are 1.3 MB,
// not 0 bytes.
func TestHostileQuotaChargesEveryElement(t *testing.T) {
	_, c, ns := quotaCarol(t, "storage_limit_bytes: 1048576, max_keys: -1")
	empty := func(int) []string { return []string{""} }
	k := int64(engine.KeyCharge)
	for _, tc := range []struct {
		args  []string
		bytes int64 // what the key accounts
	}{
		{[]string{"SET", "s", "hello"}, k + 1 + 5},
		{quotaArgs(1000, empty, "RPUSH", "l"), k + 1 + engine.ListCharge + 1000*engine.ListElemCharge},
		{quotaArgs(1000, func(i int) []string { return []string{"m" + quotaMember(i, 6)} }, "SADD", "st"),
			k + 2 + engine.SetCharge + 1000*(7+engine.SetMemberCharge)},
		{quotaArgs(100, func(i int) []string { return []string{quotaMember(i, 3), ""} }, "HSET", "h"),
			k + 1 + engine.HashCharge + 100*(3+engine.HashFieldCharge)},
		{quotaArgs(100, func(i int) []string { return []string{"1", quotaMember(i, 2)} }, "ZADD", "z"),
			k + 1 + engine.ZSetPackedCharge + 100*(2+8+engine.ZSetPackedMemberCharge)},
		{quotaArgs(200, func(i int) []string { return []string{"1", quotaMember(i, 3)} }, "ZADD", "zbig"),
			k + 4 + engine.ZSetCharge + 200*(3+8+engine.ZSetMemberCharge)},
	} {
		before := ns.Bytes()
		if got := c.Do(tc.args...); strings.HasPrefix(got, "-") {
			t.Fatalf("%s: %s", tc.args[0], got)
		}
		if got := ns.Bytes() - before; got != tc.bytes {
			t.Errorf("%s %s accounts %d bytes, want %d", tc.args[0], tc.args[1], got, tc.bytes)
		}
	}
	// One command of many empty elements is held to their charges: 20,000
	// of them (1.28 MB) do not fit the 1 MB quota, and nothing is stored.
	used := ns.Bytes()
	want := fmt.Sprintf("-QUOTA storage quota exceeded: used %d of 1048576 bytes", used)
	for _, args := range [][]string{
		quotaArgs(20000, empty, "RPUSH", "l2"),
		quotaArgs(20000, empty, "LPUSH", "l"), // an existing list too
		quotaArgs(10000, func(i int) []string { return []string{quotaMember(i, 6)} }, "SADD", "st2"),
		quotaArgs(10000, func(i int) []string { return []string{quotaMember(i, 6), ""} }, "HSET", "h2"),
		quotaArgs(10000, func(i int) []string { return []string{"1", quotaMember(i, 6)} }, "ZADD", "z2"),
	} {
		if got := c.Do(args...); got != want {
			t.Errorf("%s of %d arguments: %s, want %s", args[0], len(args), got, want)
		}
	}
	if got := c.Do("EXISTS", "l2", "st2", "h2", "z2"); got != ":0" || ns.Bytes() != used || c.Do("LLEN", "l") != ":1000" {
		t.Errorf("after refused writes: EXISTS %s, %d bytes (want %d), LLEN l %s", got, ns.Bytes(), used, c.Do("LLEN", "l"))
	}
}

// A command that builds its value from stored data (STORE destinations,
// COPY, BITOP, PFMERGE) checks the growth before storing: none takes the
// tenant past its quota, and a refused one leaves no destination behind.
func TestHostileQuotaStoreDestinations(t *testing.T) {
	const limit = 40000
	members := func(n, size int, prefix string) func(int) []string {
		return func(i int) []string { return []string{prefix + quotaMember(i, size)} }
	}
	scored := func(i int) []string { return []string{strconv.Itoa(i), quotaMember(i, 20)} }
	near := func(i int) []string {
		return []string{fmt.Sprintf("0.%04d", i), fmt.Sprintf("0.%04d", i), quotaMember(i, 20)}
	}
	set := quotaArgs(200, members(200, 20, ""), "SADD", "s")
	zset := quotaArgs(150, scored, "ZADD", "z")
	geo := quotaArgs(130, near, "GEOADD", "g")
	list := quotaArgs(300, members(300, 10, ""), "RPUSH", "l")
	big := []string{"SET", "big", strings.Repeat("x", 25000)}
	for _, tc := range []struct {
		setup [][]string
		store string
	}{
		{[][]string{set}, "SUNIONSTORE d s"},
		{[][]string{set}, "SINTERSTORE d s"},
		{[][]string{set}, "SDIFFSTORE d s"},
		{[][]string{set}, "COPY s d"},
		{[][]string{zset}, "ZUNIONSTORE d 1 z"},
		{[][]string{zset}, "ZINTERSTORE d 1 z"},
		{[][]string{zset}, "ZDIFFSTORE d 1 z"},
		{[][]string{zset}, "ZRANGESTORE d z 0 -1"},
		{[][]string{geo}, "GEOSEARCHSTORE d g FROMLONLAT 0 0 BYRADIUS 500 km"},
		{[][]string{geo}, "GEORADIUS g 0 0 500 km STORE d"},
		{[][]string{list}, "SORT l ALPHA STORE d"},
		// Eight empty elements, each looking up "v" twice: 48 KB from 8 bytes.
		{[][]string{{"RPUSH", "l", "", "", "", "", "", "", "", ""}, {"SET", "v", strings.Repeat("v", 3000)}}, "SORT l BY nosort GET v* GET v* STORE d"},
		{[][]string{big}, "COPY big d"},
		{[][]string{big}, "BITOP OR d big"},
		{[][]string{{"SET", "pad", strings.Repeat("x", 20000)}, quotaArgs(2000, members(2000, 8, "e"), "PFADD", "h")}, "PFMERGE d h"},
	} {
		t.Run(tc.store, func(t *testing.T) {
			_, c, ns := quotaCarol(t, "storage_limit_bytes: "+strconv.Itoa(limit)+", max_keys: -1")
			for _, args := range tc.setup {
				if got := c.Do(args...); strings.HasPrefix(got, "-") {
					t.Fatalf("setup %s: %s", args[0], got)
				}
			}
			used := ns.Bytes()
			want := fmt.Sprintf("-QUOTA storage quota exceeded: used %d of %d bytes", used, limit)
			if got := c.Do(strings.Fields(tc.store)...); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
			if got := c.Do("EXISTS", "d"); got != ":0" || ns.Bytes() != used {
				t.Errorf("after the refusal: EXISTS d %s, %d bytes stored, want %d", got, ns.Bytes(), used)
			}
		})
	}
}

// max_keys counts the keys a command would create, under its locks: a MSET
// of new keys past it is refused whole, while writes to existing keys (and
// commands that never create their key) work at the limit.
func TestHostileQuotaMaxKeysCountsCreatedKeys(t *testing.T) {
	_, c, ns := quotaCarol(t, "storage_limit_bytes: -1, max_keys: 10")
	kv := func(i int) []string { return []string{"k" + strconv.Itoa(i), "v"} }
	if got := c.Do(quotaArgs(200, kv, "MSET")...); got != "-QUOTA key quota exceeded: 0 of 10 keys, the command would create 200" {
		t.Errorf("MSET of 200 new keys: %s", got)
	}
	if got := c.Do("DBSIZE"); got != ":0" {
		t.Fatalf("a refused MSET stored keys: DBSIZE %s", got)
	}
	runSteps(t, c, []step{
		{args: quotaArgs(10, kv, "MSET"), want: "+OK"},
		{cmd: "SET k0 2", want: "+OK"},
		{cmd: "INCR k0", want: ":3"},
		{cmd: "APPEND k1 w", want: ":2"},
		{cmd: "MSET k2 a k3 b", want: "+OK"},
		{cmd: "SET k10 v", want: "-QUOTA key quota exceeded: 10 of 10 keys"},
		{cmd: "MSET k4 new k10 v", want: "-QUOTA key quota exceeded: 10 of 10 keys"},
		{cmd: "GET k4", want: `"v"`},
		{cmd: "LPUSHX nolist a", want: ":0"},
		{cmd: "SUNIONSTORE k5 missing", want: ":0"}, // empties k5: no new key
		{cmd: "DEL k6", want: ":1"},
		{cmd: "MSET k5 a k5 b", want: "+OK"}, // one new key named twice
		{cmd: "MSET k6 a k11 b", want: "-QUOTA key quota exceeded: 9 of 10 keys, the command would create 2"},
		{cmd: "COPY k5 k6", want: ":1"},
		{cmd: "COPY k5 k11", want: "-QUOTA key quota exceeded: 10 of 10 keys"},
		// SMOVE is not denyoom, yet creates its destination.
		{cmd: "DEL k9", want: ":1"},
		{cmd: "SADD k9 a b", want: ":2"},
		{cmd: "SMOVE k9 k13 a", want: "-QUOTA key quota exceeded: 10 of 10 keys"},
		{cmd: "SMOVE k9 k9 a", want: ":1"},
		{cmd: "RENAME k9 k14", want: "+OK"}, // no key added
		{cmd: "MULTI", want: "+OK"},
		{cmd: "SET k12 v", want: "+QUEUED"},
		{cmd: "SET k0 v", want: "+QUEUED"},
		{cmd: "EXEC", want: "[-QUOTA key quota exceeded: 10 of 10 keys +OK]"},
		{cmd: "DBSIZE", want: ":10"},
	})
	if n := ns.Keys(); n != 10 {
		t.Errorf("carol has %d keys, want 10", n)
	}
}

// With max_ttl_seconds = 60 no key of the tenant outlives 60 seconds after
// the last write that created it or set, kept or removed its TTL, whatever
// the command: a write that would leave no TTL, or a longer one, gets the
// cap; a shorter TTL is kept.
func TestHostileQuotaTTLCapCoversEveryPath(t *testing.T) {
	f, c, _ := quotaCarol(t, "max_ttl_seconds: 60, storage_limit_bytes: -1, max_keys: -1")
	for _, tc := range []struct {
		cmds []string // run in order; the last one writes key
		key  string
	}{
		{[]string{"SET a v"}, "a"},
		{[]string{"SET a v EX 10", "PERSIST a"}, "a"},
		{[]string{"SET a v EX 10", "GETEX a PERSIST"}, "a"},
		{[]string{"SET a v EX 100000"}, "a"},
		{[]string{"SET a v", "EXPIRE a 100000"}, "a"},
		{[]string{"SET a v", "PEXPIREAT a 99999999999999"}, "a"},
		{[]string{"SET a v KEEPTTL"}, "a"},
		{[]string{"SETEX a 100000 v"}, "a"},
		{[]string{"SETNX a v"}, "a"},
		{[]string{"MSET a v b v"}, "b"},
		{[]string{"MSETNX a v b v"}, "b"},
		{[]string{"GETSET a v"}, "a"},
		{[]string{"APPEND a v"}, "a"},
		{[]string{"SETRANGE a 3 v"}, "a"},
		{[]string{"INCR a"}, "a"},
		{[]string{"INCRBYFLOAT a 1.5"}, "a"},
		{[]string{"SETBIT a 7 1"}, "a"},
		{[]string{"BITFIELD a SET u8 0 1"}, "a"},
		{[]string{"SET a v", "BITOP NOT b a"}, "b"},
		{[]string{"LPUSH a v"}, "a"},
		{[]string{"RPUSH a v", "LMOVE a b LEFT LEFT"}, "b"},
		{[]string{"RPUSH a v w", "RPOPLPUSH a b"}, "b"},
		{[]string{"SADD a v"}, "a"},
		{[]string{"SADD a v w", "SMOVE a b v"}, "b"},
		{[]string{"SADD a v", "SUNIONSTORE b a"}, "b"},
		{[]string{"SADD a v", "SINTERSTORE b a"}, "b"},
		{[]string{"SADD a v", "SDIFFSTORE b a"}, "b"},
		{[]string{"HSET a f v"}, "a"},
		{[]string{"HINCRBY a f 1"}, "a"},
		{[]string{"ZADD a 1 v"}, "a"},
		{[]string{"ZINCRBY a 1 v"}, "a"},
		{[]string{"ZADD a 1 v", "ZUNIONSTORE b 1 a"}, "b"},
		{[]string{"ZADD a 1 v", "ZINTERSTORE b 1 a"}, "b"},
		{[]string{"ZADD a 1 v", "ZDIFFSTORE b 1 a"}, "b"},
		{[]string{"ZADD a 1 v", "ZRANGESTORE b a 0 -1"}, "b"},
		{[]string{"GEOADD a 1 1 v"}, "a"},
		{[]string{"GEOADD a 1 1 v", "GEOSEARCHSTORE b a FROMLONLAT 1 1 BYRADIUS 10 km"}, "b"},
		{[]string{"GEOADD a 1 1 v", "GEORADIUS a 1 1 10 km STORE b"}, "b"},
		{[]string{"PFADD a v"}, "a"},
		{[]string{"PFADD a v", "PFMERGE b a"}, "b"},
		{[]string{"RPUSH a 2 1", "SORT a STORE b"}, "b"},
		{[]string{"SET a v", "COPY a b"}, "b"},
		{[]string{"SET a v", "RENAME a b"}, "b"},
		{[]string{"SET a v", "RENAMENX a b"}, "b"},
	} {
		c.Do("DEL", "a", "b")
		for _, cmd := range tc.cmds {
			if got := c.Do(strings.Fields(cmd)...); strings.HasPrefix(got, "-") {
				t.Fatalf("%s: %s", cmd, got)
			}
		}
		if got := c.Do("TTL", tc.key); got != ":60" {
			t.Errorf("%q: TTL %s = %s, want :60", tc.cmds, tc.key, got)
		}
	}
	// A TTL under the cap is kept, through writes that keep it too.
	runSteps(t, c, []step{
		{cmd: "SET e v EX 10", want: "+OK"},
		{cmd: "SET e w KEEPTTL", want: "+OK"},
		{cmd: "APPEND e x", want: ":2"},
		{cmd: "TTL e", want: ":10"},
	})
	// A blocked command served later creates its destination under the cap
	// too: the cap lives with the keyspace, not with one command.
	b := f.as(t, "carol-rw")
	if err := b.Send(string(resptest.Encode("BLMOVE", "src", "dst", "LEFT", "LEFT", "0"))); err != nil {
		t.Fatal(err)
	}
	blockingAwait(t, f.as(t, "operator"), 1)
	if got := c.Do("RPUSH", "src", "x"); got != ":1" {
		t.Fatalf("RPUSH: %s", got)
	}
	if got := b.Read(); got != `"x"` {
		t.Fatalf("BLMOVE: %s", got)
	}
	if got := c.Do("TTL", "dst"); got != ":60" {
		t.Errorf("TTL of a blocked BLMOVE's destination: %s, want :60", got)
	}
}

// Random writes of every kind against a small quota: whatever is refused,
// no command takes the tenant past its quota, and the accounting stays a
// recount of what is stored.
func TestHostileQuotaNoWriteOvershoots(t *testing.T) {
	const limit = 30000
	f, c, ns := quotaCarol(t, "storage_limit_bytes: "+strconv.Itoa(limit)+", max_keys: -1")
	rng := rand.New(rand.NewPCG(3, 5))
	key := func() string { return string(rune('a' + rng.IntN(6))) }
	val := func() string { return strings.Repeat("v", rng.IntN(3)*rng.IntN(600)) }
	many := func(per int, gen func() string) []string {
		var out []string
		for range rng.IntN(40) * rng.IntN(40) {
			for range per {
				out = append(out, gen())
			}
		}
		return out
	}
	num := func() string { return strconv.Itoa(rng.IntN(1000)) }
	cmds := []func() []string{
		func() []string { return []string{"SET", key(), val()} },
		func() []string { return []string{"APPEND", key(), val()} },
		func() []string { return []string{"SETRANGE", key(), num(), val()} },
		func() []string { return []string{"SETBIT", key(), strconv.Itoa(rng.IntN(300000)), "1"} },
		func() []string { return []string{"INCRBYFLOAT", key(), "1e" + strconv.Itoa(rng.IntN(4000))} },
		func() []string { return append([]string{"MSET"}, many(2, func() string { return key() })...) },
		func() []string { return append([]string{"RPUSH", key()}, many(1, val)...) },
		func() []string { return append([]string{"LPUSH", key(), ""}, many(1, func() string { return "" })...) },
		func() []string { return []string{"LINSERT", key(), "BEFORE", "", val()} },
		func() []string { return append([]string{"SADD", key(), num()}, many(1, num)...) },
		func() []string { return append([]string{"HSET", key(), num(), val()}, many(2, num)...) },
		func() []string { return []string{"HINCRBYFLOAT", key(), num(), "1e" + strconv.Itoa(rng.IntN(4000))} },
		func() []string { return append([]string{"ZADD", key(), "1", num()}, many(2, num)...) },
		func() []string { return []string{"ZINCRBY", key(), "1", num()} },
		func() []string { return []string{"SUNIONSTORE", key(), key(), key()} },
		func() []string { return []string{"ZUNIONSTORE", key(), "2", key(), key()} },
		func() []string {
			return []string{"SORT", key(), "BY", "nosort", "GET", "#", "GET", "#", "STORE", key()}
		},
		func() []string { return []string{"COPY", key(), key(), "REPLACE"} },
		func() []string { return []string{"BITOP", "OR", key(), key(), key()} },
		func() []string { return []string{"LMOVE", key(), key(), "LEFT", "RIGHT"} },
		func() []string { return []string{"SMOVE", key(), key(), num()} },
		func() []string { return append([]string{"PFADD", key()}, many(1, num)...) },
		func() []string { return []string{"PFMERGE", key(), key()} },
		func() []string { return []string{"DEL", key()} },
	}
	refused := 0
	for step := range 3000 {
		args := cmds[rng.IntN(len(cmds))]()
		got := c.Do(args...)
		if strings.HasPrefix(got, "-QUOTA") {
			refused++
		}
		if used := ns.Bytes(); used > limit {
			t.Fatalf("step %d: %s %s... took carol to %d bytes of %d: %s", step, args[0], args[1], used, limit, got)
		}
		if step%100 == 0 {
			if keys, bytes, gotKeys, gotBytes := recount(f.srv, ns); keys != gotKeys || bytes != gotBytes {
				t.Fatalf("step %d: tracked %d keys %d bytes, recount %d keys %d bytes", step, gotKeys, gotBytes, keys, bytes)
			}
		}
	}
	if refused < 100 {
		t.Errorf("only %d writes refused: the quota was hardly reached", refused)
	}
}

// A HyperLogLog turns dense (12 KB) from a few bytes of arguments, and is
// changed in place: PFADD and PFMERGE check there is room for that first,
// so a sparse value near its 3000-byte limit cannot take the tenant over.
func TestHostileQuotaHLLTurningDense(t *testing.T) {
	const limit = 20000
	_, c, ns := quotaCarol(t, "storage_limit_bytes: "+strconv.Itoa(limit)+", max_keys: -1")
	next := 0
	add := func(n int) string {
		args := []string{"PFADD", "h"}
		for range n {
			args = append(args, "e"+strconv.Itoa(next))
			next++
		}
		return c.Do(args...)
	}
	strlen := func() int {
		n, _ := strconv.Atoi(strings.TrimPrefix(c.Do("STRLEN", "h"), ":"))
		return n
	}
	for strlen() < 2800 {
		if got := add(20); !strings.HasPrefix(got, ":") {
			t.Fatalf("filling the sparse value: %s", got)
		}
	}
	if n := strlen(); n >= 3000 {
		t.Fatalf("the value is dense already: %d bytes", n)
	}
	// Room for the sparse value to grow, not for it to turn dense.
	pad := limit - 3000 - ns.Bytes() - (3 + engine.KeyCharge)
	if got := c.Do("SET", "pad", strings.Repeat("x", int(pad))); got != "+OK" {
		t.Fatal(got)
	}
	used := ns.Bytes()
	want := fmt.Sprintf("-QUOTA storage quota exceeded: used %d of %d bytes", used, limit)
	runSteps(t, c, []step{
		{cmd: "PFADD h x y", want: want},
		{cmd: "PFMERGE h pad2", want: want},
		{cmd: "PFADD h2 a", want: want},
	})
	for range 200 {
		add(10)
		if ns.Bytes() > limit {
			t.Fatalf("PFADD took carol to %d bytes of %d (the value is %d bytes)", ns.Bytes(), limit, strlen())
		}
	}
	if n := strlen(); n >= 3000 || ns.Bytes() != used {
		t.Errorf("the value is %d bytes, carol stores %d, want %d", n, ns.Bytes(), used)
	}
}

// A blocked BLMOVE served later creates its destination as LMOVE would,
// so the key quota applies to it when it is served: parked waiters must
// not each add a key past max_keys. The refused waiter gets the quota
// error and the pushed elements stay where they were.
func TestHostileQuotaServedBlockedMoveCountsKeys(t *testing.T) {
	f, c, ns := quotaCarol(t, "storage_limit_bytes: -1, max_keys: 2")
	b := f.as(t, "carol-rw")
	if err := b.Send(string(resptest.Encode("BLMOVE", "src", "dst", "LEFT", "LEFT", "0"))); err != nil {
		t.Fatal(err)
	}
	blockingAwait(t, f.as(t, "operator"), 1)
	runSteps(t, c, []step{
		{cmd: "SET a 1", want: "+OK"},
		{cmd: "RPUSH src x y", want: ":2"},
	})
	if got := b.Read(); got != "-QUOTA key quota exceeded: 2 of 2 keys" {
		t.Fatalf("served BLMOVE past max_keys: %s", got)
	}
	runSteps(t, c, []step{
		{cmd: "LRANGE src 0 -1", want: `["x" "y"]`},
		{cmd: "EXISTS dst", want: ":0"},
	})
	if n := ns.Keys(); n != 2 {
		t.Errorf("carol has %d keys, want 2", n)
	}
}

// SORT runs under a walk and locks its destination itself, so the key
// quota is checked where it stores; and a STORE whose GET lookups add up
// to more than the whole quota is refused while it looks them up, before
// the copies it makes pile up (a few KB of data, a GET pattern and a long
// list make the result arbitrarily larger than what is stored).
func TestHostileQuotaSortStore(t *testing.T) {
	t.Run("max_keys", func(t *testing.T) {
		_, c, ns := quotaCarol(t, "storage_limit_bytes: -1, max_keys: 2")
		runSteps(t, c, []step{
			{cmd: "SET a 1", want: "+OK"},
			{cmd: "RPUSH l 3 1 2", want: ":3"},
			{cmd: "SORT l STORE dst", want: "-QUOTA key quota exceeded: 2 of 2 keys"},
			{cmd: "SORT l BY nosort GET # STORE dst", want: "-QUOTA key quota exceeded: 2 of 2 keys"},
			{cmd: "SORT l STORE a", want: ":3"}, // replaces a key: none added
			{cmd: "LRANGE a 0 -1", want: `["1" "2" "3"]`},
		})
		if n := ns.Keys(); n != 2 {
			t.Errorf("carol has %d keys, want 2", n)
		}
	})
	t.Run("storage", func(t *testing.T) {
		_, c, ns := quotaCarol(t, "storage_limit_bytes: 100000, max_keys: -1")
		big := strings.Repeat("v", 5000)
		runSteps(t, c, []step{
			{args: []string{"SET", "big", big}, want: "+OK"},
			{args: quotaArgs(40, func(int) []string { return []string{""} }, "RPUSH", "l"), want: ":40"},
		})
		used := ns.Bytes()
		want := fmt.Sprintf("-QUOTA storage quota exceeded: used %d of 100000 bytes", used)
		if got := c.Do("SORT", "l", "BY", "nosort", "GET", "big*", "STORE", "dst"); got != want {
			t.Errorf("SORT ... GET big* STORE: %s, want %s", got, want)
		}
		if got := c.Do("EXISTS", "dst"); got != ":0" {
			t.Errorf("EXISTS dst: %s", got)
		}
		if ns.Bytes() != used {
			t.Errorf("bytes %d after a refused SORT STORE, want %d", ns.Bytes(), used)
		}
	})
}
