package commands

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"synap/commands/geohash"
	"synap/commands/hyperloglog"
	"synap/engine"
	"synap/resp/resptest"
	"synap/tenant"
)

// A key with write and delete but no read: the shape a producer that also
// cleans up gets.
func init() {
	clusterKeys = append(clusterKeys, clusterKey{id: "alice-wd", user: "alice", perms: "write, delete"})
}

// permsBlindKeys are alice's keys without read, each of which must learn
// nothing of what alice stores.
var permsBlindKeys = []string{"alice-w", "alice-wd", "alice-del"}

// permsWorld is one state of alice's keyspace. Worlds differ in one thing
// at a time: the stored values (v: secrets, numbers, scores, positions, a
// TTL), or whether the members, fields, elements and the key that probes
// name exist (m: 1 replaces them by same-sized others; 2 also adds a key).
// Types are the same in every world.
type permsWorld struct{ v, m int }

// permsSeed replaces alice's keyspace with world w, through the engine.
func permsSeed(srv *Server, w permsWorld) {
	secret := []string{"secret-A", "secret-B"}[w.v]
	num := []string{"10", "20"}[w.v]
	fl := []string{"1.5", "2.5"}[w.v]
	score := []float64{1, 2}[w.v]
	lon := []float64{13.361389, 15.087269}[w.v]
	lat := []float64{38.115556, 37.502669}[w.v]
	// The named ones, or same-sized others that no probe names.
	m1, f1, e1, kx := "m1", "f1", "e1", "kx"
	if w.m > 0 {
		m1, f1, e1, kx = "mq", "fq", "eq", "kq"
	}

	tx := srv.Eng.NewTx()
	tx.BeginAll(isolationNS(srv, "alice"), true)
	defer tx.End()
	tx.Flush()
	tx.SetString([]byte("s"), []byte(secret), 0)
	tx.SetString([]byte("bm"), []byte(secret), 0)
	tx.SetString([]byte("n"), []byte(num), 0)
	tx.SetString([]byte("fl"), []byte(fl), 0)
	tx.SetString([]byte(kx), []byte(secret), 0)
	if w.m == 2 {
		tx.SetString([]byte("kz"), []byte(secret), 0)
	}
	var ttl int64
	if w.v == 0 {
		ttl = tx.Now + 3_600_000
	}
	tx.SetString([]byte("t"), []byte(secret), ttl)

	l := engine.NewList()
	for _, e := range []string{secret, e1, secret} {
		l.PushBack([]byte(e))
	}
	tx.Put([]byte("l"), engine.NewObject(engine.KindList, l))
	h := engine.NewHash()
	for _, kv := range [][2]string{{f1, secret}, {"n", num}, {"fl", fl}} {
		h.Set([]byte(kv[0]), []byte(kv[1]))
	}
	tx.Put([]byte("h"), engine.NewObject(engine.KindHash, h))
	st := engine.NewSet()
	st.Add([]byte(m1))
	st.Add([]byte(secret))
	tx.Put([]byte("st"), engine.NewObject(engine.KindSet, st))
	z := engine.NewZSet(0, 0)
	z.Set([]byte(m1), score)
	z.Set([]byte(secret), 3)
	tx.Put([]byte("z"), engine.NewObject(engine.KindZSet, z))
	g := engine.NewZSet(0, 0)
	g.Set([]byte(m1), geohash.Score(lon, lat))
	g.Set([]byte(secret), geohash.Score(lon+0.5, lat))
	tx.Put([]byte("g"), engine.NewObject(engine.KindZSet, g))
	hll := hyperloglog.New()
	for _, e := range []string{m1, secret} {
		idx, count := hyperloglog.Pattern([]byte(e))
		hll, _ = hyperloglog.Set(hll, idx, count)
	}
	hyperloglog.Invalidate(hll)
	tx.Put([]byte("hll"), engine.StringEntry(hll, true))
	for _, seed := range permsSeeders {
		seed(tx, w, secret, m1)
	}
}

// permsSeeders add a family's keys to every world (a family's test file
// appends one): secret is the world's stored value, m1 its named member.
var permsSeeders []func(tx *engine.Tx, w permsWorld, secret, m1 string)

