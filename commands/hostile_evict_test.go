package commands

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"synap/resp/resptest"
	"synap/tenant"
)

// A tenant whose plan evicts fills its storage quota many times over: its
// writes all succeed, it stays within its quota, its INFO counts what it
// lost, and another tenant's keys (the same names included) all stay.
func TestHostileEvictTenantPlanOwnKeysOnly(t *testing.T) {
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			f, carol, ns := quotaCarol(t, "storage_limit_bytes: 20000, max_keys: -1, eviction_policy: "+policy)
			alice := f.as(t, "alice-rw")
			fill(t, alice, "k", 300)
			for i := range 300 {
				alice.Do("EXPIRE", fmt.Sprintf("k:%d", i), "10") // soonest deadlines of all
			}
			v := strings.Repeat("v", 100)
			for i := range 500 {
				args := []string{"SET", fmt.Sprintf("k:%d", i), v}
				if policy == "volatile-ttl" {
					args = append(args, "EX", strconv.Itoa(1000+i))
				}
				mustDo(t, carol, "+OK", args...)
			}
			if ns.Bytes() > 20000 {
				t.Fatalf("carol holds %d bytes of a 20000-byte quota", ns.Bytes())
			}
			if got := present(t, alice, "k", 300); got != 300 {
				t.Fatalf("alice has %d of her 300 keys", got)
			}
			kept := present(t, carol, "k", 500)
			if got := infoInt(t, carol, "tenant", "evicted_keys"); got != int64(500-kept) || got == 0 {
				t.Fatalf("carol's evicted_keys %d, she kept %d of 500", got, kept)
			}
			if got := infoField(t, carol, "memory", "maxmemory_policy"); got != policy {
				t.Fatalf("carol's maxmemory_policy %q", got)
			}
			if got := infoField(t, alice, "memory", "maxmemory_policy"); got != "noeviction" {
				t.Fatalf("alice's maxmemory_policy %q", got)
			}
		})
	}
}

// A plan that evicts only volatile keys, with none: the quota refuses as
// without a policy.
func TestHostileEvictTenantVolatileWithoutTTLs(t *testing.T) {
	_, carol, _ := quotaCarol(t, "storage_limit_bytes: 5000, max_keys: -1, eviction_policy: volatile-lru")
	v := strings.Repeat("v", 100)
	var refused string
	for i := range 100 {
		if got := carol.Do("SET", fmt.Sprintf("k:%d", i), v); got != "+OK" {
			refused = got
			break
		}
	}
	if !strings.HasPrefix(refused, "-QUOTA storage quota exceeded") {
		t.Fatalf("refusal %q", refused)
	}
}

