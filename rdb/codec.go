// Package rdb reads and writes Redis's serialization format, the one DUMP
// and RESTORE exchange: an object's type byte and encoded value, then the
// 2-byte RDB version and a CRC64 (Jones) of everything before it.
package rdb

import (
	"encoding/binary"
	"errors"
	"hash/crc64"
	"math"
	"strconv"
)

// Version is the RDB version Redis 7.0 writes; payloads of a later version
// are refused, as Redis refuses them, since their encodings may be unknown.
const Version = 10

// Object types this codec knows.
const (
	TypeString = 0
)

var (
	// ErrChecksum is a payload whose trailer does not verify.
	ErrChecksum = errors.New("DUMP payload version or checksum are wrong")
	// ErrFormat is a payload whose body does not decode.
	ErrFormat = errors.New("Bad data format")
	// ErrTooLarge: the payload's compressed strings expand past the bound
	// the caller set (DecodeWithin).
	ErrTooLarge = errors.New("payload expands past the bound")
)

// ErrUnsupported is a payload of a type Synap cannot restore yet; Redis's
// reply for a type it does not know is the same.
var ErrUnsupported = ErrFormat

// Redis's CRC64 is Jones's polynomial, reflected, with no initial or final
// inversion; Go's crc64 inverts both ends, which the ^ below undoes.
var jones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// Checksum is Redis's CRC64 of b.
func Checksum(b []byte) uint64 { return ^crc64.Update(^uint64(0), jones, b) }

// Verify checks a payload's version and checksum and returns its body.
func Verify(p []byte) ([]byte, error) {
	if len(p) < 10 {
		return nil, ErrChecksum
	}
	n := len(p)
	if v := binary.LittleEndian.Uint16(p[n-10:]); v > Version {
		return nil, ErrChecksum
	}
	if Checksum(p[:n-8]) != binary.LittleEndian.Uint64(p[n-8:]) {
		return nil, ErrChecksum
	}
	return p[:n-10], nil
}

// seal appends the version and checksum trailer.
func seal(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, Checksum(b))
}

// DumpString is the payload of a string value, integer-encoded when Redis
// would encode it so (a canonical decimal that fits 32 bits).
func DumpString(s []byte) []byte {
	b := make([]byte, 0, len(s)+24)
	b = append(b, TypeString)
	b = AppendString(b, s)
	return seal(b)
}

// AppendString appends s in the string encoding.
func AppendString(b, s []byte) []byte {
	if len(s) <= 11 && len(s) > 0 {
		if v, err := strconv.ParseInt(string(s), 10, 64); err == nil && strconv.FormatInt(v, 10) == string(s) {
			switch {
			case v >= -1<<7 && v < 1<<7:
				return append(b, 0xc0, byte(int8(v)))
			case v >= -1<<15 && v < 1<<15:
				return binary.LittleEndian.AppendUint16(append(b, 0xc1), uint16(int16(v)))
			case v >= -1<<31 && v < 1<<31:
				return binary.LittleEndian.AppendUint32(append(b, 0xc2), uint32(int32(v)))
			}
		}
	}
	b = AppendLen(b, uint64(len(s)))
	return append(b, s...)
}

// AppendLen appends n in the length encoding.
func AppendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0x81), n)
	}
}

// Reader decodes a body. Every length it reads is checked against the bytes
// that remain before anything is allocated, so a payload cannot make it
// allocate more than a small multiple of its own size.
type Reader struct {
	b []byte
	// expand is what LZF strings may still decompress to, in total: a
	// payload claims its sizes, and a few bytes must not make the server
	// allocate what the caller would refuse to store anyway.
	expand   uint64
	tooLarge bool // a string passed expand: said apart from bad data
}

// NewReader reads b, with no bound on decompression but LZF's own ratio.
func NewReader(b []byte) *Reader { return &Reader{b: b, expand: math.MaxUint64} }

// Rest is the count of unread bytes.
func (r *Reader) Rest() int { return len(r.b) }

func (r *Reader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)) {
		return nil, ErrFormat
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v, nil
}