// permsProbes are, for every command that writes or deletes, the ways a
// key without read would use it to learn what is stored. Probes name only
// keys, members, fields and elements (never a secret): what comes back
// beyond that must not depend on the world. TestPermsBlindKeysLearnNothing
// fails for a write or delete row of the table without probes.
var permsProbes = map[string][][]string{
	"append":            {{"append", "s", "x"}, {"append", "kx", "x"}, {"append", "s", ""}},
	"bitfield":          {{"bitfield", "bm", "get", "u8", "0"}, {"bitfield", "bm", "set", "u8", "0", "1"}},
	"bitop":             {{"bitop", "or", "d", "bm", "s"}},
	"blmove":            {{"blmove", "l", "d", "left", "left", "0.01"}},
	"blmpop":            {{"blmpop", "0.01", "1", "l", "left"}},
	"blpop":             {{"blpop", "l", "0.01"}},
	"brpop":             {{"brpop", "l", "0.01"}},
	"brpoplpush":        {{"brpoplpush", "l", "d", "0.01"}},
	"bzmpop":            {{"bzmpop", "0.01", "1", "z", "min"}},
	"bzpopmax":          {{"bzpopmax", "z", "0.01"}},
	"bzpopmin":          {{"bzpopmin", "z", "0.01"}},
	"copy":              {{"copy", "s", "d"}, {"copy", "kx", "d", "replace"}},
	"decr":              {{"decr", "n"}},
	"decrby":            {{"decrby", "n", "0"}},
	"del":               {{"del", "kx"}, {"del", "s", "kx"}},
	"expire":            {{"expire", "kx", "100"}, {"expire", "t", "100", "gt"}, {"expire", "t", "100", "nx"}},
	"expireat":          {{"expireat", "kx", "4102444800"}, {"expireat", "t", "4102444800", "xx"}},
	"pexpire":           {{"pexpire", "kx", "100000"}, {"pexpire", "t", "100000", "lt"}},
	"pexpireat":         {{"pexpireat", "kx", "4102444800000"}},
	"geoadd":            {{"geoadd", "g", "13.361389", "38.115556", "m1"}, {"geoadd", "g", "ch", "13.361389", "38.115556", "m1"}, {"geoadd", "g", "xx", "1", "1", "m1"}},
	"georadius":         {{"georadius", "g", "15", "37", "200", "km"}, {"georadius", "g", "15", "37", "200", "km", "store", "d"}},
	"georadiusbymember": {{"georadiusbymember", "g", "m1", "200", "km"}, {"georadiusbymember", "g", "m1", "200", "km", "store", "d"}},
	"geosearchstore":    {{"geosearchstore", "d", "g", "fromlonlat", "15", "37", "byradius", "200", "km"}},
	"getdel":            {{"getdel", "s"}},
	"getex":             {{"getex", "s"}, {"getex", "t", "persist"}},
	"getset":            {{"getset", "s", "x"}},
	"hdel":              {{"hdel", "h", "f1"}},
	"hincrby":           {{"hincrby", "h", "n", "0"}},
	"hincrbyfloat":      {{"hincrbyfloat", "h", "fl", "0"}},
	"hmset":             {{"hmset", "h", "f1", "x"}},
	"hset":              {{"hset", "h", "f1", "x"}},
	"hsetnx":            {{"hsetnx", "h", "f1", "x"}},
	"incr":              {{"incr", "n"}},
	"incrby":            {{"incrby", "n", "0"}},
	"incrbyfloat":       {{"incrbyfloat", "fl", "0"}},
	"linsert":           {{"linsert", "l", "before", "e1", "x"}},
	"lmove":             {{"lmove", "l", "d", "left", "left"}},
	"lmpop":             {{"lmpop", "1", "l", "left"}},
	"lpop":              {{"lpop", "l"}},
	"lpush":             {{"lpush", "l", "x"}},
	"lpushx":            {{"lpushx", "l", "x"}},
	"lrem":              {{"lrem", "l", "0", "e1"}, {"lrem", "l", "1", "e1"}},
	"lset":              {{"lset", "l", "0", "x"}, {"lset", "l", "5", "x"}},
	"ltrim":             {{"ltrim", "l", "0", "0"}},
	"move":              {{"move", "kx", "1"}},
	"mset":              {{"mset", "s", "x", "kx", "y"}},
	"msetnx":            {{"msetnx", "kx", "x"}},
	"persist":           {{"persist", "t"}},
	"pfadd":             {{"pfadd", "hll", "m1"}},
	"pfmerge":           {{"pfmerge", "d", "hll"}},
	"psetex":            {{"psetex", "s", "100000", "x"}},
	"rename":            {{"rename", "kx", "d"}},
	"renamenx":          {{"renamenx", "s", "kx"}},
	"rpop":              {{"rpop", "l"}},
	"rpoplpush":         {{"rpoplpush", "l", "d"}},
	"rpush":             {{"rpush", "l", "x"}},
	"rpushx":            {{"rpushx", "l", "x"}},
	"sadd":              {{"sadd", "st", "m1"}},
	"sdiffstore":        {{"sdiffstore", "d", "st"}},
	"set":               {{"set", "s", "x"}, {"set", "s", "x", "get"}, {"set", "kx", "x", "nx"}, {"set", "kx", "x", "xx"}, {"set", "t", "x", "keepttl"}},
	"setbit":            {{"setbit", "bm", "0", "1"}},
	"setex":             {{"setex", "s", "100", "x"}},
	"setnx":             {{"setnx", "kx", "x"}},
	"setrange":          {{"setrange", "s", "0", "x"}, {"setrange", "s", "0", ""}, {"setrange", "kx", "0", "x"}},
	"sinterstore":       {{"sinterstore", "d", "st"}},
	"smove":             {{"smove", "st", "st", "m1"}},
	"sort":              {{"sort", "l", "alpha"}, {"sort", "l", "alpha", "store", "d"}},
	"spop":              {{"spop", "st"}},
	"srem":              {{"srem", "st", "m1"}},
	"sunionstore":       {{"sunionstore", "d", "st"}},
	"unlink":            {{"unlink", "kx"}},
	"zadd":              {{"zadd", "z", "1", "m1"}, {"zadd", "z", "xx", "incr", "0", "m1"}, {"zadd", "z", "ch", "1", "m1"}, {"zadd", "z", "nx", "1", "m1"}, {"zadd", "z", "gt", "1", "m1"}},
	"zdiffstore":        {{"zdiffstore", "d", "1", "z"}},
	"zincrby":           {{"zincrby", "z", "0", "m1"}},
	"zinterstore":       {{"zinterstore", "d", "1", "z"}},
	"zmpop":             {{"zmpop", "1", "z", "min"}},
	"zpopmax":           {{"zpopmax", "z"}},
	"zpopmin":           {{"zpopmin", "z"}},
	"zrangestore":       {{"zrangestore", "d", "z", "0", "-1"}},
	"zrem":              {{"zrem", "z", "m1"}},
	"zremrangebylex":    {{"zremrangebylex", "z", "[a", "[n"}},
	"zremrangebyrank":   {{"zremrangebyrank", "z", "0", "0"}},
	"zremrangebyscore":  {{"zremrangebyscore", "z", "1", "1"}},
	"zunionstore":       {{"zunionstore", "d", "1", "z"}},
}

