package commands

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"

	"synap/engine"
	"synap/resp"
)

// HyperLogLog values are strings in Redis's own layout, so a value written
// by Synap and one dumped by Redis read the same on either side: a 16-byte
// header ("HYLL", the encoding, three unused bytes, the cached cardinality
// as 8 little-endian bytes whose top bit marks it stale), then 16384 6-bit
// registers, either packed (dense) or run-length coded (sparse).

func init() {
	hll := func(name string, arity int, flags Flag, first, last int, acl []string, complexity, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, ACL: acl,
			Group: "hyperloglog", Since: "2.8.9", Complexity: complexity, Summary: summary, Run: run}
	}
	// PFADD is the producer of a HyperLogLog: its 0 or 1 says whether the
	// sketch changed (table.go's Acknowledges). PFMERGE replies +OK.
	pfadd := hll("pfadd", -2, FlagWrite|FlagDenyOOM|FlagFast, 1, 1, []string{"write", "hyperloglog", "fast"},
		"O(1) for each element", "Adds elements to a HyperLogLog, creating it when absent.", cmdPFAdd)
	pfadd.Reveals = Acknowledges
	pfmerge := hll("pfmerge", -2, FlagWrite|FlagDenyOOM, 1, -1, []string{"write", "hyperloglog", "slow"},
		"O(N) for N HyperLogLogs", "Stores the union of HyperLogLogs in a destination key.", cmdPFMerge)
	pfmerge.Reveals = Never
	register(
		pfadd,
		hll("pfcount", -2, FlagReadOnly, 1, -1, []string{"read", "hyperloglog", "slow"},
			"O(1) for one key, O(N) for the union of N keys", "Estimates the number of distinct elements seen by one HyperLogLog or the union of several.", cmdPFCount),
		pfmerge,
		hll("pfdebug", 3, FlagWrite|FlagDenyOOM|FlagAdmin, 2, 2, []string{"write", "hyperloglog", "admin", "slow", "dangerous"},
			"N/A", "Inspects the internals of a HyperLogLog (registers, encoding).", cmdPFDebug),
	)
	// How each write reaches the write hook (propagate.go).
	setPropagation(map[string]Propagation{
		"pfadd": Verbatim, "pfdebug": Verbatim, "pfmerge": Verbatim,
	})
}

const (
	hllP         = 14 // index bits of the hash
	hllQ         = 64 - hllP
	hllRegs      = 1 << hllP
	hllHdr       = 16
	hllDenseSize = hllHdr + (hllRegs*6+7)/8
	hllDense     = 0
	hllSparse    = 1
	// Redis's hll-sparse-max-bytes default: past it a value turns dense.
	hllSparseMaxBytes = 3000
	hllSparseValMax   = 32 // the largest register a sparse VAL opcode holds
	hllSparseValLen   = 4
	hllSparseZeroLen  = 64

	errHLLType    = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errHLLInvalid = "INVALIDOBJ Corrupted HLL object detected"
)

