package commands

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"synap/engine"
	"synap/resp/resptest"
	"synap/tenant"
)

// isolationExamples says, for every row of the command table, how the row is
// exercised by one tenant next to another and why that cannot reach the
// other tenant. TestIsolationGeneratedFromTable fails for a row without an
// entry, so a command added later must say how it is isolated.
//
// Both tenants hold keys of the same names (isolationData). Placeholders:
// $ID and $ADDR are the other tenant's connection, $SECRET the caller's own
// access key. Arguments never name the other tenant, so a reply that does
// can only come from a leak.
var isolationExamples = map[string][][]string{
	// Key commands: keys are resolved in the caller's namespace, so the same
	// names reach only the caller's own values. "user:bob:k1" is alice's own
	// key whose name looks like bob's namespace prefix.
	"append":      {{"append", "k1", "-more"}, {"append", "user:bob:k1", "-more"}},
	"copy":        {{"copy", "k1", "k2", "REPLACE"}, {"copy", "k1", "k9"}, {"copy", "user:bob:k1", "k1", "REPLACE"}, {"copy", "k1", "k9", "DB", "0"}, {"copy", "k1", "k9", "DB", "1"}},
	"decr":        {{"decr", "n"}},
	"decrby":      {{"decrby", "n", "5"}},
	"del":         {{"del", "k1", "k2", "user:bob:k1"}},
	"exists":      {{"exists", "k1", "k2", "k3", "user:bob:k1", "k9"}},
	"expire":      {{"expire", "k1", "100"}, {"expire", "t1", "1", "GT"}},
	"expireat":    {{"expireat", "k1", "4102444800"}},
	"expiretime":  {{"expiretime", "t1"}},
	"get":         {{"get", "k1"}, {"get", "user:bob:k1"}, {"get", "k9"}},
	"getdel":      {{"getdel", "k1"}, {"getdel", "user:bob:k1"}},
	"getex":       {{"getex", "k1", "EX", "100"}, {"getex", "t1", "PERSIST"}},
	"getrange":    {{"getrange", "k1", "0", "-1"}},
	"getset":      {{"getset", "k1", "alice-new"}},
	"incr":        {{"incr", "n"}},
	"incrby":      {{"incrby", "n", "3"}},
	"incrbyfloat": {{"incrbyfloat", "n", "1.5"}},
	"lcs":         {{"lcs", "k1", "k2"}, {"lcs", "k1", "user:bob:k1", "IDX"}},
	"mget":        {{"mget", "k1", "k2", "k3", "user:bob:k1", "k9"}},
	"mset":        {{"mset", "k1", "a1", "k2", "a2"}},
	"msetnx":      {{"msetnx", "k1", "a1", "k9", "a9"}, {"msetnx", "k8", "a8", "k9", "a9"}},
	"persist":     {{"persist", "t1"}},
	"pexpire":     {{"pexpire", "k1", "100000"}},
	"pexpireat":   {{"pexpireat", "k1", "4102444800000"}},
	"pexpiretime": {{"pexpiretime", "t1"}},
	"psetex":      {{"psetex", "k1", "100000", "alice-px"}},
	"pttl":        {{"pttl", "t1"}},
	"rename":      {{"rename", "k1", "k9"}, {"rename", "user:bob:k1", "k1"}, {"rename", "k9", "k1"}},
	"renamenx":    {{"renamenx", "k1", "k2"}, {"renamenx", "k1", "k9"}},
	"set":         {{"set", "k1", "alice-new"}, {"set", "k1", "alice-get", "GET"}, {"set", "k2", "x", "NX"}, {"set", "k9", "alice-9", "EX", "100"}},
	"setex":       {{"setex", "k1", "100", "alice-ex"}},
	"setnx":       {{"setnx", "k1", "x"}, {"setnx", "k9", "alice-9"}},
	"setrange":    {{"setrange", "k1", "0", "ALICE"}},
	"strlen":      {{"strlen", "k1"}},
	"substr":      {{"substr", "k1", "0", "2"}},
	"touch":       {{"touch", "k1", "k2", "k9"}},
	"ttl":         {{"ttl", "t1"}, {"ttl", "k1"}},
	"type":        {{"type", "k1"}, {"type", "user:bob:k1"}},
	"unlink":      {{"unlink", "k1", "k2", "user:bob:k1"}},
	// MOVE has no other database to move to: a tenant has exactly one.
	"move": {{"move", "k1", "1"}, {"move", "k1", "0"}},
	// OBJECT's subcommands look their key up in the caller's namespace;
	// HELP and the bare container touch no data.
	"object":          {{"object"}},
	"object|encoding": {{"object", "encoding", "k1"}, {"object", "encoding", "n"}},
	"object|refcount": {{"object", "refcount", "k1"}},
	"object|idletime": {{"object", "idletime", "k1"}},
	"object|freq":     {{"object", "freq", "k1"}},
	"object|help":     {{"object", "help"}},
	// MEMORY USAGE looks its key up in the caller's namespace; STATS gives
	// the caller's own accounted bytes; DOCTOR, MALLOC-STATS and PURGE
	// concern the process, so they are the operator's.
	"memory":              {{"memory"}},
	"memory|usage":        {{"memory", "usage", "k1"}, {"memory", "usage", "user:bob:k1", "SAMPLES", "0"}},
	"memory|stats":        {{"memory", "stats"}},
	"memory|doctor":       {{"memory", "doctor"}},
	"memory|malloc-stats": {{"memory", "malloc-stats"}},
	"memory|purge":        {{"memory", "purge"}},
	"memory|help":         {{"memory", "help"}},

	// Keyspace-wide commands walk, count or clear only the caller's
	// namespace (the engine's trees are keyed by namespace id). They also
	// run in the other direction, bob against alice.
	"keys":      {{"keys", "*"}, {"keys", "user:*"}, {"keys", "k?"}},
	"scan":      {{"scan", "0", "COUNT", "1000"}, {"scan", "0", "MATCH", "user:*", "COUNT", "1000"}, {"scan", "0", "TYPE", "string", "COUNT", "1000"}, {"scan", "4294967295", "COUNT", "1000"}},
	"randomkey": {{"randomkey"}},
	"dbsize":    {{"dbsize"}},
	"flushdb":   {{"flushdb"}, {"flushdb", "ASYNC"}},
	// A tenant's FLUSHALL is its own keyspace: only the operator's reaches
	// every tenant.
	"flushall": {{"flushall"}, {"flushall", "SYNC"}},

	// Connection commands change only the caller's connection.
	"ping":   {{"ping"}, {"ping", "alice-ping"}},
	"echo":   {{"echo", "alice-echo"}},
	"select": {{"select", "0"}, {"select", "1"}},
	// These end or rebind the connection: they run on a throwaway one
	// (isolationThrowaway). AUTH and HELLO AUTH bind only to the key's own
	// tenant; a wrong key is refused without naming anyone.
	"auth":  {{"auth", "$SECRET"}, {"auth", "default", "$SECRET"}, {"auth", "not-a-key"}},
	"hello": {{"hello", "3"}, {"hello", "2", "AUTH", "default", "$SECRET"}, {"hello", "3", "SETNAME", "aliceconn"}},
	"quit":  {{"quit"}},
	"reset": {{"reset"}},

	// CLIENT: lists and kills see only the caller's tenant's connections;
	// the rest concern the caller's own connection.
	"client":         {{"client"}},
	"client|id":      {{"client", "id"}},
	"client|setname": {{"client", "setname", "aliceconn"}},
	"client|getname": {{"client", "getname"}},
	"client|list":    {{"client", "list"}, {"client", "list", "ID", "$ID"}, {"client", "list", "TYPE", "normal"}},
	"client|info":    {{"client", "info"}},
	// Killing by the other tenant's id or address finds nothing; killing
	// every normal client or the default user's ends only the caller's own
	// other connections.
	"client|kill":    {{"client", "kill", "ID", "$ID"}, {"client", "kill", "ADDR", "$ADDR"}, {"client", "kill", "$ADDR"}, {"client", "kill", "TYPE", "normal"}, {"client", "kill", "USER", "default"}},
	"client|setinfo": {{"client", "setinfo", "lib-name", "alicelib"}},
	// Unblocking by the other tenant's id finds nothing to unblock.
	"client|unblock":  {{"client", "unblock", "$ID"}, {"client", "unblock", "$ID", "error"}},
	"client|no-touch": {{"client", "no-touch", "on"}, {"client", "no-touch", "off"}},
	// Tracking concerns the caller's own reads and its tenant's keys; a
	// redirect to the other tenant's connection finds none, and a BCAST
	// prefix matches only the caller's tenant's keys.
	"client|tracking":     {{"client", "tracking", "on", "REDIRECT", "$ID"}, {"client", "tracking", "on", "BCAST", "PREFIX", "bob"}, {"client", "tracking", "off"}},
	"client|caching":      {{"client", "caching", "yes"}},
	"client|getredir":     {{"client", "getredir"}},
	"client|trackinginfo": {{"client", "trackinginfo"}},
	"client|reply":        {{"client", "reply", "on"}},
	"client|help":         {{"client", "help"}},
	// NO-EVICT flags only the caller's own connection.
	"client|no-evict": {{"client", "no-evict", "on"}, {"client", "no-evict", "off"}},

	// COMMAND describes the table, the same for everyone; no data.
	"command":         {{"command"}},
	"command|count":   {{"command", "count"}},
	"command|docs":    {{"command", "docs", "get"}},
	"command|getkeys": {{"command", "getkeys", "copy", "k1", "k2"}},
	"command|help":    {{"command", "help"}},
	"command|info":    {{"command", "info", "get", "set"}},
	"command|list":    {{"command", "list"}},

	// Server-wide commands: operator only, so a tenant gets NOPERM (the
	// runner checks the exact text for every row whose Need is server).
	"config":           {{"config"}},
	"config|get":       {{"config", "get", "maxclients"}, {"config", "get", "*"}},
	"config|set":       {{"config", "set", "maxclients", "100"}},
	"config|resetstat": {{"config", "resetstat"}},
	"config|help":      {{"config", "help"}},
	"shutdown":         {{"shutdown", "nosave"}, {"shutdown"}},
	"tenant":           {{"tenant"}},
	"tenant|list":      {{"tenant", "list"}},
	"tenant|info":      {{"tenant", "info", "alice"}},
	// The slow log and the monitor show every tenant's commands: operator only.
	"monitor":       {{"monitor"}},
	"slowlog":       {{"slowlog"}},
	"slowlog|get":   {{"slowlog", "get"}, {"slowlog", "get", "-1"}},
	"slowlog|len":   {{"slowlog", "len"}},
	"slowlog|reset": {{"slowlog", "reset"}},
	"slowlog|help":  {{"slowlog", "help"}},
	// LATENCY is the operator's: every tenant's commands are in it.
	"latency":           {{"latency"}},
	"latency|latest":    {{"latency", "latest"}},
	"latency|history":   {{"latency", "history", "command"}},
	"latency|reset":     {{"latency", "reset"}},
	"latency|graph":     {{"latency", "graph", "command"}},
	"latency|doctor":    {{"latency", "doctor"}},
	"latency|histogram": {{"latency", "histogram"}, {"latency", "histogram", "set"}},
	"latency|help":      {{"latency", "help"}},

	// INFO shows a tenant only sections about itself; the rest of the
	// server's figures would describe other tenants.
	"info": {{"info"}, {"info", "everything"}, {"info", "keyspace"}, {"info", "clients"}, {"info", "commandstats"}, {"info", "stats", "memory", "errorstats"}},
	"time": {{"time"}},
	// Replication: none, the same answer for everyone.
	"role":     {{"role"}},
	"wait":     {{"wait", "0", "0"}, {"wait", "1", "1"}},
	"lastsave": {{"lastsave"}},

	// Persistence: operator only (a snapshot holds every tenant's data).
	"save":         {{"save"}},
	"bgsave":       {{"bgsave"}},
	"bgrewriteaof": {{"bgrewriteaof"}},
}

