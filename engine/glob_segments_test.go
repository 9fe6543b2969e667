package engine

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// iterMatch is the iterative matcher the segment matcher replaced: on a
// mismatch it retries from the latest star, one byte further. It was
// checked against redis-server (compat/glob_differential_test.go) and the
// recursive matcher before it, and is kept here as the reference.
func iterMatch(pattern, s []byte, nocase bool) bool {
	if len(s) == 0 {
		// Redis's loop runs only while both have bytes left.
		return len(pattern) == 0
	}
	p := pattern
	pi, si := 0, 0
	star, from := -1, 0 // where the pattern resumes after the last star, and where s does
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				for pi < len(p) && p[pi] == '*' {
					pi++
				}
				if pi == len(p) {
					return true // a trailing star takes whatever is left
				}
				star, from = pi, si
				continue
			case '?':
				pi++
				si++
				continue
			case '[':
				if next, ok := matchClass(p, pi, s[si], nocase); ok {
					pi = next
					si++
					continue
				}
			case '\\':
				q := pi
				if pi+1 < len(p) {
					q = pi + 1 // a trailing backslash is itself
				}
				if eqc(p[q], s[si], nocase) {
					pi = q + 1
					si++
					continue
				}
			default:
				if eqc(p[pi], s[si], nocase) {
					pi++
					si++
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		// Let the last star take one more byte and retry what follows it.
		from++
		pi, si = star, from
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// globAlphabet is small so that random patterns and names meet often;
// it holds every byte with a meaning in a pattern, letters of both cases
// and a byte above 0x7f.
const globAlphabet = "ab*?[]^-\\Ax\xf0"

func randGlobString(r *rand.Rand, max int) []byte {
	b := make([]byte, r.IntN(max+1))
	for i := range b {
		b[i] = globAlphabet[r.IntN(len(globAlphabet))]
	}
	return b
}

// nameFor makes a name that matches p, or nearly: stars take a few
// random bytes, ? and classes one, escapes their byte; under nocase
// letters change case; now and then one byte is changed.
func nameFor(r *rand.Rand, p []byte, nocase bool) []byte {
	var s []byte
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*':
			s = append(s, randGlobString(r, 3)...)
		case '?':
			s = append(s, globAlphabet[r.IntN(len(globAlphabet))])
		case '[':
			end := classEnd(p, i)
			s = append(s, p[i+r.IntN(end-i)])
			i = end - 1
		case '\\':
			if i+1 < len(p) {
				i++
			}
			s = append(s, p[i])
		default:
			s = append(s, p[i])
		}
	}
	if nocase {
		for i, c := range s {
			if isLetter(c) && r.IntN(2) == 0 {
				s[i] = c ^ 0x20
			}
		}
	}
	if len(s) > 0 && r.IntN(4) == 0 {
		s[r.IntN(len(s))] = globAlphabet[r.IntN(len(globAlphabet))]
	}
	return s
}

// The segment matcher decides exactly as the iterative one on random
// patterns and names, with and without nocase.
func TestGlobSegmentsAgreeWithIterative(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 9))
	for n := 0; n < 400000; n++ {
		p := randGlobString(r, 12)
		s := randGlobString(r, 14)
		nocase := r.IntN(4) == 0
		if r.IntN(2) == 0 {
			s = nameFor(r, p, nocase)
		}
		if got, want := Match(p, s, nocase), iterMatch(p, s, nocase); got != want {
			t.Fatalf("Match(%q, %q, nocase=%v) = %v, the iterative matcher says %v", p, s, nocase, got, want)
		}
	}
}

// The same with find turning to bitFind after its first failed check,
// and blocks of a few atoms: the fallback is exact wherever it starts.
func TestGlobSegmentsAgreeWithIterativeBitParallel(t *testing.T) {
	defer func(a, b, c, d int) { findPerByte, findSlack, bitBlock, bitMinWindow = a, b, c, d }(findPerByte, findSlack, bitBlock, bitMinWindow)
	findPerByte, findSlack, bitMinWindow = 0, 0, 0
	r := rand.New(rand.NewPCG(11, 12))
	for n := 0; n < 200000; n++ {
		bitBlock = []int{1, 3, 4096}[n%3]
		p := randGlobString(r, 12)
		nocase := r.IntN(4) == 0
		s := randGlobString(r, 14)
		if r.IntN(2) == 0 {
			s = nameFor(r, p, nocase)
		}
		if got, want := Match(p, s, nocase), iterMatch(p, s, nocase); got != want {
			t.Fatalf("Match(%q, %q, nocase=%v) with block %d = %v, the iterative matcher says %v", p, s, nocase, bitBlock, got, want)
		}
		// One Glob over several names reuses its tables.
		if n%50 == 0 {
			g := NewGlob(p, nocase)
			for range 20 {
				s := nameFor(r, p, nocase)
				if got, want := g.Match(s), iterMatch(p, s, nocase); got != want {
					t.Fatalf("Glob(%q).Match(%q) reused, nocase=%v, block %d = %v, want %v", p, s, nocase, bitBlock, got, want)
				}
			}
		}
	}
}

