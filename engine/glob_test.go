package engine

import (
	"bytes"
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		nocase     bool
		want       bool
	}{
		{"", "", false, true},
		{"*", "", false, false}, // Redis: the empty string matches only the empty pattern
		{"**", "", false, false},
		{"", "a", false, false},
		{"*", "abc", false, true},
		{"a*", "a", false, true},
		{"a**", "a", false, true},
		{"a*b", "ab", false, true},
		{"a*b", "axxb", false, true},
		{"a*b", "axxbx", false, false},
		{"*b*b", "abxb", false, true},
		{"?", "a", false, true},
		{"?", "ab", false, false},
		{"a?c", "abc", false, true},
		{"[abc]", "b", false, true},
		{"[abc]", "d", false, false},
		{"[^abc]", "d", false, true},
		{"[^abc]", "a", false, false},
		{"[a-c]x", "bx", false, true},
		{"[c-a]x", "bx", false, true}, // reversed range
		{"[a-]b", "ab", false, false}, // a range from 'a' to ']': the class goes on with "b"
		{"[a-]b", "a", false, true},
		{"[", "a", false, false},    // an empty class matches nothing
		{"[^", "a", false, true},    // its negation everything
		{"[ab", "b", false, true},   // unterminated: ends with the pattern
		{"[ab", "bc", false, false}, // ... and nothing follows it
		{"[\\]]", "]", false, true},
		{"[\\", "\\", false, true},
		{"\\*", "*", false, true},
		{"\\*", "a", false, false},
		{"a\\", "a\\", false, true}, // a trailing backslash is literal
		{"a\\", "a", false, false},
		{"\\?", "?", false, true},
		{"*\\*", "ab*", false, true},
		{"A*", "abc", true, true},
		{"A*", "abc", false, false},
		{"[A-C]", "b", true, true},
		{"[B]", "b", true, true},
		{"[\\B]", "b", true, false}, // an escaped class byte ignores nocase, as in Redis
		{"h[ae]llo", "hello", false, true},
		{"h[^e]llo", "hallo", false, true},
		{"h*llo", "hllo", false, true},
		{"*a*a*a*a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 200), false, false},
		{"*a*a*a*a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 200) + "b", false, true},
		{"a\x00*", "a\x00b", false, true},
		{"[\x00-\x02]", "\x01", false, true},
		{"[\xf0-\xff]", "\xfe", false, true},
	}
	for _, c := range cases {
		if got := Match([]byte(c.pattern), []byte(c.s), c.nocase); got != c.want {
			t.Errorf("Match(%q, %q, nocase=%v) = %v, want %v", c.pattern, c.s, c.nocase, got, c.want)
		}
	}
}

// The old matcher's per-key step budget (2^20) made "*x" miss a long key
// ending in x, which redis-server finds; and a hostile pattern cost the
// whole budget on every key. The iterative matcher needs no budget.
func TestGlobLongKeyAndHostilePattern(t *testing.T) {
	long := append(bytes.Repeat([]byte("a"), 2<<20), 'x')
	if !Match([]byte("*x"), long, false) {
		t.Fatal(`"*x" must match a 2 MB key ending in x`)
	}
	if !Match([]byte("*a*a*a*a*a*a*a*a*a*a*a*a*x"), long, false) {
		t.Fatal("the hostile pattern must find its match in a 2 MB key")
	}
	if Match([]byte("*a*a*a*a*a*a*a*a*a*a*a*a*b"), long, false) {
		t.Fatal("no b in the key")
	}
	// More than Redis's nesting would ever allow in one pattern.
	p := strings.Repeat("*a", 2000) + "*"
	if !Match([]byte(p), bytes.Repeat([]byte("a"), 2000), false) {
		t.Fatal("2000 stars over 2000 a's must match")
	}
	if Match([]byte(p), bytes.Repeat([]byte("a"), 1999), false) {
		t.Fatal("2000 a's are needed")
	}
}

// oldMatch is the recursive matcher Synap had before, with its per-call
// step budget; exhausted reports that it gave up rather than decided.
func oldMatch(p, s []byte, nocase bool) (matched, exhausted bool) {
	budget := 1 << 20
	m := oldMatchRec(p, s, nocase, &budget)
	return m, budget < 0
}

func oldMatchRec(p, s []byte, nocase bool, budget *int) bool {
	for len(p) > 0 {
		*budget--
		if *budget < 0 {
			return false
		}
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if oldMatchRec(p[1:], s[i:], nocase, budget) {
					return true
				}
				if *budget < 0 {
					return false
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			s = s[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			matched := false
			for {
				if len(p) == 0 {
					break
				}
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if oldEq(p[0], s[0], nocase) {
						matched = true
					}
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end := p[0], p[2]
					if start > end {
						start, end = end, start
					}
					c := s[0]
					if nocase {
						start, end, c = lower(start), lower(end), lower(c)
					}
					if c >= start && c <= end {
						matched = true
					}
					p = p[2:]
				} else if oldEq(p[0], s[0], nocase) {
					matched = true
				}
				p = p[1:]
			}
			if not {
				matched = !matched
			}
			if !matched {
				return false
			}
			s = s[1:]
			if len(p) == 0 {
				return len(s) == 0
			}
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || !oldEq(p[0], s[0], nocase) {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
	}
	return len(s) == 0
}

func oldEq(a, b byte, nocase bool) bool {
	if nocase {
		return lower(a) == lower(b)
	}
	return a == b
}

// FuzzGlobAgainstOld compares the matcher with the recursive one it
// replaced wherever the old one decided within its budget. Two differences
// are Redis's and left out: the empty string (the old one let "*" match
// it, redis-server does not) and an escaped byte inside a class under
// nocase (redis-server compares it exactly).
func FuzzGlobAgainstOld(f *testing.F) {
	for _, seed := range [][2]string{
		{"*", "abc"}, {"a*b", "axb"}, {"[a-c]?", "bz"}, {"[^x]*", "yy"}, {"\\*a", "*a"},
		{"[a-]b", "ab"}, {"*a*a*b", "aaaaaab"}, {"h[ae]llo*", "hello world"}, {"[", "a"}, {"a\\", "a\\"},
	} {
		f.Add(seed[0], seed[1], false)
		f.Add(seed[0], strings.ToUpper(seed[1]), true)
	}
	f.Fuzz(func(t *testing.T, pattern, s string, nocase bool) {
		if len(s) == 0 || nocase && strings.Contains(pattern, "[") && strings.Contains(pattern, "\\") {
			return
		}
		want, exhausted := oldMatch([]byte(pattern), []byte(s), nocase)
		if exhausted {
			return
		}
		if got := Match([]byte(pattern), []byte(s), nocase); got != want {
			t.Fatalf("Match(%q, %q, %v) = %v, the old matcher said %v", pattern, s, nocase, got, want)
		}
	})
}

func BenchmarkGlobHostile(b *testing.B) {
	key := bytes.Repeat([]byte("a"), 64)
	pat := []byte("*a*a*a*a*a*a*a*a*a*a*a*a*b")
	b.ReportAllocs()
	for range b.N {
		Match(pat, key, false)
	}
}