// isolationThrowaway are the rows whose examples end or rebind the
// connection, so they run on a connection of their own.
var isolationThrowaway = map[string]bool{
	"quit": true, "shutdown": true, "reset": true, "auth": true, "hello": true,
}

// isolationKeyspaceWide are the rows also run in the reverse direction.
var isolationKeyspaceWide = []string{"flushdb", "flushall", "keys", "scan", "randomkey", "dbsize"}

// isolationKV is one seeded key; ttl > 0 gives it an expiry that far ahead.
type isolationKV struct {
	key, val string
	ttlMs    int64
}

// isolationData is what user holds: the same names for every tenant, values
// naming the tenant, and one key only bob has (its name gives a leaked key
// listing away).
func isolationData(user string) []isolationKV {
	n := map[string]string{"alice": "10", "bob": "20"}[user]
	kv := []isolationKV{
		{key: "k1", val: user + "-v1"},
		{key: "k2", val: user + "-v2"},
		{key: "k3", val: user + "-v3"},
		{key: "n", val: n},
		{key: "t1", val: user + "-ttl1", ttlMs: 3_600_000},
		{key: "t2", val: user + "-ttl2", ttlMs: 7_200_000},
		{key: "user:bob:k1", val: user + "-prefixlike"},
		{key: "user:alice:k1", val: user + "-prefixlike2"},
	}
	if user == "bob" {
		kv = append(kv, isolationKV{key: "only:bob", val: "bob-only"})
	}
	return kv
}