// hllHash is MurmurHash64A, with the seed Redis uses, over the element.
func hllHash(b []byte) uint64 {
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

// hllPattern gives the register an element falls in and the value it
// offers: one more than the run of zero bits above the index bits.
func hllPattern(ele []byte) (int, uint8) {
	h := hllHash(ele)
	idx := int(h & (hllRegs - 1))
	h = h>>hllP | 1<<hllQ // the sentinel bounds the run at hllQ
	return idx, uint8(bits.TrailingZeros64(h) + 1)
}

// Dense registers are packed least significant bit first, so one register
// spans at most two bytes; the last register fits in the last byte.
func hllGetReg(regs []byte, i int) uint8 {
	b, sh := i*6>>3, uint(i*6&7)
	w := uint16(regs[b])
	if b+1 < len(regs) {
		w |= uint16(regs[b+1]) << 8
	}
	return uint8(w>>sh) & 63
}

func hllSetReg(regs []byte, i int, v uint8) {
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
func hllIsZero(op byte) bool  { return op&0xc0 == 0 }
func hllIsXZero(op byte) bool { return op&0xc0 == 0x40 }
func hllIsVal(op byte) bool   { return op&0x80 != 0 }
func hllValValue(op byte) int { return int(op>>2&0x1f) + 1 }
func hllValLen(op byte) int   { return int(op&3) + 1 }
func hllZero(n int) byte      { return byte(n - 1) }
func hllVal(v, n int) byte    { return 0x80 | byte(v-1)<<2 | byte(n-1) }

func hllXZero(n int) [2]byte { return [2]byte{0x40 | byte((n-1)>>8), byte(n - 1)} }

// hllOp decodes the opcode at s[p]: how many registers it covers, their
// value, and its length in bytes. A cut-off XZERO reads its missing byte
// as zero, as Redis reads the string's terminator.
func hllOp(s []byte, p int) (span, val, size int) {
	op := s[p]
	switch {
	case hllIsZero(op):
		return int(op&0x3f) + 1, 0, 1
	case hllIsVal(op):
		return hllValLen(op), hllValValue(op), 1
	}
	lo := 0
	if p+1 < len(s) {
		lo = int(s[p+1])
	}
	return (int(op&0x3f)<<8 | lo) + 1, 0, 2
}

// hllNew is an empty HyperLogLog: sparse, one XZERO over every register,
// with a valid cached cardinality of zero.
func hllNew() []byte {
	s := make([]byte, hllHdr, hllHdr+32)
	copy(s, "HYLL")
	s[4] = hllSparse
	x := hllXZero(hllRegs)
	return append(s, x[0], x[1])
}

// hllIsValid is Redis's check that a string may be read as a HyperLogLog.
func hllIsValid(s []byte) bool {
	if len(s) < hllHdr || string(s[:4]) != "HYLL" || s[4] > hllSparse {
		return false
	}
	return s[4] != hllDense || len(s) == hllDenseSize
}

// hllLookup checks an existing entry is a HyperLogLog, replying Redis's
// error when it is not. A nil entry is fine.
func hllLookup(x *Ctx, en *engine.Entry) bool {
	switch {
	case en == nil:
		return true
	case en.Kind != engine.KindString:
		x.Error(resp.ErrWrongType)
	case !hllIsValid(en.Str):
		x.Error(errHLLType)
	default:
		return true
	}
	return false
}

func hllInvalidate(s []byte) { s[15] |= 0x80 }

// hllRoomToGrow checks, before a sparse (or missing) value is changed in
// place, that the tenant's quota has room for it to turn dense: a few
// crafted elements do that, 12 KB from a few bytes, and a change made in
// place cannot be undone once its size is known. It replies and returns
// false when there is no room.
func hllRoomToGrow(x *Ctx, key []byte, en *engine.Entry) bool {
	if en != nil && en.Str[4] == hllDense {
		return true
	}
	return x.StoreAllowed(x.Tx, key, hllDenseSize)
}

func hllCached(s []byte) (uint64, bool) {
	if s[15]&0x80 != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(s[8:16]), true
}

// hllSet raises register idx to count. It returns the value (grown,
// moved, or turned dense) and 1 when a register changed, 0 when not,
// -1 when the value is corrupt.
func hllSet(s []byte, idx int, count uint8) ([]byte, int) {
	if s[4] == hllDense {
		return s, hllDenseSet(s[hllHdr:], idx, count)
	}
	return hllSparseSet(s, idx, count)
}

func hllDenseSet(regs []byte, idx int, count uint8) int {
	if count <= hllGetReg(regs, idx) {
		return 0
	}
	hllSetReg(regs, idx, count)
	return 1
}

// hllSparseSet updates a sparse value in place the way Redis does, so the
// bytes come out identical: the opcode covering idx is split into at most
// three, then neighbouring VALs of equal value are merged. A register
// above 32, or growth past hllSparseMaxBytes, turns the value dense.
func hllSparseSet(s []byte, idx int, count uint8) ([]byte, int) {
	if count > hllSparseValMax {
		return hllPromote(s, idx, count)
	}
	p, prev, first, span, val, size := hllHdr, -1, 0, 0, 0, 0
	for ; p < len(s); p += size {
		span, val, size = hllOp(s, p)
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
	case hllIsVal(op) && val >= int(count):
		return s, 0
	case span == 1 && !hllIsXZero(op):
		s[p] = hllVal(int(count), 1)
		return hllSparseMerge(s, prev), 1
	}
	// The general case: the opcode splits into a run before idx, idx's
	// own VAL, and a run after it.
	var seq [5]byte
	n := 0
	run := func(length int) {
		switch {
		case hllIsVal(op):
			seq[n] = hllVal(val, length)
			n++
		case length > hllSparseZeroLen:
			x := hllXZero(length)
			seq[n], seq[n+1] = x[0], x[1]
			n += 2
		default:
			seq[n] = hllZero(length)
			n++
		}
	}
	last := first + span - 1
	if idx != first {
		run(idx - first)
	}
	seq[n] = hllVal(int(count), 1)
	n++
	if idx != last {
		run(last - idx)
	}
	delta := n - size
	if delta > 0 && len(s)+delta > hllSparseMaxBytes {
		return hllPromote(s, idx, count)
	}
	tail := len(s) - (p + size)
	if delta > 0 {
		s = append(s, seq[:delta]...)
	}
	copy(s[p+n:], s[p+size:p+size+tail])
	s = s[:p+n+tail]
	copy(s[p:], seq[:n])
	return hllSparseMerge(s, prev), 1
}

// hllSparseMerge joins adjacent VALs of one value, scanning the five
// opcodes from the one before the change as Redis does.
func hllSparseMerge(s []byte, prev int) []byte {
	p := prev
	if p < 0 {
		p = hllHdr
	}
	for scan := 5; p < len(s) && scan > 0; scan-- {
		op := s[p]
		switch {
		case hllIsXZero(op):
			p += 2
			continue
		case hllIsZero(op):
			p++
			continue
		}
		if p+1 < len(s) && hllIsVal(s[p+1]) && hllValValue(op) == hllValValue(s[p+1]) {
			if n := hllValLen(op) + hllValLen(s[p+1]); n <= hllSparseValLen {
				s[p+1] = hllVal(hllValValue(op), n)
				copy(s[p:], s[p+1:])
				s = s[:len(s)-1]
				continue // the merged run may merge again to its right
			}
		}
		p++
	}
	return s
}

func hllPromote(s []byte, idx int, count uint8) ([]byte, int) {
	d, ok := hllToDense(s)
	if !ok {
		return s, -1
	}
	return d, hllDenseSet(d[hllHdr:], idx, count)
}

// hllToDense returns the dense form of a sparse value, header kept (cached
// cardinality included), or false when the opcodes do not cover exactly
// every register, no more.
func hllToDense(s []byte) ([]byte, bool) {
	if s[4] == hllDense {
		return s, true
	}
	d := make([]byte, hllDenseSize)
	copy(d, s[:hllHdr])
	d[4] = hllDense
	regs := d[hllHdr:]
	ok := hllSparseRuns(s, func(i int, val uint8) { hllSetReg(regs, i, val) })
	return d, ok
}

// hllMax raises out[i] to register i of s, for every register; false when s is corrupt.
func hllMax(out *[hllRegs]uint8, s []byte) bool {
	if s[4] == hllDense {
		regs := s[hllHdr:]
		for i := range out {
			out[i] = max(out[i], hllGetReg(regs, i))
		}
		return true
	}
	return hllSparseRuns(s, func(i int, val uint8) { out[i] = max(out[i], val) })
}

// hllSparseRuns calls set for every register that the sparse value s gives
// a value above zero, and reports whether s covers exactly hllRegs
// registers. It stops at a run that goes past the last register: a corrupt
// value must not write out of bounds.
func hllSparseRuns(s []byte, set func(i int, val uint8)) bool {
	i := 0
	for p := hllHdr; p < len(s); {
		span, val, size := hllOp(s, p)
		p += size
		if val == 0 {
			i += span
			continue
		}
		if i+span > hllRegs {
			return false
		}
		for end := i + span; i < end; i++ {
			set(i, uint8(val))
		}
	}
	return i == hllRegs
}

// hllCount estimates the cardinality of s; false when s is corrupt.
func hllCount(s []byte) (uint64, bool) {
	var histo [64]int
	if s[4] == hllDense {
		regs := s[hllHdr:]
		for i := range hllRegs {
			histo[hllGetReg(regs, i)]++
		}
		return hllEstimate(&histo), true
	}
	i := 0
	for p := hllHdr; p < len(s); {
		span, val, size := hllOp(s, p)
		p += size
		i += span
		histo[val] += span
	}
	return hllEstimate(&histo), i == hllRegs
}

func hllCountRaw(regs *[hllRegs]uint8) uint64 {
	var histo [64]int
	for _, v := range regs {
		histo[v]++
	}
	return hllEstimate(&histo)
}

// hllEstimate is the estimator Redis uses, Otmar Ertl's "improved" one
// (arXiv:1702.01284), from the histogram of register values. The explicit
// float64 conversions keep the compiler from fusing multiply-adds, so the
// result is bit for bit what Redis computes.
func hllEstimate(histo *[64]int) uint64 {
	const m = float64(hllRegs)
	z := float64(m * hllTau((m-float64(histo[hllQ+1]))/m))
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(histo[0])/m))
	const alphaInf = 0.721347520444481703680 // 1 / (2 ln 2)
	return uint64(math.Round(alphaInf * m * m / z))
}

