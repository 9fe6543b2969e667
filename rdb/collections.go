package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Collection types. Synap writes the plain encodings (each element a
// string), which Redis 7.0 loads and re-encodes as it would its own; it
// reads those and the compact ones Redis 7.0 writes.
const (
	TypeList          = 1
	TypeSet           = 2
	TypeHash          = 4
	TypeZSet2         = 5
	TypeSetIntset     = 11
	TypeHashListpack  = 16
	TypeZSetListpack  = 17
	TypeListQuicklist = 18
)

// DumpList is the payload of a list.
func DumpList(items [][]byte) []byte { return dumpStrings(TypeList, items) }

// DumpSet is the payload of a set.
func DumpSet(members [][]byte) []byte { return dumpStrings(TypeSet, members) }

// DumpHash is the payload of a hash given as field, value, field, value...
func DumpHash(pairs [][]byte) []byte {
	b := AppendLen([]byte{TypeHash}, uint64(len(pairs)/2))
	for _, s := range pairs {
		b = AppendString(b, s)
	}
	return seal(b)
}

// DumpZSet is the payload of a sorted set.
func DumpZSet(members [][]byte, scores []float64) []byte {
	b := AppendLen([]byte{TypeZSet2}, uint64(len(members)))
	for i, m := range members {
		b = AppendString(b, m)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(scores[i]))
	}
	return seal(b)
}

func dumpStrings(t byte, items [][]byte) []byte {
	b := AppendLen([]byte{t}, uint64(len(items)))
	for _, s := range items {
		b = AppendString(b, s)
	}
	return seal(b)
}

// count reads an element count, refused when the elements, at least min
// bytes each, could not fit in what remains: the count sizes allocations.
func (r *Reader) count(min int) (int, error) {
	n, err := r.Len()
	if err != nil || n > uint64(len(r.b)/min) {
		return 0, ErrFormat
	}
	return int(n), nil
}