func isolationNS(srv *Server, user string) *engine.Namespace {
	return srv.Eng.Namespace((&tenant.Principal{UserID: user}).Namespace())
}

// isolationSeed replaces user's keyspace with isolationData, through the
// engine and under every shard lock, so it costs no round trips.
func isolationSeed(srv *Server, user string) {
	tx := srv.Eng.NewTx()
	tx.BeginAll(isolationNS(srv, user), true)
	defer tx.End()
	tx.Flush()
	for _, kv := range isolationData(user) {
		var at int64
		if kv.ttlMs > 0 {
			at = tx.Now + kv.ttlMs
		}
		tx.SetString([]byte(kv.key), []byte(kv.val), at)
	}
	for _, seed := range isolationSeeders {
		seed(tx, user)
	}
}

// isolationSeeders add each data type's keys to both tenants' data: a
// family's test file appends one seeding keys of the same names for every
// user, holding members or values that name the user (so a leak shows),
// without expiry. Examples then run against real values of every kind.
var isolationSeeders []func(tx *engine.Tx, user string)

// isolationSeededKeys is how many keys alice holds after seeding.
func isolationSeededKeys() int {
	srv := newTestServer()
	defer srv.Close()
	isolationSeed(srv, "alice")
	return int(isolationNS(srv, "alice").Keys())
}

