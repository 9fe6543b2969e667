package engine

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sort"
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

// zsetForms are the ways a set is held, for tests that run on each: packed
// all along (never more than ZSetListpackEntries members), packed then
// converted to the tree as it grows, and a tree from the start (a size hint
// past the packing).
var zsetForms = []struct {
	name     string
	keyspace int // members drawn from this many
	new      func() *ZSet
	packed   bool // stays packed throughout
}{
	{"packed", ZSetListpackEntries - 8, func() *ZSet { return NewZSet(0, 0) }, true},
	{"converted", 300, func() *ZSet { return NewZSet(0, 0) }, false},
	{"tree", ZSetListpackEntries - 8, func() *ZSet { return NewZSet(ZSetListpackEntries+1, 0) }, false},
}

func TestZSetMatchesModel(t *testing.T) {
	for _, form := range zsetForms {
		t.Run(form.name, func(t *testing.T) { testZSetMatchesModel(t, form.new(), form.keyspace, form.packed) })
	}
}

func testZSetMatchesModel(t *testing.T, z *ZSet, keyspace int, packed bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := zsetModel{}
	for step := 0; step < 4000; step++ {
		if z.Packed() != packed && (packed || z.Len() > ZSetListpackEntries) {
			t.Fatalf("step %d: %d members, packed %v", step, z.Len(), z.Packed())
		}
		member := "m" + strconv.Itoa(rng.IntN(keyspace))
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
	for _, form := range zsetForms {
		t.Run(form.name, func(t *testing.T) { testZSetLexSpan(t, form.new()) })
	}
}

func testZSetLexSpan(t *testing.T, z *ZSet) {
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

// zsetVerify checks the tree's invariants: counts, separators, the leaf
// chain, the order, entries agreeing with the items, and the index. It
// returns the height (0: a lone leaf).
func zsetVerify(t *testing.T, step string, z *ZSet) int {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s: "+format, append([]any{step}, args...)...)
	}
	if !z.big {
		return zsetVerifyPacked(t, step, z)
	}
	var leaves []*zLeaf
	height := 0
	// walk returns the number of items under x and checks that every key
	// lies in [lo, hi) (nil bounds: open).
	type key struct {
		s float64
		e *zEntry
	}
	less := func(a, b key) bool { return a.s < b.s || a.s == b.s && a.e.member < b.e.member }
	var walk func(x *zInner, depth int, lo, hi *key) int
	walk = func(x *zInner, depth int, lo, hi *key) int {
		if x != z.root && x.n < zFanMin {
			fail("inner node with %d children", x.n)
		}
		if x.e[0] != nil {
			fail("a separator in slot 0")
		}
		total := 0
		for i := 0; i < x.n; i++ {
			klo, khi := lo, hi
			if i > 0 {
				klo = &key{x.s[i], x.e[i]}
			}
			if i+1 < x.n {
				khi = &key{x.s[i+1], x.e[i+1]}
			}
			if klo != nil && khi != nil && !less(*klo, *khi) {
				fail("separators out of order at %d", i)
			}
			var n int
			if x.bottom {
				l := x.leaves[i]
				if x.kids[i] != nil {
					fail("bottom node with an inner child")
				}
				if height == 0 {
					height = depth + 1
				} else if height != depth+1 {
					fail("leaves at depths %d and %d", height, depth+1)
				}
				if len(l.s) == 0 || len(l.s) > zLeafCap || len(l.s) != len(l.e) {
					fail("leaf of %d/%d items", len(l.s), len(l.e))
				}
				if cap(l.s) != zLeafCap+1 || cap(l.e) != zLeafCap+1 {
					fail("a tree leaf that is not a block")
				}
				for j := range l.s {
					k := key{l.s[j], l.e[j]}
					if klo != nil && less(k, *klo) || khi != nil && !less(k, *khi) {
						fail("item %q %v outside its separators", k.e.member, k.s)
					}
				}
				leaves = append(leaves, l)
				n = len(l.s)
			} else {
				if x.leaves[i] != nil {
					fail("upper node with a leaf child")
				}
				n = walk(x.kids[i], depth+1, klo, khi)
			}
			if x.cnt[i] != n {
				fail("count %d, child holds %d", x.cnt[i], n)
			}
			total += n
		}
		for i := x.n; i < len(x.e); i++ {
			if x.e[i] != nil || x.kids[i] != nil || x.leaves[i] != nil {
				fail("stale pointer past the children, slot %d", i)
			}
		}
		return total
	}
	if z.root == nil {
		if z.leaf == nil || z.leaf.prev != nil || z.leaf.next != nil {
			fail("lone leaf missing or linked")
		}
		leaves = []*zLeaf{z.leaf}
	} else {
		if z.leaf != nil {
			fail("a tree and a lone leaf")
		}
		if z.root.n < 2 {
			fail("root with %d children", z.root.n)
		}
		if n := walk(z.root, 0, nil, nil); n != z.length {
			fail("tree holds %d, length %d", n, z.length)
		}
	}
	n := 0
	var prev *zEntry
	var prevS float64
	for i, l := range leaves {
		// Only the last leaf may be short: appending to the whole set
		// splits a full leaf into a full one and a new one of one item.
		if z.root != nil && i < len(leaves)-1 && len(l.s) < zLeafMin {
			fail("leaf %d of %d holds %d items", i, len(leaves), len(l.s))
		}
		if i > 0 && (l.prev != leaves[i-1] || leaves[i-1].next != l) {
			fail("leaf chain broken at leaf %d", i)
		}
		if i == len(leaves)-1 && l.next != nil || i == 0 && l.prev != nil {
			fail("leaf chain open ends")
		}
		for j, e := range l.e {
			if math.Float64bits(e.score) != math.Float64bits(l.s[j]) {
				fail("entry %q score %v, item %v", e.member, e.score, l.s[j])
			}
			if prev != nil && !less(key{prevS, prev}, key{l.s[j], e}) {
				fail("order: %q %v before %q %v", prev.member, prevS, e.member, l.s[j])
			}
			if z.lookup([]byte(e.member), e.hash) != e {
				fail("index lost %q", e.member)
			}
			prev, prevS = e, l.s[j]
			n++
		}
		for j := len(l.e); j < cap(l.e); j++ {
			if l.e[:cap(l.e)][j] != nil {
				fail("stale entry past a leaf's items")
			}
		}
	}
	if n != z.length {
		fail("leaves hold %d, length %d", n, z.length)
	}
	indexed := 0
	for _, table := range [][]*zEntry{z.buckets, z.old} {
		for _, b := range table {
			for e := b; e != nil; e = e.hnext {
				indexed++
			}
		}
	}
	if indexed != z.length {
		fail("index holds %d, length %d", indexed, z.length)
	}
	if z.root == nil {
		return 0
	}
	return height
}

// zsetSorted is the model for TestZSetTreeModel: pairs kept sorted as
// they change or, when lazy (for big sets, where moving the slice on every
// change would dominate), sorted again when next needed.
type zsetSorted struct {
	pairs []zsetPair
	score map[string]float64
	big   bool
	lazy  bool
	dirty bool
}

func zsetPairCmp(a, b zsetPair) int {
	if c := cmp.Compare(a.s, b.s); c != 0 {
		return c
	}
	return strings.Compare(a.m, b.m)
}

func (m *zsetSorted) n() int { return len(m.score) }

func (m *zsetSorted) sorted() []zsetPair {
	if m.dirty {
		m.pairs = m.pairs[:0]
		for k, v := range m.score {
			m.pairs = append(m.pairs, zsetPair{k, v})
		}
		slices.SortFunc(m.pairs, zsetPairCmp)
		m.dirty = false
	}
	return m.pairs
}

func (m *zsetSorted) del(member string) {
	if m.lazy {
		delete(m.score, member)
		m.dirty = true
		return
	}
	i, ok := slices.BinarySearchFunc(m.pairs, zsetPair{member, m.score[member]}, zsetPairCmp)
	if !ok {
		panic("model lost " + member)
	}
	m.pairs = slices.Delete(m.pairs, i, i+1)
	delete(m.score, member)
}

// set mirrors ZSet.Set, -0 rules and encoding included.
func (m *zsetSorted) set(member string, s float64) (added bool) {
	old, had := m.score[member]
	if had && old == s {
		return false
	}
	if !had && !m.big && (m.n() >= ZSetListpackEntries || len(member) > ZSetListpackValue) {
		m.big = true
	}
	if s == 0 && !m.big {
		s = 0
	}
	if had {
		m.del(member)
	}
	if m.lazy {
		m.score[member] = s
		m.dirty = true
		return !had
	}
	i, _ := slices.BinarySearchFunc(m.pairs, zsetPair{member, s}, zsetPairCmp)
	m.pairs = slices.Insert(m.pairs, i, zsetPair{member, s})
	m.score[member] = s
	return !had
}

func zsetSame(a, b zsetPair) bool {
	return a.m == b.m && math.Float64bits(a.s) == math.Float64bits(b.s)
}

// zsetProbe compares a few random queries with the model.
func zsetProbe(t *testing.T, step string, z *ZSet, m *zsetSorted, rng *rand.Rand, full bool) {
	t.Helper()
	want := m.sorted()
	if z.Len() != len(want) || full && z.Size() != z.ComputeSize() {
		t.Fatalf("%s: Len %d Size %d/%d, model %d", step, z.Len(), z.Size(), z.ComputeSize(), len(want))
	}
	if want := map[bool]string{false: "listpack", true: "skiplist"}[m.big]; z.Encoding() != want {
		t.Fatalf("%s: encoding %s, want %s", step, z.Encoding(), want)
	}
	probes := 8
	if full {
		probes = min(len(want), 3000) // every rank of a small set
	}
	for k := 0; k < probes && len(want) > 0; k++ {
		i := k
		if !full || len(want) > probes {
			i = rng.IntN(len(want))
		}
		p := want[i]
		if r, s, ok := z.Rank([]byte(p.m)); !ok || r != i || !zsetSame(p, zsetPair{p.m, s}) {
			t.Fatalf("%s: Rank(%s) = %d %v %v, want %d %v", step, p.m, r, s, ok, i, p.s)
		}
		if mm, s := z.At(i); !zsetSame(p, zsetPair{mm, s}) {
			t.Fatalf("%s: At(%d) = %s %v, want %v", step, i, mm, s, p)
		}
		if s, ok := z.Score([]byte(p.m)); !ok || !zsetSame(p, zsetPair{p.m, s}) {
			t.Fatalf("%s: Score(%s) = %v %v", step, p.m, s, ok)
		}
	}
	if _, _, ok := z.Rank([]byte("absent")); ok {
		t.Fatalf("%s: Rank of an absent member", step)
	}
	ranges := 2
	if full {
		ranges = 1
		if got := zsetCollect(z, 0, len(want), false); !slices.EqualFunc(got, want, zsetSame) {
			t.Fatalf("%s: whole order differs", step)
		}
	}
	for k := 0; k < ranges; k++ {
		lo := rng.IntN(len(want)+3) - 1
		hi := lo + rng.IntN(100)
		if rng.IntN(4) == 0 {
			hi = lo - rng.IntN(3) // empty
		}
		exp := slices.Clone(want[min(max(lo, 0), len(want)):max(min(hi, len(want)), min(max(lo, 0), len(want)))])
		if got := zsetCollect(z, lo, hi, false); !slices.EqualFunc(got, exp, zsetSame) {
			t.Fatalf("%s: Range(%d,%d) = %v, want %v", step, lo, hi, got, exp)
		}
		slices.Reverse(exp)
		if got := zsetCollect(z, lo, hi, true); !slices.EqualFunc(got, exp, zsetSame) {
			t.Fatalf("%s: Range(%d,%d,rev) = %v, want %v", step, lo, hi, got, exp)
		}
		// a walk stopped early
		if len(exp) > 1 {
			n := 0
			z.Range(lo, hi, true, func(string, float64) bool { n++; return n < 2 })
			if n != 2 {
				t.Fatalf("%s: Range did not stop", step)
			}
		}
	}
	bounds := []float64{math.Inf(-1), -3, -1, 0, 1, 2, 3, 5, 1e6, math.Inf(1)}
	if len(want) > 0 {
		bounds = append(bounds, want[rng.IntN(len(want))].s, want[rng.IntN(len(want))].s)
	}
	for k := 0; k < 4; k++ {
		r := ScoreRange{Min: bounds[rng.IntN(len(bounds))], Max: bounds[rng.IntN(len(bounds))], MinEx: rng.IntN(2) == 0, MaxEx: rng.IntN(2) == 0}
		lo, hi := z.ScoreSpan(r)
		wlo, whi := 0, 0
		if !r.Empty() {
			wlo = sort.Search(len(want), func(i int) bool { return !(want[i].s < r.Min || r.MinEx && want[i].s == r.Min) })
			whi = sort.Search(len(want), func(i int) bool { return want[i].s > r.Max || r.MaxEx && want[i].s == r.Max })
			whi = max(whi, wlo)
			if full {
				for i, p := range want {
					if r.Contains(p.s) != (i >= wlo && i < whi) {
						t.Fatalf("%s: the model's score span is wrong", step)
					}
				}
			}
		}
		if lo != wlo || hi != whi {
			t.Fatalf("%s: ScoreSpan(%+v) = [%d,%d), want [%d,%d)", step, r, lo, hi, wlo, whi)
		}
	}
}

// TestZSetTreeModel drives the tree through growth and shrinkage at every
// height, with heavy ties of scores, comparing it with a sorted slice and
// checking its invariants.
func TestZSetTreeModel(t *testing.T) {
	// The big round keeps a large heap: collect it less often.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	rng := rand.New(rand.NewPCG(5, 6))
	heights := map[int]bool{}
	member := func(i int) string {
		switch i % 7 {
		case 0:
			return "m" + strconv.Itoa(i)
		// lengths either side of an entry's inline sizes (24, 40, 72)
		// and of ZSetListpackValue
		case 1:
			return strings.Repeat("p", 20) + strconv.Itoa(i) // 21..25 bytes
		case 2:
			return strings.Repeat("q", 37) + strconv.Itoa(i) // 38..42
		case 3:
			if i%2 == 0 {
				return strings.Repeat("r", 68) + strconv.Itoa(i) // 69..73
			}
		case 5:
			if i == 5 {
				return ""
			}
		}
		return "element:" + strconv.Itoa(i)
	}
	score := func(mode int) float64 {
		switch mode {
		case 0: // few values: long runs of ties across leaves
			return float64(rng.IntN(4))
		case 1:
			return float64(rng.IntN(100000))
		case 2:
			switch rng.IntN(8) {
			case 0:
				return math.Copysign(0, -1)
			case 1:
				return math.Inf(1)
			case 2:
				return math.Inf(-1)
			case 3:
				return 0
			}
			return float64(rng.IntN(50) - 25)
		}
		return rng.NormFloat64()
	}
	for round := 0; round < 7; round++ {
		z := NewZSet(0, 0)
		// The last round stays packed: 3/4 of its keyspace at most.
		// 50000: 37500 members at the peak make a tree of height 3.
		keyspace := []int{300, 2500, 12000, 50000, 800, 5000, ZSetListpackEntries}[round]
		m := &zsetSorted{score: map[string]float64{}, lazy: keyspace > 10000}
		ops, every := 0, max(400, keyspace/4)
		check := func(step string, full bool) {
			ops++
			switch {
			case full || ops%every == 0:
				heights[zsetVerify(t, step, z)] = true
				zsetProbe(t, step, z, m, rng, true)
			case m.lazy:
				// the big round checks in full now and then only
				if z.Len() != m.n() {
					t.Fatalf("%s: Len %d, model %d", step, z.Len(), m.n())
				}
			default:
				zsetProbe(t, step, z, m, rng, false)
			}
		}
		// grow, then churn, then shrink, twice, each phase with a score mode
		for phase := 0; phase < 6; phase++ {
			mode := rng.IntN(4)
			target := []int{keyspace * 3 / 4, keyspace / 2, 30, keyspace / 3, 0, keyspace / 4}[phase]
			for steps := 0; steps < 4*keyspace && (phase%2 == 1 || m.n() != target); steps++ {
				if phase%2 == 1 && steps > 1500 {
					break
				}
				mb := member(rng.IntN(keyspace))
				if round == 6 && len(mb) > ZSetListpackValue {
					mb = mb[:ZSetListpackValue] // stay packed
				}
				s := score(mode)
				grow := m.n() < target
				op := rng.IntN(20)
				if grow && op >= 10 && op < 16 && rng.IntN(3) != 0 {
					op = 0 // growing: removals rarer than adds
				}
				switch {
				case op < 10 && (grow || phase%2 == 1):
					want := m.set(mb, s)
					var got bool
					if op%2 == 0 {
						got = z.Set([]byte(mb), s)
					} else {
						got = z.SetString(mb, s)
					}
					if got != want {
						t.Fatalf("Set(%s) added=%v, want %v", mb, got, want)
					}
					check(fmt.Sprintf("round %d phase %d: Set %s %v", round, phase, mb, s), false)
				case op < 16:
					if !grow && !m.dirty && m.n() > 0 && rng.IntN(2) == 0 {
						mb = m.pairs[rng.IntN(m.n())].m
					}
					_, had := m.score[mb]
					if had {
						m.del(mb)
					}
					if z.Remove([]byte(mb)) != had {
						t.Fatalf("Remove(%s) disagrees", mb)
					}
					check(fmt.Sprintf("round %d phase %d: Remove %s", round, phase, mb), false)
				case op < 18 && !grow:
					pairs := m.sorted()
					n := len(pairs)
					lo := rng.IntN(n+2) - 1
					hi := lo + 1 + rng.IntN(max(n/4, 1))
					if rng.IntN(3) == 0 {
						hi = lo + rng.IntN(4)
					}
					exp := slices.Clone(pairs[min(max(lo, 0), n):max(min(hi, n), min(max(lo, 0), n))])
					var got []zsetPair
					k := z.RemoveRange(lo, hi, func(m string, s float64) { got = append(got, zsetPair{m, s}) })
					if k != len(exp) || !slices.EqualFunc(got, exp, zsetSame) {
						t.Fatalf("RemoveRange(%d,%d) = %d, %d members, want %d", lo, hi, k, len(got), len(exp))
					}
					for _, p := range exp {
						m.del(p.m)
					}
					check(fmt.Sprintf("round %d phase %d: RemoveRange %d %d", round, phase, lo, hi), k > 0 && rng.IntN(max(1, m.n()/500)) == 0)
				case op >= 18 && rng.IntN(1+m.n()/200) != 0:
					// Clone and Compact cost O(n): rarer in big sets
				case op == 18:
					c := z.Clone().(*ZSet)
					zsetVerify(t, "clone", c)
					zsetProbe(t, "clone", c, m, rng, true)
					c.Set([]byte("only-in-clone"), 1)
					if _, ok := z.Score([]byte("only-in-clone")); ok {
						t.Fatal("the clone shares storage")
					}
				case op == 19:
					z.Compact()
					if pairs := m.sorted(); m.big && len(pairs) <= ZSetListpackEntries &&
						!slices.ContainsFunc(pairs, func(p zsetPair) bool { return len(p.m) > ZSetListpackValue }) {
						m.big = false
						for i := range m.pairs {
							if m.pairs[i].s == 0 {
								m.pairs[i].s = 0
								m.score[m.pairs[i].m] = 0
							}
						}
					}
					check("compact", true)
				}
			}
			check(fmt.Sprintf("round %d end of phase %d", round, phase), true)
			if round == 6 && !z.Packed() {
				t.Fatalf("round 6 phase %d: %d members, no longer packed", phase, z.Len())
			}
		}
	}
	for h := -1; h <= 3; h++ { // -1: packed
		if !heights[h] {
			t.Errorf("never saw a tree of height %d (saw %v)", h, heights)
		}
	}
}

// With every score equal, LexSpan finds lexicographic intervals across
// many leaves, separators comparing members.
func TestZSetLexSpanTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	z := NewZSet(0, 0)
	m := &zsetSorted{score: map[string]float64{}}
	word := func() string {
		b := make([]byte, 1+rng.IntN(3))
		for i := range b {
			b[i] = byte('a' + rng.IntN(6))
		}
		return string(b)
	}
	bound := func() LexBound {
		switch rng.IntN(8) {
		case 0:
			return LexBound{Inf: -1}
		case 1:
			return LexBound{Inf: 1}
		}
		return LexBound{Value: word(), Ex: rng.IntN(2) == 0}
	}
	for step := 0; step < 3000; step++ {
		if w := word(); rng.IntN(3) == 0 {
			if _, had := m.score[w]; had {
				m.del(w)
			}
			z.Remove([]byte(w))
		} else {
			m.set(w, 7)
			z.Set([]byte(w), 7)
		}
		for k := 0; k < 3; k++ {
			r := LexRange{bound(), bound()}
			lo, hi := z.LexSpan(r)
			wlo, whi := 0, 0
			if !r.Empty() {
				for i, p := range m.sorted() {
					if r.belowMin(p.m) {
						wlo = i + 1
					}
					if r.notAboveMax(p.m) {
						whi = i + 1
					}
				}
				whi = max(whi, wlo)
			}
			if lo != wlo || hi != whi {
				t.Fatalf("step %d: LexSpan(%+v) = [%d,%d), want [%d,%d) of %d", step, r, lo, hi, wlo, whi, m.n())
			}
		}
	}
	if zsetVerify(t, "end", z) < 1 {
		t.Fatal("the lexicographic set never needed a tree")
	}
}

