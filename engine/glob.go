package engine

import (
	"bytes"

	"synap/sched"
)

// Glob is a pattern with Redis's rules (stringmatchlen): * ? [abc] [^a-z]
// [a-] and \ escapes, down to its quirks (an unterminated class ends at the
// pattern's end, "[a-]" is a range up to ']', an escape inside a class
// ignores nocase, the empty string matches only the empty pattern).
//
// Redis backtracks recursively, which a pattern such as "*a*a*a*a*b" makes
// exponential. Every element of a glob but the star matches exactly one
// byte, so the pattern is a chain of fixed-length segments joined by stars:
// the first must match the name's start, the last its end, and those in
// between may each be placed at the leftmost place it fits after the one
// before (a later place never leaves more room for what follows). A
// segment is looked for with bytes.Index on its longest run of literal
// bytes, and checked whole only where that run occurs, so the usual hostile
// shapes (long literal runs, many stars) cost about the name's length. The
// shapes that defeat that (segments of ? and classes only, or runs that
// occur everywhere) go bit-parallel past a linear budget (bitFind): about
// len(name) x len(pattern)/64 word steps. A Glob made with Yielding lets
// other connections run every so many steps, so a long match costs the
// caller's time, not theirs.
//
// A Glob holds the pattern's outline, counters and the scratch of its
// searches, reused from name to name; it is used by one goroutine.
type Glob struct {
	p      []byte
	nocase bool
	// Yielding lets a long match give the processor away (sched.Maybe).
	// Set it only where the caller holds no lock another connection needs.
	Yielding bool
	steps    int
	checked  int       // work of checking places (atoms, class bytes), for find's budget
	bits     *bitState // bitFind's tables, made on first use

	star       bool // the pattern has a star outside classes and escapes
	head, tail seg  // the segments before the first star and after the last
	midFrom    int  // the pattern between them, from after the first run of stars
	midTo      int  // to the last run of stars
	// midN is how many bytes the segments between match: a name shorter
	// than the whole pattern's fixed bytes is refused before any segment
	// between is read again (a huge one would cost its length per name).
	midN int
	lit  []byte
}

// seg is a star-free stretch of the pattern, p[from:to], matching n bytes;
// its longest run of single-byte literals starts at atom off, is litN atoms
// long and spans p[litFrom:litTo].
type seg struct {
	from, to, n    int
	off, litN      int
	litFrom, litTo int
	escapedLit     bool
}

// yieldSteps is how many byte comparisons a yielding match makes between
// two chances to yield; sched.Maybe itself paces the actual yields.
const yieldSteps = 1 << 15

// NewGlob outlines pattern for matching: one pass over it, no copy.
func NewGlob(pattern []byte, nocase bool) *Glob {
	g := &Glob{p: pattern, nocase: nocase}
	g.outline()
	return g
}

// Match reports whether s matches pattern; see Glob.
func Match(pattern, s []byte, nocase bool) bool {
	g := Glob{p: pattern, nocase: nocase}
	g.outline()
	return g.Match(s)
}

func (g *Glob) outline() {
	var next int
	g.head, next = g.parseSeg(0)
	if next == g.head.to {
		return // no star: the head is the whole pattern
	}
	g.star = true
	g.midFrom, g.midTo = next, len(g.p)
	g.tail = seg{from: len(g.p), to: len(g.p)} // empty while the pattern ends with a star
	for i := next; i < len(g.p); {
		sg, j := g.parseSeg(i)
		if j == len(g.p) && sg.to == j {
			g.tail, g.midTo = sg, sg.from
		} else {
			g.midN += sg.n
		}
		i = j
	}
}

// parseSeg reads the segment starting at p[i] up to the next star outside
// a class or an escape, and returns it with the index past the stars that
// end it (its end when none do).
func (g *Glob) parseSeg(i int) (seg, int) {
	p := g.p
	sg := seg{from: i}
	runFrom, runAt, runN := i, 0, 0
	closeRun := func(end int) {
		if runN > sg.litN {
			sg.off, sg.litN, sg.litFrom, sg.litTo = runAt, runN, runFrom, end
		}
		runN = 0
	}
	for i < len(p) && p[i] != '*' {
		switch p[i] {
		case '?':
			closeRun(i)
			i++
		case '[':
			closeRun(i)
			i = classEnd(p, i)
		case '\\':
			q := i
			if i+1 < len(p) {
				q = i + 1
			}
			if g.nocase && isLetter(p[q]) {
				closeRun(i)
			} else {
				if runN == 0 {
					runFrom, runAt = i, sg.n
				}
				runN++
			}
			i = q + 1
		default:
			if g.nocase && isLetter(p[i]) {
				closeRun(i)
			} else {
				if runN == 0 {
					runFrom, runAt = i, sg.n
				}
				runN++
			}
			i++
		}
		sg.n++
	}
	closeRun(i)
	sg.to = i
	for i < len(p) && p[i] == '*' {
		i++
	}
	sg.escapedLit = bytes.IndexByte(p[sg.litFrom:sg.litTo], '\\') >= 0
	return sg, i
}