// isolationKeyspace renders user's whole keyspace as the engine holds it:
// every key, type, value, expiry, and the namespace's counters.
func isolationKeyspace(srv *Server, user string) string {
	ns := isolationNS(srv, user)
	tx := srv.Eng.NewTx()
	tx.BeginAll(ns, false)
	defer tx.End()
	var lines []string
	tx.Each(func(k []byte, en *engine.Entry) bool {
		line := fmt.Sprintf("%q %s exp=%d", k, en.Kind, en.ExpireAt())
		switch {
		case en.Kind == engine.KindString:
			line += " " + strconv.Quote(string(en.Str()))
		case en.Obj() != nil:
			line += fmt.Sprintf(" %s size=%d", en.Obj().Encoding(), en.Obj().Size())
		}
		lines = append(lines, line)
		return true
	})
	slices.Sort(lines)
	return fmt.Sprintf("keys=%d bytes=%d expires=%d\n%s", ns.Keys(), ns.Bytes(), ns.Expires(), strings.Join(lines, "\n"))
}

// isolationSide is one tenant of the suite: the key its commands run with,
// its main connection (actor, and observer of its own visible state) and a
// second connection the other tenant tries to reach.
type isolationSide struct {
	user, keyID  string
	main, target *resptest.Client
	id, addr     string // target's
}