// The server-wide maxmemory in cluster mode: a tenant's write evicts only
// in its own keyspace, and with nothing of its own left it is refused; it
// never makes room by taking another tenant's keys.
func TestHostileEvictMaxMemoryOwnKeyspace(t *testing.T) {
	f := startCluster(t)
	op, alice, bob := f.as(t, "operator"), f.as(t, "alice-rw"), f.as(t, "bob-rw")
	fill(t, alice, "a", 300)
	fill(t, bob, "b", 20)
	mustDo(t, op, "+OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	// Below what alice alone holds: bob can make room only from his own.
	aliceNS := f.srv.Eng.Namespace((&tenant.Principal{UserID: "alice"}).Namespace())
	mustDo(t, op, "+OK", "CONFIG", "SET", "maxmemory", strconv.FormatInt(aliceNS.Bytes()-1000, 10))
	v := strings.Repeat("v", 100)
	var refused string
	for i := range 100 {
		if got := bob.Do("SET", fmt.Sprintf("new:%d", i), v); got != "+OK" {
			refused = got
			break
		}
	}
	if refused != "-"+errOOM {
		t.Fatalf("bob's write with nothing of his own left: %q", refused)
	}
	if got := present(t, alice, "a", 300); got != 300 {
		t.Fatalf("alice has %d of her 300 keys", got)
	}
	if got := present(t, bob, "b", 20); got != 0 {
		t.Fatalf("bob kept %d of his own keys while writing past maxmemory", got)
	}
	if aliceNS.Evicted() != 0 {
		t.Fatalf("alice lost %d keys", aliceNS.Evicted())
	}
	// The operator sees the server's count; alice hers (none).
	if got := infoInt(t, op, "stats", "evicted_keys"); got < 20 {
		t.Fatalf("evicted_keys %d", got)
	}
	if got := infoInt(t, alice, "tenant", "evicted_keys"); got != 0 {
		t.Fatalf("alice's evicted_keys %d", got)
	}
}

// A tenant's plan LFU policy gives its keyspace access counters, whatever
// the server's policy; another tenant's keyspace keeps access times.
func TestHostileEvictTenantTracking(t *testing.T) {
	f, carol, _ := quotaCarol(t, "storage_limit_bytes: -1, max_keys: -1, eviction_policy: allkeys-lfu")
	alice := f.as(t, "alice-rw")
	mustDo(t, carol, "+OK", "SET", "k", "v")
	mustDo(t, alice, "+OK", "SET", "k", "v")
	mustDo(t, carol, ":5", "OBJECT", "FREQ", "k")
	mustDo(t, carol, "-"+errIdleLFU, "OBJECT", "IDLETIME", "k")
	mustDo(t, alice, "-"+errFreqNoLFU, "OBJECT", "FREQ", "k")
	mustDo(t, alice, ":0", "OBJECT", "IDLETIME", "k")
}

// Eviction holds one shard lock at a time, and only while it removes a
// key: between two keys of a write that evicts a thousand, another
// tenant's writes go through (a lock kept would hang them: the engine's
// walk hook runs there, on the evicting goroutine).
func TestHostileEvictHoldsNoLockBetweenKeys(t *testing.T) {
	f, carol, ns := quotaCarol(t, "storage_limit_bytes: 400000, max_keys: -1, eviction_policy: allkeys-random")
	bob := f.as(t, "bob-rw")
	fill(t, carol, "k", 1000)
	before := ns.Keys()
	// Lower carol's quota: her next write evicts most of her keys.
	setCarolLimits(t, "{rate_limit: {requests_per_second: -1, burst: -1}, max_connections: -1, "+
		"monthly_operations_limit: -1, max_payload_bytes: -1, storage_limit_bytes: 2000, max_keys: -1, eviction_policy: allkeys-random}")
	f.rewrite(t, clusterKeys)
	round := 0
	f.srv.Eng.SetWalkHook(func(holding bool) {
		if holding || round >= 200 {
			return
		}
		if got := bob.Do("SET", fmt.Sprintf("b:%d", round), "v"); got != "+OK" {
			t.Errorf("bob's write between two evictions: %s", got)
		}
		round++
	})
	mustDo(t, carol, "+OK", "SET", "x", "y")
	f.srv.Eng.SetWalkHook(nil)
	if round < 200 || ns.Keys() >= before || ns.Bytes() > 2000 {
		t.Fatalf("%d rounds; carol holds %d keys, %d bytes", round, ns.Keys(), ns.Bytes())
	}
	if got := present(t, bob, "b", 200); got != 200 {
		t.Fatalf("bob has %d of 200 keys", got)
	}
}

// What a tenant's evictions tell: the evicted event reaches only that
// tenant's subscribers, and the write hook records DEL in its keyspace.
func TestHostileEvictEventsStayWithTheTenant(t *testing.T) {
	f, carol, _ := quotaCarol(t, "storage_limit_bytes: 5000, max_keys: -1, eviction_policy: allkeys-lru")
	rec := &recorder{}
	f.srv.SetWriteHook(rec)
	op := f.as(t, "operator")
	mustDo(t, op, "+OK", "CONFIG", "SET", "notify-keyspace-events", "Ee")
	aliceSub, carolSub := f.as(t, "alice-rw"), f.as(t, "carol-rw")
	for _, c := range []*resptest.Client{aliceSub, carolSub} {
		mustDo(t, c, `["subscribe" "__keyevent@0__:evicted" :1]`, "SUBSCRIBE", "__keyevent@0__:evicted")
	}
	v := strings.Repeat("v", 100)
	for i := range 40 {
		mustDo(t, carol, "+OK", "SET", fmt.Sprintf("k:%d", i), v)
	}
	if got := readPush(t, carolSub); !strings.HasPrefix(got, `["message" "__keyevent@0__:evicted" "k:`) {
		t.Fatalf("carol heard %s", got)
	}
	quiet(t, aliceSub, "alice")
	dels := 0
	for _, r := range rec.take() {
		if string(r.Args[0]) == "DEL" {
			dels++
			if r.Keyspace.Tenant != "carol" {
				t.Fatalf("an eviction recorded in keyspace %+v", r.Keyspace)
			}
		}
	}
	if int64(dels) != infoInt(t, carol, "tenant", "evicted_keys") || dels == 0 {
		t.Fatalf("%d DEL records for %d evictions", dels, infoInt(t, carol, "tenant", "evicted_keys"))
	}
}

// A transaction of a tenant whose plan evicts gets room for all of its
// writes before EXEC locks, where the quota is checked again.
func TestHostileEvictTenantExec(t *testing.T) {
	_, carol, ns := quotaCarol(t, "storage_limit_bytes: 5000, max_keys: -1, eviction_policy: allkeys-lru")
	v := strings.Repeat("v", 100)
	for i := range 40 {
		mustDo(t, carol, "+OK", "SET", fmt.Sprintf("k:%d", i), v)
	}
	mustDo(t, carol, "+OK", "MULTI")
	for i := range 5 {
		mustDo(t, carol, "+QUEUED", "SET", fmt.Sprintf("tx:%d", i), v)
	}
	mustDo(t, carol, "[+OK +OK +OK +OK +OK]", "EXEC")
	if got := present(t, carol, "tx", 5); got != 5 || ns.Bytes() > 5000 {
		t.Fatalf("%d of the transaction's keys, %d bytes", got, ns.Bytes())
	}
}
