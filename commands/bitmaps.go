package commands

import (
	"encoding/binary"
	"math"
	"math/bits"

	"synap/engine"
)

// Bitmaps are plain strings addressed by bit: bit 0 is the most significant
// bit of the first byte, and a string reads as zero bits past its end.

func init() {
	bm := func(name string, arity int, flags Flag, acl []string, since, complexity, summary string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, ACL: acl,
			Group: "bitmap", Since: since, Complexity: complexity, Summary: summary, Run: run}
	}
	rd := []string{"read", "bitmap", "fast"}
	rdSlow := []string{"read", "bitmap", "slow"}
	wrSlow := []string{"write", "bitmap", "slow"}
	setbit := bm("setbit", 4, FlagWrite|FlagDenyOOM, wrSlow, "2.2.0", "O(1)", "Sets or clears one bit of a string, growing it with zero bytes as needed.", cmdSetBit)
	bitop := bm("bitop", -4, FlagWrite|FlagDenyOOM, wrSlow, "2.6.0", "O(N) where N is the length of the longest source",
		"Stores the bitwise AND, OR, XOR or NOT of strings in a destination key.", cmdBitOp)
	bitop.FirstKey, bitop.LastKey = 2, -1
	bitfield := bm("bitfield", -2, FlagWrite|FlagDenyOOM, wrSlow, "3.2.0", "O(1) for each operation",
		"Reads, writes and increments integers of any width at any bit offset of a string.", cmdBitField)
	// Both return what was stored before (the old bit, GET, SET's old
	// value), so a key must be allowed to read as well.
	setbit.Reveals, bitfield.Reveals = Always, Always
	register(
		setbit,
		bm("getbit", 3, FlagReadOnly|FlagFast, rd, "2.2.0", "O(1)", "Returns one bit of a string.", cmdGetBit),
		bm("bitcount", -2, FlagReadOnly, rdSlow, "2.6.0", "O(N)", "Counts the set bits of a string, or of a range of its bytes or bits.", cmdBitCount),
		bm("bitpos", -3, FlagReadOnly, rdSlow, "2.8.7", "O(N)", "Finds the first set or clear bit of a string, or of a range of its bytes or bits.", cmdBitPos),
		bitop,
		bitfield,
		bm("bitfield_ro", -2, FlagReadOnly|FlagFast, rd, "6.0.0", "O(1) for each operation",
			"Reads integers of any width at any bit offset of a string.", cmdBitFieldRO),
	)
	// How each write reaches the write hook (propagate.go).
	setPropagation(map[string]Propagation{
		"bitfield": Verbatim, "bitop": Verbatim, "setbit": Verbatim,
	})
}

// bitOffset parses a bit offset: a non-negative integer whose byte lies
// below proto-max-bulk-len. With hash, "#n" means the n-th field of width
// bits; the multiplication wraps as Redis's does, so a huge n is refused.
func bitOffset(x *Ctx, arg []byte, hash bool, width int) (uint64, bool) {
	useHash := hash && len(arg) > 1 && arg[0] == '#'
	if useHash {
		arg = arg[1:]
	}
	v, ok := ParseInt(arg)
	if useHash {
		v *= int64(width)
	}
	if !ok || v < 0 || v>>3 >= x.S.Config().ProtoMaxBulkLen {
		x.Error(errBitOffset)
		return 0, false
	}
	return uint64(v), true
}