// Trees built whole (by Clone: full, even nodes) then cut in random
// windows and thinned member by member: an underfull node next to a full
// one is rebalanced rather than merged, at every level.
func TestZSetTreeRebalance(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	// 20000 and 70000 members build bottom nodes of 31 or 32 leaves: one
	// left with 2 to 7 leaves borrows from its neighbour.
	for _, n := range []int{3000, 20000, 70000} {
		src := NewZSet(0, 0)
		for i := 0; i < n; i++ {
			src.Set([]byte("m"+strconv.Itoa(i)), float64(i/3)) // ties in threes
		}
		var order []string
		src.Each(func(m string, _ float64) bool { order = append(order, m); return true })
		trials := map[int]int{3000: 30, 20000: 25, 70000: 4}[n]
		for trial := 0; trial < trials; trial++ {
			z := src.Clone().(*ZSet)
			if trial == 0 && zsetVerify(t, "built", z) < 2 {
				t.Fatalf("%d members: a tree of height < 2", n)
			}
			model := slices.Clone(order)
			lo := rng.IntN(n)
			hi := lo + 1 + rng.IntN(n-lo)
			switch trial % 5 {
			case 0:
				hi = min(n, lo+1+rng.IntN(3000))
			case 1:
				// The first bottom node keeps a few leaves, the second
				// most of its own: the first borrows from its right.
				x := z.root
				for !x.bottom {
					x = x.kids[0]
				}
				end := 0
				for _, c := range x.cnt[:x.n] {
					end += c
				}
				lo = rng.IntN(zLeafCap * 7)
				hi = end + rng.IntN(zLeafCap*4)
			case 2, 3:
				// A bottom node keeps a few members of one leaf only, at
				// its end or its start: it joins a neighbour with that
				// short leaf, which is fixed there in turn.
				x, start := z.root, 0
				for {
					c := rng.IntN(x.n)
					for _, n := range x.cnt[:c] {
						start += n
					}
					if x.kids[c].bottom {
						x = x.kids[c]
						break
					}
					x = x.kids[c]
				}
				end := start
				for _, c := range x.cnt[:x.n] {
					end += c
				}
				if trial%5 == 2 {
					lo, hi = max(0, start-rng.IntN(100)), end-1-rng.IntN(zLeafMin-1)
				} else {
					lo, hi = start+1+rng.IntN(zLeafMin-1), min(n, end+rng.IntN(100))
				}
			}
			k := 0
			z.RemoveRange(lo, hi, func(m string, _ float64) {
				if m != model[lo+k] {
					t.Fatalf("RemoveRange(%d,%d) removed %s at %d", lo, hi, m, lo+k)
				}
				k++
			})
			model = slices.Delete(model, lo, hi)
			step := fmt.Sprintf("%d members, cut [%d,%d)", n, lo, hi)
			zsetVerify(t, step, z)
			// thin out members around the cut
			for d := 0; d < 200 && len(model) > 0; d++ {
				i := min(max(lo+rng.IntN(400)-200, 0), len(model)-1)
				if !z.Remove([]byte(model[i])) {
					t.Fatalf("%s: %s missing", step, model[i])
				}
				model = slices.Delete(model, i, i+1)
			}
			zsetVerify(t, step+" and thinned", z)
			if z.Len() != len(model) {
				t.Fatalf("%s: Len %d, want %d", step, z.Len(), len(model))
			}
			for j := 0; j < 300 && len(model) > 0; j++ {
				i := rng.IntN(len(model))
				if m, _ := z.At(i); m != model[i] {
					t.Fatalf("%s: At(%d) = %s, want %s", step, i, m, model[i])
				}
			}
		}
	}
}