// One Glob matches many names (KEYS, SCAN): nothing of one match may leak
// into the next.
func TestGlobReusedAcrossNames(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 3000; n++ {
		p := randGlobString(r, 10)
		g := NewGlob(p, n%2 == 0)
		g.Yielding = true
		for m := 0; m < 30; m++ {
			s := randGlobString(r, 12)
			if m%2 == 0 {
				s = nameFor(r, p, n%2 == 0)
			}
			if got, want := g.Match(s), iterMatch(p, s, n%2 == 0); got != want {
				t.Fatalf("Glob(%q).Match(%q) = %v, want %v", p, s, got, want)
			}
		}
	}
}

// FuzzGlobSegmentsAgainstIterative extends the random comparison to what
// the fuzzer finds.
func FuzzGlobSegmentsAgainstIterative(f *testing.F) {
	for _, seed := range [][2]string{
		{"*", "abc"}, {"a*b", "axb"}, {"[a-c]?", "bz"}, {"[^x]*", "yy"}, {"\\*a", "*a"},
		{"[a-]b", "ab"}, {"*a*a*b", "aaaaaab"}, {"h[ae]llo*", "hello world"}, {"[", "a"}, {"a\\", "a\\"},
		{"*ab\\*c*d?e*", "xxab*cyydze"}, {"*[a*b]*", "x*y"}, {"a*a", "a"}, {"*\\", "x\\"},
	} {
		f.Add(seed[0], seed[1], false)
		f.Add(seed[0], strings.ToUpper(seed[1]), true)
	}
	f.Fuzz(func(t *testing.T, pattern, s string, nocase bool) {
		if got, want := Match([]byte(pattern), []byte(s), nocase), iterMatch([]byte(pattern), []byte(s), nocase); got != want {
			t.Fatalf("Match(%q, %q, %v) = %v, the iterative matcher says %v", pattern, s, nocase, got, want)
		}
	})
}

// The shapes a reviewer used to hold a shard for seconds: long literal
// runs between stars against long names. They are decided right, and in
// about the name's length (BenchmarkGlobSegmentsHostile shows the time;
// here the decisions).
func TestGlobSegmentsHostileShapes(t *testing.T) {
	member := bytes.Repeat([]byte("a"), 80<<10)
	cases := []struct {
		pattern []byte
		want    bool
	}{
		{append([]byte("*"), append(bytes.Repeat([]byte("a"), 40<<10), 'b', '*')...), false},
		{append([]byte("*"), append(bytes.Repeat([]byte("a"), 40<<10), '*')...), true},
		{[]byte(strings.Repeat("*a", 20<<10) + "*b"), false},
		{[]byte(strings.Repeat("*a", 20<<10) + "*"), true},
		{[]byte(strings.Repeat("*aa?", 10<<10) + "*b"), false},
		{[]byte(strings.Repeat("*\\a", 20<<10) + "*"), true},
	}
	for i, c := range cases {
		if got := Match(c.pattern, member, false); got != c.want {
			t.Errorf("case %d: got %v, want %v", i, got, c.want)
		}
	}
}

func BenchmarkGlobSegmentsHostile(b *testing.B) {
	member := bytes.Repeat([]byte("a"), 80<<10)
	pattern := append([]byte("*"), append(bytes.Repeat([]byte("a"), 40<<10), 'b', '*')...)
	for range b.N {
		Match(pattern, member, false)
	}
}

// bitFind, the bit-parallel search find falls back to, finds the same
// leftmost place as checking every place in turn, for segments cut into
// one block or many.
func TestGlobBitFindAgreesWithChecking(t *testing.T) {
	defer func(b int) { bitBlock = b }(bitBlock)
	r := rand.New(rand.NewPCG(7, 8))
	for n := 0; n < 60000; n++ {
		bitBlock = []int{1, 2, 3, 5, 64, 4096}[n%6]
		var p []byte
		for len(p) < 1+r.IntN(14) {
			if c := globAlphabet[r.IntN(len(globAlphabet))]; c != '*' {
				p = append(p, c)
			}
		}
		nocase := r.IntN(3) == 0
		g := NewGlob(p, nocase) // no star: the head is the whole pattern
		sg := g.head
		w := randGlobString(r, 20)
		if r.IntN(2) == 0 {
			w = append(randGlobString(r, 4), append(nameFor(r, p, nocase), randGlobString(r, 4)...)...)
		}
		want := -1
		for j := 0; j+sg.n <= len(w); j++ {
			if g.verify(&sg, w[j:j+sg.n]) {
				want = j
				break
			}
		}
		if got := g.bitFind(&sg, w); got != want {
			t.Fatalf("bitFind(%q in %q, nocase=%v, block %d) = %d, checking finds %d", p, w, nocase, bitBlock, got, want)
		}
	}
}