func (r *Reader) strings(n int) ([][]byte, error) {
	out := make([][]byte, 0, n)
	for range n {
		s, err := r.String()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// decodeCollection reads the body of a collection type.
func (r *Reader) decodeCollection(t byte) (Value, error) {
	v := Value{Type: t}
	switch t {
	case TypeList, TypeSet:
		n, err := r.count(1)
		if err != nil {
			return v, err
		}
		v.Items, err = r.strings(n)
		return v, err
	case TypeHash:
		n, err := r.count(2)
		if err != nil {
			return v, err
		}
		v.Items, err = r.strings(2 * n)
		return v, err
	case TypeZSet2:
		n, err := r.count(9)
		if err != nil {
			return v, err
		}
		v.Items, v.Scores = make([][]byte, 0, n), make([]float64, 0, n)
		for range n {
			m, err := r.String()
			if err != nil {
				return v, err
			}
			raw, err := r.take(8)
			if err != nil {
				return v, err
			}
			s := math.Float64frombits(binary.LittleEndian.Uint64(raw))
			if math.IsNaN(s) {
				return v, ErrFormat
			}
			v.Items, v.Scores = append(v.Items, m), append(v.Scores, s)
		}
		return v, nil
	case TypeSetIntset:
		blob, err := r.String()
		if err != nil {
			return v, err
		}
		v.Type = TypeSet
		v.Items, err = intset(blob)
		return v, err
	case TypeHashListpack:
		blob, err := r.String()
		if err != nil {
			return v, err
		}
		v.Type = TypeHash
		v.Items, err = listpack(blob)
		if err == nil && len(v.Items)%2 != 0 {
			err = ErrFormat
		}
		return v, err
	case TypeZSetListpack:
		blob, err := r.String()
		if err != nil {
			return v, err
		}
		v.Type = TypeZSet2
		all, err := listpack(blob)
		if err != nil || len(all)%2 != 0 {
			return v, ErrFormat
		}
		for i := 0; i < len(all); i += 2 {
			s, err := strconv.ParseFloat(string(all[i+1]), 64)
			if err != nil || math.IsNaN(s) {
				return v, ErrFormat
			}
			v.Items, v.Scores = append(v.Items, all[i]), append(v.Scores, s)
		}
		return v, nil
	case TypeStreamListpacks, TypeStreamListpacks2:
		s, err := r.stream(t == TypeStreamListpacks2)
		if err != nil {
			return v, err
		}
		v.Type, v.Stream = TypeStreamListpacks2, s
		return v, nil
	case TypeListQuicklist:
		nodes, err := r.count(2)
		if err != nil {
			return v, err
		}
		v.Type = TypeList
		for range nodes {
			container, err := r.Len()
			if err != nil {
				return v, err
			}
			blob, err := r.String()
			if err != nil {
				return v, err
			}
			switch container {
			case 1: // a plain node: one large element
				v.Items = append(v.Items, blob)
			case 2:
				items, err := listpack(blob)
				if err != nil || len(items) == 0 {
					return v, ErrFormat
				}
				v.Items = append(v.Items, items...)
			default:
				return v, ErrFormat
			}
		}
		return v, nil
	}
	return v, ErrUnsupported
}

// intset reads Redis's sorted integer array: element width, count, values.
func intset(b []byte) ([][]byte, error) {
	if len(b) < 8 {
		return nil, ErrFormat
	}
	w := binary.LittleEndian.Uint32(b)
	n := uint64(binary.LittleEndian.Uint32(b[4:]))
	if (w != 2 && w != 4 && w != 8) || uint64(len(b)-8) != n*uint64(w) {
		return nil, ErrFormat
	}
	out := make([][]byte, 0, n)
	for p := b[8:]; len(p) > 0; p = p[w:] {
		var x int64
		switch w {
		case 2:
			x = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			x = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			x = int64(binary.LittleEndian.Uint64(p))
		}
		out = append(out, strconv.AppendInt(nil, x, 10))
	}
	return out, nil
}

// listpack reads the elements of a listpack: a 6-byte header (total bytes,
// count), entries each followed by its back-length, and a 0xff end byte.
func listpack(b []byte) ([][]byte, error) {
	if len(b) < 7 || uint64(binary.LittleEndian.Uint32(b)) != uint64(len(b)) || b[len(b)-1] != 0xff {
		return nil, ErrFormat
	}
	p := b[6 : len(b)-1]
	var out [][]byte
	for len(p) > 0 {
		c := p[0]
		var el []byte
		var size int // encoding plus data
		need := func(n int) bool { return n <= len(p) }
		switch {
		case c&0x80 == 0:
			el, size = strconv.AppendInt(nil, int64(c&0x7f), 10), 1
		case c&0xc0 == 0x80:
			n := int(c & 0x3f)
			if !need(1 + n) {
				return nil, ErrFormat
			}
			el, size = p[1:1+n], 1+n
		case c&0xe0 == 0xc0:
			if !need(2) {
				return nil, ErrFormat
			}
			x := int64(c&0x1f)<<8 | int64(p[1])
			if x >= 1<<12 {
				x -= 1 << 13
			}
			el, size = strconv.AppendInt(nil, x, 10), 2
		case c&0xf0 == 0xe0:
			if !need(2) {
				return nil, ErrFormat
			}
			n := int(c&0x0f)<<8 | int(p[1])
			if !need(2 + n) {
				return nil, ErrFormat
			}
			el, size = p[2:2+n], 2+n
		case c == 0xf0:
			if !need(5) {
				return nil, ErrFormat
			}
			n := uint64(binary.LittleEndian.Uint32(p[1:]))
			if n > uint64(len(p)-5) {
				return nil, ErrFormat
			}
			el, size = p[5:5+n], 5+int(n)
		case c >= 0xf1 && c <= 0xf4:
			w := [...]int{2, 3, 4, 8}[c-0xf1]
			if !need(1 + w) {
				return nil, ErrFormat
			}
			var u uint64
			for i := w - 1; i >= 0; i-- {
				u = u<<8 | uint64(p[1+i])
			}
			x := int64(u << (64 - 8*w))
			x >>= 64 - 8*w // sign-extend from w bytes
			el, size = strconv.AppendInt(nil, x, 10), 1+w
		default:
			return nil, ErrFormat
		}
		back := ListpackBacklen(size)
		if size+back > len(p) {
			return nil, ErrFormat
		}
		out = append(out, el)
		p = p[size+back:]
	}
	if n := binary.LittleEndian.Uint16(b[4:]); n != 65535 && int(n) != len(out) {
		return nil, ErrFormat
	}
	return out, nil
}
