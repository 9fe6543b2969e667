package engine

// Match reports whether s matches the glob pattern with Redis's rules
// (stringmatchlen): * ? [abc] [^a-z] [a-] and \ escapes, down to its quirks
// (an unterminated class ends at the pattern's end, "[a-]" is a range up to
// ']', an escape inside a class ignores nocase, the empty string matches only
// the empty pattern).
//
// Redis backtracks recursively; a hostile pattern such as "*a*a*a*a*b" then
// costs exponential time, and a step budget would make long keys miss. Here
// the pattern is first read into tokens (a class becomes a 256-bit set), then
// matched with the iterative star algorithm: on a mismatch only the most
// recent star is retried one byte further on. A match found after an earlier
// star can always be shifted to start at the latest star, so the earlier ones
// never need retrying, and the work is at most len(pattern)*len(s) steps for
// any input: the cost of a walk is bounded by its keys' bytes, not by the
// pattern's shape.
func Match(pattern, s []byte, nocase bool) bool {
	if len(s) == 0 {
		// Redis's loop runs only while both have bytes left.
		return len(pattern) == 0
	}
	return CompileGlob(pattern, nocase).Match(s)
}

// Glob is a pattern read once, to match many strings (KEYS, SCAN MATCH).
type Glob struct {
	toks   []globToken
	empty  bool
	nocase bool
}

// CompileGlob reads pattern for Match's rules.
func CompileGlob(pattern []byte, nocase bool) *Glob {
	return &Glob{toks: compileGlob(nil, pattern, nocase), empty: len(pattern) == 0, nocase: nocase}
}

// Match reports whether s matches the pattern, in at most
// len(pattern)*len(s) steps.
func (g *Glob) Match(s []byte) bool {
	if len(s) == 0 {
		return g.empty
	}
	return matchTokens(g.toks, s, g.nocase)
}

type globKind uint8

const (
	globByte  globKind = iota // one literal byte
	globAny                   // ?
	globStar                  // one or more consecutive *
	globClass                 // [...]
)

type globToken struct {
	kind globKind
	c    byte      // globByte: the byte (lowered when nocase)
	set  [4]uint64 // globClass: the bytes that match, negation applied
}

func (t *globToken) matches(c byte, nocase bool) bool {
	switch t.kind {
	case globAny:
		return true
	case globByte:
		if nocase {
			c = lower(c)
		}
		return c == t.c
	case globClass:
		return t.set[c>>6]&(1<<(c&63)) != 0
	}
	return false
}

// compileGlob reads pattern as stringmatchlen does. A class's meaning does
// not depend on the string it is matched against, so it is evaluated once
// for every byte value, with stringmatchlen's own comparisons.
func compileGlob(toks []globToken, p []byte, nocase bool) []globToken {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			toks = append(toks, globToken{kind: globStar})
		case '?':
			toks = append(toks, globToken{kind: globAny})
		case '[':
			var set [4]uint64
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			for len(p) > 0 {
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					set[p[0]>>6] |= 1 << (p[0] & 63) // exact, even with nocase
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end := p[0], p[2]
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end = lower(start), lower(end)
					}
					for c := 0; c < 256; c++ {
						lc := byte(c)
						if nocase {
							lc = lower(lc)
						}
						if lc >= start && lc <= end {
							set[c>>6] |= 1 << (c & 63)
						}
					}
					p = p[2:]
				} else {
					for c := 0; c < 256; c++ {
						if byte(c) == p[0] || nocase && lower(byte(c)) == lower(p[0]) {
							set[c>>6] |= 1 << (c & 63)
						}
					}
				}
				p = p[1:]
			}
			// p is at the closing ']' or empty: an unterminated class
			// ends with the pattern.
			if not {
				for i := range set {
					set[i] = ^set[i]
				}
			}
			toks = append(toks, globToken{kind: globClass, set: set})
			if len(p) == 0 {
				return toks
			}
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			c := p[0]
			if nocase {
				c = lower(c)
			}
			toks = append(toks, globToken{kind: globByte, c: c})
		}
		p = p[1:]
	}
	return toks
}

// matchTokens is the iterative star algorithm: at most len(toks)*len(s) steps.
func matchTokens(toks []globToken, s []byte, nocase bool) bool {
	ti, si := 0, 0
	star, from := -1, 0 // the last star seen and where its match would resume
	for si < len(s) {
		if ti < len(toks) {
			t := &toks[ti]
			if t.kind == globStar {
				if ti == len(toks)-1 {
					return true // a trailing star takes whatever is left
				}
				star, from = ti, si
				ti++
				continue
			}
			if t.matches(s[si], nocase) {
				ti++
				si++
				continue
			}
		}
		if star < 0 {
			return false
		}
		// Let the last star take one more byte and retry what follows it.
		from++
		ti, si = star+1, from
	}
	for ti < len(toks) && toks[ti].kind == globStar {
		ti++
	}
	return ti == len(toks)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}
