package engine

// Match reports whether s matches the glob pattern with Redis's rules
// (stringmatchlen): * ? [abc] [^a-z] [a-] and \ escapes, down to its quirks
// (an unterminated class ends at the pattern's end, "[a-]" is a range up to
// ']', an escape inside a class ignores nocase, the empty string matches only
// the empty pattern).
//
// Redis backtracks recursively; a hostile pattern such as "*a*a*a*a*b" then
// costs exponential time, and a step budget would make long keys miss. Here
// the match is iterative: on a mismatch only the most recent star is retried,
// taking one more byte. A match found after an earlier star can always be
// shifted to start at the latest star, so earlier stars never need retrying,
// and every retry restarts the pattern after that star: at most
// len(pattern)*len(s) steps for any input, with no allocation. The cost of a
// walk is thus bounded by its keys' bytes, not by the pattern's shape.
func Match(pattern, s []byte, nocase bool) bool {
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

// matchClass matches c against the class opening at p[i] == '[' as
// stringmatchlen reads it, and returns the index just past the class (the
// pattern's end for an unterminated one).
func matchClass(p []byte, i int, c byte, nocase bool) (int, bool) {
	i++
	not := i < len(p) && p[i] == '^'
	if not {
		i++
	}
	match := false
	for i < len(p) {
		switch {
		case p[i] == '\\' && len(p)-i >= 2:
			i++
			if p[i] == c { // exact, even with nocase, as in Redis
				match = true
			}
		case p[i] == ']':
			if not {
				match = !match
			}
			return i + 1, match
		case len(p)-i >= 3 && p[i+1] == '-':
			start, end, cc := p[i], p[i+2], c
			if start > end {
				start, end = end, start
			}
			if nocase {
				start, end, cc = lower(start), lower(end), lower(cc)
			}
			if cc >= start && cc <= end {
				match = true
			}
			i += 2
		case eqc(p[i], c, nocase):
			match = true
		}
		i++
	}
	if not {
		match = !match
	}
	return len(p), match
}

func eqc(a, b byte, nocase bool) bool {
	if nocase {
		return lower(a) == lower(b)
	}
	return a == b
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}