// bitWritable returns key's string, created or grown with zero bytes to at
// least size bytes, for a command about to change it in place; dirty says
// whether it was created or grown. ok is false when the reply (WRONGTYPE,
// QUOTA) is written.
func bitWritable(x *Ctx, key []byte, size uint64) (en *engine.Entry, dirty, ok bool) {
	en, ok = strWriteLookup(x, key)
	if !ok {
		return nil, false, false
	}
	if en == nil {
		if !x.StoreAllowed(x.Tx, key, int64(size)) {
			return nil, false, false
		}
		return x.Tx.Put(key, engine.StringEntry(make([]byte, size), true)), true, true
	}
	n := uint64(len(en.Str()))
	if size > n && !x.GrowthAllowed(int64(size-n)) {
		return nil, false, false
	}
	en.Raw = true // Redis unshares the value as a raw string before writing
	if size <= n {
		return en, false, true
	}
	if size > uint64(cap(en.Str())) {
		x.Tx.SetStr(en, append(en.Str()[:n:n], make([]byte, size-n)...))
	} else {
		// The spare capacity may hold bytes of an older, longer value.
		x.Tx.SetStr(en, en.Str()[:size])
		clear(en.Str()[n:])
	}
	return en, true, true
}

func bitGet(s []byte, off uint64) byte {
	if off>>3 >= uint64(len(s)) {
		return 0
	}
	return s[off>>3] >> (7 - off&7) & 1
}

func bitSet(s []byte, off uint64, on byte) {
	mask := byte(1) << (7 - off&7)
	if on != 0 {
		s[off>>3] |= mask
	} else {
		s[off>>3] &^= mask
	}
}

func cmdSetBit(x *Ctx) {
	key := x.Args[1]
	off, ok := bitOffset(x, x.Args[2], false, 0)
	if !ok {
		return
	}
	on, ok := ParseInt(x.Args[3])
	if !ok || on&^1 != 0 {
		x.Error(errBitValue)
		return
	}
	en, dirty, ok := bitWritable(x, key, off>>3+1)
	if !ok {
		return
	}
	old := bitGet(en.Str(), off)
	bitSet(en.Str(), off, byte(on))
	if dirty || old != byte(on) {
		x.Tx.Updated(key, en)
	}
	x.W.Int(int64(old))
}

func cmdGetBit(x *Ctx) {
	off, ok := bitOffset(x, x.Args[2], false, 0)
	if !ok {
		return
	}
	en, ok := strLookup(x, x.Args[1])
	switch {
	case !ok:
	case en == nil:
		x.W.Int(0)
	default:
		x.W.Int(int64(bitGet(en.Str(), off)))
	}
}

// bitRange turns BITCOUNT's and BITPOS's start and end (bytes, or bits
// with BIT; negative from the end) into an inclusive range of bits of a
// string of n bytes. ok is false when the range is empty.
func bitRange(start, end int64, isBit bool, n int64) (from, to uint64, ok bool) {
	total := n
	if isBit {
		total *= 8
	}
	if start < 0 {
		start = max(total+start, 0)
	}
	if end < 0 {
		end = max(total+end, 0)
	}
	end = min(end, total-1)
	if start > end {
		return 0, 0, false
	}
	if isBit {
		return uint64(start), uint64(end), true
	}
	return uint64(start) * 8, uint64(end)*8 + 7, true
}

// bitUnit parses the BYTE|BIT option.
func bitUnit(x *Ctx, arg []byte) (isBit, ok bool) {
	switch {
	case strEq(arg, "bit"):
		return true, true
	case strEq(arg, "byte"):
		return false, true
	}
	x.SyntaxError()
	return false, false
}

// bitCount counts the set bits from bit from to bit to, inclusive.
func bitCount(s []byte, from, to uint64) int64 {
	fb, tb := from>>3, to>>3
	// Whole bytes first, then take away the bits of the edge bytes that
	// lie outside the range.
	n := int64(bitPopcount(s[fb : tb+1]))
	n -= int64(bits.OnesCount8(s[fb] & ^(0xff >> (from & 7))))
	n -= int64(bits.OnesCount8(s[tb] & (0x7f >> (to & 7))))
	return n
}

