package engine

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// zsetModel is the obvious sorted set: a map, sorted on demand.
type zsetModel map[string]float64

type zsetPair struct {
	m string
	s float64
}

func (m zsetModel) sorted() []zsetPair {
	out := make([]zsetPair, 0, len(m))
	for k, v := range m {
		out = append(out, zsetPair{k, v})
	}
	slices.SortFunc(out, func(a, b zsetPair) int {
		if c := cmp.Compare(a.s, b.s); c != 0 {
			return c
		}
		return strings.Compare(a.m, b.m)
	})
	return out
}

func zsetCollect(z *ZSet, lo, hi int, rev bool) []zsetPair {
	var out []zsetPair
	z.Range(lo, hi, rev, func(m string, s float64) bool {
		out = append(out, zsetPair{m, s})
		return true
	})
	return out
}

// zsetCheck compares every query of the API with the model.
func zsetCheck(t *testing.T, step string, z *ZSet, m zsetModel, rng *rand.Rand) {
	t.Helper()
	want := m.sorted()
	if z.Len() != len(want) {
		t.Fatalf("%s: Len %d, want %d", step, z.Len(), len(want))
	}
	if z.Size() != z.ComputeSize() {
		t.Fatalf("%s: Size %d, ComputeSize %d", step, z.Size(), z.ComputeSize())
	}
	got := zsetCollect(z, 0, z.Len(), false)
	if !slices.Equal(got, want) && len(want) > 0 {
		t.Fatalf("%s: order\n got %v\nwant %v", step, got, want)
	}
	rev := zsetCollect(z, 0, z.Len(), true)
	slices.Reverse(rev)
	if !slices.Equal(rev, want) && len(want) > 0 {
		t.Fatalf("%s: reverse order %v", step, rev)
	}
	for i, p := range want {
		r, s, ok := z.Rank([]byte(p.m))
		if !ok || r != i || s != p.s {
			t.Fatalf("%s: Rank(%s) = %d %v %v, want %d %v", step, p.m, r, s, ok, i, p.s)
		}
		if m, s := z.At(i); m != p.m || s != p.s {
			t.Fatalf("%s: At(%d) = %s %v", step, i, m, s)
		}
	}
	if _, _, ok := z.Rank([]byte("absent")); ok {
		t.Fatalf("%s: Rank of an absent member", step)
	}
	lo, hi := rng.IntN(len(want)+3)-1, rng.IntN(len(want)+3)-1
	exp := []zsetPair(nil)
	for i := max(lo, 0); i < min(hi, len(want)); i++ {
		exp = append(exp, want[i])
	}
	if got := zsetCollect(z, lo, hi, false); !slices.Equal(got, exp) {
		t.Fatalf("%s: Range(%d,%d) = %v, want %v", step, lo, hi, got, exp)
	}
	slices.Reverse(exp)
	if got := zsetCollect(z, lo, hi, true); !slices.Equal(got, exp) {
		t.Fatalf("%s: Range(%d,%d,rev) = %v, want %v", step, lo, hi, got, exp)
	}
	// score spans against a linear filter
	bounds := []float64{math.Inf(-1), -1, 0, 1, 2, 3, 5, math.Inf(1)}
	r := ScoreRange{Min: bounds[rng.IntN(len(bounds))], Max: bounds[rng.IntN(len(bounds))], MinEx: rng.IntN(2) == 0, MaxEx: rng.IntN(2) == 0}
	lo, hi = z.ScoreSpan(r)
	var in []zsetPair
	for _, p := range want {
		if r.Contains(p.s) {
			in = append(in, p)
		}
	}
	if got := zsetCollect(z, lo, hi, false); hi-lo != len(in) || (len(in) > 0 && !slices.Equal(got, in)) {
		t.Fatalf("%s: ScoreSpan(%+v) = [%d,%d) %v, want %v", step, r, lo, hi, got, in)
	}
}

func TestZSetMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	z := NewZSet(0, 0)
	m := zsetModel{}
	for step := 0; step < 4000; step++ {
		member := "m" + strconv.Itoa(rng.IntN(300))
		score := float64(rng.IntN(7) - 1)
		if rng.IntN(10) == 0 {
			score = math.Inf(rng.IntN(2)*2 - 1)
		}
		var desc string
		switch op := rng.IntN(10); {
		case op < 5:
			_, had := m[member]
			if added := z.Set([]byte(member), score); added == had {
				t.Fatalf("Set(%s) added=%v, model had it: %v", member, added, had)
			}
			m[member] = score
			desc = fmt.Sprintf("Set %s %v", member, score)
		case op < 8:
			_, had := m[member]
			if z.Remove([]byte(member)) != had {
				t.Fatalf("Remove(%s) disagrees", member)
			}
			delete(m, member)
			desc = "Remove " + member
		default:
			lo, hi := rng.IntN(10), rng.IntN(20)
			want := m.sorted()
			var removed []zsetPair
			n := z.RemoveRange(lo, hi, func(m string, s float64) { removed = append(removed, zsetPair{m, s}) })
			exp := []zsetPair(nil)
			for i := lo; i < min(hi, len(want)); i++ {
				exp = append(exp, want[i])
				delete(m, want[i].m)
			}
			if n != len(exp) || !slices.Equal(removed, exp) {
				t.Fatalf("RemoveRange(%d,%d) = %d %v, want %v", lo, hi, n, removed, exp)
			}
			desc = fmt.Sprintf("RemoveRange %d %d", lo, hi)
		}
		zsetCheck(t, desc, z, m, rng)
		if step%500 == 0 {
			c := z.Clone().(*ZSet)
			zsetCheck(t, desc+" (clone)", c, m, rng)
			c.Set([]byte("only-in-clone"), 1)
			if _, ok := z.Score([]byte("only-in-clone")); ok {
				t.Fatal("the clone shares storage")
			}
		}
	}
}

func TestZSetLexSpan(t *testing.T) {
	z := NewZSet(0, 0)
	for _, m := range []string{"a", "b", "c", "d", "e", "ee", "f"} {
		z.Set([]byte(m), 0)
	}
	v := func(s string, ex bool) LexBound { return LexBound{Value: s, Ex: ex} }
	minus, plus := LexBound{Inf: -1}, LexBound{Inf: 1}
	cases := []struct {
		r    LexRange
		want string
	}{
		{LexRange{minus, plus}, "a b c d e ee f"},
		{LexRange{v("b", false), v("e", false)}, "b c d e"},
		{LexRange{v("b", true), v("e", true)}, "c d"},
		{LexRange{v("b", true), v("e", false)}, "c d e"},
		{LexRange{v("e", false), plus}, "e ee f"},
		{LexRange{minus, v("c", true)}, "a b"},
		{LexRange{plus, plus}, ""},
		{LexRange{minus, minus}, ""},
		{LexRange{plus, minus}, ""},
		{LexRange{v("c", false), v("c", false)}, "c"},
		{LexRange{v("c", true), v("c", false)}, ""},
		{LexRange{v("d", false), v("c", false)}, ""},
		{LexRange{v("z", false), plus}, ""},
	}
	for _, c := range cases {
		lo, hi := z.LexSpan(c.r)
		var got []string
		z.Range(lo, hi, false, func(m string, _ float64) bool { got = append(got, m); return true })
		if strings.Join(got, " ") != c.want {
			t.Errorf("LexSpan(%+v) = %v, want %q", c.r, got, c.want)
		}
	}
}

func TestZSetEncoding(t *testing.T) {
	z := NewZSet(0, 0)
	for i := 0; i < ZSetListpackEntries; i++ {
		z.Set([]byte(strconv.Itoa(i)), float64(i))
	}
	if z.Encoding() != "listpack" {
		t.Fatalf("%d members: %s", z.Len(), z.Encoding())
	}
	z.Set([]byte("0"), 5) // an update adds nothing
	if z.Encoding() != "listpack" {
		t.Fatalf("after an update: %s", z.Encoding())
	}
	z.Set([]byte("new"), 1)
	if z.Encoding() != "skiplist" {
		t.Fatalf("%d members: %s", z.Len(), z.Encoding())
	}
	z.Remove([]byte("new"))
	if z.Encoding() != "skiplist" {
		t.Fatal("went back to listpack by itself")
	}
	z.RemoveRange(0, z.Len(), nil)
	if z.Len() != 0 || z.Size() != 0 {
		t.Fatalf("after removing all: %d members, %d bytes", z.Len(), z.Size())
	}
	z.Set([]byte("x"), 1)
	z.Compact()
	if z.Encoding() != "listpack" {
		t.Fatal("Compact kept skiplist for one short member")
	}

	long := []byte(strings.Repeat("x", ZSetListpackValue+1))
	z = NewZSet(0, 0)
	z.Set(long[:ZSetListpackValue], 1)
	if z.Encoding() != "listpack" {
		t.Fatal("a 64-byte member converted")
	}
	z.Set(long, 1)
	if z.Encoding() != "skiplist" {
		t.Fatal("a 65-byte member kept listpack")
	}
	z.Compact()
	if z.Encoding() != "skiplist" {
		t.Fatal("Compact with a long member")
	}
	if NewZSet(129, 1).Encoding() != "skiplist" || NewZSet(1, 65).Encoding() != "skiplist" || NewZSet(128, 64).Encoding() != "listpack" {
		t.Fatal("size hints")
	}
}