// permsAcknowledging are the producers README.md allows without read: their
// count may tell whether the member, field, element or key they name
// existed (the m worlds), never a value (the v worlds).
var permsAcknowledging = []string{
	"append", "setrange", "lpush", "rpush", "lrem", "sadd", "srem", "hset", "hdel", "zadd", "zrem", "geoadd",
	"pfadd", "del", "unlink", "expire", "pexpire", "expireat", "pexpireat",
}

// permsRun seeds w and runs args as c; the reply is what the key learns.
func permsRun(srv *Server, c *resptest.Client, w permsWorld, args []string) string {
	permsSeed(srv, w)
	return c.Do(args...)
}

func TestPermsBlindKeysLearnNothing(t *testing.T) {
	f := startCluster(t)
	srv := f.srv
	for _, row := range isolationRows(srv.Table.All()) {
		if (row.Need == tenant.NeedWrite || row.Need == tenant.NeedDelete) && permsProbes[row.Name] == nil {
			t.Errorf("no probe for %s, which writes or deletes: add how a key without read would use it", row.Name)
		}
	}
	for name := range permsProbes {
		row := srv.Table.Lookup([]byte(name))
		if parent, sub, ok := strings.Cut(name, "|"); ok {
			if row = srv.Table.Lookup([]byte(parent)); row != nil {
				row = row.Sub([]byte(sub))
			}
		}
		if row == nil {
			t.Errorf("probe for %s, which is not in the table", name)
		}
	}

	base, values, members := permsWorld{0, 0}, permsWorld{1, 0}, permsWorld{0, 1}
	for _, id := range permsBlindKeys {
		c := f.as(t, id)
		for name, probes := range permsProbes {
			for _, args := range probes {
				a := permsRun(srv, c, base, args)
				b := permsRun(srv, c, values, args)
				m := permsRun(srv, c, members, args)
				if a != b {
					t.Errorf("%s learns a stored value through %q: %s in one world, %s in the other", id, args, a, b)
				}
				if a != m {
					switch {
					case !slices.Contains(permsAcknowledging, name):
						t.Errorf("%s learns what exists through %q: %s when it does, %s when not", id, args, a, m)
					case !strings.HasPrefix(a, ":") || !strings.HasPrefix(m, ":"):
						t.Errorf("%s: %q may only count what it settles, got %s and %s", id, args, a, m)
					}
				}
				if strings.Contains(a, "secret") || strings.Contains(m, "secret") {
					t.Errorf("%s reads a value through %q: %s", id, args, a)
				}
				if strings.HasPrefix(a, "ERROR:") {
					t.Fatalf("%s: %q ended the connection: %s", id, args, a)
				}
			}
		}
	}
}