// Segments longer than a word (state carried across words, blocks of
// several words) over names where they match somewhere in the middle.
func TestGlobBitFindLongSegments(t *testing.T) {
	defer func(b int) { bitBlock = b }(bitBlock)
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n < 3000; n++ {
		bitBlock = []int{64, 100, 4096}[n%3]
		p := make([]byte, 60+r.IntN(200))
		for i := range p {
			p[i] = "ab??[a]"[r.IntN(7)]
		}
		g := NewGlob(p, false)
		sg := g.head
		w := make([]byte, sg.n+r.IntN(300))
		for i := range w {
			w[i] = "ab"[r.IntN(2)]
		}
		if r.IntN(2) == 0 {
			at := r.IntN(len(w) - sg.n + 1)
			copy(w[at:], nameFor(r, p, false))
		}
		want := -1
		for j := 0; j+sg.n <= len(w); j++ {
			if g.verify(&sg, w[j:j+sg.n]) {
				want = j
				break
			}
		}
		if got := g.bitFind(&sg, w); got != want {
			t.Fatalf("bitFind(%q in %q, block %d) = %d, checking finds %d", p, w, bitBlock, got, want)
		}
	}
}

// The shapes that defeat the literal search (classes and ? only, or a run
// that occurs everywhere with the mismatch at the segment's end) switch to
// bitFind and are decided right.
func TestGlobSegmentsNoUsefulLiteral(t *testing.T) {
	member := bytes.Repeat([]byte("a"), 60<<10)
	cases := []struct {
		pattern string
		want    bool
	}{
		{"*" + strings.Repeat("[ab]", 10<<10) + "[b]*", false},
		{"*" + strings.Repeat("a", 100) + strings.Repeat("?", 20<<10) + "[b]*", false},
		{"*" + strings.Repeat("a", 100) + strings.Repeat("?", 20<<10) + "[a]*", true},
		{"x*" + strings.Repeat("?", 20<<10) + "*", false},
		{"*" + strings.Repeat("[^b]", 5000) + "*a", true},
		// A long class checked at every place the literal before it is.
		{"*a[" + strings.Repeat("bcd", 13<<10) + "]*", false},
		{"*a[" + strings.Repeat("bcd", 13<<10) + "a]*", true},
		// A long run found everywhere, the mismatch before it.
		{"*[b]" + strings.Repeat("a", 20<<10) + "*", false},
		{"*[a]" + strings.Repeat("a", 20<<10) + "*", true},
	}
	for i, c := range cases {
		if got := Match([]byte(c.pattern), member, false); got != c.want {
			t.Errorf("case %d: got %v, want %v", i, got, c.want)
		}
		if got := iterMatch([]byte(c.pattern[:min(len(c.pattern), 300)]), member[:2000], false); got != Match([]byte(c.pattern[:min(len(c.pattern), 300)]), member[:2000], false) {
			t.Errorf("case %d, cut: the matchers disagree", i)
		}
	}
}

func BenchmarkGlobSegmentsLateMismatch(b *testing.B) {
	member := bytes.Repeat([]byte("a"), 60<<10)
	pattern := []byte("*" + strings.Repeat("a", 100) + strings.Repeat("?", 20<<10) + "[b]*")
	for range b.N {
		Match(pattern, member, false)
	}
}

// classSet, which bitFind builds its tables from, holds exactly the bytes
// matchClass accepts, ranges and nocase included.
func TestGlobClassSetAgreesWithMatchClass(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	alphabet := "ab-^]\\AZaz0[\x00\xff@`{"
	for n := 0; n < 20000; n++ {
		p := []byte{'['}
		for range r.IntN(10) {
			p = append(p, alphabet[r.IntN(len(alphabet))])
		}
		if r.IntN(2) == 0 {
			p = append(p, byte(r.IntN(256)), '-', byte(r.IntN(256)))
		}
		if r.IntN(3) > 0 {
			p = append(p, ']')
		}
		nocase := n%2 == 0
		set, end := classSet(p, 0, nocase)
		for c := range 256 {
			next, ok := matchClass(p, 0, byte(c), nocase)
			if in := set[c>>6]>>(c&63)&1 != 0; in != ok || end != next {
				t.Fatalf("class %q, byte %#x, nocase=%v: set says %v (end %d), matchClass %v (end %d)", p, c, nocase, in, end, ok, next)
			}
		}
	}
}

func BenchmarkGlobSegmentsClasses(b *testing.B) {
	member := bytes.Repeat([]byte("a"), 80<<10)
	pattern := []byte("*" + strings.Repeat("[ab]", 10<<10) + "[b]*")
	for range b.N {
		Match(pattern, member, false)
	}
}

// The same shapes through the matcher replaced, for comparison (seconds
// each: go test -run X -bench GlobIterative -benchtime 1x ./engine).
func BenchmarkGlobIterativeShapes(b *testing.B) {
	member := bytes.Repeat([]byte("a"), 80<<10)
	for _, p := range []string{
		"*" + strings.Repeat("a", 40<<10) + "b*",
		"*" + strings.Repeat("[ab]", 10<<10) + "[b]*",
		"*" + strings.Repeat("a", 100) + strings.Repeat("?", 40<<10) + "[b]*",
	} {
		b.Run(strconv.Itoa(len(p)), func(b *testing.B) {
			for range b.N {
				iterMatch([]byte(p), member, false)
			}
		})
	}
}
