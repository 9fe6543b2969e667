package compat

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"synap/resp/resptest"
)

// TestGlobDifferential matches thousands of random glob patterns against
// one set of random key names in Synap and in a real redis-server, through
// KEYS and SCAN MATCH, and requires the same keys. Patterns and keys are
// drawn from the bytes the glob gives meaning to, so classes, ranges,
// negation, escapes, unterminated classes and runs of stars all come up.
func TestGlobDifferential(t *testing.T) {
	resptest.NeedRedisServer(t)
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: startRedis(t).addr, Protocol: 2})
	s := redis.NewClient(&redis.Options{Addr: startSynap(t, "").Addr().String(), Protocol: 2})
	defer r.Close()
	defer s.Close()
	rng := rand.New(rand.NewPCG(7, 9))
	const keyBytes = "abx-A]"
	const patBytes = "abx-A]*?[^\\"
	draw := func(alphabet string, lo, hi int) string {
		n := lo + rng.IntN(hi-lo+1)
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	keys := map[string]bool{"": true, "*": true, "\\": true, "[": true, "a\\b": true}
	for len(keys) < 400 {
		keys[draw(keyBytes+"*[\\^?", 1, 9)] = true
	}
	for _, c := range []*redis.Client{r, s} {
		p := c.Pipeline()
		for k := range keys {
			p.Set(ctx, k, "v", 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	patterns := []string{"", "*", "**", "?", "[", "[^", "\\", "a\\", "[a-]", "[]", "[]a]", "[^]", "*\\*", "[\\]]*", "[a-", "[--]"}
	for len(patterns) < 4000 {
		patterns = append(patterns, draw(patBytes, 0, 10))
	}
	run := func(c *redis.Client) ([]*redis.StringSliceCmd, []*redis.ScanCmd) {
		p := c.Pipeline()
		var ks []*redis.StringSliceCmd
		var sc []*redis.ScanCmd
		for _, pat := range patterns {
			ks = append(ks, p.Keys(ctx, pat))
			sc = append(sc, p.Scan(ctx, 0, pat, 100000))
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		return ks, sc
	}
	rk, rs := run(r)
	sk, ss := run(s)
	bad := 0
	for i, pat := range patterns {
		want, got := globSorted(rk[i].Val()), globSorted(sk[i].Val())
		if !slices.Equal(want, got) {
			t.Errorf("KEYS %q: only redis %q, only synap %q", pat, globMinus(want, got), globMinus(got, want))
			bad++
		}
		rv, _ := rs[i].Val()
		sv, cur := ss[i].Val()
		if cur != 0 {
			t.Errorf("SCAN 0 MATCH %q COUNT 100000 did not finish in one call: cursor %d", pat, cur)
		}
		if want, got := globSorted(rv), globSorted(sv); !slices.Equal(want, got) {
			t.Errorf("SCAN MATCH %q: only redis %q, only synap %q", pat, globMinus(want, got), globMinus(got, want))
			bad++
		}
		if bad > 20 {
			t.Fatal("too many differences")
		}
	}
}

func globSorted(v []string) []string {
	v = slices.Clone(v)
	slices.SortFunc(v, strings.Compare)
	return v
}

// globMinus is a without b's elements: the keys one server found and the other did not.
func globMinus(a, b []string) []string {
	var out []string
	for _, k := range a {
		if !slices.Contains(b, k) {
			out = append(out, k)
		}
	}
	return out
}