// permsClock masks the figures of a reply that move with time or with the
// test's own traffic (uptime, ages, its own command counts), so that what
// remains can only differ between worlds through stored content.
var permsClock = regexp.MustCompile(`(server_time_usec:|uptime_in_seconds:|uptime_in_days:|age=|idle=|qbuf=|argv-mem=|tot-mem=|rbs=|rbp=|calls=|total_commands_processed:|rejected_noperm:)[0-9]+`)

// Every other command of the table, through the examples the isolation
// suite keeps for each row, tells a key without read nothing that differs
// between worlds either: reads are refused, and what needs no permission
// (INFO, CLIENT, COMMAND, HELLO...) says nothing of stored content.
func TestPermsBlindKeysLearnNothingFromOtherCommands(t *testing.T) {
	f := startCluster(t)
	srv := f.srv
	worlds := []permsWorld{{0, 0}, {1, 0}, {0, 1}, {0, 2}}
	for _, id := range permsBlindKeys {
		c := f.as(t, id)
		for _, row := range isolationRows(srv.Table.All()) {
			// Rows that change or end the connection, and the clock.
			if row.Need == tenant.NeedWrite || row.Need == tenant.NeedDelete || row.Flags&FlagTxControl != 0 ||
				isolationThrowaway[row.Name] || row.Name == "time" {
				continue
			}
			for _, ex := range isolationExamples[row.Name] {
				args := isolationExpand(ex, clusterSecret(id), "1", "127.0.0.1:1")
				var replies []string
				for _, w := range worlds {
					replies = append(replies, permsClock.ReplaceAllString(permsRun(srv, c, w, args), "${1}#"))
				}
				if slices.ContainsFunc(replies, func(r string) bool { return r != replies[0] }) {
					t.Errorf("%s learns what is stored through %q: %q", id, args, replies)
				}
				if strings.HasPrefix(replies[0], "ERROR:") {
					t.Fatalf("%s: %q ended the connection: %s", id, args, replies[0])
				}
			}
		}
	}
}

// A write or delete command added to the table needs read until its row
// says why not; other rows are untouched.
func TestPermsNewWriteRowsNeedReadByDefault(t *testing.T) {
	tb := &Table{byName: map[string]*Command{}}
	tb.add(&Command{Name: "newwrite", Arity: 2, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1})
	tb.add(&Command{Name: "newdel", Arity: 2, Flags: FlagWrite, Need: tenant.NeedDelete, FirstKey: 1, LastKey: 1, Step: 1})
	tb.add(&Command{Name: "newblind", Arity: 3, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1, Reveals: Never})
	tb.add(&Command{Name: "newread", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1})
	tb.add(&Command{Name: "newping", Arity: 1})
	for name, want := range map[string]bool{"newwrite": true, "newdel": true, "newblind": false, "newread": false, "newping": false} {
		if got := tb.Lookup([]byte(name)).NeedsRead([][]byte{[]byte(name), []byte("k")}); got != want {
			t.Errorf("%s: NeedsRead %v, want %v", name, got, want)
		}
	}
}

