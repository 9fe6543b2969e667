package engine

// Match reports whether s matches the glob pattern with Redis's rules
// (stringmatchlen): * ? [abc] [^a-z] [a-] and \ escapes. The work is bounded
// so a hostile pattern like "*a*a*a*a*b" cannot stall the server.
func Match(pattern, s []byte, nocase bool) bool {
	budget := 1 << 20
	return match(pattern, s, nocase, &budget)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func match(p, s []byte, nocase bool, budget *int) bool {
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
				if match(p[1:], s[i:], nocase, budget) {
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
					break // unterminated class: Redis treats the end as the close
				}
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if eqc(p[0], s[0], nocase) {
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
				} else if eqc(p[0], s[0], nocase) {
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
			if len(s) == 0 || !eqc(p[0], s[0], nocase) {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
	}
	return len(s) == 0
}

func eqc(a, b byte, nocase bool) bool {
	if nocase {
		return lower(a) == lower(b)
	}
	return a == b
}