func bitPopcount(b []byte) int {
	n := 0
	for ; len(b) >= 32; b = b[32:] {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b)) + bits.OnesCount64(binary.LittleEndian.Uint64(b[8:])) +
			bits.OnesCount64(binary.LittleEndian.Uint64(b[16:])) + bits.OnesCount64(binary.LittleEndian.Uint64(b[24:]))
	}
	for ; len(b) >= 8; b = b[8:] {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b))
	}
	for _, c := range b {
		n += bits.OnesCount8(c)
	}
	return n
}

func cmdBitCount(x *Ctx) {
	en, ok := strLookup(x, x.Args[1])
	if !ok {
		return
	}
	if en == nil {
		x.W.Int(0) // Redis answers before it looks at the range
		return
	}
	s := en.Str()
	from, to := uint64(0), uint64(len(s))*8-1
	switch len(x.Args) {
	case 2:
		if len(s) == 0 {
			x.W.Int(0)
			return
		}
	case 4, 5:
		start, ok := x.IntArg(2)
		if !ok {
			return
		}
		end, ok := x.IntArg(3)
		if !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			x.W.Int(0)
			return
		}
		isBit := false
		if len(x.Args) == 5 {
			if isBit, ok = bitUnit(x, x.Args[4]); !ok {
				return
			}
		}
		if from, to, ok = bitRange(start, end, isBit, int64(len(s))); !ok {
			x.W.Int(0)
			return
		}
	default:
		x.SyntaxError()
		return
	}
	x.W.Int(bitCount(s, from, to))
}

// bitFind returns the first bit equal to want from bit from to bit to,
// inclusive, or -1.
func bitFind(s []byte, from, to uint64, want byte) int64 {
	skip := byte(0)
	if want == 0 {
		skip = 0xff
	}
	skipWord := uint64(skip) * 0x0101010101010101
	for i := from; i <= to; i++ {
		if i&7 == 0 {
			// Whole words, then whole bytes, that cannot hold the bit.
			b, end := i>>3, (to+1)>>3
			for b+8 <= end && binary.LittleEndian.Uint64(s[b:]) == skipWord {
				b += 8
			}
			for b < end && s[b] == skip {
				b++
			}
			if i = b << 3; i > to {
				break
			}
		}
		if bitGet(s, i) == want {
			return int64(i)
		}
	}
	return -1
}

func cmdBitPos(x *Ctx) {
	want, ok := x.IntArg(2)
	if !ok {
		return
	}
	if want != 0 && want != 1 {
		x.Error(errBitArg)
		return
	}
	en, ok := strLookup(x, x.Args[1])
	if !ok {
		return
	}
	if en == nil {
		// A missing key is an endless run of zero bits.
		x.W.Int(-want)
		return
	}
	s := en.Str()
	n := int64(len(s))
	start, end, isBit, endGiven := int64(0), n-1, false, false
	if len(x.Args) > 6 {
		x.SyntaxError()
		return
	}
	if len(x.Args) >= 4 {
		if start, ok = x.IntArg(3); !ok {
			return
		}
		if len(x.Args) == 6 {
			if isBit, ok = bitUnit(x, x.Args[5]); !ok {
				return
			}
		}
		if len(x.Args) >= 5 {
			if end, ok = x.IntArg(4); !ok {
				return
			}
			endGiven = true
		}
	}
	from, to, ok := bitRange(start, end, isBit, n)
	if !ok {
		x.W.Int(-1)
		return
	}
	pos := bitFind(s, from, to, byte(want))
	if pos < 0 && want == 0 && !endGiven {
		// Without an end, the string counts as padded with zero bits.
		pos = int64(to + 1)
	}
	x.W.Int(pos)
}