// The reproductions of issue 10, point 3, with exact replies.
func TestPermsWritesDoNotRead(t *testing.T) {
	f := startCluster(t)
	permsSeed(f.srv, permsWorld{})
	w := f.as(t, "alice-w")
	noperm := func(cmd string) string { return "-" + NoPermErr("alice-w", cmd) }
	runSteps(t, w, []step{
		{cmd: "INCRBY n 0", want: noperm("incrby")},
		{cmd: "INCRBYFLOAT fl 0", want: noperm("incrbyfloat")},
		{cmd: "HINCRBY h n 0", want: noperm("hincrby")},
		{cmd: "ZINCRBY z 0 m1", want: noperm("zincrby")},
		{cmd: "ZADD z XX INCR 0 m1", want: noperm("zadd")},
		{cmd: "SMOVE st st m1", want: noperm("smove")},
		{cmd: "HSETNX h f1 x", want: noperm("hsetnx")},
		{cmd: "SET kx x NX", want: noperm("set")},
		{cmd: "SORT l ALPHA STORE d", want: noperm("sort")},
		{cmd: "SINTERSTORE d st", want: noperm("sinterstore")},
		{cmd: "RENAME kx d", want: noperm("rename")},
		{cmd: "PERSIST t", want: noperm("persist")},
		// Queued commands are checked the same way, so EXEC runs nothing.
		{cmd: "MULTI", want: "+OK"},
		{cmd: "INCRBY n 0", want: noperm("incrby")},
		{cmd: "EXEC", want: "-EXECABORT Transaction discarded because of previous errors."},
		// The producers still work, and say only what they settle.
		{cmd: "SET k v", want: "+OK"},
		{cmd: "LPUSH l x", want: ":4"},
		{cmd: "SADD st m2", want: ":1"},
		{cmd: "HSET h f2 v", want: ":1"},
		{cmd: "ZADD z 1 m2", want: ":1"},
		{cmd: "EXPIRE k 100", want: ":1"},
		{cmd: "MSET a 1 b 2", want: "+OK"},
		{cmd: "HMSET h f3 v", want: "+OK"},
		{cmd: "LTRIM l 0 -1", want: "+OK"},
	})
	// The same commands with read.
	rw := f.as(t, "alice-rw")
	runSteps(t, rw, []step{
		{cmd: "INCRBY n 0", want: ":10"},
		{cmd: "HINCRBY h n 0", want: ":10"},
		{cmd: "SMOVE st st m1", want: ":1"},
		{cmd: "ZADD z XX INCR 0 m1", want: `"1"`},
	})
}

// permsInfoHost are INFO fields describing the host process, which only the
// operator (and standalone mode) may see. Replies are rendered with CR and
// LF escaped.
var permsInfoHost = []string{`\nos:`, "arch_bits:", "go_version:", "process_id:", "run_id:", "tcp_port:", "executable:"}

// permsInfoData are INFO fields that count what a tenant stores.
var permsInfoData = []string{"db0:", `\nkeys:`, `\nexpires:`, `\nbytes:`, "keyspace_hits:", "keyspace_misses:", "# Memory", "used_memory"}

