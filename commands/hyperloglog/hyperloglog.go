// Package hyperloglog is Redis's HyperLogLog representation: the 16-byte
// header, the 16384 6-bit registers in their sparse (run-length) and dense
// (packed) encodings, the element hash and the cardinality estimate, bit
// for bit as Redis 7.0 computes and stores them, so a value moves between
// Synap and Redis unchanged. Values are plain byte slices; keys, types and
// replies are commands/hll.go's.
//
// Layout: "HYLL", the encoding, three unused bytes, the cached cardinality
// as 8 little-endian bytes whose top bit marks it stale, then the registers.
package hyperloglog

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
)

const (
	indexBits  = 14 // index bits of the hash
	runBits    = 64 - indexBits
	Registers  = 1 << indexBits
	headerSize = 16
	DenseSize  = headerSize + (Registers*6+7)/8
	encDense   = 0
	encSparse  = 1
	// Redis's hll-sparse-max-bytes default: past it a value turns dense.
	sparseMaxBytes = 3000
	sparseValMax   = 32 // the largest register a sparse VAL opcode holds
	sparseValLen   = 4
	sparseZeroLen  = 64
)

// hash is MurmurHash64A, with the seed Redis uses, over the element.
func hash(b []byte) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := uint64(0xadc83b19) ^ uint64(len(b))*m
	for ; len(b) >= 8; b = b[8:] {
		k := binary.LittleEndian.Uint64(b)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	if len(b) > 0 {
		for i, c := range b {
			h ^= uint64(c) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// Pattern gives the register an element falls in and the value it
// offers: one more than the run of zero bits above the index bits.
func Pattern(ele []byte) (int, uint8) {
	h := hash(ele)
	idx := int(h & (Registers - 1))
	h = h>>indexBits | 1<<runBits // the sentinel bounds the run at runBits
	return idx, uint8(bits.TrailingZeros64(h) + 1)
}

// Dense registers are packed least significant bit first, so one register
// spans at most two bytes; the last register fits in the last byte.
func getReg(regs []byte, i int) uint8 {
	b, sh := i*6>>3, uint(i*6&7)
	w := uint16(regs[b])
	if b+1 < len(regs) {
		w |= uint16(regs[b+1]) << 8
	}
	return uint8(w>>sh) & 63
}

func setReg(regs []byte, i int, v uint8) {
	b, sh := i*6>>3, uint(i*6&7)
	w := uint16(regs[b])
	if b+1 < len(regs) {
		w |= uint16(regs[b+1]) << 8
	}
	w = w&^(63<<sh) | uint16(v)<<sh
	regs[b] = byte(w)
	if b+1 < len(regs) {
		regs[b+1] = byte(w >> 8)
	}
}

// Sparse opcodes: ZERO 00xxxxxx (1-64 zero registers), XZERO 01xxxxxx
// yyyyyyyy (1-16384 zero registers), VAL 1vvvvvxx (1-4 registers holding
// 1-32).
func isZero(op byte) bool  { return op&0xc0 == 0 }
func isXZero(op byte) bool { return op&0xc0 == 0x40 }
func isVal(op byte) bool   { return op&0x80 != 0 }
func valValue(op byte) int { return int(op>>2&0x1f) + 1 }
func valLen(op byte) int   { return int(op&3) + 1 }
func zeroOp(n int) byte    { return byte(n - 1) }
func valOp(v, n int) byte  { return 0x80 | byte(v-1)<<2 | byte(n-1) }

func xzeroOp(n int) [2]byte { return [2]byte{0x40 | byte((n-1)>>8), byte(n - 1)} }

// opAt decodes the opcode at s[p]: how many registers it covers, their
// value, and its length in bytes. A cut-off XZERO reads its missing byte
// as zero, as Redis reads the string's terminator.
func opAt(s []byte, p int) (span, val, size int) {
	op := s[p]
	switch {
	case isZero(op):
		return int(op&0x3f) + 1, 0, 1
	case isVal(op):
		return valLen(op), valValue(op), 1
	}
	lo := 0
	if p+1 < len(s) {
		lo = int(s[p+1])
	}
	return (int(op&0x3f)<<8 | lo) + 1, 0, 2
}

// New is an empty HyperLogLog: sparse, one XZERO over every register,
// with a valid cached cardinality of zero.
func New() []byte {
	s := make([]byte, headerSize, headerSize+32)
	copy(s, "HYLL")
	s[4] = encSparse
	x := xzeroOp(Registers)
	return append(s, x[0], x[1])
}

// Valid is Redis's check that a string may be read as a HyperLogLog.
func Valid(s []byte) bool {
	if len(s) < headerSize || string(s[:4]) != "HYLL" || s[4] > encSparse {
		return false
	}
	return s[4] != encDense || len(s) == DenseSize
}

// Invalidate marks s's cached cardinality stale, as every change must.
func Invalidate(s []byte) { s[15] |= 0x80 }

// Cached returns s's cached cardinality, false when it is stale.
func Cached(s []byte) (uint64, bool) {
	if s[15]&0x80 != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(s[8:16]), true
}

// Set raises register idx to count. It returns the value (grown,
// moved, or turned dense) and 1 when a register changed, 0 when not,
// -1 when the value is corrupt.
func Set(s []byte, idx int, count uint8) ([]byte, int) {
	if s[4] == encDense {
		return s, denseSet(s[headerSize:], idx, count)
	}
	return sparseSet(s, idx, count)
}

func denseSet(regs []byte, idx int, count uint8) int {
	if count <= getReg(regs, idx) {
		return 0
	}
	setReg(regs, idx, count)
	return 1
}

// sparseSet updates a sparse value in place the way Redis does, so the
// bytes come out identical: the opcode covering idx is split into at most
// three, then neighbouring VALs of equal value are merged. A register
// above 32, or growth past sparseMaxBytes, turns the value dense.
func sparseSet(s []byte, idx int, count uint8) ([]byte, int) {
	if count > sparseValMax {
		return promote(s, idx, count)
	}
	p, prev, first, span, val, size := headerSize, -1, 0, 0, 0, 0
	for ; p < len(s); p += size {
		span, val, size = opAt(s, p)
		if idx < first+span {
			break
		}
		prev = p
		first += span
	}
	if p >= len(s) || p+size > len(s) {
		return s, -1
	}
	op := s[p]
	switch {
	case isVal(op) && val >= int(count):
		return s, 0
	case span == 1 && !isXZero(op):
		s[p] = valOp(int(count), 1)
		return sparseMerge(s, prev), 1
	}
	// The general case: the opcode splits into a run before idx, idx's
	// own VAL, and a run after it.
	var seq [5]byte
	n := 0
	run := func(length int) {
		switch {
		case isVal(op):
			seq[n] = valOp(val, length)
			n++
		case length > sparseZeroLen:
			x := xzeroOp(length)
			seq[n], seq[n+1] = x[0], x[1]
			n += 2
		default:
			seq[n] = zeroOp(length)
			n++
		}
	}
	last := first + span - 1
	if idx != first {
		run(idx - first)
	}
	seq[n] = valOp(int(count), 1)
	n++
	if idx != last {
		run(last - idx)
	}
	delta := n - size
	if delta > 0 && len(s)+delta > sparseMaxBytes {
		return promote(s, idx, count)
	}
	tail := len(s) - (p + size)
	if delta > 0 {
		s = append(s, seq[:delta]...)
	}
	copy(s[p+n:], s[p+size:p+size+tail])
	s = s[:p+n+tail]
	copy(s[p:], seq[:n])
	return sparseMerge(s, prev), 1
}

// sparseMerge joins adjacent VALs of one value, scanning the five
// opcodes from the one before the change as Redis does.
func sparseMerge(s []byte, prev int) []byte {
	p := prev
	if p < 0 {
		p = headerSize
	}
	for scan := 5; p < len(s) && scan > 0; scan-- {
		op := s[p]
		switch {
		case isXZero(op):
			p += 2
			continue
		case isZero(op):
			p++
			continue
		}
		if p+1 < len(s) && isVal(s[p+1]) && valValue(op) == valValue(s[p+1]) {
			if n := valLen(op) + valLen(s[p+1]); n <= sparseValLen {
				s[p+1] = valOp(valValue(op), n)
				copy(s[p:], s[p+1:])
				s = s[:len(s)-1]
				continue // the merged run may merge again to its right
			}
		}
		p++
	}
	return s
}

func promote(s []byte, idx int, count uint8) ([]byte, int) {
	d, ok := ToDense(s)
	if !ok {
		return s, -1
	}
	return d, denseSet(d[headerSize:], idx, count)
}

// ToDense returns the dense form of a sparse value, header kept (cached
// cardinality included), or false when the opcodes do not cover exactly
// every register, no more.
func ToDense(s []byte) ([]byte, bool) {
	if s[4] == encDense {
		return s, true
	}
	d := make([]byte, DenseSize)
	copy(d, s[:headerSize])
	d[4] = encDense
	regs := d[headerSize:]
	ok := sparseRuns(s, func(i int, val uint8) { setReg(regs, i, val) })
	return d, ok
}

// Max raises out[i] to register i of s, for every register; false when s is corrupt.
func Max(out *[Registers]uint8, s []byte) bool {
	if s[4] == encDense {
		regs := s[headerSize:]
		for i := range out {
			out[i] = max(out[i], getReg(regs, i))
		}
		return true
	}
	return sparseRuns(s, func(i int, val uint8) { out[i] = max(out[i], val) })
}

// sparseRuns calls set for every register that the sparse value s gives
// a value above zero, and reports whether s covers exactly Registers
// registers. It stops at a run that goes past the last register: a corrupt
// value must not write out of bounds.
func sparseRuns(s []byte, set func(i int, val uint8)) bool {
	i := 0
	for p := headerSize; p < len(s); {
		span, val, size := opAt(s, p)
		p += size
		if val == 0 {
			i += span
			continue
		}
		if i+span > Registers {
			return false
		}
		for end := i + span; i < end; i++ {
			set(i, uint8(val))
		}
	}
	return i == Registers
}

// Count estimates the cardinality of s; false when s is corrupt.
func Count(s []byte) (uint64, bool) {
	var histo [64]int
	if s[4] == encDense {
		regs := s[headerSize:]
		for i := range Registers {
			histo[getReg(regs, i)]++
		}
		return estimate(&histo), true
	}
	i := 0
	for p := headerSize; p < len(s); {
		span, val, size := opAt(s, p)
		p += size
		i += span
		histo[val] += span
	}
	return estimate(&histo), i == Registers
}

// CountRegisters estimates the cardinality of a set of registers (the
// union PFCOUNT of several keys builds with Max).
func CountRegisters(regs *[Registers]uint8) uint64 {
	var histo [64]int
	for _, v := range regs {
		histo[v]++
	}
	return estimate(&histo)
}

// estimate is the estimator Redis uses, Otmar Ertl's "improved" one
// (arXiv:1702.01284), from the histogram of register values. The explicit
// float64 conversions keep the compiler from fusing multiply-adds, so the
// result is bit for bit what Redis computes.
func estimate(histo *[64]int) uint64 {
	const m = float64(Registers)
	z := float64(m * tau((m-float64(histo[runBits+1]))/m))
	for j := runBits; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += float64(m * sigma(float64(histo[0])/m))
	const alphaInf = 0.721347520444481703680 // 1 / (2 ln 2)
	return uint64(math.Round(alphaInf * m * m / z))
}

func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += float64(x * y)
		y += y
		if z == prev {
			return z
		}
	}
}

func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if z == prev {
			return z / 3
		}
	}
}