func cmdBitOp(x *Ctx) {
	var op byte
	switch name := x.Args[1]; {
	case strEq(name, "and"):
		op = '&'
	case strEq(name, "or"):
		op = '|'
	case strEq(name, "xor"):
		op = '^'
	case strEq(name, "not"):
		op = '~'
	default:
		x.SyntaxError()
		return
	}
	if op == '~' && len(x.Args) != 4 {
		x.Error(errBitOpNot)
		return
	}
	srcs := make([][]byte, 0, len(x.Args)-3)
	size := 0
	for _, key := range x.Args[3:] {
		en, ok := strLookup(x, key)
		if !ok {
			return
		}
		var s []byte
		if en != nil {
			s = en.Str()
		}
		srcs = append(srcs, s)
		size = max(size, len(s))
	}
	dest := x.Args[2]
	if size == 0 {
		x.Tx.Delete(dest)
		x.W.Int(0)
		return
	}
	if !x.StoreAllowed(x.Tx, dest, int64(size)) {
		return
	}
	res := make([]byte, size)
	switch op {
	case '~':
		for i, c := range srcs[0] {
			res[i] = ^c
		}
	case '&':
		// Bytes past the end of the shortest source stay zero.
		shortest := size
		for _, s := range srcs {
			shortest = min(shortest, len(s))
		}
		copy(res, srcs[0][:shortest])
		for _, s := range srcs[1:] {
			for i := range res[:shortest] {
				res[i] &= s[i]
			}
		}
	case '|':
		for _, s := range srcs {
			for i, c := range s {
				res[i] |= c
			}
		}
	case '^':
		for _, s := range srcs {
			for i, c := range s {
				res[i] ^= c
			}
		}
	}
	x.Tx.Put(dest, engine.StringEntry(res, true))
	x.W.Int(int64(size))
}

// Overflow policies of BITFIELD.
const (
	bfWrap = iota
	bfSat
	bfFail
)

type bfOp struct {
	get, incr  bool // SET when neither
	signed     bool
	width      uint
	offset     uint64
	arg        int64
	overflow   int
	writeUntil uint64 // the last bit a write touches
}

// parseBitField parses BITFIELD's operations; writes is whether any
// operation changes the string.
func parseBitField(x *Ctx) (ops []bfOp, writes, ok bool) {
	args := x.Args
	overflow := bfWrap
	for j := 2; j < len(args); j++ {
		rest := len(args) - j - 1
		var op bfOp
		switch sub := args[j]; {
		case strEq(sub, "get") && rest >= 2:
			op.get = true
		case strEq(sub, "set") && rest >= 3:
		case strEq(sub, "incrby") && rest >= 3:
			op.incr = true
		case strEq(sub, "overflow") && rest >= 1:
			j++
			switch ow := args[j]; {
			case strEq(ow, "wrap"):
				overflow = bfWrap
			case strEq(ow, "sat"):
				overflow = bfSat
			case strEq(ow, "fail"):
				overflow = bfFail
			default:
				x.Error(errBitFieldOverflow)
				return nil, false, false
			}
			continue
		default:
			x.SyntaxError()
			return nil, false, false
		}
		typ := args[j+1]
		width, wok := int64(0), len(typ) > 0 && (typ[0] == 'i' || typ[0] == 'u')
		if wok {
			op.signed = typ[0] == 'i'
			width, wok = ParseInt(typ[1:])
		}
		if !wok || width < 1 || width > 64 || (!op.signed && width > 63) {
			x.Error(errBitFieldType)
			return nil, false, false
		}
		op.width = uint(width)
		if op.offset, ok = bitOffset(x, args[j+2], true, int(width)); !ok {
			return nil, false, false
		}
		if !op.get {
			writes = true
			op.writeUntil = op.offset + uint64(width) - 1
			if op.arg, ok = x.IntArg(j + 3); !ok {
				return nil, false, false
			}
			j++
		}
		op.overflow = overflow
		ops = append(ops, op)
		j += 2
	}
	return ops, writes, true
}

// bfRead reads an unsigned field of width bits at bit off, most significant
// bit first; bits past the end of s read as zero.
func bfRead(s []byte, off uint64, width uint) uint64 {
	var v uint64
	for i := range uint64(width) {
		v = v<<1 | uint64(bitGet(s, off+i))
	}
	return v
}