func TestPermsInfoShowsTenantsNoHostAndBlindKeysNoCounts(t *testing.T) {
	f := startCluster(t)
	permsSeed(f.srv, permsWorld{})
	for _, id := range permsBlindKeys {
		c := f.as(t, id)
		for _, section := range []string{"everything", "keyspace", "tenant", "server", "memory"} {
			info := c.Do("INFO", section)
			for _, hidden := range append(permsInfoHost, permsInfoData...) {
				if strings.Contains(info, hidden) {
					t.Errorf("%s: INFO %s shows %q: %s", id, section, hidden, info)
				}
			}
		}
		if info := c.Do("INFO"); !strings.Contains(info, "user_id:alice") || !strings.Contains(info, "redis_version:") {
			t.Errorf("%s: INFO lacks its own tenant section or the version: %s", id, info)
		}
	}

	// With read, a tenant sees its own counts and still nothing of the host.
	ro := f.as(t, "alice-ro")
	info := ro.Do("INFO", "everything")
	keys := isolationNS(f.srv, "alice").Keys() // the families' seeders add theirs
	for _, want := range []string{fmt.Sprintf("db0:keys=%d,expires=1,avg_ttl=0", keys), fmt.Sprintf(`\r\nkeys:%d\r\n`, keys), `\r\nexpires:1\r\n`, `\r\nbytes:`, "redis_version:", "uptime_in_seconds:"} {
		if !strings.Contains(info, want) {
			t.Errorf("alice-ro: INFO everything lacks %q: %s", want, info)
		}
	}
	// Its memory section counts its own bytes; the process's are hidden.
	for _, hidden := range append(permsInfoHost, "used_memory_rss", "mem_fragmentation_ratio", "go_heap", "# Stats", "# Errorstats", "bob") {
		if strings.Contains(info, hidden) {
			t.Errorf("alice-ro: INFO everything shows %q", hidden)
		}
	}
	// alice's limits lift max_connections, so the server's maxclients is
	// not hers to see either.
	if strings.Contains(info, "maxclients:") {
		t.Errorf("alice-ro: INFO shows the server's maxclients: %s", info)
	}
	carol := f.as(t, "carol-rw")
	if got := carol.Do("INFO", "clients"); !strings.Contains(got, `\r\nmaxclients:2\r\n`) {
		t.Errorf("carol: INFO clients does not give her connection limit as maxclients: %s", got)
	}

	// The operator sees the host.
	op := f.as(t, "operator").Do("INFO", "server")
	for _, want := range permsInfoHost {
		if !strings.Contains(op, want) {
			t.Errorf("operator: INFO server lacks %q", want)
		}
	}
	// So does standalone mode, as Redis.
	std := dial(t, startServer(t)).Do("INFO", "server")
	for _, want := range permsInfoHost {
		if !strings.Contains(std, want) {
			t.Errorf("standalone: INFO server lacks %q", want)
		}
	}
}

// permsClientLine parses the one CLIENT LIST line whose addr is addr.
func permsClientLine(t *testing.T, list, addr string) map[string]string {
	t.Helper()
	for _, l := range clientLines(t, clientText(t, list)) {
		if l["addr"] == addr {
			return l
		}
	}
	t.Fatalf("no client with addr=%s in %s", addr, list)
	return nil
}

func permsInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.TrimPrefix(s, ":"), 10, 64)
	if err != nil {
		t.Fatalf("not an integer: %q", s)
	}
	return n
}