func isolationOpen(t *testing.T, f *clusterFixture, user, keyID, targetKey string) *isolationSide {
	t.Helper()
	s := &isolationSide{user: user, keyID: keyID, main: f.as(t, keyID)}
	if targetKey != "" {
		s.target = f.as(t, targetKey)
		s.id = strings.TrimPrefix(s.target.Do("CLIENT", "ID"), ":")
		info := s.target.Do("CLIENT", "INFO")
		_, rest, _ := strings.Cut(info, "addr=")
		s.addr, _, _ = strings.Cut(rest, " ")
		if s.id == "" || s.addr == "" {
			t.Fatalf("%s's target connection: id %q, info %s", user, s.id, info)
		}
	}
	return s
}

// visible is what a tenant can see of its own state: the engine's view of
// its keyspace, its DBSIZE, INFO keyspace, how many connections CLIENT LIST
// shows it, and whether its target connection still answers.
func (s *isolationSide) visible(srv *Server) string {
	list := s.main.Do("CLIENT", "LIST")
	v := fmt.Sprintf("%s\nDBSIZE %s\nINFO keyspace %s\nCLIENT LIST count %d",
		isolationKeyspace(srv, s.user), s.main.Do("DBSIZE"), s.main.Do("INFO", "keyspace"), strings.Count(list, "id="))
	if s.target != nil {
		v += "\ntarget PING " + s.target.Do("PING")
	}
	return v
}

// isolationExpand substitutes the placeholders of an example.
func isolationExpand(ex []string, secret, id, addr string) []string {
	out := make([]string, len(ex))
	for i, a := range ex {
		switch a {
		case "$SECRET":
			a = secret
		case "$ID":
			a = id
		case "$ADDR":
			a = addr
		}
		out[i] = a
	}
	return out
}

// isolationRows walks the table recursively: every command and subcommand.
func isolationRows(cs []*Command) []*Command {
	var out []*Command
	for _, c := range cs {
		out = append(out, c)
		out = append(out, isolationRows(c.Subs)...)
	}
	return out
}

// isolationLeaks reports whether reply names other, once the one key name
// the caller legitimately holds that looks like other's prefix is removed.
func isolationLeaks(reply, other string) bool {
	reply = strings.ReplaceAll(reply, "user:"+other+":k1", "")
	return strings.Contains(strings.ToLower(reply), other)
}

// isolationOwnView pins replies whose values reveal counts or connections:
// a leak there names nobody, so "does not contain bob" cannot catch it.
// Keys are examples joined by spaces, before substitution.
var isolationOwnView = map[string]func(reply string) bool{
	"dbsize": func(r string) bool { return r == ":"+strconv.Itoa(isolationSeededKeys()) },
	"info keyspace": func(r string) bool {
		return strings.Contains(r, "db0:keys="+strconv.Itoa(isolationSeededKeys())+",expires=2,")
	},
	"keys *": func(r string) bool { return strings.Count(r, `"`) == 2*isolationSeededKeys() },
	"scan 0 COUNT 1000": func(r string) bool {
		return strings.HasPrefix(r, `["0" [`) && strings.Count(r, `"`) == 2+2*isolationSeededKeys()
	},
	"exists k1 k2 k3 user:bob:k1 k9": func(r string) bool { return r == ":4" },
	"client kill ID $ID":             func(r string) bool { return r == ":0" },
	"client kill ADDR $ADDR":         func(r string) bool { return r == ":0" },
	"client kill $ADDR":              func(r string) bool { return r == "-ERR No such client" },
	"client list ID $ID":             func(r string) bool { return !strings.Contains(r, "id=") },
	"get k1":                         func(r string) bool { return r == `"alice-v1"` },
	"get user:bob:k1":                func(r string) bool { return r == `"alice-prefixlike"` },
}