func hllSigma(x float64) float64 {
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

func hllTau(x float64) float64 {
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

// hllStore saves a changed value: in place for an existing key (keeping its
// TTL, re-accounted), as a new key otherwise. Redis reports such strings'
// encoding as raw.
func hllStore(x *Ctx, key []byte, en *engine.Entry, s []byte) {
	if en == nil {
		x.Tx.Put(key, &engine.Entry{Kind: engine.KindString, Str: s, Raw: true})
		return
	}
	en.Str, en.Raw = s, true
	x.Tx.Updated(key, en)
}

func cmdPFAdd(x *Ctx) {
	key := x.Args[1]
	en := x.Tx.Get(key)
	if !hllLookup(x, en) {
		return
	}
	if !hllRoomToGrow(x, key, en) {
		return
	}
	var s []byte
	updated := en == nil
	if updated {
		s = hllNew()
	} else {
		s = en.Str
	}
	for _, ele := range x.Args[2:] {
		idx, count := hllPattern(ele)
		var r int
		if s, r = hllSet(s, idx, count); r < 0 {
			hllStore(x, key, en, s) // what changed before the corruption stays, as in Redis
			x.Error(errHLLInvalid)
			return
		}
		updated = updated || r > 0
	}
	if updated {
		hllInvalidate(s)
	}
	hllStore(x, key, en, s)
	if updated {
		x.W.Int(1)
	} else {
		x.W.Int(0)
	}
}

func cmdPFCount(x *Ctx) {
	if len(x.Args) > 2 {
		var regs [hllRegs]uint8
		for _, key := range x.Args[1:] {
			en := x.Read(key)
			if !hllLookup(x, en) {
				return
			}
			if en != nil && !hllMax(&regs, en.Str) {
				x.Error(errHLLInvalid)
				return
			}
		}
		x.W.Int(int64(hllCountRaw(&regs)))
		return
	}
	key := x.Args[1]
	en := x.Read(key)
	if !hllLookup(x, en) {
		return
	}
	if en == nil {
		x.W.Int(0)
		return
	}
	// Redis caches the cardinality in the value although PFCOUNT is a
	// read-only command. Changing the value needs the key's lock held
	// exclusively (as inside an EXEC that writes); under a shared lock the
	// value stays as it is and the next PFCOUNT computes again.
	write := x.Tx.Writable()
	if write {
		en.Raw = true
	}
	s := en.Str
	card, cached := hllCached(s)
	if !cached {
		var ok bool
		if card, ok = hllCount(s); !ok {
			x.Error(errHLLInvalid)
			return
		}
		if write {
			binary.LittleEndian.PutUint64(s[8:16], card)
			hllStore(x, key, en, s)
		}
	}
	x.W.Int(int64(card))
}

func cmdPFMerge(x *Ctx) {
	var regs [hllRegs]uint8
	dense := false
	for _, key := range x.Args[1:] {
		en := x.Read(key)
		if !hllLookup(x, en) {
			return
		}
		if en == nil {
			continue
		}
		dense = dense || en.Str[4] == hllDense
		if !hllMax(&regs, en.Str) {
			x.Error(errHLLInvalid)
			return
		}
	}
	key := x.Args[1]
	en := x.Tx.Get(key)
	if !hllRoomToGrow(x, key, en) { // the loop checked its type
		return
	}
	var s []byte
	if en == nil {
		s = hllNew()
	} else {
		s = en.Str
	}
	if dense {
		var ok bool
		if s, ok = hllToDense(s); !ok {
			x.Error(errHLLInvalid)
			return
		}
	}
	for i, v := range regs {
		if v != 0 {
			s, _ = hllSet(s, i, v)
		}
	}
	hllInvalidate(s)
	hllStore(x, key, en, s)
	x.W.OK()
}

func cmdPFDebug(x *Ctx) {
	sub, key := x.Args[1], x.Args[2]
	en := x.Tx.Get(key)
	if en == nil {
		x.Error("ERR The specified key does not exist")
		return
	}
	if !hllLookup(x, en) {
		return
	}
	en.Raw = true
	s := en.Str
	switch {
	case strEq(sub, "getreg"), strEq(sub, "todense"):
		sparse := s[4] == hllSparse
		if sparse && !hllRoomToGrow(x, key, en) {
			return
		}
		if sparse {
			d, ok := hllToDense(s)
			if !ok {
				x.Error(errHLLInvalid)
				return
			}
			s = d
			hllStore(x, key, en, s)
		}
		if strEq(sub, "todense") {
			if sparse {
				x.W.Int(1)
			} else {
				x.W.Int(0)
			}
			return
		}
		x.W.Array(hllRegs)
		for i := range hllRegs {
			x.W.Int(int64(hllGetReg(s[hllHdr:], i)))
		}
	case strEq(sub, "decode"):
		if s[4] != hllSparse {
			x.Error("ERR HLL encoding is not sparse")
			return
		}
		var b []byte
		for p := hllHdr; p < len(s); {
			span, val, size := hllOp(s, p)
			switch {
			case hllIsVal(s[p]):
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
		x.W.Bulk(bytes.TrimRight(b, " "))
	case strEq(sub, "encoding"):
		if s[4] == hllDense {
			x.W.Simple("dense")
		} else {
			x.W.Simple("sparse")
		}
	default:
		x.Error(sanitize("ERR Unknown PFDEBUG subcommand '" + string(sub) + "'"))
	}
}