func TestPermsTenantClientIDsHideTheServerSequence(t *testing.T) {
	f := startCluster(t)
	op := f.as(t, "operator")
	a1 := f.as(t, "alice-admin")
	// Other tenants' connections opened between alice's two.
	for range 3 {
		f.as(t, "bob-rw")
	}
	a2 := f.as(t, "alice-admin")

	type conn struct {
		c               *resptest.Client
		shown, internal int64
		addr            string
	}
	var cs []conn
	for _, c := range []*resptest.Client{a1, a2} {
		info := clientInfo(t, c)
		shown := permsInt(t, c.Do("CLIENT", "ID"))
		// Every place a tenant is given its id agrees.
		if info["id"] != strconv.FormatInt(shown, 10) {
			t.Errorf("CLIENT ID %d, CLIENT INFO id=%s", shown, info["id"])
		}
		if hello := c.Do("HELLO", "3"); !strings.Contains(hello, `"id" :`+strconv.FormatInt(shown, 10)+" ") && !strings.Contains(hello, `"id"::`+strconv.FormatInt(shown, 10)) {
			t.Errorf("HELLO 3 does not give id %d: %s", shown, hello)
		}
		c.Do("HELLO", "2")
		if info["fd"] != "-1" {
			t.Errorf("a tenant's CLIENT INFO shows fd=%s, want -1", info["fd"])
		}
		opLine := permsClientLine(t, op.Do("CLIENT", "LIST"), info["addr"])
		if fd := opLine["fd"]; fd == "-1" {
			t.Errorf("the operator's CLIENT LIST hides fd: %v", opLine)
		}
		internal, _ := strconv.ParseInt(opLine["id"], 10, 64)
		if shown == internal {
			t.Errorf("a tenant is shown the server's id %d", internal)
		}
		if want := tenantClientID(internal, false); shown != want {
			t.Errorf("shown id %d, want the permutation of %d: %d", shown, internal, want)
		}
		cs = append(cs, conn{c, shown, internal, info["addr"]})
	}
	if d := cs[1].internal - cs[0].internal; d < 4 {
		t.Fatalf("bob's connections did not come between alice's: internal ids %d, %d", cs[0].internal, cs[1].internal)
	} else if cs[1].shown-cs[0].shown == d {
		t.Errorf("alice's ids %d and %d are %d apart, as many as the server's connections between them", cs[0].shown, cs[1].shown, d)
	}

	// Her other connection lists her by the same id, and finds and kills it by it.
	line := permsClientLine(t, a2.Do("CLIENT", "LIST"), cs[0].addr)
	if line["id"] != strconv.FormatInt(cs[0].shown, 10) || line["fd"] != "-1" {
		t.Errorf("CLIENT LIST shows alice's first connection as id=%s fd=%s, want id=%d fd=-1", line["id"], line["fd"], cs[0].shown)
	}
	if got := a2.Do("CLIENT", "LIST", "ID", strconv.FormatInt(cs[0].shown, 10)); !strings.Contains(got, "addr="+cs[0].addr+" ") {
		t.Errorf("CLIENT LIST ID %d: %s", cs[0].shown, got)
	}
	if got := a2.Do("CLIENT", "KILL", "ID", strconv.FormatInt(cs[0].internal, 10)); got != ":0" {
		t.Errorf("CLIENT KILL ID with the server's id: %s, want :0", got)
	}
	if got := a2.Do("CLIENT", "KILL", "ID", strconv.FormatInt(cs[0].shown, 10)); got != ":1" {
		t.Errorf("CLIENT KILL ID with the shown id: %s, want :1", got)
	}
	if got := a1.Do("PING"); !strings.HasPrefix(got, "ERROR:") {
		t.Errorf("the killed connection still answers: %s", got)
	}

	// The operator keeps Redis's plain ids.
	opInfo := clientInfo(t, op)
	if got := op.Do("CLIENT", "ID"); got != ":"+opInfo["id"] {
		t.Errorf("operator: CLIENT ID %s, CLIENT INFO id=%s", got, opInfo["id"])
	}
	if opInfo["fd"] == "-1" {
		t.Errorf("operator: CLIENT INFO fd=-1")
	}
}

func TestPermsClientIDPermutation(t *testing.T) {
	seen := map[int64]bool{}
	for id := int64(1); id <= 5000; id++ {
		s := tenantClientID(id, false)
		if s < 1 || s > 1<<clientIDBits || seen[s] {
			t.Fatalf("id %d shown as %d: out of range or repeated", id, s)
		}
		seen[s] = true
		if back := tenantClientID(s, true); back != id {
			t.Fatalf("id %d shown as %d maps back to %d", id, s, back)
		}
	}
	for _, id := range []int64{0, -1, 1<<clientIDBits + 1, 1<<62 + 5} {
		if s := tenantClientID(id, false); s != id {
			t.Errorf("id %d outside the permuted range shown as %d", id, s)
		}
	}
}

// BenchmarkTenantClientID is the cost of showing one id to a tenant (CLIENT
// ID, and once per line of CLIENT LIST).
func BenchmarkTenantClientID(b *testing.B) {
	var sink int64
	for i := 0; i < b.N; i++ {
		sink += tenantClientID(int64(i+1), false)
	}
	_ = sink
}

// BenchmarkNeedsRead is what the read rule adds to a write in cluster mode:
// SET's and ZADD's checks of their options.
func BenchmarkNeedsRead(b *testing.B) {
	tb := NewTable()
	set, zadd := tb.Lookup([]byte("set")), tb.Lookup([]byte("zadd"))
	setArgs := [][]byte{[]byte("set"), []byte("k"), []byte("v"), []byte("EX"), []byte("100")}
	zaddArgs := [][]byte{[]byte("zadd"), []byte("z"), []byte("1"), []byte("m")}
	n := 0
	for i := 0; i < b.N; i++ {
		if set.NeedsRead(setArgs) || zadd.NeedsRead(zaddArgs) {
			n++
		}
	}
	if n != 0 {
		b.Fatal("SET EX and plain ZADD need only write")
	}
}
