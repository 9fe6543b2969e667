package commands

import (
	"fmt"
	"strings"

	"synap/tenant"
)

// TENANT is the operator's view of cluster mode's tenants. Only the operator
// key may run it (admin flag → tenant.NeedServer).
func init() {
	register(&Command{Name: "tenant", Arity: -2, Flags: FlagAdmin | FlagLoading | FlagStale, ACL: []string{"admin", "slow", "dangerous"},
		Group: "server", Since: "synap 0.1", Summary: "Lists cluster-mode tenants and shows one tenant's usage.",
		Subs: []*Command{
			{Name: "list", Arity: 2, Flags: FlagAdmin | FlagLoading | FlagStale, ACL: []string{"admin", "slow", "dangerous"},
				Group: "server", Since: "synap 0.1", Summary: "Lists the tenants seen since start.", Run: cmdTenantList},
			{Name: "info", Arity: 3, Flags: FlagAdmin | FlagLoading | FlagStale, ACL: []string{"admin", "slow", "dangerous"},
				Group: "server", Since: "synap 0.1", Summary: "Shows one tenant's connections, keys, bytes and command counts.", Run: cmdTenantInfo},
		}})
}

func cmdTenantList(x *Ctx) {
	if x.S.Tenants == nil {
		x.W.Array(0)
		return
	}
	all := x.S.Tenants.All()
	x.W.Array(len(all))
	for _, t := range all {
		x.W.BulkString(t.UserID)
	}
}

func cmdTenantInfo(x *Ctx) {
	var t *tenant.Tenant
	if x.S.Tenants != nil {
		t = x.S.Tenants.Lookup(string(x.Args[2]))
	}
	if t == nil {
		x.Error(errNoSuchTenant)
		return
	}
	var b serverInfoBuf
	b.WriteString("# Tenant\r\n")
	writeTenant(x.S, t, true, &b)
	b.WriteString("\r\n# Commandstats\r\n")
	tenantCommandStats(x.S, t, &b)
	x.W.Verbatim(b.String())
}

// infoTenant is INFO's tenant section: the caller's own figures.
func infoTenant(x *Ctx, b *serverInfoBuf) {
	p := x.C.P
	if p != nil {
		b.str("key_id", p.KeyID)
		b.str("plan", p.Plan)
		b.str("permissions", strings.Join(p.Perms.Names(), ","))
	}
	writeTenant(x.S, x.C.T, p != nil && p.Allows(tenant.NeedRead), b)
}

// writeTenant writes a tenant's figures; data adds those that count what it
// stores (keys, bytes, and hits and misses, which tell whether keys its
// other connections asked for existed), shown only to a key with read.
func writeTenant(s *Server, t *tenant.Tenant, data bool, b *serverInfoBuf) {
	ns := s.Eng.Namespace((&tenant.Principal{UserID: t.UserID}).Namespace())
	b.str("user_id", t.UserID)
	b.int("connections", t.Connections.Load())
	if data {
		b.int("keys", ns.Keys())
		b.int("expires", ns.Expires())
		b.int("bytes", ns.Bytes())
		b.int("evicted_keys", ns.Evicted())
		b.int("keyspace_hits", t.Hits.Load())
		b.int("keyspace_misses", t.Misses.Load())
	}
	b.int("total_commands_processed", t.Commands.Total())
	for i, name := range tenant.RejectNames() {
		b.int("rejected_"+name, t.RejectedCount(tenant.Reject(i)))
	}
}

// tenantCommandStats lists a tenant's calls per command, in table order.
func tenantCommandStats(s *Server, t *tenant.Tenant, b *serverInfoBuf) {
	var walk func(cs []*Command)
	walk = func(cs []*Command) {
		for _, c := range cs {
			if c.Index < t.Commands.Len() {
				if n := t.Commands.Load(c.Index); n > 0 {
					b.str("cmdstat_"+c.Name, fmt.Sprintf("calls=%d", n))
				}
			}
			walk(c.Subs)
		}
	}
	walk(s.Table.All())
}