// isolationProbe runs args as actor and checks that victim saw nothing.
func isolationProbe(t *testing.T, f *clusterFixture, actor, victim *isolationSide, row *Command, ex []string) {
	t.Helper()
	srv := f.srv
	args := isolationExpand(ex, clusterSecret(actor.keyID), victim.id, victim.addr)
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	if got, _ := srv.Table.Resolve(bargs); got != row {
		t.Errorf("isolation example %q is listed under %s but does not resolve to it", ex, row.Name)
		return
	}
	isolationSeed(srv, actor.user)
	isolationSeed(srv, victim.user)
	before := victim.visible(srv)

	conn := actor.main
	if isolationThrowaway[row.Name] {
		conn = f.as(t, actor.keyID)
	}
	reply := conn.Do(args...)
	if conn != actor.main {
		_ = conn.Close()
	} else if strings.HasPrefix(reply, "ERROR:") {
		t.Errorf("%s: %q ended %s's main connection: %s", actor.user, args, actor.user, reply)
		actor.main = f.as(t, actor.keyID)
	}

	switch {
	case row.Run == nil:
		// A bare container only gets its arity error; its rows run below.
		if want := "-" + ArityErr(row.Name); reply != want {
			t.Errorf("%s: %q = %s, want %s", actor.user, args, reply, want)
		}
	case row.Need == tenant.NeedServer:
		if want := "-" + NoPermErr(actor.keyID, row.Name); reply != want {
			t.Errorf("%s: operator-only %q = %s, want %s", actor.user, args, reply, want)
		}
	}
	if check := isolationOwnView[strings.Join(ex, " ")]; check != nil && actor.user == "alice" && !check(reply) {
		t.Errorf("%s: %q = %s: not what %s's own keyspace and connections give", actor.user, args, reply, actor.user)
	}
	if isolationLeaks(reply, victim.user) {
		t.Errorf("%s: %q leaks %s: %s", actor.user, args, victim.user, reply)
	}
	if after := victim.visible(srv); after != before {
		t.Errorf("%s: %q changed %s's state:\nbefore: %s\nafter:  %s", actor.user, args, victim.user, before, after)
	}
}

func TestIsolationGeneratedFromTable(t *testing.T) {
	f := startCluster(t)
	alice := isolationOpen(t, f, "alice", "alice-admin", "")
	bob := isolationOpen(t, f, "bob", "bob-admin", "bob-rw")

	rows := isolationRows(f.srv.Table.All())
	for name := range isolationExamples {
		if !slices.ContainsFunc(rows, func(c *Command) bool { return c.Name == name }) {
			t.Errorf("isolation example for %s, which is not in the table", name)
		}
	}
	for _, row := range rows {
		exs, ok := isolationExamples[row.Name]
		if !ok {
			t.Errorf("no isolation example for %s: add one saying how it is isolated", row.Name)
			continue
		}
		for _, ex := range exs {
			isolationProbe(t, f, alice, bob, row, ex)
		}
	}

	// The other direction for the commands that see a whole keyspace; alice
	// now has a second connection for bob to try to reach.
	alice.target = f.as(t, "alice-ro")
	alice.id = strings.TrimPrefix(alice.target.Do("CLIENT", "ID"), ":")
	for _, name := range isolationKeyspaceWide {
		row := f.srv.Table.Lookup([]byte(name))
		if row == nil {
			t.Errorf("keyspace-wide command %s is not in the table", name)
			continue
		}
		for _, ex := range isolationExamples[name] {
			isolationProbe(t, f, bob, alice, row, ex)
		}
	}
}
