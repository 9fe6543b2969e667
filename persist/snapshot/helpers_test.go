package snapshot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"synap/commands"
	"synap/engine"
	"synap/tenant"
	"synap/tenant/tenantsfile"
)

// newServer is an in-process server (no listener), closed with the test.
func newServer(t testing.TB, opts ...func(*commands.Config)) *commands.Server {
	t.Helper()
	cfg := commands.DefaultConfig()
	cfg.Shards = 16
	for _, o := range opts {
		o(&cfg)
	}
	srv := commands.NewServer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// session is a socketless session on srv.
func session(t testing.TB, srv *commands.Server) *commands.Session {
	t.Helper()
	c, err := srv.NewSession(tenant.SurfaceRESP, commands.LocalTransport{Remote: "test", Local: "in-process"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// do runs one command and renders its reply; an error reply fails the test.
func do(t testing.TB, srv *commands.Server, c *commands.Session, args ...string) string {
	t.Helper()
	got := call(t, srv, c, args...)
	if strings.HasPrefix(got, "ERROR") || strings.HasPrefix(got, "-") {
		t.Fatalf("%q: %s", args, got)
	}
	return got
}

func call(t testing.TB, srv *commands.Server, c *commands.Session, args ...string) string {
	t.Helper()
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	v, err := srv.Call(context.Background(), c, b...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return v.String()
}

const adminKey = "operator-key-0123456789"

// newCluster is a cluster-mode server over a tenants file with tenants
// alice and bob, and a session per tenant (authenticated with its key).
func newCluster(t testing.TB) (*commands.Server, map[string]*commands.Session) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	var b strings.Builder
	b.WriteString("tenants:\n")
	// No rate limit: the tests replay whole workloads through these
	// sessions as fast as they can (recovery's own replay sessions are
	// exempt from a tenant's limits; these are ordinary clients).
	for _, u := range []string{"alice", "bob"} {
		fmt.Fprintf(&b, "  - user_id: %s\n    plan: pro\n    limits:\n      rate_limit:\n        requests_per_second: -1\n    keys:\n      - key_id: %s-rw\n        secret_sha256: %s\n        permissions: [read, write, delete, admin]\n",
			u, u, tenantsfile.HashKey(u+"-secret-0123456789"))
	}
	b.WriteString("tenant_count: 2\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	dir, err := tenantsfile.Open(path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dir.Close)
	srv := newServer(t, func(c *commands.Config) { c.ClusterMode, c.TenantsFile, c.AdminKey = true, path, adminKey })
	srv.Dir = dir
	out := map[string]*commands.Session{}
	for _, u := range []string{"alice", "bob"} {
		c := session(t, srv)
		do(t, srv, c, "AUTH", u+"-secret-0123456789")
		out[u] = c
	}
	return srv, out
}

// dumpData renders every live key of every namespace as the clock at sees
// it: keyspace, key, type, deadline and the whole value (as the write
// hook's replay test compares servers).
func dumpData(srv *commands.Server, at int64) map[string]string {
	srv.Eng.PinClock(at)
	defer srv.Eng.PinClock(0)
	out := map[string]string{}
	tx := srv.Eng.NewTx()
	for _, ns := range srv.Eng.Namespaces() {
		tx.BeginAll(ns, false)
		tx.Each(func(key []byte, en *engine.Entry) bool {
			out[ns.Name+"\x00"+string(key)] = fmt.Sprintf("%s exp=%d %s", en.Kind, en.ExpireAt(), renderValue(en))
			return true
		})
		tx.End()
	}
	return out
}

// renderValue shows a value with its encoding and, where the order is
// what users see (HGETALL, SMEMBERS of a hashtable), in that order.
func renderValue(en *engine.Entry) string {
	var parts []string
	switch o := en.Obj().(type) {
	case nil:
		return fmt.Sprintf("raw=%v %q", en.Raw, en.Str())
	case *engine.List:
		o.Range(0, o.Len()-1, func(_ int, v []byte) bool {
			parts = append(parts, strconv.Quote(string(v)))
			return true
		})
	case *engine.Hash:
		o.Each(func(f, v string) bool {
			parts = append(parts, strconv.Quote(f)+"="+strconv.Quote(v))
			return true
		})
		parts = append(parts, fmt.Sprintf("packed=%v", o.Packed()))
	case *engine.Set:
		o.Each(func(m []byte) bool {
			parts = append(parts, strconv.Quote(string(m)))
			return true
		})
	case *engine.ZSet:
		o.Each(func(m string, s float64) bool {
			parts = append(parts, strconv.Quote(m)+"="+strconv.FormatFloat(s, 'g', -1, 64))
			return true
		})
	case *engine.Stream:
		return renderStream(o)
	case *engine.Queue:
		// What a load keeps (QueueFromState); the codec must give
		// exactly that state.
		q, ok := engine.QueueFromState(o.Clone().(*engine.Queue).State())
		if !ok {
			return "unrebuildable queue " + o.Dump()
		}
		return q.Dump()
	default:
		return fmt.Sprintf("%T", o)
	}
	enc := ""
	if o, ok := en.Obj().(engine.Object); ok {
		enc = o.Encoding()
	}
	return enc + " [" + strings.Join(parts, " ") + "]"
}

// renderStream is a stream with everything XINFO STREAM FULL shows.
func renderStream(s *engine.Stream) string {
	var b strings.Builder
	fmt.Fprintf(&b, "len=%d last=%s maxdel=%s added=%d nodes=%d [", s.Len(), s.LastID, s.MaxDeletedID, s.EntriesAdded, s.Nodes())
	s.Ascend(engine.StreamID{}, func(e *engine.StreamEntry) bool {
		fmt.Fprintf(&b, " %s%q", e.ID, e.Fields)
		return true
	})
	b.WriteString(" ]")
	for _, g := range s.Groups() {
		fmt.Fprintf(&b, " group %s last=%s read=%d pel{", g.Name, g.LastID, g.EntriesRead)
		g.PEL.Scan(func(p *engine.StreamPending) bool {
			fmt.Fprintf(&b, " %s:%s@%d#%d", p.ID, p.Consumer.Name, p.DeliveryTime, p.DeliveryCount)
			return true
		})
		b.WriteString(" } consumers{")
		for _, c := range g.Consumers() {
			fmt.Fprintf(&b, " %s:seen%d:%d", c.Name, c.SeenTime, c.PEL.Len())
		}
		b.WriteString(" }")
	}
	return b.String()
}

// compareData fails the test on any key that differs or that only one
// side has.
func compareData(t *testing.T, want, got map[string]string) {
	t.Helper()
	var bad []string
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			bad = append(bad, fmt.Sprintf("key %q: want %s, got %s", k, w, g))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			bad = append(bad, fmt.Sprintf("key %q only loaded: %s", k, g))
		}
	}
	slices.Sort(bad)
	for i, b := range bad {
		if i == 10 {
			break
		}
		t.Error(b)
	}
	if len(bad) > 0 {
		t.Fatalf("%d keys differ (of %d)", len(bad), len(want))
	}
}