// zsetBenchSet is a set of n members "element:i" with random scores.
func zsetBenchSet(n int) (*ZSet, []string) {
	z := NewZSet(0, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	members := make([]string, n)
	for i := range members {
		members[i] = "element:" + strconv.Itoa(i)
		z.SetString(members[i], float64(rng.IntN(n)))
	}
	return z, members
}

// ZRANGE key 0 99 WITHSCORES over a set of 100, as redis-benchmark's
// zrange100 workload does.
func BenchmarkZSetRange100(b *testing.B) {
	z, _ := zsetBenchSet(100)
	n := 0
	for b.Loop() {
		z.Range(0, 100, false, func(m string, s float64) bool {
			n += len(m)
			return true
		})
	}
}

// 100 members from a random rank of a set of 100,000, both directions.
func BenchmarkZSetRange100Of100k(b *testing.B) {
	z, _ := zsetBenchSet(100000)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	for b.Loop() {
		lo := rng.IntN(z.Len() - 100)
		z.Range(lo, lo+100, lo%2 == 0, func(m string, s float64) bool {
			n += len(m)
			return true
		})
	}
}

// ZRANK of a random member of a set of 100,000.
func BenchmarkZSetRank(b *testing.B) {
	z, members := zsetBenchSet(100000)
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		z.Rank([]byte(members[rng.IntN(len(members))]))
	}
}