// Byte reads one byte.
func (r *Reader) Byte() (byte, error) {
	v, err := r.take(1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// length reads a length or, when special, the encoding it announces.
func (r *Reader) length() (n uint64, special bool, err error) {
	c, err := r.Byte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3f), false, nil
	case 1:
		d, err := r.Byte()
		return uint64(c&0x3f)<<8 | uint64(d), false, err
	case 2:
		switch c {
		case 0x80:
			v, err := r.take(4)
			if err != nil {
				return 0, false, err
			}
			return uint64(binary.BigEndian.Uint32(v)), false, nil
		case 0x81:
			v, err := r.take(8)
			if err != nil {
				return 0, false, err
			}
			return binary.BigEndian.Uint64(v), false, nil
		}
		return 0, false, ErrFormat
	}
	return uint64(c & 0x3f), true, nil
}

// Len reads a length that is not a special encoding.
func (r *Reader) Len() (uint64, error) {
	n, special, err := r.length()
	if err == nil && special {
		err = ErrFormat
	}
	return n, err
}

// String reads a string in any of its encodings: raw, integer or LZF.
// The result may alias the body.
func (r *Reader) String() ([]byte, error) {
	n, special, err := r.length()
	if err != nil {
		return nil, err
	}
	if !special {
		return r.take(n)
	}
	switch n {
	case 0:
		v, err := r.take(1)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int8(v[0])), 10), nil
	case 1:
		v, err := r.take(2)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(v))), 10), nil
	case 2:
		v, err := r.take(4)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(v))), 10), nil
	case 3:
		clen, err := r.Len()
		if err != nil {
			return nil, err
		}
		ulen, err := r.Len()
		if err != nil {
			return nil, err
		}
		in, err := r.take(clen)
		if err != nil {
			return nil, err
		}
		if ulen > r.expand {
			r.tooLarge = true
			return nil, ErrTooLarge
		}
		r.expand -= ulen
		return lzfDecompress(in, ulen)
	}
	return nil, ErrFormat
}

// lzfMaxRatio bounds what LZF can expand to: one back-reference of three
// bytes yields at most 264.
const lzfMaxRatio = 88

// lzfDecompress expands LZF data to exactly ulen bytes.
func lzfDecompress(in []byte, ulen uint64) ([]byte, error) {
	if ulen == 0 || ulen > uint64(len(in))*lzfMaxRatio {
		return nil, ErrFormat
	}
	out := make([]byte, 0, ulen)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			n := ctrl + 1
			if i+n > len(in) || uint64(len(out)+n) > ulen {
				return nil, ErrFormat
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, ErrFormat
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, ErrFormat
		}
		back := (ctrl&0x1f)<<8 | int(in[i]) + 1
		i++
		n += 2
		ref := len(out) - back
		if ref < 0 || uint64(len(out)+n) > ulen {
			return nil, ErrFormat
		}
		// Byte by byte: a reference may overlap what it produces.
		for k := 0; k < n; k++ {
			out = append(out, out[ref+k])
		}
	}
	if uint64(len(out)) != ulen {
		return nil, ErrFormat
	}
	return out, nil
}

// Value is a decoded object.
type Value struct {
	Type byte
	Str  []byte // TypeString
	// Items are a list's or set's elements, a hash's fields and values
	// alternating, or a sorted set's members (with Scores).
	Items  [][]byte
	Scores []float64
	Stream *Stream // TypeStreamListpacks2 (either stream encoding)
}

// Decode verifies a payload and decodes the object it holds.
func Decode(p []byte) (Value, error) { return DecodeWithin(p, math.MaxUint64) }

// DecodeWithin is Decode with its compressed strings expanding to at most
// maxExpand bytes in total (ErrTooLarge past it).
func DecodeWithin(p []byte, maxExpand uint64) (Value, error) {
	body, err := Verify(p)
	if err != nil {
		return Value{}, err
	}
	r := NewReader(body)
	r.expand = maxExpand
	v, err := r.value()
	if r.tooLarge {
		return Value{}, ErrTooLarge
	}
	return v, err
}

// value decodes the object r holds: a type byte and its encoding.
func (r *Reader) value() (Value, error) {
	t, err := r.Byte()
	if err != nil {
		return Value{}, ErrFormat
	}
	switch t {
	case TypeString:
		s, err := r.String()
		if err != nil {
			return Value{}, ErrFormat
		}
		if r.Rest() != 0 {
			return Value{}, ErrFormat
		}
		return Value{Type: t, Str: s}, nil
	}
	v, err := r.decodeCollection(t)
	if err != nil || r.Rest() != 0 {
		return Value{}, ErrFormat
	}
	return v, nil
}