func bfWrite(s []byte, off uint64, width uint, v uint64) {
	for i := range uint64(width) {
		bitSet(s, off+i, byte(v>>(uint64(width)-1-i))&1)
	}
}

// bfSigned sign-extends the low width bits of v.
func bfSigned(v uint64, width uint) int64 {
	sh := 64 - width
	return int64(v<<sh) >> sh
}

// bfCompute applies SET or INCRBY to the field's current bits. It returns
// the bits to store and the reply, or ok false when OVERFLOW FAIL refuses.
func bfCompute(op *bfOp, cur uint64) (store uint64, reply int64, ok bool) {
	w := op.width
	mask := uint64(math.MaxUint64) >> (64 - w)
	var old, sum, maxV, minV int64
	var high, low bool
	if op.signed {
		old = bfSigned(cur, w)
		maxV = int64(uint64(math.MaxInt64) >> (64 - w))
		minV = -maxV - 1
	} else {
		old, maxV = int64(cur), int64(mask)
	}
	switch {
	case op.incr:
		sum = old + op.arg
		if (sum > old) != (op.arg > 0) {
			// Past int64 is past every field's range.
			high, low = op.arg > 0, op.arg < 0
		} else {
			high, low = sum > maxV, sum < minV
		}
	case op.signed:
		sum = op.arg
		// Redis compares through max-value computed in 64 bits: for a
		// narrow field that difference wraps when the value is below
		// max-2^63+1, and the value then counts as too high (SAT stores
		// the maximum).
		high = sum > maxV || (w < 64 && sum < maxV-math.MaxInt64)
		low = !high && sum < minV
	default:
		// SET of an unsigned field compares the value as unsigned: a
		// negative one is too high.
		sum = op.arg
		high = uint64(sum) > mask
	}
	if op.overflow == bfSat {
		if high {
			sum = maxV
		} else if low {
			sum = minV
		}
	}
	if (high || low) && op.overflow == bfFail {
		return 0, 0, false
	}
	if (high || low) && op.overflow == bfWrap {
		// Modular arithmetic on the field's width.
		base := uint64(0)
		if op.incr {
			base = cur
		}
		sum = int64(base + uint64(op.arg))
		if op.signed {
			sum = bfSigned(uint64(sum), w)
		} else {
			sum = int64(uint64(sum) & mask)
		}
	}
	reply = sum
	if !op.incr {
		reply = old
	}
	return uint64(sum) & mask, reply, true
}

func cmdBitField(x *Ctx)   { bitField(x, false) }
func cmdBitFieldRO(x *Ctx) { bitField(x, true) }

func bitField(x *Ctx, readOnly bool) {
	ops, writes, ok := parseBitField(x)
	if !ok {
		return
	}
	key := x.Args[1]
	var en *engine.Entry
	if !writes {
		if en, ok = strLookup(x, key); !ok {
			return
		}
	} else {
		if readOnly {
			x.Error(errBitFieldRO)
			return
		}
		var last uint64
		for _, op := range ops {
			last = max(last, op.writeUntil)
		}
		if en, _, ok = bitWritable(x, key, last>>3+1); !ok {
			return
		}
	}
	var s []byte
	if en != nil {
		s = en.Str()
	}
	x.W.Array(len(ops))
	for i := range ops {
		op := &ops[i]
		cur := bfRead(s, op.offset, op.width)
		if op.get {
			if op.signed {
				x.W.Int(bfSigned(cur, op.width))
			} else {
				x.W.Int(int64(cur))
			}
			continue
		}
		store, reply, ok := bfCompute(op, cur)
		if !ok {
			x.W.Null()
			continue
		}
		bfWrite(s, op.offset, op.width, store)
		x.W.Int(reply)
	}
	if writes {
		x.Tx.Updated(key, en)
	}
}
