package compat

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"synap/resp/resptest"
)

// rueidis turns client-side caching on for every connection by default
// (CLIENT TRACKING ON over RESP3) and refuses to connect to a server that
// does not support it. Here it runs with its defaults against redis-server
// (which proves the expectations), Synap, and Synap in cluster mode as a
// tenant: cached reads are served locally until another client's change
// invalidates them, for single keys, MGET-style multi reads and flushes.
func TestRueidisClientSideCaching(t *testing.T) {
	type server struct{ addr, password string }
	servers := map[string]server{
		"synap":         {startSynap(t, "").Addr().String(), ""},
		"synap-cluster": {startSynapCluster(t).Addr().String(), clusterTenantKey},
	}
	if path, missing := resptest.RedisServer(); missing == "" {
		if err := resptest.CheckRedisServer(path); err != nil {
			t.Fatal(err)
		}
		servers["redis"] = server{startRedis(t).addr, ""}
	} else {
		t.Run("redis", func(t *testing.T) { resptest.SkipWithoutRedis(t, missing) })
	}
	for name, s := range servers {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			open := func() rueidis.Client {
				c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{s.addr},
					Username: usernameFor(s.password), Password: s.password})
				if err != nil {
					t.Fatalf("rueidis with its defaults (client-side caching on): %v", err)
				}
				t.Cleanup(c.Close)
				return c
			}
			c, other := open(), open()
			set := func(k, v string) {
				t.Helper()
				if err := other.Do(ctx, other.B().Set().Key(k).Value(v).Build()).Error(); err != nil {
					t.Fatal(err)
				}
			}
			get := func(k string) (string, bool) {
				t.Helper()
				r := c.DoCache(ctx, c.B().Get().Key(k).Cache(), time.Minute)
				v, err := r.ToString()
				if err != nil && !rueidis.IsRedisNil(err) {
					t.Fatalf("GET %s: %v", k, err)
				}
				return v, r.IsCacheHit()
			}
			// until waits for a cached read of k to give want: the
			// invalidation travels on its own, after the writer's reply.
			until := func(k, want string) {
				t.Helper()
				for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
					if v, _ := get(k); v == want {
						return
					}
					if time.Now().After(deadline) {
						v, hit := get(k)
						t.Fatalf("GET %s stays %q (cache hit %v), want %q: no invalidation", k, v, hit, want)
					}
				}
			}
			set("csc:a", "1")
			if v, hit := get("csc:a"); v != "1" || hit {
				t.Fatalf("first read: %q, hit %v", v, hit)
			}
			if v, hit := get("csc:a"); v != "1" || !hit {
				t.Fatalf("second read: %q, hit %v; want a cache hit", v, hit)
			}
			set("csc:a", "2")
			until("csc:a", "2")
			if v, hit := get("csc:a"); v != "2" || !hit {
				t.Fatalf("after the refetch: %q, hit %v", v, hit)
			}
			// Several keys read at once, and one deleted.
			set("csc:b", "b1")
			multi := func() []string {
				var out []string
				for _, r := range c.DoMultiCache(ctx, rueidis.CT(c.B().Get().Key("csc:a").Cache(), time.Minute),
					rueidis.CT(c.B().Get().Key("csc:b").Cache(), time.Minute)) {
					v, _ := r.ToString()
					out = append(out, v)
				}
				return out
			}
			if got := multi(); len(got) != 2 || got[0] != "2" || got[1] != "b1" {
				t.Fatalf("multi read: %q", got)
			}
			if err := other.Do(ctx, other.B().Del().Key("csc:b").Build()).Error(); err != nil {
				t.Fatal(err)
			}
			until("csc:b", "")
			// A flush invalidates everything cached.
			set("csc:c", "c1")
			get("csc:c")
			if err := other.Do(ctx, other.B().Flushdb().Build()).Error(); err != nil {
				t.Fatal(err)
			}
			until("csc:c", "")
			until("csc:a", "")
		})
	}
}