// ZADD of a member given as bytes (as a command hands them over): an
// update of a random member of a set of 100,000 to a random score.
func BenchmarkZSetSetBytes(b *testing.B) {
	z, members := zsetBenchSet(100000)
	keys := make([][]byte, len(members))
	for i, m := range members {
		keys[i] = []byte(m)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		z.Set(keys[rng.IntN(len(keys))], float64(rng.IntN(100000)))
	}
}

// zsetVerifyPacked checks the packed form: items in strict order, none
// with -0, as many as Len, no tree or index beside them, and what the
// encoding allows. It returns -1, the packed form's "height".
func zsetVerifyPacked(t *testing.T, step string, z *ZSet) int {
	t.Helper()
	if z.root != nil || z.leaf != nil || z.buckets != nil || z.old != nil {
		t.Fatalf("%s: a packed set with a tree or an index", step)
	}
	if z.length > ZSetListpackEntries {
		t.Fatalf("%s: %d members packed", step, z.length)
	}
	n, size := 0, int64(0)
	var prevS float64
	var prevM string
	for off := 0; off < len(z.pk); n++ {
		s, mo, ml, nx := z.pkAt(off)
		m := z.pkMember(mo, ml)
		if nx > len(z.pk) || ml > ZSetListpackValue {
			t.Fatalf("%s: item at %d runs past the slice or is too long", step, off)
		}
		if z.pk[off+1]&pkTagMask != pkTag(m) || z.pk[off+1]>>6 != pkForm(s) || mo != off+2+pkScoreLen(pkForm(s)) {
			t.Fatalf("%s: %q has a wrong tag or score form", step, m)
		}
		if math.Signbit(s) && s == 0 || math.IsNaN(s) {
			t.Fatalf("%s: score %v packed", step, s)
		}
		if n > 0 && !(prevS < s || prevS == s && prevM < m) {
			t.Fatalf("%s: order: %q %v before %q %v", step, prevM, prevS, m, s)
		}
		prevS, prevM = s, m
		size += int64(ml) + 8
		off = nx
	}
	if n != z.length || size != z.size {
		t.Fatalf("%s: %d items of %d bytes packed, Len %d, Size %d", step, n, size, z.length, z.size)
	}
	if (z.length == 0) != (z.pk == nil) {
		t.Fatalf("%s: %d members in %d bytes", step, z.length, len(z.pk))
	}
	return -1
}
