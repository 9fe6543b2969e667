package commands

import (
	"strings"
	"testing"

	"synap/resp/resptest"
	"synap/tenant"
)

// permissionKeys are alice's keys of every permission shape, with the
// permissions the fixture's tenants file gives them.
var permissionKeys = []struct {
	id    string
	perms tenant.Perm
}{
	{"alice-ro", tenant.PermRead},
	{"alice-w", tenant.PermWrite},
	{"alice-del", tenant.PermDelete},
	{"alice-rw", tenant.PermRead | tenant.PermWrite | tenant.PermDelete},
	{"alice-admin", tenant.PermAdmin},
}

// permissionModel is written from the README's permission model, not read
// from the table, so a row whose Need is wrong disagrees with it.
var permissionModel = map[string]tenant.Need{
	"get": tenant.NeedRead, "mget": tenant.NeedRead, "exists": tenant.NeedRead, "ttl": tenant.NeedRead,
	"keys": tenant.NeedRead, "scan": tenant.NeedRead, "dbsize": tenant.NeedRead,

	"set": tenant.NeedWrite, "incr": tenant.NeedWrite, "append": tenant.NeedWrite, "expire": tenant.NeedWrite,
	"persist": tenant.NeedWrite, "rename": tenant.NeedWrite, "copy": tenant.NeedWrite,

	"lpop": tenant.NeedWrite, "blpop": tenant.NeedWrite, "lmove": tenant.NeedWrite, "spop": tenant.NeedWrite,
	"zpopmin": tenant.NeedWrite, "bzpopmax": tenant.NeedWrite, "sort": tenant.NeedWrite, "setbit": tenant.NeedWrite,

	"del": tenant.NeedDelete, "unlink": tenant.NeedDelete, "getdel": tenant.NeedDelete,

	"flushdb": tenant.NeedAdmin, "flushall": tenant.NeedAdmin, "client|kill": tenant.NeedAdmin,

	"config|set": tenant.NeedServer, "config|get": tenant.NeedServer, "shutdown": tenant.NeedServer,
	"tenant|list": tenant.NeedServer, "config|resetstat": tenant.NeedServer,
}

// permissionRevealsModel says, independently of the table, which commands
// that write or delete also need read permission (README.md, "Which commands also need read
// permission"): every write or delete except those whose reply is the same
// whatever is stored, and the plain producers that only count what they
// settle.
func permissionRevealsModel(name string, args []string) bool {
	has := func(from int, opts ...string) bool {
		for _, a := range args[min(from, len(args)):] {
			for _, o := range opts {
				if strings.EqualFold(a, o) {
					return true
				}
			}
		}
		return false
	}
	switch name {
	// +OK whatever the key held.
	case "setex", "psetex", "mset", "hmset", "ltrim", "pfmerge":
		return false
	case "set":
		return has(3, "GET", "NX", "XX")
	// Producers that count what they add, overwrite or remove.
	case "lpush", "rpush", "sadd", "srem", "hset", "hdel", "zrem", "pfadd", "del", "unlink":
		return false
	case "zadd":
		return has(2, "NX", "XX", "GT", "LT", "CH", "INCR") && !strings.ContainsAny(args[2], "0123456789")
	case "geoadd":
		return has(2, "NX", "XX", "CH") && !strings.ContainsAny(args[2], "0123456789")
	case "expire", "pexpire", "expireat", "pexpireat":
		return len(args) > 3
	case "lrem":
		return args[2] != "0"
	// Streams: XADD answers the id it added, the others a count or +OK of
	// what they settle (README.md, "Streams").
	case "xadd", "xack", "xdel", "xtrim", "xgroup|create", "xgroup|setid", "xgroup|destroy", "xgroup|createconsumer", "xgroup|delconsumer":
		return false
	case "append":
		return args[2] == ""
	case "setrange":
		return args[3] == ""
	// Queues: a producer's id and a delete's count (docs/QUEUES.md).
	case "qpublish", "qdelete", "qpurge":
		return false
	}
	return true
}