// Match reports whether s matches the pattern.
func (g *Glob) Match(s []byte) bool {
	if len(s) == 0 {
		// Redis's loop runs only while both have bytes left.
		return len(g.p) == 0
	}
	if !g.star {
		return g.head.n == len(s) && g.verify(&g.head, s)
	}
	if g.head.n+g.midN+g.tail.n > len(s) {
		return false
	}
	if !g.verify(&g.head, s[:g.head.n]) || !g.verify(&g.tail, s[len(s)-g.tail.n:]) {
		return false
	}
	w := s[g.head.n : len(s)-g.tail.n]
	for i := g.midFrom; i < g.midTo; {
		sg, next := g.parseSeg(i)
		g.count(sg.to - sg.from)
		at := g.find(&sg, w)
		if at < 0 {
			return false
		}
		w = w[at+sg.n:]
		i = next
	}
	return true
}

// find's budget of checked atoms before it turns to bitFind: linear in the
// window. Vars so tests can make every search past the first check
// bit-parallel.
var findPerByte, findSlack = 2, 256

// bitMinWindow is the least window bitFind is used for: its tables cost
// 256 steps an atom to build, more than checking a short window in turn.
var bitMinWindow = 256

// find returns where sg matches first in w, or -1. Checking sg at each
// place its literal run occurs (or at every place, without one) is
// linear in practice; a segment whose checks fail late again and again
// (a run that occurs everywhere, classes and ? only) would make it
// len(sg) x len(w). Past a linear budget of checked atoms the rest of w
// is searched bit-parallel instead (bitFind), len(w) x len(sg)/64.
func (g *Glob) find(sg *seg, w []byte) int {
	last := len(w) - sg.n // the last place sg can start
	if last < 0 {
		return -1
	}
	budget := g.checked + findPerByte*len(w) + findSlack
	var lit []byte
	if sg.litN > 0 {
		lit = g.literal(sg)
	}
	for j := 0; j <= last; j++ {
		if lit != nil {
			// The run can only be where a match would put it.
			area := w[j+sg.off : last+sg.off+sg.litN]
			k := bytes.Index(area, lit)
			if k < 0 {
				g.count(len(area))
				return -1
			}
			g.count(k + len(lit))
			g.checked += len(lit) // each find compares the run whole
			j += k
			if sg.litN == sg.n {
				return j
			}
		}
		if g.verify(sg, w[j:j+sg.n]) {
			return j
		}
		if g.checked > budget && len(w)-j > bitMinWindow {
			if at := g.bitFind(sg, w[j+1:]); at >= 0 {
				return j + 1 + at
			}
			return -1
		}
	}
	return -1
}

// literal is the bytes of sg's longest literal run, unescaped.
func (g *Glob) literal(sg *seg) []byte {
	run := g.p[sg.litFrom:sg.litTo]
	if !sg.escapedLit {
		return run
	}
	g.lit = g.lit[:0]
	for i := 0; i < len(run); i++ {
		if run[i] == '\\' && sg.litFrom+i+1 < len(g.p) {
			i++
		}
		g.lit = append(g.lit, run[i])
	}
	return g.lit
}

// verify reports whether t, of sg.n bytes, matches sg.
func (g *Glob) verify(sg *seg, t []byte) bool {
	p, nocase := g.p, g.nocase
	pi := sg.from
	for si, c := range t {
		if si&(yieldSteps-1) == yieldSteps-1 {
			g.count(yieldSteps)
		}
		ok := true
		switch p[pi] {
		case '?':
			pi++
		case '[':
			var next int
			next, ok = matchClass(p, pi, c, nocase)
			// A class costs its length each time: a long one counts as
			// that many atoms toward find's budget.
			g.steps += next - pi
			g.checked += next - pi
			pi = next
		case '\\':
			q := pi
			if pi+1 < len(p) {
				q = pi + 1 // a trailing backslash is itself
			}
			ok = eqc(p[q], c, nocase)
			pi = q + 1
		default:
			ok = eqc(p[pi], c, nocase)
			pi++
		}
		if !ok {
			g.checked += si + 1
			g.count(si & (yieldSteps - 1))
			return false
		}
	}
	g.checked += len(t)
	g.count(len(t) & (yieldSteps - 1))
	return true
}

// count adds n steps and, for a yielding glob, offers to yield every
// yieldSteps of them.
func (g *Glob) count(n int) {
	g.steps += n
	if g.steps >= yieldSteps {
		g.steps = 0
		if g.Yielding {
			sched.Maybe()
		}
	}
}

// classEnd is the index past the class opening at p[i] == '[', read as
// matchClass reads it (the pattern's end for an unterminated one).
func classEnd(p []byte, i int) int {
	i++
	if i < len(p) && p[i] == '^' {
		i++
	}
	for i < len(p) {
		switch {
		case p[i] == '\\' && len(p)-i >= 2:
			i++
		case p[i] == ']':
			return i + 1
		case len(p)-i >= 3 && p[i+1] == '-':
			i += 2
		}
		i++
	}
	return len(p)
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

func isLetter(c byte) bool { return lower(c) >= 'a' && lower(c) <= 'z' }