// Dense reports whether s, a Valid value, is in the dense encoding.
func Dense(s []byte) bool { return s[4] == encDense }

// SetCached stores card as s's cached cardinality, marked fresh.
func SetCached(s []byte, card uint64) { binary.LittleEndian.PutUint64(s[8:16], card) }

// Add offers ele to s: Pattern and Set in one.
func Add(s, ele []byte) ([]byte, int) {
	idx, count := Pattern(ele)
	return Set(s, idx, count)
}

// Register is register i of the dense value s.
func Register(s []byte, i int) uint8 { return getReg(s[headerSize:], i) }

// Decode lists the opcodes of the sparse value s as PFDEBUG DECODE does:
// "v:<value>,<registers>" for a VAL, "z:<registers>" for a ZERO,
// "Z:<registers>" for an XZERO.
func Decode(s []byte) []byte {
	var b []byte
	for p := headerSize; p < len(s); {
		span, val, size := opAt(s, p)
		switch {
		case isVal(s[p]):
			b = append(b, "v:"...)
			b = strconv.AppendInt(b, int64(val), 10)
			b = append(b, ',')
		case size == 2:
			b = append(b, "Z:"...) // XZERO
		default:
			b = append(b, "z:"...)
		}
		b = append(strconv.AppendInt(b, int64(span), 10), ' ')
		p += size
	}
	return bytes.TrimRight(b, " ")
}