func isolationBytes(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// permissionCheck compares a reply with what a key of perms must get for a
// command needing need.
func permissionCheck(t *testing.T, keyID string, perms tenant.Perm, need tenant.Need, reveals bool, name string, args []string, reply, source string) {
	t.Helper()
	noperm := "-" + NoPermErr(keyID, name)
	p := &tenant.Principal{Perms: perms}
	if p.Allows(need) && (!reveals || p.Allows(tenant.NeedRead)) {
		if strings.HasPrefix(reply, "-NOPERM") {
			t.Errorf("%s %v may run %s (needs %s per %s), but %q = %s", keyID, perms.Names(), name, need, source, args, reply)
		}
	} else if reply != noperm {
		t.Errorf("%s %v may not run %s (needs %s per %s), but %q = %s, want %s", keyID, perms.Names(), name, need, source, args, reply, noperm)
	}
}

func TestPermissionMatrixFromTable(t *testing.T) {
	f := startCluster(t)
	srv := f.srv
	bob := isolationOpen(t, f, "bob", "bob-rw", "bob-admin")
	rows := isolationRows(srv.Table.All())

	for name, need := range permissionModel {
		row := srv.Table.Lookup([]byte(name))
		if parent, sub, ok := strings.Cut(name, "|"); ok {
			if row = srv.Table.Lookup([]byte(parent)); row != nil {
				row = row.Sub([]byte(sub))
			}
		}
		switch {
		case row == nil:
			t.Errorf("permission model names %s, which is not in the table", name)
		case row.Need != need:
			t.Errorf("table row %s needs %s; the permission model says %s", name, row.Need, need)
		}
	}

	for _, k := range permissionKeys {
		conn := f.as(t, k.id)
		for _, row := range rows {
			// A bare container fails its arity check, which comes before
			// the permission check (as in Redis); its subcommands are rows.
			if row.Run == nil {
				continue
			}
			// A row without examples fails TestIsolationGeneratedFromTable.
			for _, ex := range isolationExamples[row.Name] {
				args := isolationExpand(ex, clusterSecret(k.id), bob.id, bob.addr)
				isolationSeed(srv, "alice")
				c := conn
				if isolationThrowaway[row.Name] {
					c = f.as(t, k.id)
				}
				reply := c.Do(args...)
				if c != conn {
					_ = c.Close()
				} else if strings.HasPrefix(reply, "ERROR:") {
					t.Errorf("%s: %q ended the connection: %s", k.id, args, reply)
					conn = f.as(t, k.id)
				}
				permissionCheck(t, k.id, k.perms, row.Need, row.NeedsRead(isolationBytes(args)), row.Name, args, reply, "the table")
				if need, ok := permissionModel[row.Name]; ok {
					reveals := (need == tenant.NeedWrite || need == tenant.NeedDelete) && permissionRevealsModel(row.Name, args)
					permissionCheck(t, k.id, k.perms, need, reveals, row.Name, args, reply, "the permission model")
				}
			}
		}
		_ = conn.Close()
	}
	if got := bob.target.Do("PING"); got != "+PONG" {
		t.Errorf("bob's connection after alice's keys ran every command: %s", got)
	}

	// What no tenant key may run, the operator may.
	op := f.as(t, "operator")
	permissionOperator(t, op, []string{"CONFIG", "GET", "maxclients"}, `["maxclients" "`)
	permissionOperator(t, op, []string{"TENANT", "LIST"}, `["alice" "bob"]`)
}

func permissionOperator(t *testing.T, op *resptest.Client, args []string, prefix string) {
	t.Helper()
	if got := op.Do(args...); !strings.HasPrefix(got, prefix) {
		t.Errorf("operator: %q = %s, want a reply starting %s", args, got, prefix)
	}
}
