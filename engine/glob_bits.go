package engine

import "math/bits"

// bitBlock is how many atoms of a segment one bit-parallel pass covers
// (at most 64 words of state); a var so tests can cut segments into many
// blocks with small inputs.
var bitBlock = 4096

// bitState is bitFind's scratch, kept by the Glob across names: for each
// byte value, which atoms of the current block accept it (kw words per
// byte, at most 128 KB in all), and the places still possible.
type bitState struct {
	masks []uint64 // byte c's words are masks[c*kw : c*kw+kw]
	kw    int
	cand  []uint64
	// built is 1 + where the segment whose only block the masks hold
	// starts (0: none): KEYS reuses them from name to name.
	built int
}

// bitFind returns where sg matches first in w, or -1, by Shift-And: each
// block of up to bitBlock atoms runs over w keeping, as one bit per atom,
// which prefixes of the block match ending at the current byte; a place
// stays possible while every block matches at its offset from it. That is
// len(w) x len(sg)/64 word steps, with memory bounded by the block, not by
// the pattern.
func (g *Glob) bitFind(sg *seg, w []byte) int {
	last := len(w) - sg.n
	if last < 0 {
		return -1
	}
	if g.bits == nil {
		g.bits = new(bitState)
	}
	b := g.bits
	nw := last/64 + 1
	if cap(b.cand) < nw {
		b.cand = make([]uint64, nw)
	}
	cand := b.cand[:nw]
	for i := range cand {
		cand[i] = ^uint64(0)
	}
	if r := (last + 1) & 63; r != 0 {
		cand[nw-1] = 1<<r - 1
	}
	pi := sg.from
	for off := 0; off < sg.n; off += bitBlock {
		k := min(bitBlock, sg.n-off)
		kw := (k + 63) / 64
		if one := k == sg.n; !one || b.built != sg.from+1 {
			if len(b.masks) < 256*kw {
				b.masks = make([]uint64, 256*kw)
			}
			b.kw, b.built = kw, 0
			clear(b.masks[:256*kw])
			for a := 0; a < k; a++ {
				pi = g.setAtom(pi, a)
			}
			g.count(256*kw + pi - sg.from)
			if one {
				b.built = sg.from + 1
			}
		}
		var d [64]uint64
		top, topBit := (k-1)/64, uint((k-1)%64)
		for e, c := range w[off : last+off+k] {
			m := b.masks[int(c)*kw : int(c)*kw+kw]
			carry := uint64(1)
			for i := range m {
				v := d[i]
				d[i] = (v<<1 | carry) & m[i]
				carry = v >> 63
			}
			if j := e - k + 1; j >= 0 && d[top]>>topBit&1 == 0 {
				cand[j>>6] &^= 1 << (j & 63)
			}
			if e&4095 == 4095 {
				g.count(4096 * kw)
			}
		}
		any := false
		for _, v := range cand {
			if v != 0 {
				any = true
				break
			}
		}
		if !any {
			return -1
		}
	}
	for i, v := range cand {
		if v != 0 {
			return i*64 + bits.TrailingZeros64(v)
		}
	}
	return -1
}

// setAtom marks atom a of the current block, which starts at p[pi], as
// accepting each byte it matches, and returns where the next atom starts.
func (g *Glob) setAtom(pi, a int) int {
	p, m, kw := g.p, g.bits.masks, g.bits.kw
	w, bit := a>>6, uint64(1)<<(a&63)
	switch p[pi] {
	case '?':
		for c := range 256 {
			m[c*kw+w] |= bit
		}
		return pi + 1
	case '[':
		set, end := classSet(p, pi, g.nocase)
		for c := range 256 {
			if set[c>>6]>>(c&63)&1 != 0 {
				m[c*kw+w] |= bit
			}
		}
		return end
	case '\\':
		q := pi
		if pi+1 < len(p) {
			q = pi + 1
		}
		g.setByte(p[q], w, bit)
		return q + 1
	default:
		g.setByte(p[pi], w, bit)
		return pi + 1
	}
}

func (g *Glob) setByte(x byte, w int, bit uint64) {
	m, kw := g.bits.masks, g.bits.kw
	m[int(x)*kw+w] |= bit
	if g.nocase && isLetter(x) {
		m[int(x^0x20)*kw+w] |= bit
	}
}

// classSet is the set of bytes the class opening at p[i] == '[' matches,
// read in one pass as matchClass reads it, and the index past the class.
func classSet(p []byte, i int, nocase bool) (set [4]uint64, end int) {
	add := func(c byte) { set[c>>6] |= 1 << (c & 63) }
	i++
	not := i < len(p) && p[i] == '^'
	if not {
		i++
	}
	end = len(p)
scan:
	for i < len(p) {
		switch {
		case p[i] == '\\' && len(p)-i >= 2:
			i++
			add(p[i]) // exact, even with nocase, as in Redis
		case p[i] == ']':
			end = i + 1
			break scan
		case len(p)-i >= 3 && p[i+1] == '-':
			start, stop := p[i], p[i+2]
			if start > stop {
				start, stop = stop, start
			}
			if nocase {
				// c matches when lower(c) is in the lowered range: a
				// byte other than A-Z by itself, A-Z by its lower case.
				m := rangeSet(lower(start), lower(stop))
				m[1] = m[1]&^upperAZ | (m[1]&lowerAZ)>>32
				for j := range set {
					set[j] |= m[j]
				}
			} else {
				m := rangeSet(start, stop)
				for j := range set {
					set[j] |= m[j]
				}
			}
			i += 2
		default:
			add(p[i])
			if nocase && isLetter(p[i]) {
				add(p[i] ^ 0x20)
			}
		}
		i++
	}
	if not {
		for j := range set {
			set[j] = ^set[j]
		}
	}
	return set, end
}

// The letters' bits in the second word of a byte set: A-Z are 65-90,
// a-z 97-122, 32 bits higher.
const (
	upperAZ = (uint64(1)<<26 - 1) << ('A' - 64)
	lowerAZ = upperAZ << 32
)

// rangeSet is the byte set [lo, hi] (empty when lo > hi), a word at a time.
func rangeSet(lo, hi byte) (set [4]uint64) {
	if lo > hi {
		return set
	}
	for j := range set {
		from, to := max(int(lo), j*64), min(int(hi), j*64+63)
		if from > to {
			continue
		}
		n := uint(to - from + 1)
		w := ^uint64(0)
		if n < 64 {
			w = uint64(1)<<n - 1
		}
		set[j] = w << uint(from-j*64)
	}
	return set
}