// A member present for the whole scan is returned at least once, while
// other members come and go and the index grows and shrinks between calls.
func TestZSetScanGuarantee(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 30; round++ {
		z := NewZSet(0, 0)
		stable := map[string]bool{}
		for i := 0; i < 200; i++ {
			m := "s" + strconv.Itoa(i)
			z.Set([]byte(m), float64(rng.IntN(100)))
			stable[m] = true
		}
		seen := map[string]bool{}
		cursor := uint64(0)
		for calls := 0; ; calls++ {
			cursor = z.Scan(cursor, 1+rng.IntN(20), func(m string, _ float64) { seen[m] = true })
			if cursor == 0 {
				break
			}
			if calls > 100000 {
				t.Fatal("scan does not end")
			}
			// churn: grow a lot, shrink a lot, move stable members' scores
			switch rng.IntN(3) {
			case 0:
				for i := 0; i < rng.IntN(2000); i++ {
					z.Set([]byte("t"+strconv.Itoa(rng.IntN(5000))), 1)
				}
			case 1:
				for i := 0; i < 3000; i++ {
					z.Remove([]byte("t" + strconv.Itoa(i)))
				}
			}
			z.Set([]byte("s"+strconv.Itoa(rng.IntN(200))), float64(rng.IntN(100)))
		}
		for m := range stable {
			if !seen[m] {
				t.Fatalf("round %d: %s present throughout, never returned", round, m)
			}
		}
	}
}

// Scans and lookups stay right while an incremental resize is under way,
// growing or shrinking, with the walk starting before or during it.
func TestZSetResizeInProgress(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for round := 0; round < 20; round++ {
		z := NewZSet(0, 0)
		n := 1024
		for i := 0; i < n; i++ {
			z.Set([]byte("s"+strconv.Itoa(i)), float64(i))
		}
		if round%2 == 1 {
			// shrink: keep a few stable members only
			for i := 64; i < n; i++ {
				z.Remove([]byte("s" + strconv.Itoa(i)))
			}
			n = 64
		}
		seen := map[string]bool{}
		cursor := z.Scan(0, 1+rng.IntN(8), func(m string, _ float64) { seen[m] = true })
		extra := 0
		for cursor != 0 {
			// each write moves a few buckets: the resize is in progress
			// for many of these calls
			z.Set([]byte("t"+strconv.Itoa(extra)), 1)
			extra++
			if rng.IntN(3) == 0 {
				z.Remove([]byte("t" + strconv.Itoa(rng.IntN(extra))))
			}
			for i := 0; i < n; i += 97 {
				if s, ok := z.Score([]byte("s" + strconv.Itoa(i))); !ok || s != float64(i) {
					t.Fatalf("round %d: s%d lost during a resize", round, i)
				}
			}
			cursor = z.Scan(cursor, 1+rng.IntN(8), func(m string, _ float64) { seen[m] = true })
		}
		for i := 0; i < n; i++ {
			if !seen["s"+strconv.Itoa(i)] {
				t.Fatalf("round %d: s%d never returned", round, i)
			}
		}
		if z.Size() != z.ComputeSize() {
			t.Fatalf("round %d: Size %d, ComputeSize %d", round, z.Size(), z.ComputeSize())
		}
	}
}

// ZADD as redis-benchmark sends it: random scores for members of one set
// of up to 100,000.
func BenchmarkZSetSetRandom(b *testing.B) {
	z := NewZSet(0, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	members := make([]string, 100000)
	for i := range members {
		members[i] = "element:" + strconv.Itoa(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.SetString(members[rng.IntN(len(members))], float64(rng.IntN(100000)))
	}
}
