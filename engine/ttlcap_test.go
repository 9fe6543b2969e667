package engine

import "testing"

// With a namespace's TTL cap, every write through the engine that creates
// a key or sets, keeps or clears its TTL leaves it expiring within the cap;
// a shorter TTL stays, and other namespaces are untouched.
func TestTTLCapOnEveryWrite(t *testing.T) {
	e := engineNew(t, 4)
	ns, free := e.Namespace("capped"), e.Namespace("free")
	ns.SetMaxTTL(60_000)
	engineWrite(e, ns, func(tx *Tx) {
		capAt := tx.Now + 60_000
		check := func(what string, key string, want int64) {
			t.Helper()
			en := tx.Peek([]byte(key))
			if en == nil || en.ExpireAt() != want {
				t.Errorf("%s: %s expires at %v, want %d", what, key, en, want)
			}
		}
		tx.Put([]byte("put"), NewString([]byte("v")))
		check("Put without a TTL", "put", capAt)
		tx.PutExpire([]byte("far"), NewString([]byte("v")), tx.Now+3600_000)
		check("PutExpire past the cap", "far", capAt)
		tx.PutExpire([]byte("near"), NewString([]byte("v")), tx.Now+10_000)
		check("PutExpire under the cap", "near", tx.Now+10_000)
		tx.SetString([]byte("str"), []byte("v"), 0)
		check("SetString without a TTL", "str", capAt)
		tx.SetStringCap([]byte("ctr"), []byte("1"), 0, MaxIntLen)
		check("SetStringCap without a TTL", "ctr", capAt)
		tx.SetExpire([]byte("near"), tx.Get([]byte("near")), 0)
		check("SetExpire clearing the TTL", "near", capAt)
		tx.SetExpire([]byte("str"), tx.Get([]byte("str")), tx.Now+7200_000)
		check("SetExpire past the cap", "str", capAt)
		tx.In(free).Put([]byte("put"), NewString([]byte("v")))
		if en := tx.In(free).Peek([]byte("put")); en == nil || en.ExpireAt() != 0 {
			t.Errorf("a namespace without a cap: %v", en)
		}
	})
	if ns.Expires() != 5 || ns.Bytes() != 5*(KeyCharge+TTLCharge)+3+1+3+1+4+1+3+1+3+1 {
		t.Errorf("capped: %d expires, %d bytes", ns.Expires(), ns.Bytes())
	}
}
